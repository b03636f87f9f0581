"""The fuzz's judge: what counts as a 5xx, a slow answer, a shape violation, a broken expectation."""

from __future__ import annotations

import json

import pytest

from fuzz.case import EITHER, REFUSED, Case, Expect, refused
from fuzz.judge import judge
from fuzz.wire import Answer, RawRequest

POST = RawRequest(head=b"POST /v1/articles HTTP/1.1\r\n\r\n", method="POST")
JSON = {"content-type": "application/json"}


def case(expect: Expect = REFUSED) -> Case:
    return Case(name="a case", service="ingest", build=lambda _stage: POST, expect=expect)


def error(http_status: int, *, headers: dict | None = None, **body) -> Answer:
    content = {"status": http_status, "error": "bad", "detail": "it is bad", "errors": [], **body}
    return Answer(outcome="answered", seconds=0.01, status=http_status, headers={**JSON, **(headers or {})},
                  body=json.dumps(content).encode())


def goals(verdict) -> set[str]:
    return {p.goal for p in verdict.problems}


def test_an_error_in_the_shape_passes() -> None:
    verdict = judge(case(), POST, error(422, errors=[{"field": "$.url", "reason": "no"}]), budget_s=2)
    assert verdict.passed and verdict.shape_ok


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (Answer(outcome="answered", seconds=0.01, status=401, headers=JSON,
                body=b'{"status":401,"error":"unauthorized","detail":"no key"}'), "errors left out"),
        (error(400, status=500), "body status differs"),
        (Answer(outcome="answered", seconds=0.01, status=400, headers={"content-type": "text/plain"},
                body=b"Invalid HTTP request received."), "plain text"),
        (error(405), "405 without Allow"),
        (error(422, errors="not a list"), "errors not a list"),
    ],
)
def test_shape_violations(answer: Answer, why: str) -> None:
    verdict = judge(case(Expect(statuses=(400, 401, 405, 422))), POST, answer, budget_s=2)
    assert goals(verdict) == {"shape"}, why
    assert verdict.shape_ok is False


def test_a_405_naming_the_allowed_methods_passes() -> None:
    assert judge(case(refused(status=405)), POST, error(405, headers={"allow": "POST"}), budget_s=2).passed


def test_a_500_misses_the_5xx_goal() -> None:
    assert "5xx" in goals(judge(case(), POST, error(500), budget_s=2))


def test_slow_and_unanswered() -> None:
    slow = Answer(outcome="answered", seconds=2.5, status=422, headers=JSON, body=error(422).body)
    assert goals(judge(case(), POST, slow, budget_s=2)) == {"slow"}
    silent = Answer(outcome="timeout", seconds=10.0)
    assert goals(judge(case(), POST, silent, budget_s=2)) == {"slow"}


def test_closing_on_a_stalled_sender_is_a_cut_off_only_where_allowed() -> None:
    closed = Answer(outcome="closed", seconds=3.1)
    assert judge(case(Expect(cut_off=True)), POST, closed, budget_s=5).passed
    assert goals(judge(case(), POST, closed, budget_s=5)) == {"shape"}
    assert goals(judge(case(), POST, Answer(outcome="refused", seconds=0), budget_s=5)) == {"crash"}


def test_expectations_status_field_and_line() -> None:
    accepted = Answer(outcome="answered", seconds=0.01, status=202, headers=JSON,
                      body=b'{"results": [{"index": 0, "status": "accepted", "id": "abc"}]}')
    assert goals(judge(case(REFUSED), POST, accepted, budget_s=2)) == {"expectation"}
    assert judge(case(EITHER), POST, accepted, budget_s=2).accepted == ["abc"]
    unnamed = error(422, errors=[{"field": "$", "reason": "bad"}])
    assert goals(judge(case(refused("url")), POST, unnamed, budget_s=2)) == {"expectation"}
    assert goals(judge(case(refused(line=2)), POST, unnamed, budget_s=2)) == {"expectation"}
    named = error(400, errors=[{"field": "$.url", "line": 2, "reason": "bad"}])
    assert judge(case(refused("url", line=2)), POST, named, budget_s=2).passed


def _page(status: int, body: bytes, content_type: str = "text/html; charset=utf-8") -> Answer:
    return Answer(outcome="answered", seconds=0.01, status=status, headers={"content-type": content_type}, body=body)


def test_a_page_route_refuses_as_the_page_and_names_the_field() -> None:
    page = _page(400, b'<div class="errors" role="alert"><ul><li>bbox: expected 4 numbers</li></ul></div>')
    assert judge(case(refused("bbox", html=True)), POST, page, budget_s=2).passed
    assert goals(judge(case(refused("near", html=True)), POST, page, budget_s=2)) == {"expectation"}
    assert goals(judge(case(refused(html=True)), POST, error(400), budget_s=2)) == {"shape"}  # JSON, not the page
    assert goals(judge(case(refused(html=True)), POST, _page(400, b"<p>bad</p>"), budget_s=2)) == {"shape"}
    assert goals(judge(case(), POST, page, budget_s=2)) == {"shape"}  # an API's error is never HTML

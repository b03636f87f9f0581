"""Is an answer good? The goals every case is held to, and what the case itself expects.

Goals (issue 9): no 5xx, no answer slower than the case's budget (2 s unless it says
otherwise), every error in the one shape ``ErrorBody {status, error, detail, errors}``
with `errors` a list and the body's `status` the HTTP status; a 405 names the allowed
methods (Allow), a 401 its scheme (WWW-Authenticate).
"""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import Struct

from fuzz.case import Case
from fuzz.wire import Answer, RawRequest

Goal = Literal["5xx", "crash", "slow", "shape", "expectation"]


class _Detail(Struct):
    reason: str
    field: str | None = None
    line: int | None = None


class _ErrorBody(Struct):
    """The error shape as a client relies on it: all four members, ``errors`` included
    even when empty (unknown members are allowed: a request id may join them)."""

    status: int
    error: str
    detail: str
    errors: list[_Detail]


class _Ingested(Struct):
    index: int
    status: str
    id: str | None = None


class _IngestResponse(Struct):
    results: list[_Ingested]


class Problem(Struct, frozen=True):
    goal: Goal
    text: str


class Verdict(Struct, kw_only=True):
    case: str
    service: str
    outcome: str  # the status code, or what happened instead ("closed", "timeout", ...)
    seconds: float
    shape_ok: bool | None  # None: not an error answer, no shape to check
    problems: list[Problem]
    accepted: list[str] = []  # ids of articles the answer accepted: they must become searchable

    @property
    def passed(self) -> bool:
        return not self.problems


def judge(case: Case, request: RawRequest, answer: Answer, budget_s: float) -> Verdict:
    problems: list[Problem] = []
    shape_ok: bool | None = None
    accepted: list[str] = []
    if answer.status is None:
        problems += _no_answer(case, answer)
    else:
        if answer.status >= 500:
            problems.append(Problem("5xx", f"answered {answer.status}"))
        if answer.status >= 400:
            shape = _shape_problems(answer, has_body=request.method != "HEAD", html=case.expect.html)
            shape_ok = not shape
            problems += [Problem("shape", text) for text in shape]
        problems += _expectation_problems(case, answer)
        if 200 <= answer.status < 300 and request.head.startswith(b"POST /v1/articles "):
            accepted, unreadable = _accepted_ids(answer.body)
            if unreadable:
                problems.append(Problem("shape", unreadable))
    if answer.seconds > budget_s and answer.outcome != "timeout":
        problems.append(Problem("slow", f"took {answer.seconds:.2f} s (budget {budget_s:g} s)"))
    return Verdict(
        case=case.name, service=case.service, outcome=str(answer.status or answer.outcome),
        seconds=answer.seconds, shape_ok=shape_ok, problems=problems, accepted=accepted,
    )


def _no_answer(case: Case, answer: Answer) -> list[Problem]:
    if answer.outcome == "timeout":
        return [Problem("slow", f"no answer within {answer.seconds:.1f} s")]
    if answer.outcome == "refused":
        return [Problem("crash", "connection refused: the service is down")]
    if case.expect.cut_off:
        return []  # closing on a stalled sender is a fine way to cut it off
    return [Problem("shape", f"connection {answer.outcome} without an answer")]


def _shape_problems(answer: Answer, has_body: bool, html: bool = False) -> list[str]:
    problems = []
    if answer.status == 405 and not answer.headers.get("allow"):
        problems.append("405 without an Allow header")
    if answer.status == 401 and not answer.headers.get("www-authenticate"):
        problems.append("401 without a WWW-Authenticate header")
    if not has_body:
        return problems
    media_type = answer.headers.get("content-type", "").split(";")[0].strip()
    if html:
        return problems + _page_problems(answer, media_type)
    if media_type != "application/json":
        problems.append(f"Content-Type {media_type or 'missing'}, not application/json")
    try:
        body = msgspec.json.decode(answer.body, type=_ErrorBody)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        return [*problems, f"not an ErrorBody: {exc} in {_excerpt(answer.body)}"]
    if body.status != answer.status:
        problems.append(f"body says status {body.status}, HTTP says {answer.status}")
    if not body.error or not body.detail:
        problems.append("empty `error` or `detail`")
    return problems


def _page_problems(answer: Answer, media_type: str) -> list[str]:
    """The search page's refusal: HTML that says what is wrong, for a person to read."""
    if media_type != "text/html":
        return [f"Content-Type {media_type or 'missing'}, not the page's text/html"]
    if b'class="errors"' not in answer.body:
        return [f"an HTML answer without the page's errors block: {_excerpt(answer.body)}"]
    return []


def _expectation_problems(case: Case, answer: Answer) -> list[Problem]:
    expect, status = case.expect, answer.status
    assert status is not None
    if status >= 500:
        return []  # already a 5xx: saying it again adds nothing
    if not expect.allows(status):
        wanted = " or ".join(map(str, expect.statuses)) if expect.statuses else "a 4xx"
        return [Problem("expectation", f"expected {wanted}, got {status}")]
    if status < 400 or not (expect.field or expect.line) or not answer.body:
        return []
    if expect.html:  # the page names each problem as "field: reason"
        named = expect.field and f"{expect.field}:".encode() in answer.body
        return [] if named else [Problem("expectation", f"the page's errors do not name `{expect.field}`")]
    try:
        details = msgspec.json.decode(answer.body, type=_ErrorBody).errors
    except (msgspec.ValidationError, msgspec.DecodeError):
        return []  # the shape problem is reported already
    problems = []
    if expect.field and not any(expect.field in (d.field or "") for d in details):
        problems.append(Problem("expectation", f"no entry of `errors` names `{expect.field}`"))
    if expect.line and not any(d.line == expect.line for d in details):
        problems.append(Problem("expectation", f"no entry of `errors` names line {expect.line}"))
    return problems


def _accepted_ids(body: bytes) -> tuple[list[str], str | None]:
    try:
        response = msgspec.json.decode(body, type=_IngestResponse)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        return [], f"2xx body is not an IngestResponse: {exc}"
    return [r.id for r in response.results if r.status in ("accepted", "updated") and r.id], None


def _excerpt(body: bytes, limit: int = 80) -> str:
    text = body[:limit].decode("utf-8", "replace")
    return repr(text + ("…" if len(body) > limit else ""))

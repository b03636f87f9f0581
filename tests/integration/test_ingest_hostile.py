"""Hostile and careless bodies get a 4xx in our shape that says what is wrong and where:
never a 500, and nothing that the pipeline would refuse later is accepted."""

from __future__ import annotations

import msgspec
import pytest
from structlog.testing import capture_logs

from tests.integration.test_ingest_api import (
    AUTH,
    JSON,
    NDJSON,
    article,
    ingested,
    ndjson,
    raw_entries,
    running_ingest,
    settings_for,
)
from tests.integration.test_ingest_http_errors import shaped

MAX_CHARS = 2_000


@pytest.fixture
async def ingest(redis, redis_url):
    async with running_ingest(settings_for(redis_url, enrich_max_chars=MAX_CHARS)) as client:
        yield client


def deep(depth: int) -> bytes:
    return b"[" * depth + b"1" + b"]" * depth


def with_field(name: str, raw_json: bytes) -> bytes:
    """article() as JSON with one more field whose value is ``raw_json`` as it is."""
    return msgspec.json.encode(article())[:-1] + b', "' + name.encode() + b'": ' + raw_json + b"}"


@pytest.mark.parametrize(
    ("headers", "body", "status", "field", "line"),
    [
        # bytes that are not UTF-8, an overlong "/" (C0 AF)
        (JSON, b'{"url": "https://news.example.com/a",\n "title": "\xff\xfe", "text": "x"}', 400, "$.title", 2),
        (JSON, b'{"url": "https://news.example.com/a",\n "title": "\xc0\xaf", "text": "x"}', 400, "$.title", 2),
        # JSON nested 10,000 deep: at the top, inside `meta`
        (JSON, deep(10_000), 400, "$", None),
        (JSON, with_field("meta", deep(10_000)), 422, "$.meta", None),
        (JSON, msgspec.json.encode(article(url="http://[::1/x")), 422, "$.url", None),
        (JSON, msgspec.json.encode(article(published_at="0001-01-01T00:00:00+05:00")), 422, "$.published_at", None),
        (JSON, msgspec.json.encode(article(published_at="9999-12-31T23:59:59-05:00")), 422, "$.published_at", None),
        # a 202 is a promise: what the store or enrichment would refuse is refused now
        (JSON, msgspec.json.encode(article(published_at="9999-12-31T23:59:59Z")), 422, "$.published_at", None),
        (JSON, msgspec.json.encode(article(text="Lisbon port. " * 200)), 422, "$.text", None),
        (JSON, msgspec.json.encode(article(text=None, html="<p>Lisbon port.</p>" * 200)), 422, "$.html", None),
    ],
)
async def test_a_hostile_article_gets_a_4xx_naming_the_field(ingest, redis, headers, body, status, field, line):
    with capture_logs() as logs:
        response = await ingest.post("/v1/articles", content=body, headers=headers)
    error = shaped(response, status)
    [detail] = error.errors
    assert (detail.field, detail.line) == (field, line), error
    assert not [e for e in logs if e["event"] == "http.failed"]
    assert await raw_entries(redis) == []


async def test_the_reasons_say_what_is_wrong(ingest):
    cases = {
        "is not UTF-8: 0xc0, invalid start byte": with_field("source", b'"\xc0\xaf"'),
        "nested too deeply": deep(10_000),
        "is not a valid URL: Invalid IPv6 URL": msgspec.json.encode(article(url="http://[::1/x")),
        "must be between 1678-01-01 and 2261-12-31 (UTC)":
            msgspec.json.encode(article(published_at="9999-12-31T23:59:59Z")),
        "holds 2,599 characters of text; the limit is 2,000": msgspec.json.encode(article(text="Lisbon port. " * 200)),
        "after HTML extraction; the limit is 2,000": msgspec.json.encode(article(text=None, html="<p>Lisbon port.</p>" * 200)),
    }
    for reason, body in cases.items():
        [detail] = (await ingest.post("/v1/articles", content=body, headers=JSON)).json()["errors"]
        assert reason in detail["reason"], (reason, detail)


async def test_hostile_ndjson_lines_are_rejected_with_their_line_and_the_rest_taken(ingest, redis):
    body = ndjson(
        article(1),
        deep(10_000),
        with_field("meta", deep(10_000)),
        b'{"url": "https://news.example.com/b", "title": "\xc0\xaf", "text": "x"}',
        article(5, published_at="9999-12-31T23:59:59-05:00"),
        article(6),
    )
    results = ingested(await ingest.post("/v1/articles", content=body, headers=NDJSON)).results
    assert [(r.index + 1, r.status, r.field) for r in results] == [
        (1, "accepted", None),
        (2, "rejected", "$"),
        (3, "rejected", "$.meta"),
        (4, "rejected", "$.title"),
        (5, "rejected", "$.published_at"),
        (6, "accepted", None),
    ]
    assert len(await raw_entries(redis)) == 2


async def test_a_hostile_array_element_is_rejected_with_its_index(ingest):
    body = b"[" + msgspec.json.encode(article(1)) + b", " + with_field("authors", b'["\xff"]') + b"]"
    results = ingested(await ingest.post("/v1/articles", content=body, headers=JSON)).results
    assert [(r.status, r.field) for r in results] == [("accepted", None), ("rejected", "$.authors[0]")]


async def test_a_body_in_a_declared_charset_is_read_in_it(ingest, redis):
    body = '{"url": "https://news.example.com/cafe", "title": "Café do porto", "text": "Crème brûlée à Lisboa."}'
    response = await ingest.post(
        "/v1/articles", content=body.encode("latin-1"),
        headers={**AUTH, "Content-Type": "application/json; charset=latin-1"},
    )
    ingested(response)
    [raw] = await raw_entries(redis)
    assert (raw.title, raw.text) == ("Café do porto", "Crème brûlée à Lisboa.")


async def test_an_unknown_charset_is_a_415_naming_those_accepted(ingest):
    response = await ingest.post(
        "/v1/articles", content=b"{}", headers={**AUTH, "Content-Type": "application/json; charset=ebcdic-xx"}
    )
    assert "windows-1250" in shaped(response, 415).detail

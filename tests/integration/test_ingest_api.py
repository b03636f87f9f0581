"""POST /v1/articles against a real Redis, served by uvicorn on a free port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import msgspec
import pytest
from structlog.testing import capture_logs

from services.ingest.bootstrap import ConfigurationError, build, check_can_start
from services.ingest.normalise import article_id, canonical_url, content_hash
from services.ingest.publish import seen_key
from shared.redis_server import free_port
from shared.schemas import ErrorBody, IngestResponse, RawArticle
from shared.settings import Settings
from shared.streams import DATA_FIELD, RAW

KEY = "reporter-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
JSON = {**AUTH, "Content-Type": "application/json"}
NDJSON = {**AUTH, "Content-Type": "application/x-ndjson"}

HARBOUR = (
    "The harbour council voted on Tuesday to approve the new budget for the old docks, "
    "after months of debate among residents, fishermen and shopkeepers."
)


def article(n: int = 1, **fields) -> dict:
    return {
        "url": f"https://news.example.com/local/harbour-{n}?utm_source=rss",
        "title": f"Harbour budget approved, part {n}",
        "text": HARBOUR,
        **fields,
    }


def ndjson(*items) -> bytes:
    return b"\n".join(i if isinstance(i, bytes) else msgspec.json.encode(i) for i in items) + b"\n"


@asynccontextmanager
async def running_ingest(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real service (HTTP and the incoming reader) in this event loop on a free port,
    and a client pointed at it."""
    port = free_port()
    service = build(msgspec.structs.replace(settings, ingest_port=port))
    task = asyncio.create_task(service.run())
    deadline = asyncio.get_running_loop().time() + 20
    while not (service.http.started and all(stage.running for stage in service.stages)):
        assert not task.done(), "ingest failed to start"
        assert asyncio.get_running_loop().time() < deadline, "ingest did not start in 20 s"
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        service.stop()
        assert await task == 0


def settings_for(redis_url: str, **overrides) -> Settings:
    return Settings(redis_url=redis_url, api_keys=(KEY,), **overrides)


@pytest.fixture
async def ingest(redis, redis_url) -> AsyncIterator[httpx.AsyncClient]:
    async with running_ingest(settings_for(redis_url)) as client:
        yield client


async def raw_entries(redis) -> list[RawArticle]:
    entries = await redis.xrange(RAW)
    return [msgspec.json.decode(fields[DATA_FIELD.encode()], type=RawArticle) for _, fields in entries]


def ingested(response: httpx.Response) -> IngestResponse:
    assert response.status_code == 202, response.text
    return msgspec.json.decode(response.content, type=IngestResponse)


def error(response: httpx.Response, status: int) -> ErrorBody:
    assert response.status_code == status, response.text
    return msgspec.json.decode(response.content, type=ErrorBody)


# -- accepted articles are in the stream ----------------------------------------------


async def test_an_accepted_article_is_in_the_stream_as_published(ingest, redis):
    body = ingested(await ingest.post("/v1/articles", json=article(published_at="2026-11-24T09:30:00+02:00"), headers=AUTH))
    [result] = body.results
    canonical = "https://news.example.com/local/harbour-1"
    assert (body.accepted, result.status, result.id) == (1, "accepted", article_id(canonical))
    [raw] = await raw_entries(redis)
    assert raw.id == result.id
    assert raw.canonical_url == canonical
    assert raw.url == article()["url"]
    assert raw.source == "news.example.com"
    assert (raw.title, raw.text, raw.language) == (article()["title"], HARBOUR, "en")
    assert raw.content_hash == content_hash(raw.title, raw.text)
    assert raw.published_at.isoformat() == "2026-11-24T07:30:00+00:00"
    assert raw.received_at.tzinfo is not None


async def test_a_json_array_and_ndjson_are_published_in_order(ingest, redis):
    body = ingested(await ingest.post("/v1/articles", json=[article(1), article(2)], headers=AUTH))
    assert [r.status for r in body.results] == ["accepted", "accepted"]
    body = ingested(await ingest.post("/v1/articles", content=ndjson(article(3), article(4)), headers=NDJSON))
    assert [(r.index, r.status) for r in body.results] == [(0, "accepted"), (1, "accepted")]
    assert [raw.title for raw in await raw_entries(redis)] == [article(n)["title"] for n in (1, 2, 3, 4)]


async def test_html_is_published_as_text(ingest, redis):
    html = (
        "<html><body><nav><a href='/'>Home</a></nav><article><h1>Harbour</h1>"
        f"<p>{HARBOUR}</p></article><footer>Copyright the Gazette</footer></body></html>"
    )
    fields = {k: v for k, v in article().items() if k != "text"}
    ingested(await ingest.post("/v1/articles", json={**fields, "html": html}, headers=AUTH))
    [raw] = await raw_entries(redis)
    assert HARBOUR in raw.text and "<" not in raw.text and "Copyright" not in raw.text


# -- duplicates and updates ------------------------------------------------------------


async def test_the_same_article_again_is_a_duplicate_and_not_published(ingest, redis):
    ingested(await ingest.post("/v1/articles", json=article(), headers=AUTH))
    again = article(url="HTTPS://News.Example.com:443/local/harbour-1#comments")
    body = ingested(await ingest.post("/v1/articles", json=again, headers=AUTH))
    assert (body.duplicate, body.results[0].status) == (1, "duplicate")
    assert await redis.xlen(RAW) == 1


async def test_new_content_under_the_same_url_is_an_update_and_published_again(ingest, redis):
    first = ingested(await ingest.post("/v1/articles", json=article(), headers=AUTH)).results[0]
    changed = article(text=HARBOUR + " Work starts in spring.")
    update = ingested(await ingest.post("/v1/articles", json=changed, headers=AUTH)).results[0]
    assert (update.status, update.id) == ("updated", first.id)
    old, new = await raw_entries(redis)
    assert new.id == old.id and new.text.endswith("Work starts in spring.")
    assert new.content_hash != old.content_hash


async def test_de_duplication_state_expires(redis, redis_url):
    async with running_ingest(settings_for(redis_url, dedup_ttl_seconds=120)) as ingest:
        result = ingested(await ingest.post("/v1/articles", json=article(), headers=AUTH)).results[0]
    assert 0 < await redis.ttl(seen_key(result.id)) <= 120


async def test_a_duplicate_within_one_request_is_published_once(ingest, redis):
    body = ingested(await ingest.post("/v1/articles", content=ndjson(article(), article()), headers=NDJSON))
    assert [r.status for r in body.results] == ["accepted", "duplicate"]
    assert await redis.xlen(RAW) == 1


async def test_concurrent_requests_with_the_same_article_publish_it_once(ingest, redis):
    responses = await asyncio.gather(
        *(ingest.post("/v1/articles", json=article(), headers=AUTH) for _ in range(20))
    )
    statuses = sorted(ingested(r).results[0].status for r in responses)
    assert statuses == ["accepted"] + ["duplicate"] * 19
    assert await redis.xlen(RAW) == 1


# -- bad input -------------------------------------------------------------------------


async def test_malformed_json_is_400_with_its_line(ingest, redis):
    found = error(await ingest.post("/v1/articles", content=b'{"url": "https://news.example.com/a",\n "title" 1}', headers=JSON), 400)
    assert found.error == "invalid_json"
    assert found.errors[0].line == 2 and "malformed" in found.errors[0].reason
    assert await redis.xlen(RAW) == 0


async def test_ndjson_with_only_malformed_lines_is_400_naming_the_lines(ingest):
    found = error(await ingest.post("/v1/articles", content=b'{"url": \n\n[1, 2\n', headers=NDJSON), 400)
    assert found.error == "invalid_json"
    assert [e.line for e in found.errors] == [1, 3]


async def test_bulk_with_some_bad_lines_accepts_the_good_ones_and_reports_the_bad(ingest, redis):
    body = ingested(await ingest.post(
        "/v1/articles",
        content=ndjson(article(1), b'{"url": "https://news', article(3, title=""), article(4)),
        headers=NDJSON,
    ))
    assert (body.accepted, body.rejected) == (2, 2)
    assert [(r.index, r.status) for r in body.results] == [
        (0, "accepted"), (1, "rejected"), (2, "rejected"), (3, "accepted")
    ]
    assert body.results[1].field == "$" and "malformed" in body.results[1].reason
    assert body.results[2].field == "$.title"
    assert [raw.title for raw in await raw_entries(redis)] == [article(1)["title"], article(4)["title"]]


async def test_an_invalid_article_is_422_naming_the_field(ingest, redis):
    found = error(await ingest.post("/v1/articles", json=article(url="ftp://news.example.com/a"), headers=AUTH), 422)
    assert found.error == "validation_failed"
    assert (found.errors[0].field, found.errors[0].reason) == ("$.url", "must be an absolute http(s) URL")
    assert "$.url" in found.detail
    found = error(await ingest.post("/v1/articles", json={"title": "No URL", "text": "x"}, headers=AUTH), 422)
    assert (found.errors[0].field, found.errors[0].reason) == ("$.url", "is required")
    assert await redis.xlen(RAW) == 0


async def test_an_array_with_no_valid_article_is_422_naming_each(ingest):
    found = error(await ingest.post("/v1/articles", json=[article(language="English"), {"title": 1}], headers=AUTH), 422)
    assert [e.field for e in found.errors] == ["$[0].language", "$[1].title"]


async def test_html_without_text_is_422(ingest, redis):
    fields = {k: v for k, v in article().items() if k != "text"}
    found = error(await ingest.post("/v1/articles", json={**fields, "html": "<div><script>1</script></div>"}, headers=AUTH), 422)
    assert found.errors[0].field == "$.html"
    assert await redis.xlen(RAW) == 0


async def test_a_wrong_content_type_is_415(ingest):
    found = error(await ingest.post("/v1/articles", content=msgspec.json.encode(article()), headers={**AUTH, "Content-Type": "text/plain"}), 415)
    assert found.error == "unsupported_media_type" and "application/x-ndjson" in found.detail


async def test_a_body_over_the_limit_is_413(redis, redis_url):
    async with running_ingest(settings_for(redis_url, max_body_bytes=2000)) as ingest:
        big = article(text="x" * 3000)
        found = error(await ingest.post("/v1/articles", json=big, headers=AUTH), 413)
        assert found.error == "body_too_large" and "2000 bytes" in found.detail
        # without a Content-Length too: the limit holds on the bytes actually sent
        async def chunks():
            yield msgspec.json.encode(big)
        found = error(await ingest.post("/v1/articles", content=chunks(), headers=JSON), 413)
    assert await redis.xlen(RAW) == 0


async def test_too_many_articles_is_413(redis, redis_url):
    async with running_ingest(settings_for(redis_url, max_articles_per_request=3)) as ingest:
        found = error(await ingest.post("/v1/articles", content=ndjson(*[article(n) for n in range(4)]), headers=NDJSON), 413)
        assert found.error == "too_many_articles" and "limit is 3" in found.detail
        found = error(await ingest.post("/v1/articles", json=[article(n) for n in range(4)], headers=AUTH), 413)
        ingested(await ingest.post("/v1/articles", json=[article(n) for n in range(3)], headers=AUTH))
    assert await redis.xlen(RAW) == 3


# -- API keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}, {"Authorization": "Bearer"}],
)
async def test_a_missing_or_wrong_key_is_401(ingest, redis, headers):
    response = await ingest.post("/v1/articles", json=article(), headers=headers)
    found = error(response, 401)
    assert found.error == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert await redis.xlen(RAW) == 0


async def test_open_ingest_needs_no_key(redis, redis_url):
    async with running_ingest(Settings(redis_url=redis_url, open_ingest=True)) as ingest:
        ingested(await ingest.post("/v1/articles", json=article()))


async def test_configured_keys_are_required_even_when_open(redis, redis_url):
    async with running_ingest(settings_for(redis_url, open_ingest=True)) as ingest:
        error(await ingest.post("/v1/articles", json=article()), 401)


def test_ingest_refuses_to_start_without_keys(redis_url):
    with pytest.raises(ConfigurationError, match="DATELINE_API_KEYS"):
        check_can_start(Settings(redis_url=redis_url))
    with pytest.raises(ConfigurationError, match="DATELINE_REDIS_URL"):
        check_can_start(Settings(api_keys=(KEY,)))


# -- observability ---------------------------------------------------------------------


async def test_health_readiness_and_metrics(ingest):
    assert (await ingest.get("/healthz")).status_code == 200
    ready = await ingest.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"ready": True, "failures": {}, "degraded": {}}
    ingested(await ingest.post("/v1/articles", json=[article(1), article(1), {"title": 1}], headers=AUTH))
    metrics = (await ingest.get("/metrics")).text
    for status in ("accepted", "duplicate", "rejected"):
        assert f'dateline_ingest_articles_total{{status="{status}",via="http"}}' in metrics
    assert 'dateline_http_request_seconds_count{route="/v1/articles",service="ingest",status="202"}' in metrics



async def test_metrics_are_for_operators_once_admin_keys_are_set(redis, redis_url):
    """Ingest's port is the one producers reach (published in compose): its /metrics
    answers an admin key, not an ingest key nor no key."""
    async with running_ingest(settings_for(redis_url, admin_keys=("ops-key",))) as client:
        assert (await client.get("/metrics")).status_code == 401
        refused = await client.get("/metrics", headers=AUTH)
        assert refused.status_code == 401 and set(refused.json()) >= {"status", "error", "detail", "errors"}
        allowed = await client.get("/metrics", headers={"Authorization": "Bearer ops-key"})
        assert allowed.status_code == 200 and "dateline_http_request_seconds" in allowed.text
        assert (await client.get("/healthz")).status_code == 200

async def test_the_api_is_described_in_openapi(ingest):
    document = (await ingest.get("/docs/openapi.json")).json()
    operation = document["paths"]["/v1/articles"]["post"]
    statuses = {"202", "400", "401", "408", "413", "415", "422", "429", "500", "503"}
    assert set(operation["responses"]) == statuses
    for status in statuses - {"202"}:
        error = operation["responses"][status]
        assert error["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
        assert "X-Request-ID" in error["headers"]
    assert {"Retry-After"} <= set(operation["responses"]["429"]["headers"])
    article_ref = {"$ref": "#/components/schemas/ArticleIn"}
    body = operation["requestBody"]
    assert body["required"] is True
    one_article = body["content"]["application/x-ndjson"]["schema"]
    assert one_article["allOf"][0] == article_ref
    text_or_html = one_article["allOf"][1]["oneOf"]
    assert [set(alternative["required"]) for alternative in text_or_html] == [{"text", "title"}, {"html"}]
    assert body["content"]["application/json"]["schema"] == {
        "oneOf": [one_article, {"type": "array", "items": one_article, "minItems": 1}]
    }
    components = document["components"]
    assert set(components["schemas"]["ArticleIn"]["required"]) == {"url"}  # title may be left out with html
    assert set(components["schemas"]["ErrorBody"]["required"]) == {"status", "error", "detail", "errors", "request_id"}
    bearer = components["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert operation["security"] == [{"bearer": []}]


async def test_each_article_is_logged_with_its_id_entry_and_source(ingest, redis):
    with capture_logs() as logs:
        ingested(await ingest.post("/v1/articles", json=[article(1), article(1), article(2, title=1)], headers=AUTH))
    events = {e["event"]: e for e in logs if e["event"].startswith("article.")}
    [entry_id] = [e[0].decode() for e in await redis.xrange(RAW)]
    accepted = events["article.accepted"]
    assert (accepted["entry_id"], accepted["source"]) == (entry_id, "news.example.com")
    assert accepted["article_id"] == article_id(canonical_url(article(1)["url"]))
    assert events["article.duplicate"]["article_id"] == accepted["article_id"]
    rejected = events["article.rejected"]
    assert (rejected["field"], rejected["source"]) == ("$.title", "news.example.com")


@pytest.mark.seed
async def test_the_reference_article_is_taken_whole(ingest, redis, shared_data):
    lines = (shared_data / "seed" / "mosul-rferl.txt").read_text(encoding="utf-8").splitlines()
    title, text = lines[0], "\n".join(lines[1:])
    pushed = {"url": "https://news.example.com/seed/reference-article", "title": title, "text": text}
    ingested(await ingest.post("/v1/articles", json=pushed, headers=AUTH))
    [raw] = await raw_entries(redis)
    assert raw.language == "en"
    assert raw.text.split() == text.split()  # every word kept; only spacing normalised

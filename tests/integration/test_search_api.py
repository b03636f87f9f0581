"""The search API over HTTP, on a real index: every parameter, and a clear 400 for each bad one."""

from __future__ import annotations

import base64
import time
import zlib

import httpx
import msgspec
import pytest
from litestar.testing import TestClient

from services.index.api import search_app
from services.index.tantivy_store import ArticleStore
from shared.schemas import EnrichedArticle, ErrorBody, SearchResponse
from shared.settings import Settings
from tests.factories import BERLIN, LYON, NAIROBI, PARIS, SUVA, story
from tests.integration.search_process import search_process

ADMIN_KEY = "an admin key"


@pytest.fixture
def index(tmp_path):
    writer = ArticleStore(tmp_path / "index", writable=True)
    writer.upsert([
        story(1, "Flooding closes roads in Lyon", "Heavy rain flooded the river banks in Lyon.",
              places=[LYON], focus=LYON, entities=[("ORG", "Red Cross"), ("PERSON", "Ana Duval")], day=0),
        story(2, "Berlin senate passes budget", "The senate in Berlin passed the city budget.",
              places=[BERLIN], focus=BERLIN, entities=[("ORG", "Berlin Senate")], day=1, language="de"),
        story(3, "Drought worries farmers", "Farmers near Nairobi fear a long drought.",
              places=[NAIROBI], focus=NAIROBI, entities=[("ORG", "Red Cross")], day=8, source="Kenya.example"),
        story(4, "Storm reaches Suva", "A storm reached Suva. Ana Duval reported from Paris.",
              places=[SUVA, PARIS], focus=SUVA, entities=[("PERSON", "Ana Duval")], day=35),
    ])
    writer.commit()
    yield writer
    writer.close()


@pytest.fixture
def client(index, tmp_path):
    # A read-only store, as a search process has: it sees the writer's commits.
    settings = Settings(data_dir=str(tmp_path), admin_keys=(ADMIN_KEY,))
    with TestClient(search_app(ArticleStore(tmp_path / "index"), settings)) as http:
        yield http


def found(client, query: str) -> list[int]:
    response = client.get(f"/v1/search?{query}")
    assert response.status_code == 200, response.text
    body = msgspec.json.decode(response.content, type=SearchResponse)
    return sorted(int(hit.id, 16) for hit in body.hits)


def error(client, query: str) -> ErrorBody:
    response = client.get(f"/v1/search?{query}")
    assert response.status_code == 400, response.text
    return msgspec.json.decode(response.content, type=ErrorBody)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [1, 2, 3, 4]),
        ("q=flooded roads", [1]),
        ('q="long drought"', [3]),
        ("q=drought OR storm", [3, 4]),
        ("q=title:storm", [4]),
        ('q=entity:"red cross" AND NOT drought', [1]),
        ("q=place:suva", [4]),
        ("entity=Red Cross", [1, 3]),
        ("entity=PERSON:Ana Duval&entity=red cross", [1]),
        ("place=Berlin", [2]),
        ("place=2198148", [4]),
        ("country=fr", [1, 4]),
        ("country=KE&country=FJ", [3, 4]),
        ("source=kenya.example", [3]),
        ("language=de", [2]),
        ("from=2026-03-03&to=2026-03-10", [2, 3]),
        ("to=2026-03-02", [1]),
        ("bbox=-5,42,8.5,51", [1, 4]),
        ("bbox=175,-25,-175,-10", [4]),
        ("near=48.8566,2.3522,10", [4]),
        ("near=48.8566,2.3522,10&focus_only=true", []),
        ("near=-18.14,178.44,20&focus_only=true", [4]),
    ],
)
def test_every_parameter_narrows_the_match(client, query, expected):
    assert found(client, query) == expected


def test_a_hit_has_everything_a_result_list_shows(client):
    body = msgspec.json.decode(client.get("/v1/search?q=storm").content, type=SearchResponse)
    [hit] = body.hits
    assert (hit.title, hit.url, hit.source) == ("Storm reaches Suva", "https://wire.example/4", "Wire.example")
    assert hit.published_at is not None and hit.score > 0
    assert "<b>storm</b>" in hit.snippet.lower()
    assert [p.resolved_name for p in hit.places] == ["Suva", "Paris"]
    assert hit.places[0].lat == pytest.approx(-18.1416)
    assert hit.focus.resolved_name == "Suva"
    assert [e.text for e in hit.entities] == ["Ana Duval"]
    assert body.total == 1 and body.took_ms > 0


def test_sort_size_and_cursor(client, index):
    first = msgspec.json.decode(client.get("/v1/search?sort=newest&size=3").content, type=SearchResponse)
    assert [int(h.id, 16) for h in first.hits] == [4, 3, 2]
    index.upsert([story(9, day=90)])  # a newer article arrives between pages
    index.commit()
    second = msgspec.json.decode(
        client.get(f"/v1/search?sort=newest&size=3&cursor={first.next_cursor}").content, type=SearchResponse
    )
    assert [int(h.id, 16) for h in second.hits] == [1]
    assert second.next_cursor is None and second.total == 4
    oldest = msgspec.json.decode(client.get("/v1/search?sort=oldest&size=1").content, type=SearchResponse)
    assert int(oldest.hits[0].id, 16) == 1


def test_facets_and_histogram(client):
    body = msgspec.json.decode(
        client.get("/v1/search?size=0&facets=people,organizations,countries,sources,languages,places,entities"
                   "&histogram=month").content,
        type=SearchResponse,
    )
    assert {b.key: b.count for b in body.facets["people"]} == {"Ana Duval": 2}
    assert {b.key: b.count for b in body.facets["organizations"]} == {"Red Cross": 2, "Berlin Senate": 1}
    assert {b.key: b.count for b in body.facets["countries"]} == {"FR": 2, "DE": 1, "KE": 1, "FJ": 1}
    assert {b.key: b.count for b in body.facets["languages"]} == {"en": 3, "de": 1}
    assert {b.start.date().isoformat(): b.count for b in body.histogram} == {"2026-03-01": 3, "2026-04-01": 1}
    assert body.hits == [] and body.total == 4


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ("country=France", "country", "ISO 3166-1"),
        ("language=english", "language", "ISO 639-1"),
        ("from=yesterday", "from", "not a date"),
        ("to=2026-03-01T10:00:00", "to", "UTC offset"),
        ("near=48.8,2.3", "near", "lat,lon,radius_km"),
        ("near=48.8,2.3,-5", "near", "radius_km"),
        ("bbox=1,2,3", "bbox", "min_lon,min_lat,max_lon,max_lat"),
        ("bbox=0,60,10,50", "bbox", "min_lat 60 is above max_lat 50"),
        ("bbox=0,50,200,60", "bbox", "longitude 200"),
        ("focus_only=true", "focus_only", "needs `near` or `bbox`"),
        ("sort=popular", "sort", "relevance, newest, oldest"),
        ("size=-1", "size", "outside 0..100"),
        ("size=lots", "size", "whole number"),
        ("facets=people,moods", "facets", "'moods'"),
        ("facet_size=1000", "facet_size", "outside 1..100"),
        ("histogram=year", "histogram", "day, week, month"),
        ("cursor=garbage", "cursor", "not a cursor"),
        ("to=9999-12-31", "to", "outside 1678-01-01T00:00:00Z..2261-12-31T23:59:59Z"),
        ("from=0001-01-01T00:00:00%2B14:00", "from", "outside 1678-01-01T00:00:00Z..2261-12-31T23:59:59Z"),
        ("from=0001-01-01", "from", "outside"),
        ("to=9999-12-31T23:59:59-05:00", "to", "outside"),
        ("from=2262-04-12T00:00:00Z", "from", "outside"),
        ("to=1677-09-21", "to", "outside"),
    ],
)
def test_malformed_parameters_are_400_naming_the_parameter(client, query, field, says):
    body = error(client, query)
    assert body.status == 400 and body.error == "invalid_parameter"
    assert body.errors[0].field == field and says in body.errors[0].reason
    assert field in body.detail


def test_the_whole_date_window_is_searchable(client):
    assert found(client, "from=1678-01-01&to=2261-12-31") == [1, 2, 3, 4]
    assert found(client, "from=1678-01-01T00:00:00Z&to=2261-12-31T23:59:59Z") == [1, 2, 3, 4]


def test_a_query_syntax_error_says_where(client):
    body = error(client, 'q=storm "suva')
    assert body.error == "invalid_query" and body.errors[0].field == "q"
    assert "character 6" in body.detail
    assert "unknown field prefix mood:" in error(client, "q=mood:angry").detail


def test_a_cursor_from_another_query_is_refused(client):
    first = msgspec.json.decode(client.get("/v1/search?sort=newest&size=1").content, type=SearchResponse)
    body = error(client, f"sort=newest&q=storm&cursor={first.next_cursor}")
    assert body.errors[0].field == "cursor" and "different query" in body.errors[0].reason


def _old_style_cursor(after: list, fingerprint_of: tuple) -> str:
    """A cursor as the unsigned format of before let anyone make one: msgpack of the
    position and a CRC of public data."""
    token = msgspec.msgpack.encode([after, zlib.crc32(msgspec.msgpack.encode(fingerprint_of))])
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "cursor"),
    [
        ("q=storm", _old_style_cursor([None, -5, 1], ({"text": "storm"}, "relevance"))),
        ("q=storm", _old_style_cursor([None, -(2**63), 1], ({"text": "storm"}, "relevance"))),
        ("sort=newest", _old_style_cursor([2**64 - 1, 0, 1], ({}, "newest"))),
        ("sort=newest", _old_style_cursor([0, 0, 2**64 - 1], ({}, "newest"))),
        ("sort=newest", "%%%%"),
        ("sort=newest", "A"),
        ("sort=newest", "\u00e9t\u00e9"),
    ],
)
def test_a_forged_cursor_is_a_400(client, query, cursor):
    response = client.get("/v1/search?" + query, params={"cursor": cursor})
    assert response.status_code == 400, response.text
    body = msgspec.json.decode(response.content, type=ErrorBody)
    assert body.errors[0].field == "cursor" and "not a cursor this API issued" in body.errors[0].reason


def test_a_tampered_cursor_is_a_400(client):
    issued = msgspec.json.decode(client.get("/v1/search?sort=newest&size=1").content, type=SearchResponse).next_cursor
    raw = bytearray(base64.urlsafe_b64decode(issued + "=" * (-len(issued) % 4)))
    for i in (0, len(raw) // 2, len(raw) - 1):
        tampered = raw.copy()
        tampered[i] ^= 0x80
        cursor = base64.urlsafe_b64encode(bytes(tampered)).decode().rstrip("=")
        assert client.get("/v1/search", params={"sort": "newest", "cursor": cursor}).status_code == 400


def test_a_cursor_outlives_a_restart_and_works_in_every_search_process(client, tmp_path):
    first = msgspec.json.decode(client.get("/v1/search?sort=newest&size=2").content, type=SearchResponse)
    other = search_app(ArticleStore(tmp_path / "index"), Settings(data_dir=str(tmp_path)))  # same data dir
    with TestClient(other) as second_process:
        page = second_process.get("/v1/search", params={"sort": "newest", "size": 2, "cursor": first.next_cursor})
    assert page.status_code == 200, page.text
    assert [int(h.id, 16) for h in msgspec.json.decode(page.content, type=SearchResponse).hits] == [2, 1]


def test_article_by_id(client, index):
    response = client.get(f"/v1/articles/{1:032x}")
    assert response.status_code == 200
    assert msgspec.json.decode(response.content, type=EnrichedArticle) == index.get(f"{1:032x}")
    missing = client.get(f"/v1/articles/{77:032x}")
    assert missing.status_code == 404
    assert msgspec.json.decode(missing.content, type=ErrorBody).error == "not_found"
    assert client.get("/v1/articles/not-an-id").status_code == 400


def test_health_docs_and_metrics(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    spec = client.get("/docs/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}
    assert {"q", "entity", "place", "from", "to", "near", "bbox", "focus_only", "cursor", "facets", "histogram"} <= params
    client.get("/v1/search?q=storm")
    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).text
    assert "dateline_index_documents 4.0" in metrics
    assert 'dateline_search_queries_total{outcome="ok"}' in metrics
    assert "dateline_search_seconds_bucket" in metrics
    assert "dateline_index_size_bytes" in metrics


def test_stats_count_documents_and_date_the_last_commit(client):
    stats = client.get("/v1/stats").json()
    assert stats["documents"] == 4
    assert stats["size_bytes"] > 0
    assert stats["last_commit"].startswith("20")


def test_a_separate_search_process_sees_a_commit_at_once(index, tmp_path):
    with search_process(tmp_path) as base:
        index.upsert([story(50, title="Harbour reopens")])
        index.commit()
        committed = time.monotonic()
        body = msgspec.json.decode(httpx.get(f"{base}/v1/search?q=harbour").content, type=SearchResponse)
        assert [int(h.id, 16) for h in body.hits] == [50]  # the very next request sees it
        assert time.monotonic() - committed < 1.0

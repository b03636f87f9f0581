"""``GET /v1/search``'s lane (:class:`shared.http.Lane`) answers exactly as Litestar's route
does: the same app with its lane removed is the reference, over good, malformed and
hostile query strings, on a real index."""

from __future__ import annotations

import msgspec
import pytest
import structlog
from litestar.testing import TestClient
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from services.index.api import search_app
from services.index.domain import SearchRequest, SearchResult
from services.index.tantivy_store import ArticleStore
from shared.schemas import ErrorBody
from shared.settings import Settings
from tests.factories import LYON, SUVA, story

SEARCH_KEY = "a search key"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("lane")
    writer = ArticleStore(path / "index", writable=True)
    writer.upsert([
        story(1, "Flooding closes roads in Lyon", "Heavy rain flooded the river banks in Lyon.",
              places=[LYON], focus=LYON, entities=[("ORG", "Red Cross"), ("PERSON", "Ana Duval")], day=0),
        story(2, "Storm reaches Suva", "A storm reached Suva.", places=[SUVA], focus=SUVA,
              entities=[("PERSON", "Ana Duval")], day=35),
    ])
    writer.commit()
    writer.close()
    return path


def clients(index_dir, **settings) -> tuple[TestClient, TestClient]:
    """The app as served, and the same app with its lane removed (Litestar's route alone)."""
    apps = [search_app(ArticleStore(index_dir / "index"), Settings(data_dir=str(index_dir), **settings))
            for _ in range(2)]
    apps[1].asgi_handler.lanes.clear()
    return TestClient(apps[0]), TestClient(apps[1])


@pytest.fixture(scope="module")
def both(index_dir):
    lane, litestar = clients(index_dir)
    with lane, litestar:
        yield lane, litestar


def answers(client: TestClient, query: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    response = client.get(f"/v1/search?{query}", headers=headers)
    body = response.content
    if response.status_code != 200:  # request ids differ, everything else must not
        error = msgspec.json.decode(body, type=ErrorBody)
        assert error.request_id == response.headers["x-request-id"]
        body = msgspec.json.encode(msgspec.structs.replace(error, request_id=""))
    else:  # took_ms differs, and a cursor is sealed afresh each time
        fields = msgspec.json.decode(body)
        fields.pop("took_ms")
        fields["next_cursor"] = "next_cursor" in fields
        body = msgspec.json.encode(fields)
    kept = {k: v for k, v in response.headers.items() if k not in ("x-request-id", "content-length")}
    return response.status_code, kept, body


GOOD = [
    "", "q=flooded roads", 'q="red cross"', "q=storm OR flood&sort=newest&size=1",
    "entity=PERSON:Ana Duval&entity=red cross", "place=Suva&country=fj", "source=wire.example",
    "from=2025-01-01&to=2025-12-31", "near=45.76,4.83,50&focus_only=true", "bbox=-10,40,10,50",
    "facets=people,places&facet_size=3&histogram=week", "facets=people&facets=countries",
]
MALFORMED = [
    ("size=lots", "size"), ("size=1000", "size"), ("from=yesterday", "from"), ("to=2025-13-01", "to"),
    ("near=1,2", "near"), ("bbox=1,2,3", "bbox"), ("sort=sideways", "sort"), ("cursor=junk", "cursor"),
    ("facets=moods", "facets"), ("country=France", "country"), ("histogram=year", "histogram"),
    ("focus_only=true", "focus_only"), ("q=storm%20%22suva", "q"),
]
HOSTILE = [
    "q=flood&q=storm",  # a single parameter repeated: the last one counts
    "size=1&size=lots", "size=lots&size=1", "sort=newest&sort=oldest",
    "nonsense=1&q=flood&also=%FF",  # unknown parameters are ignored
    "q=%FF%FE", "q=%C3", "q=%E2%82", "entity=%ED%A0%80",  # bad UTF-8: U+FFFD, as Litestar decodes it
    "q=%", "q=%zz", "q=%00storm", "&&&", "=x", "q", "q=&size=", "facets=&facets=,",
    "q=" + "storm " * 2000,  # over the query's length limit
    "q=" + "(" * 50 + "storm" + ")" * 50,  # over its nesting limit
    "entity=x&" * 300 + "q=flood",
    "FROM=2025-01-01&Q=storm",  # names are case-sensitive
    "from=2025-01-01&published_from=yesterday",  # the field's name is not its parameter's
]


@pytest.mark.parametrize("query", GOOD + [q for q, _ in MALFORMED] + HOSTILE)
def test_the_lane_answers_as_litestar_does(both, query):
    lane, litestar = both
    ours = answers(lane, query)
    assert ours == answers(litestar, query)
    assert ours[0] in (200, 400)


@pytest.mark.parametrize(("query", "field"), MALFORMED)
def test_a_malformed_parameter_is_a_400_naming_it(both, query, field):
    response = both[0].get(f"/v1/search?{query}")
    assert response.status_code == 400, response.text
    error = msgspec.json.decode(response.content, type=ErrorBody)
    assert error.status == 400 and error.error in ("invalid_parameter", "invalid_query")
    assert [e.field for e in error.errors] == [field] and field in error.detail


def test_a_repeated_single_parameter_takes_the_last(both):
    lane, _ = both
    assert lane.get("/v1/search?size=lots&size=1").json()["hits"].__len__() == 1
    assert lane.get("/v1/search?size=1&size=lots").status_code == 400


def test_what_litestar_answers_itself_stays_litestars(both):
    lane, litestar = both
    for method in ("POST", "PUT", "DELETE"):
        ours = lane.request(method, "/v1/search?q=storm")
        assert ours.status_code == 405 and ours.headers["allow"] == litestar.request(method, "/v1/search").headers["allow"]
    assert lane.options("/v1/search").status_code == 204
    assert lane.get("/v1/search/?q=storm").json()["total"] == 1  # Litestar's own path normalising
    bad_host = lane.get("/v1/search?q=storm", headers={"host": "a b"})
    assert bad_host.status_code == 400 and bad_host.json()["error"] == "bad_request"
    assert answers(lane, "q=storm", {"host": "a b"}) == answers(litestar, "q=storm", {"host": "a b"})
    assert "/v1/search" in lane.get("/docs/openapi.json").json()["paths"]


def test_the_lane_counts_in_the_request_metrics(both):
    lane, _ = both

    def count(status: str) -> float:
        labels = {"service": "index", "route": "/v1/search", "status": status}
        return REGISTRY.get_sample_value("dateline_http_request_seconds_count", labels) or 0.0

    before = count("200"), count("400")
    lane.get("/v1/search?q=storm")
    lane.get("/v1/search?size=lots")
    assert (count("200"), count("400")) == (before[0] + 1, before[1] + 1)


def test_keys_and_rates_hold_in_the_lane(index_dir):
    lane, litestar = clients(index_dir, search_keys=(SEARCH_KEY,), search_rate=0.001, search_burst=2)
    key = {"authorization": f"Bearer {SEARCH_KEY}"}
    with lane, litestar:
        for client in (lane, litestar):
            assert client.get("/v1/search?q=storm").status_code == 401
            assert client.get("/v1/search?q=storm", headers={"authorization": "Bearer wrong"}).status_code == 401
            assert [client.get("/v1/search?q=storm", headers=key).status_code for _ in range(3)] == [200, 200, 429]
        refused = [client.get("/v1/search?q=storm", headers=key) for client in (lane, litestar)]
        assert set(refused[0].headers) == set(refused[1].headers)
        assert {r.json()["error"] for r in refused} == {"rate_limited"} and "retry-after" in refused[0].headers


def test_cors_requests_keep_their_headers(index_dir):
    lane, litestar = clients(index_dir, cors_origins=("https://news.example",))
    origin = {"origin": "https://news.example"}
    with lane, litestar:
        ours = lane.get("/v1/search?q=storm", headers=origin)
        assert ours.headers["access-control-allow-origin"] == "https://news.example"
        assert answers(lane, "q=storm", origin) == answers(litestar, "q=storm", origin)
        assert answers(lane, "q=storm") == answers(litestar, "q=storm")  # no Origin: the lane


class Failing:
    """A store whose search raises: a bug."""

    def __init__(self, store: ArticleStore) -> None:
        self._store = store

    def search(self, request: SearchRequest) -> SearchResult:
        raise ZeroDivisionError("a bug")

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def test_a_failure_in_the_lane_is_a_logged_500_in_our_shape(index_dir):
    app = search_app(Failing(ArticleStore(index_dir / "index")), Settings(data_dir=str(index_dir)))
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs, \
            TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/search?q=storm")
    assert response.status_code == 500
    error = msgspec.json.decode(response.content, type=ErrorBody)
    assert (error.error, error.request_id) == ("internal_error", response.headers["x-request-id"])
    assert "a bug" not in response.text
    [failed] = [e for e in logs if e["event"] == "http.failed"]
    assert failed["request_id"] == error.request_id and isinstance(failed["exc_info"], ZeroDivisionError)

"""Who may call the search service, and how often: keys, local-only admin, rate limits, CORS.

Litestar's TestClient calls from the address ``testclient``: a remote caller. Local callers
are real ones, over 127.0.0.1 (see test_admin_endpoints_answer_local_clients_without_keys).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import msgspec
import pytest
from litestar.testing import TestClient
from typer.testing import CliRunner

from dateline.cli import app as cli
from services.index.api import search_app
from services.index.reindex import ReindexJob
from services.index.tantivy_store import ArticleStore
from shared.http import InLoopServer
from shared.redis_server import free_port
from shared.schemas import ErrorBody
from shared.settings import Settings
from tests.factories import story

ADMIN, SEARCH = "admin-key-1", "search-key-1"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def store(tmp_path) -> Iterator[ArticleStore]:
    writer = ArticleStore(tmp_path / "index", writable=True)
    writer.upsert([story(n, day=n) for n in range(1, 6)])
    writer.commit()
    yield writer
    writer.close()


@contextmanager
def service(store: ArticleStore, tmp_path, **settings) -> Iterator[TestClient]:
    job = ReindexJob(store, threading.Lock)
    with TestClient(search_app(store, Settings(data_dir=str(tmp_path), **settings), reindexing=job)) as client:
        yield client
    deadline = time.monotonic() + 30
    while job.status.state == "running" and time.monotonic() < deadline:
        time.sleep(0.01)  # polling interval: a started rebuild ends before the store closes


def refusal(response: httpx.Response, status: int, error: str) -> ErrorBody:
    assert response.status_code == status, response.text
    body = msgspec.json.decode(response.content, type=ErrorBody)
    assert (body.status, body.error) == (status, error)
    return body


# -- admin endpoints ------------------------------------------------------------------------------


def test_without_admin_keys_admin_endpoints_refuse_remote_clients(store, tmp_path):
    with service(store, tmp_path) as remote:
        for method, path in (("POST", "/v1/reindex"), ("GET", "/v1/reindex"), ("GET", "/metrics"),
                             ("POST", "/v1/reindex/")):
            body = refusal(remote.request(method, path), 403, "forbidden")
            assert "DATELINE_ADMIN_KEYS" in body.detail
        assert remote.get("/v1/search").status_code == 200  # search stays open


def test_admin_endpoints_need_an_admin_key(store, tmp_path):
    with service(store, tmp_path, admin_keys=(ADMIN, "admin-key-2"), search_keys=(SEARCH,)) as client:
        missing = client.post("/v1/reindex")
        refusal(missing, 401, "unauthorized")
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        refusal(client.post("/v1/reindex", headers=bearer("guess")), 401, "unauthorized")
        refusal(client.post("/v1/reindex", headers={"Authorization": f"Basic {ADMIN}"}), 401, "unauthorized")
        refusal(client.post("/v1/reindex", headers=bearer(SEARCH)), 403, "forbidden")
        refusal(client.get("/metrics", headers=bearer(SEARCH)), 403, "forbidden")
        assert client.get("/metrics", headers=bearer("admin-key-2")).status_code == 200
        assert client.post("/v1/reindex", headers=bearer(ADMIN)).status_code == 202


async def test_admin_endpoints_answer_local_clients_without_keys(store, tmp_path):
    app = search_app(store, Settings(data_dir=str(tmp_path)), reindexing=ReindexJob(store, threading.Lock))
    port = free_port()
    async with InLoopServer(app, "127.0.0.1", port).running(), httpx.AsyncClient() as local:
        assert (await local.get(f"http://127.0.0.1:{port}/metrics")).status_code == 200
        assert (await local.get(f"http://127.0.0.1:{port}/v1/reindex")).status_code == 200


async def test_one_reindex_at_a_time_however_many_ask_at_once(store, tmp_path):
    held = threading.Event()
    release = threading.Event()

    @contextmanager
    def pause() -> Iterator[None]:  # the rebuild waits here, so it is surely still running
        held.set()
        release.wait(timeout=30)
        yield

    app = search_app(store, Settings(data_dir=str(tmp_path), admin_keys=(ADMIN,)), reindexing=ReindexJob(store, pause))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with InLoopServer(app, "127.0.0.1", port).running(), httpx.AsyncClient(headers=bearer(ADMIN)) as admin:
        try:
            answers = await asyncio.gather(*(admin.post(f"{base}/v1/reindex") for _ in range(40)))
            assert Counter(a.status_code for a in answers) == Counter({202: 1, 409: 39})
            refusal(next(a for a in answers if a.status_code == 409), 409, "reindex_running")
            assert await asyncio.to_thread(held.wait, 10)
        finally:
            release.set()
        for _ in range(500):
            if (await admin.get(f"{base}/v1/reindex")).json()["state"] == "done":
                break
            await asyncio.sleep(0.02)  # polling interval while the rebuild finishes
        assert (await admin.get(f"{base}/v1/reindex")).json()["state"] == "done"
        assert (await admin.post(f"{base}/v1/reindex")).status_code == 202  # and the next one may start


# -- search keys -----------------------------------------------------------------------------------


def test_search_is_open_by_default(store, tmp_path):
    with service(store, tmp_path) as client:
        for path in ("/v1/search", f"/v1/articles/{1:032x}", "/v1/stats"):
            assert client.get(path).status_code == 200


def test_with_search_keys_search_needs_one(store, tmp_path):
    with service(store, tmp_path, search_keys=(SEARCH, "search-key-2"), admin_keys=(ADMIN,)) as client:
        for path in ("/v1/search?q=council", f"/v1/articles/{1:032x}", "/v1/stats"):
            missing = client.get(path)
            refusal(missing, 401, "unauthorized")
            assert "WWW-Authenticate" in missing.headers
            refusal(client.get(path, headers=bearer("wrong")), 401, "unauthorized")
            assert client.get(path, headers=bearer("search-key-2")).status_code == 200
            assert client.get(path, headers=bearer(ADMIN)).status_code == 200  # an admin may search
        for path in ("/healthz", "/readyz", "/docs/openapi.json"):
            assert client.get(path).status_code == 200, path


# -- rate limits -----------------------------------------------------------------------------------


def test_over_the_rate_a_client_gets_429_with_retry_after(store, tmp_path):
    # one request per 100 s after a burst of 3: the 4th is refused however slow this machine is
    with service(store, tmp_path, search_rate=0.01, search_burst=3) as client:
        assert [client.get("/v1/search").status_code for _ in range(3)] == [200, 200, 200]
        limited = client.get("/v1/search?q=council")
        body = refusal(limited, 429, "rate_limited")
        assert "0.01 requests/s" in body.detail and "bursts of 3" in body.detail
        assert 90 <= int(limited.headers["Retry-After"]) <= 100
        refusal(client.get(f"/v1/articles/{1:032x}"), 429, "rate_limited")  # one bucket for every search route
        assert client.get("/healthz").status_code == 200  # health is never limited


def test_each_key_has_its_own_bucket(store, tmp_path):
    with service(store, tmp_path, search_keys=(SEARCH, "search-key-2"), search_rate=0.01, search_burst=2) as client:
        assert [client.get("/v1/search", headers=bearer(SEARCH)).status_code for _ in range(3)] == [200, 200, 429]
        assert client.get("/v1/search", headers=bearer("search-key-2")).status_code == 200
        refusal(client.get("/v1/search", headers=bearer("wrong")), 401, "unauthorized")  # no bucket for strangers


def test_no_limit_by_default(store, tmp_path):
    with service(store, tmp_path) as client:
        assert {client.get("/v1/search").status_code for _ in range(60)} == {200}


# -- CORS ------------------------------------------------------------------------------------------

PREFLIGHT = {"Origin": "https://news.example", "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "authorization"}


def test_cors_is_off_by_default(store, tmp_path):
    with service(store, tmp_path) as client:
        answer = client.get("/v1/search", headers={"Origin": "https://news.example"})
        assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


def test_cors_lets_the_configured_origins_in(store, tmp_path):
    with service(store, tmp_path, cors_origins=("https://news.example",), search_keys=(SEARCH,)) as client:
        preflight = client.options("/v1/search", headers=PREFLIGHT)  # browsers send no key on a preflight
        assert preflight.status_code in (200, 204), preflight.text
        assert preflight.headers["access-control-allow-origin"] == "https://news.example"
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        answer = client.get("/v1/search", headers={"Origin": "https://news.example", **bearer(SEARCH)})
        assert answer.headers["access-control-allow-origin"] == "https://news.example"
        other = client.get("/v1/search", headers={"Origin": "https://elsewhere.example", **bearer(SEARCH)})
        assert "access-control-allow-origin" not in other.headers


# -- the CLI sends the configured keys ------------------------------------------------------------


@contextmanager
def served_in_a_thread(app, port: int) -> Iterator[None]:
    server = InLoopServer(app, "127.0.0.1", port)
    thread = threading.Thread(target=asyncio.run, args=(server.serve(),), daemon=True)
    thread.start()
    try:
        for _ in range(1000):
            if server.started:
                break
            time.sleep(0.01)  # polling interval while uvicorn binds
        assert server.started
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_the_cli_sends_the_configured_keys(store, tmp_path):
    keys = {"DATELINE_ADMIN_KEYS": ADMIN, "DATELINE_SEARCH_KEYS": SEARCH}
    app = search_app(store, Settings(data_dir=str(tmp_path), admin_keys=(ADMIN,), search_keys=(SEARCH,)),
                     reindexing=ReindexJob(store, threading.Lock))
    port = free_port()
    env = {"COLUMNS": "200", "DATELINE_SEARCH_PORT": str(port), "DATELINE_DATA_DIR": str(tmp_path)}
    with served_in_a_thread(app, port):
        reindexed = CliRunner().invoke(cli, ["reindex"], env={**env, **keys})
        assert reindexed.exit_code == 0 and "reindexed 5 articles" in reindexed.output, reindexed.output
        found = CliRunner().invoke(cli, ["search", "council", "--json"], env={**env, **keys})
        # (the output may hold the server thread's log lines too, when a test before configured logging)
        assert found.exit_code == 0 and '{"total":5,' in found.output, found.output
        refused = CliRunner().invoke(cli, ["reindex"], env={**env, "DATELINE_SEARCH_KEYS": SEARCH})
        assert refused.exit_code == 1 and "401" in refused.output

"""The search service's OpenAPI document declares what the service really does: every status
an endpoint answers (provoked here, one by one), in the one error shape, and the key schemes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from litestar.testing import TestClient

from services.index.api import search_app
from services.index.reindex import ReindexJob
from services.index.tantivy_store import ArticleStore
from shared.settings import Settings
from tests.factories import story

ADMIN, SEARCH = "admin-key", "search-key"
AS_ADMIN = {"Authorization": f"Bearer {ADMIN}"}
AS_SEARCHER = {"Authorization": f"Bearer {SEARCH}"}
ARTICLE = f"/v1/articles/{1:032x}"

# (method, path template, request path, headers, the status it must answer)
PROVOKED = [
    ("get", "/v1/search", "/v1/search?q=council", AS_SEARCHER, 200),
    ("get", "/v1/search", "/v1/search?size=lots", AS_SEARCHER, 400),
    ("get", "/v1/search", '/v1/search?q="open', AS_SEARCHER, 400),
    ("get", "/v1/search", "/v1/search", {}, 401),
    ("get", "/v1/articles/{article_id}", ARTICLE, AS_SEARCHER, 200),
    ("get", "/v1/articles/{article_id}", "/v1/articles/nope", AS_SEARCHER, 400),
    ("get", "/v1/articles/{article_id}", f"/v1/articles/{99:032x}", AS_SEARCHER, 404),
    ("get", "/v1/articles/{article_id}", ARTICLE, {}, 401),
    ("get", "/v1/stats", "/v1/stats", AS_SEARCHER, 200),
    ("get", "/v1/stats", "/v1/stats", {}, 401),
    ("get", "/v1/export", "/v1/export?q=council", AS_SEARCHER, 200),
    ("get", "/v1/export", "/v1/export?format=xls", AS_SEARCHER, 400),
    ("get", "/v1/export", "/v1/export", {}, 401),
    ("get", "/v1/export/facets", "/v1/export/facets", AS_SEARCHER, 200),
    ("get", "/v1/export/facets", "/v1/export/facets?facets=moods", AS_SEARCHER, 400),
    ("get", "/v1/export/timeline", "/v1/export/timeline", AS_SEARCHER, 200),
    ("get", "/v1/export/timeline", "/v1/export/timeline?histogram=year", AS_SEARCHER, 400),
    ("get", "/v1/stream", "/v1/stream?country=France", AS_SEARCHER, 400),
    ("get", "/v1/stream", "/v1/stream", {}, 401),
    ("post", "/v1/reindex", "/v1/reindex", AS_ADMIN, 202),
    ("post", "/v1/reindex", "/v1/reindex", AS_ADMIN, 409),  # the first one is still running
    ("post", "/v1/reindex", "/v1/reindex", {}, 401),
    ("post", "/v1/reindex", "/v1/reindex", AS_SEARCHER, 403),
    ("get", "/v1/reindex", "/v1/reindex", AS_ADMIN, 200),
    ("get", "/v1/reindex", "/v1/reindex", {}, 401),
    ("get", "/v1/reindex", "/v1/reindex", AS_SEARCHER, 403),
    # last: the search key's bucket (burst 20) runs dry
    *[("get", "/v1/search", "/v1/search", AS_SEARCHER, None)] * 20,
    ("get", "/v1/search", "/v1/search", AS_SEARCHER, 429),
    ("get", "/v1/articles/{article_id}", ARTICLE, AS_SEARCHER, 429),
    ("get", "/v1/stats", "/v1/stats", AS_SEARCHER, 429),
]


@contextmanager
def running_service(tmp_path, **settings) -> Iterator[TestClient]:
    store = ArticleStore(tmp_path / "index", writable=True)
    store.upsert([story(n) for n in range(1, 4)])
    store.commit()
    release = threading.Event()

    @contextmanager
    def pause() -> Iterator[None]:  # holds the rebuild until the test is done: it stays "running"
        release.wait(timeout=30)
        yield

    job = ReindexJob(store, pause)
    app = search_app(store, Settings(data_dir=str(tmp_path), **settings), reindexing=job)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        release.set()
        deadline = time.monotonic() + 30
        while job.status.state == "running" and time.monotonic() < deadline:
            time.sleep(0.01)  # polling interval: let the held rebuild finish before closing the store
        store.close()


@pytest.fixture
def keyed(tmp_path) -> Iterator[TestClient]:
    with running_service(tmp_path, admin_keys=(ADMIN,), search_keys=(SEARCH,),
                         search_rate=0.001, search_burst=20) as client:
        yield client


def test_every_status_an_endpoint_answers_is_declared(keyed):
    spec = keyed.get("/docs/openapi.json").json()
    for method, template, path, headers, expected in PROVOKED:
        answer = keyed.request(method, path, headers=headers)
        if expected is not None:
            assert answer.status_code == expected, (method, path, answer.text)
        operation = spec["paths"][template][method]
        assert str(answer.status_code) in operation["responses"], (method, template, answer.status_code)


def test_every_error_is_declared_as_the_error_body(keyed):
    spec = keyed.get("/docs/openapi.json").json()
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if "application/json" not in response["content"]:  # a download or an event stream
                    assert status.startswith("2") and len(response["content"]) == 1, (method, template, status)
                    continue
                schema = response["content"]["application/json"]["schema"]
                if status.startswith("4"):
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, template, status)
                else:
                    assert schema.get("$ref", "").startswith("#/components/schemas/"), (method, template, status)


def test_the_key_schemes_are_declared_and_used(keyed, tmp_path):
    spec = keyed.get("/docs/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert {name: (s["type"], s["scheme"]) for name, s in schemes.items()} == {
        "searchKey": ("http", "bearer"), "adminKey": ("http", "bearer")}
    paths = spec["paths"]
    for template in ("/v1/search", "/v1/articles/{article_id}", "/v1/stats"):
        assert paths[template]["get"]["security"] == [{"searchKey": []}]
    assert paths["/v1/reindex"]["post"]["security"] == paths["/v1/reindex"]["get"]["security"] == [{"adminKey": []}]


def test_open_search_declares_the_key_optional(tmp_path):
    with running_service(tmp_path) as open_search:
        spec = open_search.get("/docs/openapi.json").json()
    assert spec["paths"]["/v1/search"]["get"]["security"] == [{}, {"searchKey": []}]
    assert spec["paths"]["/v1/reindex"]["post"]["security"] == [{"adminKey": []}]

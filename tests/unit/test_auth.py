"""Bearer keys and local callers (shared.auth)."""

import pytest
from litestar.testing import TestClient

from shared.auth import BearerKeys, bearer_key, is_local, operator_only
from shared.http import build_app
from shared.settings import Settings


@pytest.mark.parametrize(
    ("header", "key"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), ("Bearer ", None),
     ("", None), (None, None), ("abc", None)],
)
def test_the_key_of_an_authorization_header(header, key):
    assert bearer_key(header) == key


def test_keys_are_matched_exactly():
    keys = BearerKeys(["k1", "k2", ""])
    assert keys and "k2" in keys
    assert "k" not in keys and "k1 " not in keys and "" not in keys and None not in keys
    assert not BearerKeys([])


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("::ffff:127.0.0.1", True),
     ("10.0.0.2", False), ("172.17.0.1", False), ("::ffff:10.0.0.1", False), ("testclient", False),
     ("", False), (None, False), ("localhost", False)],
)
def test_local_callers(host, local):
    assert is_local(host) is local


def test_operator_only_keeps_metrics_for_operators():
    # Any service can install it; the TestClient calls from a remote address ("testclient").
    with TestClient(build_app("test", [], title="t", before_request=operator_only(Settings()))) as remote:
        assert remote.get("/metrics").status_code == 403
        assert remote.get("/healthz").status_code == 200
    keyed = Settings(admin_keys=("k1",))
    with TestClient(build_app("test", [], title="t", before_request=operator_only(keyed))) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer k1"}).status_code == 200

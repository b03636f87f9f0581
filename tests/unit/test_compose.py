"""compose.yaml cannot run here (no Docker engine): check it against what the code reads."""

import importlib.util
import re
import threading
from pathlib import Path

import pytest
import yaml
from litestar.testing import TestClient

from services.index.api import search_app
from services.index.reindex import ReindexJob
from services.index.tantivy_store import ArticleStore
from shared.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = {
    "ingest": "services.ingest", "enrich": "services.enrich", "index": "services.index", "poller": "services.poller",
}
DEFAULTS = Settings()


def _env_file() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.mark.parametrize(("name", "module"), APP_SERVICES.items())
def test_each_service_runs_its_module(name, module):
    assert SERVICES[name]["command"] == ["python", "-m", module]
    assert importlib.util.find_spec(f"{module}.__main__") is not None, f"python -m {module} has no __main__"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_environment_is_all_known_settings(name):
    env = {**_env_file(), **SERVICES[name]["environment"]}
    settings = load_settings(env)  # raises on an unknown or malformed DATELINE_ variable
    assert settings.redis_url == "redis://redis:6379/0"


@pytest.mark.parametrize(
    ("name", "port_setting"),
    [("ingest", "ingest_port"), ("index", "search_port"), ("enrich", "enrich_metrics_port"),
     ("poller", "poller_port")],
)
def test_ports_and_health_checks_match_the_settings(name, port_setting):
    service = SERVICES[name]
    port = getattr(load_settings(service["environment"]), port_setting)
    assert port == getattr(DEFAULTS, port_setting)
    for mapping in service.get("ports", []):
        assert mapping.endswith(f":{port}")
    probe = " ".join(service["healthcheck"]["test"])
    assert re.search(rf"127\.0\.0\.1:{port}/readyz", probe)


def test_published_services_listen_on_all_interfaces():
    assert SERVICES["ingest"]["environment"]["DATELINE_INGEST_HOST"] == "0.0.0.0"
    assert SERVICES["index"]["environment"]["DATELINE_SEARCH_HOST"] == "0.0.0.0"


def test_index_data_lives_on_a_volume():
    data_dir = SERVICES["index"]["environment"]["DATELINE_DATA_DIR"]
    assert any(v.endswith(f":{data_dir}") for v in SERVICES["index"]["volumes"])
    assert set(COMPOSE["volumes"]) >= {v.split(":")[0] for v in SERVICES["index"]["volumes"]}


def test_redis_persists_and_is_checked():
    redis = SERVICES["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert redis["healthcheck"]["test"][-1] == "ping"
    for name in APP_SERVICES:
        assert SERVICES[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_two_enrich_replicas():
    assert SERVICES["enrich"]["deploy"]["replicas"] == 2


def test_dockerfile_installs_from_the_lock_and_builds_the_gazetteer():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "dateline gazetteer build" in dockerfile


def test_search_is_rate_limited():
    settings = load_settings({**_env_file(), **SERVICES["index"]["environment"]})
    assert settings.search_rate > 0 and settings.search_burst >= 1
    assert DEFAULTS.search_rate == 0  # off by default, for local use


def test_published_search_keeps_admin_and_metrics_for_operators(tmp_path):
    """What the world reaches on the published search port, with compose's configuration."""
    settings = load_settings({**_env_file(), **SERVICES["index"]["environment"], "DATELINE_DATA_DIR": str(tmp_path)})
    assert settings.admin_keys, ".env.example sets DATELINE_ADMIN_KEYS"
    store = ArticleStore(settings.index_dir, writable=True)
    app = search_app(store, settings, reindexing=ReindexJob(store, threading.Lock))
    try:
        with TestClient(app) as world:  # calls from a remote address
            assert world.get("/metrics").status_code == 401
            assert world.post("/v1/reindex").status_code == 401
            assert world.get("/v1/reindex").status_code == 401
            assert world.get("/v1/search").status_code == 200
            assert world.get("/readyz").status_code == 200
    finally:
        store.close()


def test_services_without_an_api_publish_no_port():
    # enrich workers serve only /healthz, /readyz and /metrics: reachable inside the network only
    assert "ports" not in SERVICES["enrich"]
    assert "ports" not in SERVICES["poller"]
    assert "ports" not in SERVICES["redis"]

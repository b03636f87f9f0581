import os
import socket
import subprocess
import sys

import httpx
import msgspec

from shared.auth import OperatorKeys
from shared.health import HealthApp
from shared.runtime import consumer_name, redis_client
from shared.schemas import ErrorBody
from shared.settings import Settings
from tests.conftest import ROOT


def test_a_consumer_is_named_by_its_service_host_and_process():
    assert consumer_name("enrich") == f"enrich-{socket.gethostname()}-{os.getpid()}"
    assert consumer_name("index") != consumer_name("enrich")


def test_the_redis_client_takes_its_timeouts_and_retries_from_settings():
    settings = Settings(redis_url="redis://127.0.0.1:1/0", redis_timeout_s=2.5, redis_connect_timeout_s=0.5,
                        redis_retries=2)
    options = redis_client(settings).connection_pool.connection_kwargs
    assert (options["socket_timeout"], options["socket_connect_timeout"]) == (2.5, 0.5)
    assert options["retry"].get_retries() == 2


LOCAL_ONLY = OperatorKeys(())


async def _client(app: HealthApp, client: tuple[str, int] = ("127.0.0.1", 50000)) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=client), base_url="http://worker")


async def test_the_health_app_answers_readiness_from_its_checks():
    async def loading() -> str | None:
        return "the model is loading"

    async def fine() -> str | None:
        return None

    async with await _client(HealthApp({"model": loading, "redis": fine}, LOCAL_ONLY)) as http:
        healthy, ready, metrics = await http.get("/healthz"), await http.get("/readyz"), await http.get("/metrics")
    assert healthy.status_code == 200 and healthy.json() == {"status": "ok"}
    assert ready.status_code == 503
    assert ready.json() == {"ready": False, "failures": {"model": "the model is loading"}, "degraded": {}}
    assert metrics.status_code == 200 and "python_info" in metrics.text


async def test_the_health_app_answers_anything_else_in_the_one_error_shape():
    async with await _client(HealthApp({}, LOCAL_ONLY)) as http:
        missing = await http.get("/v1/search", headers={"X-Request-ID": "probe-1"})
        posted = await http.post("/readyz")
    body = msgspec.json.decode(missing.content, type=ErrorBody)
    assert (missing.status_code, body.error, body.request_id) == (404, "not_found", "probe-1")
    assert missing.headers["x-request-id"] == "probe-1"
    assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"
    assert msgspec.json.decode(posted.content, type=ErrorBody).error == "method_not_allowed"



async def test_the_health_apps_metrics_follow_the_operator_rule_of_every_service():
    async with await _client(HealthApp({}, LOCAL_ONLY), client=("203.0.113.5", 40000)) as remote:
        far = await remote.get("/metrics")
        healthy = await remote.get("/healthz")
    assert far.status_code == 403 and msgspec.json.decode(far.content, type=ErrorBody).error == "forbidden"
    assert healthy.status_code == 200
    keyed = HealthApp({}, OperatorKeys(("ops-key",)))
    async with await _client(keyed, client=("203.0.113.5", 40000)) as remote:
        anonymous = await remote.get("/metrics")
        operator = await remote.get("/metrics", headers={"Authorization": "Bearer ops-key"})
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    assert msgspec.json.decode(anonymous.content, type=ErrorBody).error == "unauthorized"
    assert operator.status_code == 200 and "python_info" in operator.text

def test_an_enrich_worker_does_not_import_litestar():
    # Litestar is a third of a second of an enrich worker's start: its health port is bare ASGI.
    probe = "import sys, services.enrich.__main__; print('litestar' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"


def test_ingest_imports_faststream_only_when_its_reader_subscribes():
    # Ingest accepts POSTs (ready) before FastStream is imported for its dateline:incoming reader.
    probe = "import sys, services.ingest.__main__; print('faststream' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"

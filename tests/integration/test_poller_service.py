"""`python -m services.poller` as a process: follows what is added, answers /healthz,
/readyz and /metrics like every service, shows in `dateline status`, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from typer.testing import CliRunner

from dateline.cli import app
from dateline.state import write_state
from shared import followed_feeds as feeds
from shared.redis_server import free_port
from shared.settings import load_settings
from shared.streams import INCOMING
from tests.integration.feed_server import answer, feed_server, rss
from tests.integration.polling import eventually

ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def poller_process(redis_url: str, port: int, output: list[str]) -> AsyncIterator[str]:
    """The poller as `dateline up` starts it; yields its base URL once /healthz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")} | {
        "DATELINE_REDIS_URL": redis_url, "DATELINE_POLL_ALLOW_PRIVATE": "true", "DATELINE_LOG_FORMAT": "json",
        "DATELINE_POLLER_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.poller", cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            await eventually(lambda: _answers(http, "/healthz"), timeout=30)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        output.append((await asyncio.wait_for(process.communicate(), 30))[0].decode())
        output.append(f"exit code {process.returncode}")


async def _answers(http: httpx.AsyncClient, path: str) -> int | None:
    try:
        return (await http.get(path)).status_code
    except httpx.TransportError:
        return None


async def test_the_poller_process_pushes_a_followed_feed_and_stops_on_sigterm(redis, redis_url):
    output: list[str] = []
    with feed_server({"/rss": answer(200, rss(("Pier reopens", "https://desk.example/pier")))}) as server:
        async with poller_process(redis_url, free_port(), output):
            await feeds.follow(redis, server.url("/rss"), every_s=900)
            await eventually(lambda: redis.xlen(INCOMING), timeout=30)
    log, exit_code = output
    assert exit_code == "exit code 0", log
    assert '"event":"feed.polled"' in log and '"event":"service.stopped"' in log


async def test_the_poller_answers_health_readiness_and_metrics(redis, redis_url):
    output: list[str] = []
    with feed_server({"/rss": answer(200, rss(("Pier reopens", "https://desk.example/pier")))}) as server:
        async with poller_process(redis_url, free_port(), output) as base, httpx.AsyncClient(base_url=base) as http:
            await feeds.follow(redis, server.url("/rss"), every_s=900)
            await eventually(lambda: redis.xlen(INCOMING), timeout=30)
            health, ready = await http.get("/healthz"), await http.get("/readyz")
            metrics = (await http.get("/metrics")).text
    assert health.json() == {"status": "ok"}
    assert (ready.status_code, ready.json()) == (200, {"ready": True, "failures": {}, "degraded": {}})
    assert 'dateline_poller_polls_total{outcome="new_items"} 1.0' in metrics
    assert "dateline_poller_items_pushed_total 1.0" in metrics


async def test_without_redis_the_poller_is_alive_but_not_ready(redis_url):
    output: list[str] = []
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    async with poller_process(nowhere, free_port(), output) as base, httpx.AsyncClient(base_url=base) as http:
        ready = await http.get("/readyz")
        assert (await http.get("/healthz")).status_code == 200
    assert ready.status_code == 503
    assert list(ready.json()["failures"]) == ["redis"]


async def test_dateline_status_shows_the_poller_from_a_second_terminal(redis, redis_url, tmp_path, env_clean):
    port, output = free_port(), []
    # as `dateline up` leaves it: the second terminal exports nothing, the file says where
    write_state(load_settings({"DATELINE_DATA_DIR": str(tmp_path), "DATELINE_POLLER_PORT": str(port)}),
                redis_url, "demo-key")
    env = {"DATELINE_DATA_DIR": str(tmp_path), "COLUMNS": "80"}
    async with poller_process(redis_url, port, output):
        as_json = await asyncio.to_thread(CliRunner().invoke, app, ["status", "--json"], env=env)
        shown = await asyncio.to_thread(CliRunner().invoke, app, ["status"], env=env)
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["poller"] == {"url": f"http://127.0.0.1:{port}", "ready": True, "problem": None}
    assert f"poller: ready at http://127.0.0.1:{port}" in shown.stdout
    stopped = CliRunner().invoke(app, ["status"], env=env)
    assert f"poller: not ready at http://127.0.0.1:{port}: not running (nothing answers)" in stopped.stdout

"""How the e2e tests drive the running system: HTTP, the CLI, and polling with a deadline."""

from __future__ import annotations

import json
import time

import msgspec
from typer.testing import CliRunner

from dateline.cli import app

API_KEY = "e2e-key"


def poll(check, timeout_s: float = 120.0, every_s: float = 0.2):
    """Call ``check`` until it returns something truthy; fail with its last value at the deadline."""
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"not true within {timeout_s}s; last value: {value!r}")


def search(system, **params):
    response = system.search.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def post(system, articles):
    body = b"\n".join(msgspec.json.encode(a) for a in articles)
    response = system.ingest.post("/v1/articles", content=body, headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 202, response.text
    return response.json()


def run(system, *args: str):
    env = {
        "DATELINE_REDIS_URL": system.settings.redis_url,
        "DATELINE_INGEST_PORT": str(system.settings.ingest_port),
        "DATELINE_SEARCH_PORT": str(system.settings.search_port),
        "DATELINE_API_KEY": API_KEY,
    }
    return CliRunner().invoke(app, list(args), env=env)


def search_json(system, *args: str) -> dict:
    result = run(system, "search", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)

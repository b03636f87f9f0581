"""The whole system as separate processes (ingest, 2 enrich workers, index) on a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dateline.stack import Stack, free_ports, ingest_url, search_url, supervised
from shared.redis_server import PrivateRedis
from shared.settings import Settings, load_settings
from tests.e2e.driving import API_KEY

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


class RunningSystem:
    def __init__(self, stack: Stack, settings: Settings):
        self.stack = stack
        self.settings = settings
        self.ingest = httpx.Client(base_url=ingest_url(settings), timeout=30,
                                   headers={"Authorization": f"Bearer {API_KEY}"})
        self.search = httpx.Client(base_url=search_url(settings), timeout=30)

    def child(self, name: str):
        return next(c for c in self.stack.supervisor.children if c.spec.name == name)


@pytest.fixture(scope="package")
def system(tmp_path_factory) -> Iterator[RunningSystem]:
    """Torn down when the e2e package is done, so no consumer outlives these tests."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    with PrivateRedis() as redis_server:
        yield from _running_system(redis_server, data_dir)


def _running_system(redis_server: PrivateRedis, data_dir: Path) -> Iterator[RunningSystem]:
    env = {
        "DATELINE_REDIS_URL": redis_server.url,
        "DATELINE_DATA_DIR": str(data_dir),
        # one compiled gazetteer for the whole test run, built on first use
        "DATELINE_GAZETTEER_PATH": str(ROOT / "data" / "gazetteer"),
        "DATELINE_API_KEYS": API_KEY,
        **free_ports(),
        "DATELINE_CLAIM_IDLE_MS": "3000",
        "DATELINE_ENRICH_MAX_CHARS": "20000",  # test_dlq raises it to remove its poison's cause
        "DATELINE_LOG_FORMAT": "json",
    }
    settings = load_settings(env)
    with supervised(settings, WORKERS, data_dir / "logs", env) as stack:
        yield RunningSystem(stack, settings)

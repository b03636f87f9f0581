"""A stack of our own to fuzz: a private redis-server, ingest, enrich worker(s) and index,
as separate processes on free ports (what `dateline up` runs), supervised so that a
service a case kills comes back and the restart is counted."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import msgspec

from dateline.stack import Stack, free_ports, ingest_url, search_url, supervised
from fuzz.session import Target
from shared.redis_server import PrivateRedis
from shared.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "fuzz-key"
# How long ingest waits for a body that stopped arriving, where it has that setting: short,
# so the stalled-body cases are cut off in seconds rather than the default's half-minute.
BODY_TIMEOUT_S = 3


class FuzzStack:
    def __init__(self, stack: Stack, target: Target, log_dir: Path) -> None:
        self.stack = stack
        self.target = target
        self.log_dir = log_dir

    def restarts(self) -> int:
        """How often a service has been restarted since the stack started: each time one died."""
        return sum(child.restarts for child in self.stack.supervisor.children)


@contextlib.contextmanager
def fuzz_stack(data_dir: Path, workers: int = 1, ready_timeout_s: float = 240.0) -> Iterator[FuzzStack]:
    with PrivateRedis() as redis_server:
        env = {
            "DATELINE_REDIS_URL": redis_server.url,
            "DATELINE_DATA_DIR": str(data_dir),
            # the compiled gazetteer the other test layers share, built on first use
            "DATELINE_GAZETTEER_PATH": str(ROOT / "data" / "gazetteer"),
            "DATELINE_API_KEYS": API_KEY,
            # operator endpoints keyed as in compose, not open to local callers
            "DATELINE_ADMIN_KEYS": API_KEY,
            **free_ports(),
            "DATELINE_LOG_FORMAT": "json",
        }
        if "body_timeout_s" in _setting_names():
            env["DATELINE_BODY_TIMEOUT_S"] = str(BODY_TIMEOUT_S)
        settings = load_settings(env)
        log_dir = data_dir / "logs"
        with supervised(settings, workers, log_dir, env, ready_timeout_s) as stack:
            target = Target(
                ingest_url=ingest_url(settings), search_url=search_url(settings), api_key=API_KEY,
                redis_url=redis_server.url, max_body_bytes=settings.max_body_bytes,
                max_articles=settings.max_articles_per_request,
                body_timeout_s=getattr(settings, "body_timeout_s", None),
            )
            yield FuzzStack(stack, target, log_dir)


def _setting_names() -> set[str]:
    return {field.name for field in msgspec.structs.fields(Settings)}

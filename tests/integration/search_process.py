"""A read-only search process (``python -m services.index search``) over a test's index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from shared.redis_server import free_port


@contextmanager
def search_process(data_dir: Path, log: Path | None = None, **settings: str) -> Iterator[str]:
    """Its base URL once it answers; ``settings`` are DATELINE_* variables without the prefix;
    its log lines (JSON) go to ``log`` when given."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    env.update({"DATELINE_DATA_DIR": str(data_dir), "DATELINE_SEARCH_PORT": str(port), "DATELINE_LOG_LEVEL": "WARNING",
                **{f"DATELINE_{name.upper()}": value for name, value in settings.items()}})
    if log is not None:
        env["DATELINE_LOG_FORMAT"] = "json"
    output = open(log, "ab") if log is not None else None  # noqa: SIM115 (closed below)
    process = subprocess.Popen([sys.executable, "-m", "services.index", "search"], env=env, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "the search process did not start"
                time.sleep(0.05)  # the polling interval while it starts
        yield base
    finally:
        process.terminate()
        # uvicorn raises the SIGTERM again once it has stopped; open streams must not hold it up
        assert process.wait(timeout=30) in (0, -signal.SIGTERM), "the search process did not stop cleanly"
        if output is not None:
            output.close()

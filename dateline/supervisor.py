"""Run Dateline's services as child processes and keep them running.

A child that dies is restarted with exponential back-off (1 s, 2 s, 4 s ... 30 s), reset
once it has stayed up for a minute; every start, exit and restart is logged. Stopping
sends SIGTERM (services finish their in-flight batch) and SIGKILLs what outlives the grace.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from msgspec import Struct

from shared.logging import get_logger

log = get_logger("dateline.supervisor")

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
STABLE_AFTER_S = 60.0


class ServiceSpec(Struct, frozen=True):
    """One process to run: a name for logs and the `python -m` module with its arguments."""

    name: str
    module: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = {}

    def argv(self) -> list[str]:
        return [sys.executable, "-m", self.module, *self.args]


class Child:
    def __init__(self, spec: ServiceSpec, log_dir: Path | None):
        self.spec = spec
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.backoff = BACKOFF_FIRST_S
        self.restart_at: float | None = None
        self.restarts = 0

    def start(self, base_env: dict[str, str]) -> None:
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{self.spec.name}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.spec.argv(), env={**base_env, **self.spec.env}, stdout=output, stderr=output
        )
        if output is not None:
            output.close()  # the child holds its own descriptor
        self.started_at = time.monotonic()
        self.restart_at = None
        log.info("service.started", name=self.spec.name, pid=self.process.pid)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def schedule_restart(self, now: float) -> None:
        if now - self.started_at >= STABLE_AFTER_S:
            self.backoff = BACKOFF_FIRST_S
        self.restart_at = now + self.backoff
        log.warning(
            "service.exited",
            name=self.spec.name,
            exit_code=self.process.returncode if self.process else None,
            restart_in_s=self.backoff,
        )
        self.backoff = min(self.backoff * 2, BACKOFF_MAX_S)
        self.restarts += 1


class Supervisor:
    """Start every service, restart the ones that die, stop them all on request."""

    def __init__(self, specs: list[ServiceSpec], env: dict[str, str], log_dir: Path | None = None):
        self.children = [Child(spec, log_dir) for spec in specs]
        self.env = env
        self.stopping = False

    def start(self) -> None:
        for child in self.children:
            child.start(self.env)

    def tick(self) -> None:
        """One round of supervision: notice exits, restart children whose back-off is over."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at and not self.stopping:
                    child.start(self.env)
            elif child.exited() is not None and not self.stopping:
                child.schedule_restart(now)

    def run_until(self, stop_requested) -> None:
        while not stop_requested():
            self.tick()
            time.sleep(0.2)

    def stop(self, grace_s: float = 20.0) -> None:
        self.stopping = True
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.info("supervisor.stopped", services=len(self.children))


def child_env(redis_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every child inherits: ours, plus where Redis is."""
    return {**os.environ, "DATELINE_REDIS_URL": redis_url, **(extra or {})}

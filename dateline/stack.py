"""The whole system on one machine: a Redis, ingest, N enrich workers, index, the feed poller.

What `dateline up` and `make demo` run. Redis is the operator's when DATELINE_REDIS_URL
is set; otherwise a private server, supervised like the services, keeps its data (AOF,
fsync policy DATELINE_REDIS_FSYNC) under DATELINE_DATA_DIR/redis.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from dateline.state import ingest_url, local_host, poller_url, search_headers, search_url  # noqa: F401 - the CLI's light home of these
from dateline.supervisor import ServiceSpec, Supervisor, child_env
from shared.redis_server import PrivateRedis, free_port
from shared.settings import Settings


def free_ports() -> dict[str, str]:
    """Every port setting on a free port: a stack beside others (tests, benchmarks)."""
    names = ("INGEST_PORT", "SEARCH_PORT", "ENRICH_METRICS_PORT", "POLLER_PORT")
    return {f"DATELINE_{name}": str(free_port()) for name in names}


def service_specs(settings: Settings, workers: int) -> list[ServiceSpec]:
    enrich = [
        ServiceSpec(
            name=f"enrich-{n}",
            module="services.enrich",
            env={"DATELINE_ENRICH_METRICS_PORT": str(settings.enrich_metrics_port + n)},
        )
        for n in range(workers)
    ]
    return [
        ServiceSpec(name="ingest", module="services.ingest"),
        *enrich,
        ServiceSpec(name="index", module="services.index"),
        ServiceSpec(name="poller", module="services.poller"),
    ]


def service_ports(settings: Settings, workers: int) -> dict[str, tuple[str, int, str]]:
    """Where each service of the stack listens: host, port, and the setting that moves it."""
    ports = {
        "ingest": (settings.ingest_host, settings.ingest_port, "DATELINE_INGEST_PORT"),
        "index": (settings.search_host, settings.search_port, "DATELINE_SEARCH_PORT"),
        "poller": (settings.poller_host, settings.poller_port, "DATELINE_POLLER_PORT"),
    }
    for n in range(workers):
        port = settings.enrich_metrics_port + n
        ports[f"enrich-{n}"] = (settings.enrich_metrics_host, port, "DATELINE_ENRICH_METRICS_PORT")
    return ports


def readiness_urls(settings: Settings, workers: int) -> dict[str, str]:
    return {
        name: f"http://{local_host(host)}:{port}/readyz"
        for name, (host, port, _) in service_ports(settings, workers).items()
    }


def ports_in_use(settings: Settings, workers: int) -> list[str]:
    """A sentence for each port of the stack that another program already listens on: a
    service there could only crash and restart until `up` gave up waiting for it."""
    busy = []
    for name, (host, port, setting) in service_ports(settings, workers).items():
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            try:
                probe.bind((host, port))
            except OSError:
                busy.append(f"{name}'s port {port} is taken by another program (set {setting} to another)")
    return busy


def wait_until_ready(urls: dict[str, str], timeout_s: float = 180.0,
                     supervisor: Supervisor | None = None) -> dict[str, str]:
    """Poll every /readyz until all answer 200; return what is not ready at the deadline, and why.

    With ``supervisor``, restart what dies meanwhile, and stop waiting as soon as it gives up
    on a service (its configuration is wrong): that one is returned at once with its reason.
    """
    waiting = dict(urls)
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2.0) as http:
        while waiting and time.monotonic() < deadline:
            if supervisor is not None:
                supervisor.tick()
                if failed := {name: why for name, why in supervisor.failures().items() if name in waiting}:
                    return failed
            for name, url in list(waiting.items()):
                try:
                    if http.get(url).status_code == 200:
                        del waiting[name]
                except httpx.HTTPError:
                    pass
            if waiting:
                time.sleep(0.25)
    return {name: f"no 200 from {url} in {timeout_s:.0f} s" for name, url in waiting.items()}


def private_redis(settings: Settings) -> PrivateRedis:
    """The Redis `dateline up` runs when none is configured: AOF under the data directory."""
    directory = settings.data_path.resolve() / "redis"
    return PrivateRedis(appendonly=True, directory=directory, fsync=settings.redis_fsync, stop_with_parent=True)


class Stack:
    """Redis (private unless configured) plus the supervised services."""

    def __init__(self, settings: Settings, workers: int, log_dir: Path | None = None, extra_env: dict[str, str] | None = None):
        self.settings = settings
        self.workers = workers
        self.redis: PrivateRedis | None = None
        self.redis_url = settings.redis_url
        self.log_dir = log_dir
        self.extra_env = extra_env or {}
        self.supervisor: Supervisor | None = None

    def start(self) -> None:
        if not self.redis_url:
            self.redis = private_redis(self.settings)
            self.redis_url = self.redis.url
        env = child_env(self.redis_url, self.extra_env)
        self.supervisor = Supervisor(service_specs(self.settings, self.workers), env, self.log_dir, self.redis)
        self.supervisor.start()  # the private Redis first: it answers before the services start

    def stop(self) -> None:
        if self.supervisor:
            self.supervisor.stop()
        if self.redis:
            self.redis.stop()


class StackNotReady(RuntimeError):
    """A stack beside others did not become ready in time: the message names what and why."""


@contextlib.contextmanager
def supervised(settings: Settings, workers: int, log_dir: Path, extra_env: dict[str, str],
               ready_timeout_s: float = 240.0) -> Iterator[Stack]:
    """A stack beside others (tests, benchmarks, the fuzz suite): started, supervised in a
    thread so that what dies comes back, ready on entry, stopped on leaving."""
    stack = Stack(settings, workers, log_dir=log_dir, extra_env=extra_env)
    stack.start()
    stop = threading.Event()
    supervising = threading.Thread(target=stack.supervisor.run_until, args=(stop.is_set,), daemon=True)
    supervising.start()
    try:
        missing = wait_until_ready(readiness_urls(settings, workers), timeout_s=ready_timeout_s)
        if missing:
            raise StackNotReady(f"not ready after {ready_timeout_s:g} s: {missing}; logs in {log_dir}")
        yield stack
    finally:
        stop.set()
        supervising.join()
        stack.stop()

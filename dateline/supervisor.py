"""Run Dateline's services as child processes and keep them running.

A child that dies after a healthy run (up for ``HEALTHY_AFTER_S``) is started again at
once; one that keeps dying soon after it starts is in a crash loop and waits longer each
time (0.5 s, 1 s, 2 s ... 30 s). A child that exits with ``CONFIG_EXIT_CODE`` refused its
configuration (shared.settings.settings_or_exit): starting it again cannot help, so it is
left down and its last output line is logged as the reason. Every start, exit and
restart is a ``service.*`` event. Stopping sends SIGTERM (services finish their in-flight
batch), SIGKILLs what outlives the grace, and stops the private Redis after the services.

If the supervisor itself is killed outright, its children are not left behind: each gets
SIGTERM from the kernel (:mod:`shared.parent_death`) and stops as it would at Ctrl-C, and a
service whose output pipe has lost its reader goes on without it (:mod:`shared.logging`).
Redis stops at the same moment, so a batch whose ack then fails stays pending and is done
again after the next start (its effect once: every write is an upsert).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import msgspec
from msgspec import Struct

from shared.logging import get_logger
from shared.parent_death import stop_when_parent_dies
from shared.redis_server import PrivateRedis, RedisServerError

log = get_logger("dateline.supervisor")

CONFIG_EXIT_CODE = 2  # what settings_or_exit and the services exit with on a bad configuration
HEALTHY_AFTER_S = 5.0  # a child that ran this long was not crash-looping
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
TICK_S = 0.1


def restart_delay(quick_deaths: int) -> float:
    """How long to wait before a restart, after ``quick_deaths`` deaths in a row soon after starting."""
    if quick_deaths == 0:
        return 0.0
    return min(BACKOFF_FIRST_S * 2 ** (quick_deaths - 1), BACKOFF_MAX_S)


class ServiceSpec(Struct, frozen=True):
    """One process to run: a name for logs and the `python -m` module with its arguments."""

    name: str
    module: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = {}

    def argv(self) -> list[str]:
        return [sys.executable, "-m", self.module, *self.args]


class OutputTail:
    """Copies a child's output, whole lines at a time, to its sink and keeps the last line.

    The last line is why a child refused to start (settings_or_exit prints it last).
    """

    def __init__(self, source: BinaryIO, sink: BinaryIO, close_sink: bool):
        self.last_line = ""
        self._thread = threading.Thread(target=self._copy, args=(source, sink, close_sink), daemon=True)
        self._thread.start()

    def _copy(self, source: BinaryIO, sink: BinaryIO, close_sink: bool) -> None:
        partial = b""
        try:
            while chunk := os.read(source.fileno(), 65536):
                whole, _, partial = (partial + chunk).rpartition(b"\n")
                if whole:
                    self._write(sink, whole + b"\n")
            self._write(sink, partial)
        finally:
            source.close()
            if close_sink:
                sink.close()

    def _write(self, sink: BinaryIO, data: bytes) -> None:
        if last := data.rstrip().rpartition(b"\n")[2].strip():
            self.last_line = last.decode(errors="replace")
        try:
            sink.write(data)
            sink.flush()
        except (OSError, ValueError):
            pass  # a full disk or a closed terminal loses output; the pipe must still drain or the child blocks

    def finish(self, timeout_s: float = 2.0) -> str:
        """Wait for the output to end (the child has exited); return its last line."""
        self._thread.join(timeout_s)
        return self.last_line


def refusal(last_line: str) -> str:
    """Why a service refused to start: its last line, or the ``reason`` of its last JSON log event."""
    try:
        event = msgspec.json.decode(last_line)
    except msgspec.DecodeError:
        return last_line
    if isinstance(event, dict) and isinstance(event.get("reason"), str):
        return f"{event.get('event', 'refused')}: {event['reason']}"
    return last_line


class Child:
    """One supervised process: when it runs, how often it died, whether we gave up on it."""

    stops_last = False  # the private Redis: services finish their batch against it first

    def __init__(self, name: str):
        self.name = name
        self.healthy_after_s = HEALTHY_AFTER_S
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.quick_deaths = 0
        self.restart_at: float | None = None
        self.restarts = 0
        self.failure: str | None = None  # why it is left down for good

    def spawn(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        raise NotImplementedError

    def last_words(self) -> str:
        return ""

    def start(self, env: dict[str, str]) -> None:
        """Start it; raises when it cannot be (a missing binary, Redis not answering)."""
        self.restart_at = None
        self.started_at = time.monotonic()
        self.process = self.spawn(env)
        log.info("service.spawned", name=self.name, pid=self.process.pid)

    def restart(self, env: dict[str, str]) -> None:
        try:
            self.start(env)
        except (OSError, RedisServerError) as exc:
            log.error("service.start_failed", name=self.name, error=str(exc))
            self.process = None
            self.after_exit(None, time.monotonic())

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def after_exit(self, exit_code: int | None, now: float) -> None:
        """Leave it down if its configuration is wrong; else schedule its restart."""
        up_s = round(now - self.started_at, 3)
        if exit_code == CONFIG_EXIT_CODE:
            self.failure = self.last_words() or f"exited with {exit_code}"
            log.error("service.failed_config", name=self.name, exit_code=exit_code, up_s=up_s,
                      reason=self.failure)
            return
        self.quick_deaths = 0 if up_s >= self.healthy_after_s else self.quick_deaths + 1
        delay = restart_delay(self.quick_deaths)
        self.restart_at = now + delay
        self.restarts += 1
        log.warning("service.exited", name=self.name, exit_code=exit_code, up_s=up_s,
                    restart_in_s=delay, quick_deaths=self.quick_deaths)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class ServiceChild(Child):
    """A `python -m services.…` process; its output goes to ``<log_dir>/<name>.log`` or ours."""

    def __init__(self, spec: ServiceSpec, log_dir: Path | None):
        super().__init__(spec.name)
        self.spec = spec
        self.log_dir = log_dir
        self.output: OutputTail | None = None

    def spawn(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            self.spec.argv(), env={**env, **self.spec.env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=stop_when_parent_dies(),  # noqa: PLW1509 - it takes no lock (shared.parent_death)
        )
        self.output = OutputTail(process.stdout, *self._sink())
        return process

    def _sink(self) -> tuple[BinaryIO, bool]:
        if self.log_dir is None:
            return sys.stderr.buffer, False
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return open(self.log_dir / f"{self.name}.log", "ab"), True  # the tail closes it

    def last_words(self) -> str:
        return refusal(self.output.finish()) if self.output else ""


class RedisChild(Child):
    """The private Redis: restarted on the same port with the same AOF directory."""

    stops_last = True

    def __init__(self, redis: PrivateRedis):
        super().__init__("redis")
        self.redis = redis

    def spawn(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.redis.start()  # returns once it answers PING: services may connect
        return self.redis.process


class Supervisor:
    """Start every service, restart the ones that die, stop them all on request."""

    def __init__(self, specs: list[ServiceSpec], env: dict[str, str], log_dir: Path | None = None,
                 redis: PrivateRedis | None = None, healthy_after_s: float = HEALTHY_AFTER_S):
        services: list[Child] = [ServiceChild(spec, log_dir) for spec in specs]
        self.children = ([RedisChild(redis)] if redis else []) + services
        for child in self.children:
            child.healthy_after_s = healthy_after_s
        self.env = env
        self.stopping = False
        self._lock = threading.Lock()  # tick() may be called from a waiting thread and a loop

    def start(self) -> None:
        """Start every child in order (Redis first); stop those started if one cannot be."""
        try:
            for child in self.children:
                child.start(self.env)
        except BaseException:
            self.stop(grace_s=5)
            raise

    def tick(self) -> None:
        """One round of supervision: notice exits, restart children whose wait is over."""
        with self._lock:
            for child in self.children:
                if self.stopping or child.failure is not None:
                    continue
                if child.restart_at is not None:
                    if time.monotonic() >= child.restart_at:
                        child.restart(self.env)
                elif (code := child.exited()) is not None:
                    child.after_exit(code, time.monotonic())

    def services(self) -> list[Child]:
        return [child for child in self.children if not child.stops_last]

    def failures(self) -> dict[str, str]:
        """The children left down for good, with why."""
        return {c.name: c.failure for c in self.children if c.failure is not None}

    def all_failed(self) -> bool:
        return all(child.failure is not None for child in self.services())

    def run_until(self, stop_requested: Callable[[], bool]) -> None:
        """Supervise until asked to stop or until every service is down for good."""
        while not stop_requested():
            self.tick()
            if self.all_failed():
                log.error("supervisor.gave_up", failures=self.failures())
                return
            time.sleep(TICK_S)

    def stop(self, grace_s: float = 20.0) -> None:
        with self._lock:
            self.stopping = True
        for last in (False, True):
            _terminate([c.process for c in self.children if c.stops_last == last and c.running()], grace_s)
        log.info("supervisor.stopped", services=len(self.children))


def _terminate(processes: list[subprocess.Popen[bytes]], grace_s: float) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def child_env(redis_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every child inherits: ours, plus where Redis is."""
    return {**os.environ, "DATELINE_REDIS_URL": redis_url, **(extra or {})}

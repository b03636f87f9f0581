"""The one service runtime: what every Dateline service process does the same way.

Each service's composition root (``build`` in its worker/service/bootstrap module) wires
its own parts into a :class:`Service`; its ``__main__`` is one call to
:func:`run_service`. What the runtime does for all of them:

- settings and logging, exit 2 on a configuration it refuses, exit 1 logged on a crash;
- one Redis client per process (:func:`redis_client`: timeouts and retries from settings,
  reconnecting by itself);
- the HTTP server first, so ``/healthz`` answers while the rest starts;
- ``prepare`` (a model to load) while health is served, then the FastStream stages
  (:class:`shared.consumer.Stage`) and the service's own loops;
- the stages kept running: each life of them gets a fresh broker, and when they cannot
  start (Redis away) or stop under the process (their group vanished with a Redis that
  came back empty) they start over in this process after a short wait. A Redis that comes
  back with its data needs nothing: FastStream's subscribers retry their reads;
- SIGTERM/SIGINT: stop reading, give the in-flight batches ``graceful_timeout_s``, log
  the ones abandoned past it (``batch.abandoned``: they stay pending for another
  consumer), close, stop serving HTTP last;
- a stage stuck on a batch (:meth:`shared.consumer.Stage.stuck`: a hung handler, past
  ``claim_keep_max_s``): ``service.stage_stuck``, then the same stop, and the process
  exits 1 so that its supervisor starts a fresh one (``dateline up`` and compose restart
  a process that exits; neither restarts one that merely answers 503). A hung thread can
  keep a graceful stop from ever ending, so the exit is forced
  ``graceful_timeout_s`` + :data:`STUCK_EXIT_MARGIN_S` after the stop began.

Lifecycle events are the ``service.*`` family of :mod:`shared.vocabulary`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from shared.logging import configure_logging, get_logger
from shared.settings import Settings, settings_or_exit
from shared.waits import set_within

if TYPE_CHECKING:  # imported where used: a process without stages needs no FastStream or Redis
    import redis
    import redis.asyncio as aioredis

    from shared.consumer import Stage, StuckBatch

ReadinessCheck = Callable[[], Awaitable[str | None]]
Step = Callable[[], Awaitable[None]]

# Waits before the stages start again after a life that could not start (Redis away);
# the last one repeats. A life that started and ended starts again after the first.
RESTART_DELAYS_S = (0.25, 0.5, 1.0, 2.0, 5.0)
WATCH_EVERY_S = 0.5  # how often the stages are checked for having stopped under us
# A readiness check gets no longer than this: /readyz answers while Redis hangs.
READINESS_TIMEOUT_S = 1.0
STUCK_EXIT_CODE = 1  # a supervisor restarts it (2 would mean: do not restart)
# After the stages' grace, what closing takes (the HTTP side, the index store) at most.
STUCK_EXIT_MARGIN_S = 5.0


class ConfigurationError(Exception):
    """The service must not start like this; the message says what to set (exit 2)."""


def consumer_name(service: str) -> str:
    """Unique per process, and says where to look: the service, host and pid."""
    return f"{service}-{socket.gethostname()}-{os.getpid()}"


def redis_client(settings: Settings) -> aioredis.Redis:
    """The one Redis client of a service process.

    It reconnects by itself: a broken connection leaves the pool and the next command
    opens a new one. A connect fails after ``redis_connect_timeout_s``, a command without
    an answer after ``redis_timeout_s``; a command that failed on a broken connection is
    tried ``redis_retries`` more times (short exponential back-off) before its caller sees
    the error: a request answers 503 within seconds, never hangs (redis-py's own default
    retries for about ten seconds)."""
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(settings.redis_url, **redis_options(settings))


def blocking_redis_client(
    settings: Settings, *, timeout_s: float | None = None, decode_responses: bool = False
) -> redis.Redis:
    """:func:`redis_client`'s synchronous twin, for code that runs outside an event loop
    (the CLI, the enrichment thread): the same timeouts and retries, or a shorter
    ``timeout_s`` for a caller that would rather go on without Redis than wait."""
    import redis

    options = redis_options(settings, blocking=True, timeout_s=timeout_s)
    return redis.Redis.from_url(settings.redis_url, decode_responses=decode_responses, **options)


def redis_options(settings: Settings, *, blocking: bool = False, timeout_s: float | None = None) -> dict[str, Any]:
    """The connection options of :func:`redis_client` (FastStream's broker's too), or of
    :func:`blocking_redis_client`, whose retry policy is redis-py's synchronous class."""
    from redis.backoff import ExponentialBackoff

    if blocking:
        from redis.retry import Retry
    else:
        from redis.asyncio.retry import Retry
    return {
        "socket_timeout": timeout_s or settings.redis_timeout_s,
        "socket_connect_timeout": timeout_s or settings.redis_connect_timeout_s,
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), settings.redis_retries),
    }


def redis_readiness(redis: aioredis.Redis) -> ReadinessCheck:
    """A readiness check: None while Redis answers PING (an exception is a failed check)."""

    async def check() -> str | None:
        async with asyncio.timeout(READINESS_TIMEOUT_S):
            return None if await redis.ping() else "Redis did not answer PING"

    return check


class Service:
    """One service process, wired by its composition root and run by the runtime.

    ``http``: the server (:class:`shared.serving.InLoopServer`), started first and
    stopped last. ``prepare``: what must be done before the stages read (load a model),
    while health is served. ``stages``: FastStream stages kept running (see the module).
    ``loops``: the service's own steps (until :attr:`stopping`), started once it serves
    (``service.started``: HTTP up, stages reading), not to slow its start. ``close``:
    after everything stopped, in order. ``started``: fields of the ``service.started``
    line."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        *,
        http: Any,
        redis: aioredis.Redis | None = None,
        prepare: Step | None = None,
        stages: Sequence[Stage] = (),
        loops: Sequence[Step] = (),
        close: Sequence[Step] = (),
        started: dict[str, object] | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.http = http
        self.redis = redis
        self.stages = tuple(stages)
        self._prepare = prepare
        self._loops = tuple(loops)
        self._close = tuple(close)
        self._started = started or {}
        self._stopping = asyncio.Event()
        self._exit_code = 0
        self._exit_forced = False  # a stuck stage forces the exit (serve: a whole process)
        # Set once service.started is logged, or once told to stop: the loops wait for it.
        self._loops_may_start = asyncio.Event()
        self.log = get_logger(f"dateline.{name}")
        consumer = self.stages[0].consumer if self.stages else None
        if consumer:
            self.log = self.log.bind(consumer=consumer)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()
        self._loops_may_start.set()

    async def pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less when the service is told to stop."""
        await set_within(self._stopping, seconds)

    async def run(self) -> int:
        """Serve until stopped; 0, or :data:`STUCK_EXIT_CODE` after a stage got stuck."""
        try:
            # First: /healthz answers while the rest starts. Last: it answers while the
            # stages drain, and in-flight requests finish before what they use is closed.
            async with self.http.running():
                await self._run_parts()
        finally:
            for step in self._close:
                await step()
            if self.redis is not None:
                await self.redis.aclose()
        return self._exit_code

    async def serve(self) -> int:
        """:meth:`run` as the process: SIGTERM and SIGINT ask for a graceful stop, and a
        stuck stage ends the process even if its stop cannot finish."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        self._exit_forced = True
        return await self.run()

    async def _run_parts(self) -> None:
        if self._prepare is not None:
            await self._prepare()
        if self.stopping:
            return
        if not self.stages:
            self._now_serving()
        parts = [asyncio.create_task(self._once_serving(step)) for step in self._loops]
        if self.stages:
            parts.append(asyncio.create_task(self._keep_stages_running()))
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            running = set(parts)
            while not stopping.done():
                done, running = await asyncio.wait({stopping, *running}, return_when=asyncio.FIRST_COMPLETED)
                running.discard(stopping)
                for part in done - {stopping}:
                    if part.exception() is not None:  # a part raised: the service crashed
                        raise part.exception()  # type: ignore[misc]
            self.log.info("service.stopping")
            await asyncio.gather(*parts)
        finally:
            for task in (stopping, *parts):
                task.cancel()
        self.log.info("service.stopped", **self._counts())

    def _now_serving(self) -> None:
        self.log.info("service.started", **self._started)
        self._loops_may_start.set()

    async def _once_serving(self, step: Step) -> None:
        # The service's own steps (a model's warm-up, a lag gauge) wait until it serves:
        # they must not take the CPU its start-up needs (one core, the GIL).
        await self._loops_may_start.wait()
        if not self.stopping:
            await step()

    # -- the stages loop -------------------------------------------------------------------

    async def _keep_stages_running(self) -> None:
        failed_starts, first = 0, True
        while not self.stopping:
            started = await self._stages_life(first)
            first = first and not started
            if self.stopping:
                return
            failed_starts = 0 if started else failed_starts + 1
            delay = RESTART_DELAYS_S[min(failed_starts, len(RESTART_DELAYS_S) - 1)]
            self.log.info("service.stage_restarting", in_s=delay)
            await self.pause(delay)

    async def _stages_life(self, first: bool) -> bool:
        """One life of the stages on a fresh broker, until stopped or until they cannot go
        on; whether they started."""
        from redis.exceptions import RedisError

        from shared.broker import build_broker
        from shared.streams import ensure_groups

        broker = build_broker(
            self.settings.redis_url,
            graceful_timeout=self.settings.graceful_timeout_s,
            # A plain stdlib logger: FastStream's lines then go through structlog's JSON
            # chain; its per-batch "Received"/"Processed" ones at DEBUG (the article.*
            # events say more).
            logger=logging.getLogger("dateline.faststream"),
            log_level=logging.DEBUG,
            **redis_options(self.settings),
        )
        for stage in self.stages:
            stage.subscribe(broker)
        started = False
        try:
            assert self.redis is not None, "stages need the service's Redis client"
            await ensure_groups(self.redis)
            await broker.start()
            started = True
            if first:
                self._now_serving()
            else:
                self.log.info("service.stage_started")
            await self._watch()
        except (RedisError, OSError) as exc:
            self.log.warning("redis.unavailable", error=f"{type(exc).__name__}: {exc}")
        finally:
            with contextlib.suppress(RedisError, OSError):  # a Redis that is away cannot be told goodbye
                await broker.stop()  # the in-flight batches finish within the grace, or are cancelled
            self._log_abandoned()
        return started

    async def _watch(self) -> None:
        """Until stopped, or until a stage stops under us (its group is gone), or gets stuck."""
        while not self.stopping:
            if stuck := [batch for stage in self.stages if (batch := stage.stuck())]:
                self._stop_stuck(stuck[0])
                return
            if not all(stage.running for stage in self.stages):
                self.log.warning("service.stage_stopped", detail="its subscribers stopped (the group vanished?)")
                return
            await self.pause(WATCH_EVERY_S)

    def _stop_stuck(self, stuck: StuckBatch) -> None:
        # Nothing in this process can unstick it, and the stage does nothing else meanwhile:
        # a fresh process can. Its entries stay pending and are claimed again (a dead
        # consumer's, claim_idle_ms later); every effect is an upsert.
        exit_within_s = self.settings.graceful_timeout_s + STUCK_EXIT_MARGIN_S
        self.log.error("service.stage_stuck", **msgspec.structs.asdict(stuck),
                       exit_code=STUCK_EXIT_CODE, exit_within_s=exit_within_s)
        self._exit_code = STUCK_EXIT_CODE
        if self._exit_forced:
            forced = threading.Timer(exit_within_s, os._exit, args=(STUCK_EXIT_CODE,))
            forced.daemon = True  # the process may end sooner, on its own
            forced.start()
        self.stop()

    def _log_abandoned(self) -> None:
        for stage in self.stages:
            if stage.in_flight:
                self.log.warning(
                    "batch.abandoned", stream=stage.stream, entry_ids=sorted(stage.in_flight),
                    grace_s=self.settings.graceful_timeout_s,
                )

    def _counts(self) -> dict[str, object]:
        return {stage.stream: msgspec.structs.asdict(stage.counts) for stage in self.stages}


def service_settings(name: str, *, needs_redis: bool = True) -> Settings:
    """A service process's settings (exit 2 on a configuration it refuses), its logging
    set up from them: the start of every service command."""
    settings = settings_or_exit(name, needs_redis=needs_redis)
    configure_logging(name, settings.log_level, settings.log_format)
    return settings


def run_service(name: str, build: Callable[[Settings], Service], *, needs_redis: bool = True) -> int:
    """A service's whole ``main``: settings, logging, ``build`` (its composition root), run
    until SIGTERM/SIGINT; the exit code (2: refused configuration, 1: crashed)."""
    settings = service_settings(name, needs_redis=needs_redis)
    log = get_logger(f"dateline.{name}")
    try:
        service = build(settings)
        return asyncio.run(service.serve())
    except ConfigurationError as exc:
        log.error("service.refused_config", reason=str(exc))
        return 2
    except Exception:  # logged for ops; exit 1 lets a supervisor restart us
        log.exception("service.crashed")
        return 1

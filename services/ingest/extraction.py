"""HTML pages to article text in worker processes, each page within a time budget.

:func:`~services.ingest.html_text.page_text` bounds its cost by the page's size; this
keeps the promise for what no size budget foresaw. A thread cannot be stopped, a process
can: each page goes to one of a few worker processes, and a worker that has not answered
within ``timeout_s`` is killed and replaced. A page that runs out of time, or finds every
worker busy for as long, is read as plain text instead (linear, in a thread): the request
is answered either way, and the event loop never runs extraction. The pages of one
request go one at a time, so a request holds at most one worker and a handful of heavy
requests cannot starve the others.

Workers fork from a server process that has imported and warmed up trafilatura once
(multiprocessing's ``forkserver``, :mod:`services.ingest.html_warm_up`): a replacement is
ready in milliseconds, and ingest's own process never imports trafilatura.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import time
from multiprocessing.connection import Connection

from prometheus_client import Counter

from services.ingest.page import PageReading, page_reading, plain_reading
from shared.logging import get_logger

log = get_logger("dateline.ingest")

PAGES = Counter(
    "dateline_ingest_html_pages_total",
    "HTML pages read, by how: extracted, or plain text when out of time, workers or luck.",
    ["how"],
)
RESTART_DELAY_S = 1.0
START_TIMEOUT_S = 60.0
_context = multiprocessing.get_context("forkserver")


class PageReader:
    """``workers`` processes turning pages into article text, ``timeout_s`` per page."""

    def __init__(self, workers: int, timeout_s: float) -> None:
        self._workers = workers
        self.timeout_s = timeout_s
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._busy: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.problem: str | None = None  # why no worker could be started, if none could

    def start(self) -> None:
        """Start the workers in the background: pages that come first wait for one."""
        _context.set_forkserver_preload(["services.ingest.extraction", "services.ingest.html_warm_up"])
        for _ in range(self._workers):
            self._start_worker()

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()  # a worker being started is stopped by _run_worker
        workers = [*self._busy]
        while not self._idle.empty():
            workers.append(self._idle.get_nowait())
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w in workers))

    async def read(self, html: str) -> PageReading:
        """The article text of ``html`` ("" when none) and its metadata."""
        started = time.monotonic()
        if self.problem and self._idle.empty():  # no worker could be started: do not wait
            return await self._plain("no_worker", html, started)
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.timeout_s)
        except TimeoutError:
            return await self._plain("no_worker", html, started)
        self._busy.add(worker)
        try:
            reading = await asyncio.wait_for(asyncio.to_thread(worker.read, html), self.timeout_s)
        except TimeoutError:
            self._replace(worker)
            return await self._plain("timed_out", html, started)
        except (OSError, EOFError, _PageFailed) as exc:  # the worker died, or the page broke it
            self._replace(worker)
            log.warning("html.extraction_failed", error=f"{type(exc).__name__}: {exc}")
            return await self._plain("failed", html, started)
        except asyncio.CancelledError:  # mid-page: its answer must not reach the next caller
            self._replace(worker)
            raise
        self._busy.discard(worker)
        self._idle.put_nowait(worker)
        PAGES.labels("extracted").inc()
        return reading

    async def _plain(self, how: str, html: str, started: float) -> PageReading:
        PAGES.labels(how).inc()
        if how != "failed":
            log.warning(f"html.{how}", waited_s=round(time.monotonic() - started, 3),
                        timeout_s=self.timeout_s, chars=len(html))
        return await asyncio.to_thread(plain_reading, html)

    def _replace(self, worker: _Worker) -> None:
        self._busy.discard(worker)
        # Killing a worker waits for it to go: in a thread, never on the event loop.
        stopping = asyncio.create_task(asyncio.to_thread(worker.stop))
        self._tasks.add(stopping)
        stopping.add_done_callback(self._tasks.discard)
        self._start_worker()

    def _start_worker(self) -> None:
        if self._closed:
            return
        task = asyncio.create_task(self._run_worker())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_worker(self) -> None:
        while not self._closed:
            try:
                worker = await asyncio.to_thread(_Worker.start)
            except Exception as exc:  # noqa: BLE001 - whatever it is, say it and try again
                self.problem = f"cannot start an HTML extraction worker: {type(exc).__name__}: {exc}"
                log.error("html.worker_failed", error=self.problem)
                await asyncio.sleep(RESTART_DELAY_S)
                continue
            if self._closed:
                await asyncio.to_thread(worker.stop)
                return
            self.problem = None
            self._idle.put_nowait(worker)
            return


class _PageFailed(Exception):
    """page_text raised in the worker: a bug or a page no parser survives."""


class _Worker:
    """One extraction process and the pipe to it. Its methods block: call them in a thread."""

    def __init__(self, process: multiprocessing.process.BaseProcess, conn: Connection) -> None:
        self._process = process
        self._conn = conn

    @classmethod
    def start(cls) -> _Worker:
        """A worker that has said it is ready: the time budget is for pages, not start-up."""
        ours, theirs = _context.Pipe()
        process = _context.Process(target=serve_pages, args=(theirs,), name="ingest-html", daemon=True)
        process.start()
        theirs.close()
        worker = cls(process, ours)
        if not ours.poll(START_TIMEOUT_S):
            worker.stop()
            raise TimeoutError(f"an extraction worker was not ready within {START_TIMEOUT_S} s")
        ours.recv()  # EOFError if it died on the way
        return worker

    def read(self, html: str) -> PageReading:
        self._conn.send(html)
        reading, error = self._conn.recv()
        if error:
            raise _PageFailed(error)
        return reading

    def stop(self) -> None:
        # The pipe is left to close with the last reference to it: a thread may still be
        # in read() on it, and a closed descriptor's number can be reused at once.
        self._process.kill()
        self._process.join()


def serve_pages(conn: Connection) -> None:
    """A worker's life: read pages from ``conn`` until it closes, answer (reading, error)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for ingest, which stops us
    conn.send(None)  # ready
    while True:
        try:
            html = conn.recv()
        except (EOFError, OSError):  # ingest is gone
            return
        try:
            conn.send((page_reading(html), None))
        except Exception as exc:  # noqa: BLE001 - told to ingest, which falls back
            conn.send((None, f"{type(exc).__name__}: {exc}"))

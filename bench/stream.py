"""The standing-query benchmark: how soon a new article reaches open streams, and what
open streams cost the indexer.

    python -m bench.stream                                   # make bench-stream
    python -m bench.stream --posts 20 --rounds 3 --streams 100 --standing 1000 --index-articles 3000

1. Latency, through the whole system (Redis, ingest, 2 enrich workers, index: as
   ``dateline up`` runs them). Articles are posted one at a time, one every
   ``--gap`` seconds; each delivery is timed from the 202 to the event's arrival. Rounds
   alternate the baseline, one stream (everything), and ``--streams`` streams of
   different queries (one of them everything) while as many new articles flow.
2. Cost on indexing: Redis and the index service alone; enriched articles (bench.search's
   newsroom) are added to ``dateline:enriched`` at once and timed until all are
   searchable, in rounds alternating 0 streams (the baseline) and ``--standing`` streams
   of the search benchmark's query kinds (text, phrase, boolean, entity, place, geo).
   Besides docs/s, the index process's CPU time per article: other work on a shared
   machine moves wall-clock rates, much less the CPU an article costs. The events that
   arrive are counted against the matches /v1/search counts among the round's articles.
   ``--against CHECKOUT`` measures another checkout's index service in the same rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
import msgspec
import redis

from bench.pipeline import KEY, running_stack
from bench.search import CITIES, Newsroom, query_kinds
from dateline.events import aread_events
from dateline.samples import sample_articles
from dateline.stack import ingest_url, search_url, wait_until_ready
from shared.redis_server import PrivateRedis, free_port
from shared.streams import ENRICHED, entry_fields

STREAM_LIMITS = {"DATELINE_STREAM_PER_CALLER": "5000", "DATELINE_STREAM_MAX": "5000"}


ARTICLE, READY = b"\nevent: article\n", b"\nevent: ready\n"


class Listener:
    """Open streams in this event loop: when each article id arrived on which stream
    (``timed``), or only how many events arrived, counted in the raw bytes: parsing 100,000
    events in Python took this process more CPU than the index's sending, on the same cores."""

    def __init__(self, base: str, *, timed: bool = True) -> None:
        self.timed = timed
        self.client = httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30.0, read=None),
                                        limits=httpx.Limits(max_connections=None, max_keepalive_connections=0))
        self.arrivals: dict[str, list[float]] = defaultdict(list)  # article id -> arrival times
        self.events = 0
        self._tasks: list[asyncio.Task] = []

    async def open(self, queries: list[dict]) -> None:
        ready = [asyncio.get_running_loop().create_future() for _ in queries]
        self._tasks += [asyncio.create_task(self._listen(q, r)) for q, r in zip(queries, ready, strict=True)]
        await asyncio.gather(*ready)

    async def _listen(self, query: dict, ready: asyncio.Future) -> None:
        async with self.client.stream("GET", "/v1/stream?" + urlencode(query)) as response:
            response.raise_for_status()
            if not self.timed:
                await self._count(response, ready)
                return
            async for event in aread_events(response):
                if event.kind == "ready":
                    ready.set_result(None)
                elif event.kind == "article":
                    self.arrivals[msgspec.json.decode(event.data)["id"]].append(time.perf_counter())
                    self.events += 1

    async def _count(self, response: httpx.Response, ready: asyncio.Future) -> None:
        tail = b""  # shorter than a mark: a mark split between two reads is counted once
        async for chunk in response.aiter_bytes():
            data = tail + chunk
            if not ready.done() and READY in data:
                ready.set_result(None)
            self.events += data.count(ARTICLE)
            tail = data[-len(ARTICLE) + 1:]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self.arrivals.clear()
        self.events = 0


@asynccontextmanager
async def listening(base: str, queries: list[dict], *, timed: bool = True):
    listener = Listener(base, timed=timed)
    await listener.open(queries)
    try:
        yield listener
    finally:
        await listener.close()
        await listener.client.aclose()


# -- 1. latency through the whole system -------------------------------------------------------


def latency_queries(count: int, articles: list[dict]) -> list[dict]:
    """Everything first, then words of the posted titles, countries, boxes around cities."""
    words = sorted({w.strip(".,:'\"").lower() for a in articles for w in a["title"].split() if len(w) > 4})
    rng = random.Random(7)
    boxes = [{"bbox": f"{c[2] - 4},{c[1] - 3},{c[2] + 4},{c[1] + 3}"} for c in CITIES if -176 < c[2] < 176]
    countries = [{"country": c[3]} for c in CITIES]
    variety = [{"q": w} for w in rng.sample(words, min(len(words), count // 2))]
    variety += [{"q": f"{a} OR {b}"} for a, b in zip(rng.sample(words, 10), rng.sample(words, 10), strict=True)]
    variety += rng.sample(countries, min(15, len(countries))) + boxes + [{"language": "en"}]
    return [{}, *itertools.islice(itertools.cycle(variety), count - 1)]


async def post_and_time(ingest: httpx.AsyncClient, articles: list[dict], gap_s: float,
                        listener: Listener) -> tuple[list[float], list[float]]:
    """(ms from 202 to arrival on the match-all stream, ms for every delivery), one article at a time."""
    accepted: dict[str, float] = {}
    for article in articles:
        response = await ingest.post("/v1/articles", content=msgspec.json.encode(article),
                                     headers={"Content-Type": "application/json"})
        accepted[response.raise_for_status().json()["results"][0]["id"]] = time.perf_counter()
        await asyncio.sleep(gap_s)  # the pace of the flow, not a wait for a result
    deadline = time.monotonic() + 120
    while any(i not in listener.arrivals for i in accepted) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    first = [(min(listener.arrivals[i]) - t) * 1000 for i, t in accepted.items() if i in listener.arrivals]
    every = [(a - t) * 1000 for i, t in accepted.items() for a in listener.arrivals.get(i, [])]
    missing = len(accepted) - len(first)
    if missing:
        print(f"  !! {missing} articles never arrived on the match-all stream within 120 s")
    return first, every


async def latency(args: argparse.Namespace) -> None:
    with (tempfile.TemporaryDirectory(prefix="dateline-bench-stream-") as data_dir,
          running_stack(data_dir, **STREAM_LIMITS) as settings):
        articles = iter(sample_articles(args.posts * 2 * args.rounds + 5, seed=41))
        ingest = httpx.AsyncClient(base_url=ingest_url(settings), timeout=60,
                                   headers={"Authorization": f"Bearer {KEY}"})
        base = search_url(settings)
        async with listening(base, [{}]) as listener:  # warm up: models loaded, first commit done
            await post_and_time(ingest, list(itertools.islice(articles, 5)), args.gap, listener)
        queries = latency_queries(args.streams, sample_articles(200, seed=41))
        first: dict[int, list[float]] = {1: [], args.streams: []}
        every: list[float] = []
        for _ in range(args.rounds):  # alternating, so both see the same machine
            for count in first:
                async with listening(base, queries[:count]) as listener:
                    batch = list(itertools.islice(articles, args.posts))
                    arrived, delivered = await post_and_time(ingest, batch, args.gap, listener)
                first[count] += arrived
                every += delivered if count > 1 else []
        await ingest.aclose()
    print(f"\n1. from ingest's 202 to the event on an open stream (ms); {args.rounds} rounds of {args.posts} "
          f"articles posted one every {args.gap} s, alternating 1 and {args.streams} open streams")
    print(f"{'open streams':<40} {'p50':>7} {'p95':>7} {'max':>7}  deliveries")
    _row("1 (everything): baseline", first[1])
    _row(f"{args.streams} of different queries: the match-all one", first[args.streams])
    _row(f"{args.streams}: every delivery", every)


def _row(label: str, values: list[float]) -> None:
    if len(values) < 2:
        print(f"{label:<40} (too few samples: {values})")
        return
    p95 = statistics.quantiles(values, n=20, method="inclusive")[-1]
    print(f"{label:<40} {statistics.median(values):>7.0f} {p95:>7.0f} {max(values):>7.0f}  {len(values):,}")


# -- 2. what open streams cost the indexer -------------------------------------------------------


@contextmanager
def index_service(data_dir: Path, redis_url: str, code: str | None = None) -> Iterator[tuple[subprocess.Popen, str]]:
    """The index service on ``redis_url``; ``code``: another checkout's (in this environment)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    env.update(DATELINE_REDIS_URL=redis_url, DATELINE_DATA_DIR=str(data_dir), DATELINE_SEARCH_PORT=str(port),
               DATELINE_LOG_LEVEL="WARNING", **STREAM_LIMITS)
    with (data_dir / "index.log").open("wb") as log:  # FastStream's own lines
        if code:
            env["PYTHONPATH"] = code
        process = subprocess.Popen([sys.executable, "-m", "services.index"], env=env, stdout=log, stderr=log, cwd=code)
    base = f"http://127.0.0.1:{port}"
    try:
        if wait_until_ready({"index": f"{base}/readyz"}, timeout_s=60):
            raise SystemExit("the index service did not become ready within 60 s")
        yield process, base
    finally:
        if process.poll() is not None:
            lines = (data_dir / "index.log").read_text(errors="replace").splitlines()
            print(f"the index service exited with {process.returncode}:", *lines[-40:], sep="\n", file=sys.stderr)
        process.terminate()
        process.wait(timeout=60)


def standing_queries(count: int) -> list[dict]:
    kinds = query_kinds(random.Random(11))
    wanted = [k for k in kinds if "facets" not in k and "histogram" not in k and not k.startswith("newest")]
    mixed = [q for group in itertools.zip_longest(*(kinds[k] for k in wanted)) for q in group if q]
    return mixed[:count]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def indexing_rate(client: redis.Redis, articles: list, search: httpx.AsyncClient, pid: int,
                        listener: Listener | None = None) -> tuple[float, float, float]:
    """(docs/s, the index process's CPU ms per article) from XADD until all are searchable, and
    its CPU ms per article until the events have all left too (none for 1 s)."""
    before = (await search.get("/v1/stats")).json()["documents"]
    started, cpu = time.perf_counter(), cpu_seconds(pid)
    pipe = client.pipeline(transaction=False)
    for article in articles:
        pipe.xadd(ENRICHED, entry_fields(article))
    pipe.execute()
    while (await search.get("/v1/stats")).json()["documents"] - before < len(articles):
        await asyncio.sleep(0.05)
    rate, searchable = len(articles) / (time.perf_counter() - started), cpu_seconds(pid)
    deadline, seen, quiet_since = time.monotonic() + 120, -1, time.monotonic()
    while listener and time.monotonic() - quiet_since < 1.0 and time.monotonic() < deadline:
        if listener.events != seen:
            seen, quiet_since = listener.events, time.monotonic()
        await asyncio.sleep(0.05)
    delivered = cpu_seconds(pid)  # with the quiet second (idle: the baseline has one too)
    per_article = 1000 / len(articles)
    return rate, (searchable - cpu) * per_article, (delivered - cpu) * per_article


class Indexer:
    """One index service under test (this checkout's, or ``--against``'s), with its own Redis."""

    def __init__(self, label: str, process: subprocess.Popen, base: str, redis_url: str) -> None:
        self.label, self.process, self.base = label, process, base
        self.redis = redis.Redis.from_url(redis_url)
        # a fresh connection each time: uvicorn closes one idle for 5 s (while streams open)
        self.search = httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_keepalive_connections=0))


async def indexing_cost(args: argparse.Namespace) -> None:
    newsroom = Newsroom(seed=5)
    conditions = (0, args.standing)
    checkouts = [("this checkout", None)] + ([(f"{args.against}", args.against)] if args.against else [])
    with ExitStack() as stack:
        indexers = []
        for label, code in checkouts:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dateline-bench-standing-")))
            server = stack.enter_context(PrivateRedis())
            process, base = stack.enter_context(index_service(data_dir, server.url, code))
            indexers.append(Indexer(label, process, base, server.url))
        for indexer in indexers:  # warm up
            await indexing_rate(indexer.redis, list(newsroom.articles(1000)), indexer.search, indexer.process.pid)
        print(f"\n2. indexing {args.index_articles:,} enriched articles (~350 words) per round, "
              f"{args.rounds} rounds alternating 0 and {args.standing} open streams"
              + (f", and this checkout with {args.against}" if args.against else ""))
        results: dict[tuple[str, int], list[tuple[float, float, float, int]]] = defaultdict(list)
        for round_ in range(args.rounds):
            for indexer in indexers:
                for count in conditions:
                    first = (round_ * 2 + (count > 0) + 1) * 10**6  # ids of their own
                    articles = [newsroom.article(n) for n in range(first, first + args.index_articles)]
                    row = await standing_round(indexer, articles, standing_queries(count))
                    results[indexer.label, count].append(row)
                    rate, cpu_ms, all_ms, events, expected, clients = row
                    print(f"  round {round_ + 1}, {indexer.label}, {count:>5} streams: {rate:6,.0f} docs/s, "
                          f"{cpu_ms:5.1f} CPU ms per article ({all_ms:4.1f} until every event left), "
                          f"{events:,} events of {expected:,} matches (the clients' CPU: {clients:.1f} ms an article)")
        for indexer in indexers:
            for count in conditions:
                rows = results[indexer.label, count]
                rate = statistics.median(r[0] for r in rows)
                cpu = statistics.median(r[1] for r in rows)
                every = statistics.median(r[2] for r in rows)
                print(f"  median, {indexer.label}, {count:>5} streams: {rate:6,.0f} docs/s, {cpu:5.1f} CPU ms "
                      f"per article ({every:4.1f} until every event left), {sum(r[3] for r in rows):,} events "
                      f"of {sum(r[4] for r in rows):,} matches{'  (baseline)' if count == 0 else ''}")
            print(f"  {indexer.label}: " + _match_seconds((await indexer.search.get("/metrics")).text))
        for indexer in indexers:
            await indexer.search.aclose()
            indexer.redis.close()


async def standing_round(indexer: Indexer, articles: list,
                         queries: list[dict]) -> tuple[float, float, float, int, int, float]:
    """(docs/s, CPU ms per article, the same until the events left, events, matches, this
    process's CPU ms per article) with ``queries`` open: matches are what /v1/search counts
    among the round's articles."""
    async with listening(indexer.base, queries, timed=False) as listener:
        before = await totals(indexer.base, queries)
        clients = time.process_time()
        rate, cpu_ms, all_ms = await indexing_rate(indexer.redis, articles, indexer.search,
                                                   indexer.process.pid, listener)
        clients = (time.process_time() - clients) * 1000 / len(articles)
        expected = sum(await totals(indexer.base, queries)) - sum(before)
        return rate, cpu_ms, all_ms, await delivered(listener, expected), expected, clients


async def totals(base: str, queries: list[dict]) -> list[int]:
    """Each query's matches in the index now (as /v1/search counts them)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        found = []
        for query in queries:
            response = await client.get("/v1/search", params={**query, "size": "0"})
            found.append(response.raise_for_status().json()["total"])
        return found


async def delivered(listener: Listener, expected: int, within_s: float = 60.0) -> int:
    """The events that arrived, once all ``expected`` have (or ``within_s`` passed)."""
    deadline = time.monotonic() + within_s
    while listener.events < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return listener.events


def _match_seconds(metrics: str) -> str:
    count = total = 0.0
    for line in metrics.splitlines():
        if line.startswith("dateline_stream_match_seconds_count"):
            count = float(line.split()[-1])
        elif line.startswith("dateline_stream_match_seconds_sum"):
            total = float(line.split()[-1])
    return f"ticks: {count:,.0f}, {1000 * total / max(count, 1):.1f} ms each on average"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=20, help="articles posted per latency round and condition")
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between two posts")
    parser.add_argument("--streams", type=int, default=100, help="open streams in the latency phase")
    parser.add_argument("--standing", type=int, default=1000, help="standing queries in the indexing phase")
    parser.add_argument("--index-articles", type=int, default=3000, help="articles indexed per indexing round")
    parser.add_argument("--rounds", type=int, default=3, help="indexing rounds per condition, alternating")
    parser.add_argument("--against", metavar="CHECKOUT", help="another checkout (e.g. /work/main) whose index "
                        "service is measured in the same rounds, turn about (run in this checkout's environment)")
    parser.add_argument("--part", choices=("all", "latency", "indexing"), default="all")
    args = parser.parse_args()
    print(f"stream benchmark: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    if args.part in ("all", "latency"):
        asyncio.run(latency(args))
    if args.part in ("all", "indexing"):
        asyncio.run(indexing_cost(args))
    print(f"load average {os.getloadavg()[0]:.2f} at the end (other work on the machine slows every figure)")


if __name__ == "__main__":
    main()

"""The ingest benchmark: articles/s through the HTTP service vs raw redis-py XADD.

    python -m bench.ingest                  # make bench-ingest
    python -m bench.ingest --rounds 1       # a quick look while developing

Runs a private Redis and `python -m services.ingest` (as deployed: uvicorn, JSON logs at
INFO, one process), then, for each round, with fresh articles (~3 kB of English text, no
language given, so detection runs):

- single: one article per POST, ``--connections`` keep-alive connections in parallel;
- bulk:   NDJSON batches of ``--batch`` articles, two connections in parallel;
- bulk HTML: the same with ~4 kB HTML pages instead of text (trafilatura extraction);

and the baseline for each, in the same run, on the same Redis: redis-py XADD of the same
payloads (single: one awaited XADD per article over the same number of connections;
bulk: one pipelined MULTI/EXEC per batch). Prints medians over the rounds, the ratio,
and articles per second of CPU time the ingest process itself used: on a machine shared
with other work, wall-clock figures say how much CPU ingest was given, that one says what
it does with it. Goal on 2 cores: single POSTs >= 1,000/s, bulk >= 5,000/s. The HTTP
client is a minimal asyncio HTTP/1.1 client, so that its own cost stays small next to the
server's. ``--log-level WARNING`` shows what the per-article log lines cost;
``--fsync everysec,always`` compares Redis's AOF fsync policies (what a 202 costs when it
must survive a power loss), each on its own Redis and ingest, rounds alternating.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import msgspec
import redis.asyncio as aioredis

from shared.redis_server import PrivateRedis, free_port
from shared.streams import RAW

KEY = "bench-key"
SEED = 20261124
BASELINE_STREAM = "bench:xadd"

VOCABULARY = (
    "council harbour budget minister election river bridge police court hospital school "
    "farmers market storm flood road station festival museum union workers strike talks "
    "government parliament village city region border trade report residents mayor said "
    "on tuesday after months of debate the new plan would cost more than expected and "
    "officials hope that repairs start in spring while critics warn about delays"
)
WORDS = tuple(VOCABULARY.split())


# -- payloads --------------------------------------------------------------------------


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."
        for _ in range(sentences)
    )


def text_articles(rng: random.Random, count: int, tag: str) -> list[bytes]:
    return [
        msgspec.json.encode({
            "url": f"https://news.example.com/{tag}/story-{n}?utm_source=bench",
            "title": _paragraph(rng, 1)[:90],
            "text": "\n\n".join(_paragraph(rng, 5) for _ in range(5)),
            "published_at": "2026-11-24T10:00:00Z",
        })
        for n in range(count)
    ]


def html_articles(rng: random.Random, count: int, tag: str) -> list[bytes]:
    def page() -> str:
        paragraphs = "".join(f"<p>{_paragraph(rng, 4)}</p>" for _ in range(6))
        return (
            "<html><head><title>Story</title><script>var t = 1;</script></head><body>"
            "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<article><h1>{_paragraph(rng, 1)[:80]}</h1>{paragraphs}</article>"
            "<footer>Copyright the Example News. All rights reserved.</footer></body></html>"
        )

    return [
        msgspec.json.encode({
            "url": f"https://news.example.com/{tag}/page-{n}",
            "title": _paragraph(rng, 1)[:90],
            "html": page(),
        })
        for n in range(count)
    ]


def batches(items: list[bytes], size: int) -> list[list[bytes]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# -- a minimal keep-alive HTTP/1.1 client ---------------------------------------------


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader
        self.writer: asyncio.StreamWriter

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def post(self, body: bytes, content_type: str) -> int:
        head = (
            f"POST /v1/articles HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        self.writer.close()


async def _spread(jobs: list, workers: int, run: Callable[[int, object], Awaitable[None]]) -> float:
    """Run ``jobs`` over ``workers`` parallel lanes; return elapsed seconds."""
    queue = list(reversed(jobs))

    async def lane(number: int) -> None:
        while queue:
            await run(number, queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(lane(n) for n in range(workers)))
    return time.perf_counter() - started


# -- the measured paths ----------------------------------------------------------------


async def http_single(port: int, articles: list[bytes], connections: int) -> float:
    lanes = [await Connection(port).open() for _ in range(connections)]

    async def send(lane: int, article: bytes) -> None:
        status = await lanes[lane].post(article, "application/json")
        assert status == 202, f"ingest answered {status}"

    elapsed = await _spread(articles, connections, send)
    for lane in lanes:
        lane.close()
    return len(articles) / elapsed


async def http_bulk(port: int, articles: list[bytes], size: int, connections: int = 2) -> float:
    lanes = [await Connection(port).open() for _ in range(connections)]

    async def send(lane: int, batch: list[bytes]) -> None:
        status = await lanes[lane].post(b"\n".join(batch), "application/x-ndjson")
        assert status == 202, f"ingest answered {status}"

    elapsed = await _spread(batches(articles, size), connections, send)
    for lane in lanes:
        lane.close()
    return len(articles) / elapsed


async def xadd_single(redis_url: str, articles: list[bytes], connections: int) -> float:
    client = aioredis.Redis.from_url(redis_url, max_connections=connections)

    async def add(_lane: int, article: bytes) -> None:
        await client.xadd(BASELINE_STREAM, {"__data__": article})

    elapsed = await _spread(articles, connections, add)
    await client.aclose()
    return len(articles) / elapsed


async def xadd_bulk(redis_url: str, articles: list[bytes], size: int, connections: int = 2) -> float:
    client = aioredis.Redis.from_url(redis_url, max_connections=connections)

    async def add(_lane: int, batch: list[bytes]) -> None:
        async with client.pipeline(transaction=True) as pipe:
            for article in batch:
                pipe.xadd(BASELINE_STREAM, {"__data__": article})
            await pipe.execute()

    elapsed = await _spread(batches(articles, size), connections, add)
    await client.aclose()
    return len(articles) / elapsed


# -- the service -----------------------------------------------------------------------


def start_ingest(redis_url: str, port: int, log_path: Path, log_level: str) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")},
        "DATELINE_REDIS_URL": redis_url,
        "DATELINE_API_KEYS": KEY,
        "DATELINE_INGEST_PORT": str(port),
        "DATELINE_LOG_FORMAT": "json",
        "DATELINE_LOG_LEVEL": log_level,
        "DATELINE_MAX_BACKLOG": "100000000",  # no enrich workers here: never push back
    }
    log = log_path.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "services.ingest"], env=env, stderr=log, stdout=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ingest exited with {process.returncode}; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"ingest not ready in 60 s; see {log_path}")


async def empty_streams(redis_url: str) -> None:
    # Keep memory flat between rounds; XTRIM keeps the groups (a FLUSHALL would not).
    client = aioredis.Redis.from_url(redis_url)
    await client.xtrim(RAW, maxlen=0)
    await client.delete(BASELINE_STREAM)
    await client.aclose()


# -- the run ---------------------------------------------------------------------------


class Figures(msgspec.Struct):
    http: float  # articles/s through ingest
    xadd: float  # articles/s with raw XADD of the same payloads
    cpu: float  # articles per second of the ingest process's own CPU time


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(pid: int, count: int, http: Awaitable[float], xadd: Awaitable[float]) -> Figures:
    before = cpu_seconds(pid)
    http_rate = await http
    used = cpu_seconds(pid) - before
    return Figures(http=http_rate, xadd=await xadd, cpu=count / used if used else float("inf"))


async def one_round(redis_url: str, port: int, pid: int, round_no: int, args) -> dict[str, Figures]:
    rng = random.Random(SEED + round_no)
    single = text_articles(rng, args.single, f"single-{round_no}")
    bulk = text_articles(rng, args.bulk, f"bulk-{round_no}")
    html = html_articles(rng, args.html, f"html-{round_no}")
    figures = {
        "single POST (text)": await measure(
            pid, len(single),
            http_single(port, single, args.connections),
            xadd_single(redis_url, single, args.connections),
        ),
        f"bulk NDJSON x{args.batch} (text)": await measure(
            pid, len(bulk), http_bulk(port, bulk, args.batch), xadd_bulk(redis_url, bulk, args.batch)
        ),
        f"bulk NDJSON x{args.batch} (HTML)": await measure(
            pid, len(html), http_bulk(port, html, args.batch), xadd_bulk(redis_url, html, args.batch)
        ),
    }
    await empty_streams(redis_url)
    return figures


def report(rounds: list[dict[str, Figures]], args) -> None:
    goals = {"single": 1_000, "bulk": 5_000}
    print(f"\ningest throughput, articles/s, median of {len(rounds)} round(s) "
          f"(single: {args.single} articles over {args.connections} connections; "
          f"bulk: {args.bulk} text / {args.html} HTML articles over 2 connections)")
    print(f"{'path':<28}{'ingest HTTP':>12}{'raw XADD':>10}{'ratio':>7}"
          f"{'per ingest CPU-s':>18}{'goal':>7}")
    for path in rounds[0]:
        http = statistics.median(r[path].http for r in rounds)
        xadd = statistics.median(r[path].xadd for r in rounds)
        cpu = statistics.median(r[path].cpu for r in rounds)
        goal = goals["single" if path.startswith("single") else "bulk"] if "HTML" not in path else None
        verdict = "" if goal is None else ("met" if http >= goal else "missed")
        print(f"{path:<28}{http:>12,.0f}{xadd:>10,.0f}{http / xadd:>7.2f}{cpu:>18,.0f}{verdict:>7}")
    print("\nper round, HTTP / XADD: "
          + "; ".join(", ".join(f"{f.http:,.0f}/{f.xadd:,.0f}" for f in r.values()) for r in rounds))
    print("'per ingest CPU-s': articles per second of CPU the ingest process used, which the "
          "machine's other load does not change much")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--single", type=int, default=3_000, help="articles POSTed one by one")
    parser.add_argument("--bulk", type=int, default=20_000, help="text articles POSTed as NDJSON")
    parser.add_argument("--html", type=int, default=2_000, help="HTML articles POSTed as NDJSON")
    parser.add_argument("--batch", type=int, default=500, help="articles per NDJSON request")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--log-level", default="INFO", help="ingest's; INFO logs every article")
    parser.add_argument("--fsync", default="off",
                        help="Redis AOF policies to compare, comma-separated: off, everysec, always "
                             "(e.g. everysec,always: one Redis and ingest each, rounds alternating)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="dateline-bench-ingest-"))
    policies = args.fsync.split(",")
    if unknown := set(policies) - set(FSYNC_POLICIES):
        parser.error(f"--fsync: unknown {', '.join(sorted(unknown))}; choose from {', '.join(FSYNC_POLICIES)}")
    rounds: dict[str, list[dict[str, Figures]]] = {policy: [] for policy in policies}
    with contextlib.ExitStack() as running:
        targets = {policy: running.enter_context(_ingest_on_redis(workdir, policy, args.log_level))
                   for policy in policies}
        for round_no in range(args.rounds):  # policies alternate: the machine's load hits each alike
            for policy, (redis_url, port, pid) in targets.items():
                rounds[policy].append(asyncio.run(one_round(redis_url, port, pid, round_no, args)))
            print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
    for policy in policies:
        if len(policies) > 1 or policy != "off":
            print(f"\n== Redis {FSYNC_POLICIES[policy]} ==")
        report(rounds[policy], args)


FSYNC_POLICIES = {
    "off": "without AOF",
    "everysec": "AOF, appendfsync everysec",
    "always": "AOF, appendfsync always",
}


@contextlib.contextmanager
def _ingest_on_redis(workdir: Path, policy: str, log_level: str):
    """A private Redis with the given AOF fsync policy and an ingest process in front of it."""
    options = {"appendonly": True, "fsync": policy} if policy != "off" else {}
    with PrivateRedis(directory=workdir / f"redis-{policy}", **options) as redis:
        port = free_port()
        ingest = start_ingest(redis.url, port, workdir / f"ingest-{policy}.log", log_level)
        try:
            yield redis.url, port, ingest.pid
        finally:
            ingest.terminate()
            ingest.wait(timeout=30)


if __name__ == "__main__":
    main()

"""The enrich worker end to end: articles/s through 1 and 2 worker processes on Redis.

    python -m bench.enrich_worker [--repeats 3] [--copies 1]

Baseline, measured in the same run on the same articles: the Enricher alone in this
process (``enrich_batch`` over batches of ``enrich_batch_size``), no Redis. Then real
``python -m services.enrich`` processes on a private redis-server: all articles are
published to ``dateline:raw`` once the workers are ready, and the clock runs until the
last enriched article is on ``dateline:enriched``. Prints medians, the ratios to the
baseline, CPU time per article (which other load on the machine does not inflate, unlike
wall-clock rates) and each worker's RSS. Articles: the GeoWebNews texts in ../shared/data/geo.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import signal
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec
import redis.asyncio as aioredis

from shared.redis_server import PrivateRedis, free_port
from shared.schemas import RawArticle
from shared.settings import Settings, load_settings
from shared.streams import ENRICHED, RAW, add_all, ensure_groups

ROOT = Path(__file__).resolve().parent.parent
GWN = ROOT.parent / "shared" / "data" / "geo" / "GWN.xml"


def gwn_articles(copies: int) -> list[RawArticle]:
    tree = ET.parse(GWN)
    received = datetime.now(UTC)
    articles = []
    for copy in range(copies):
        for node in tree.getroot().iter("article"):
            link = f"{node.findtext('link') or ''}#{copy}"
            text = node.findtext("text") or ""
            articles.append(
                RawArticle(
                    id=hashlib.md5(link.encode()).hexdigest(),
                    url=link,
                    canonical_url=link,
                    source="bench",
                    title=(node.findtext("title") or "untitled").strip() or "untitled",
                    text=text,
                    language="en",
                    published_at=None,
                    received_at=received,
                    content_hash=hashlib.sha256(text.encode()).hexdigest(),
                )
            )
    return articles


class Rate(msgspec.Struct):
    articles_per_s: float  # wall clock
    cpu_ms_per_article: float  # CPU time of the process(es) doing the work


def baseline(settings: Settings, articles: list[RawArticle], repeats: int) -> tuple[Rate, float]:
    """The Enricher alone (median of ``repeats``), and its load time in seconds."""
    from services.enrich import Enricher

    started = time.perf_counter()
    enricher = Enricher.load(settings)
    load_s = time.perf_counter() - started
    size = settings.enrich_batch_size
    rates = []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(articles), size):
            enricher.enrich_batch(articles[i : i + size])
        rates.append(_rate(articles, time.perf_counter() - started, time.process_time() - cpu))
    return _median(rates), load_s


class Workers:
    """N real worker processes on one Redis, each with its own metrics port."""

    def __init__(self, redis_url: str, n: int) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
        env |= {"DATELINE_REDIS_URL": redis_url, "DATELINE_LOG_LEVEL": "WARNING"}
        self.ports = [free_port() for _ in range(n)]
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "services.enrich"],
                cwd=ROOT,
                env=env | {"DATELINE_ENRICH_METRICS_PORT": str(port)},
                stdout=subprocess.DEVNULL,
            )
            for port in self.ports
        ]

    def wait_ready(self, timeout_s: float = 180) -> None:
        deadline = time.monotonic() + timeout_s
        waiting = list(self.ports)
        while waiting:
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers on ports {waiting} not ready in {timeout_s} s")
            for port in list(waiting):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                        waiting.remove(port)
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)

    def cpu_s(self) -> float:
        return sum(_cpu_s(p.pid) for p in self.procs)

    def rss_mb(self) -> list[float]:
        return [_rss_mb(p.pid) for p in self.procs]

    def stop(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            p.wait(timeout=60)


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def one_run(redis_url: str, articles: list[RawArticle]) -> float:
    """Publish everything, return the seconds until the last one is enriched."""
    redis = aioredis.Redis.from_url(redis_url)
    try:
        started = time.perf_counter()
        await add_all(redis, RAW, articles)
        while await redis.xlen(ENRICHED) < len(articles):
            await asyncio.sleep(0.02)
        return time.perf_counter() - started
    finally:
        await redis.aclose()


async def reset(redis_url: str) -> None:
    redis = aioredis.Redis.from_url(redis_url)
    await redis.flushall()
    await ensure_groups(redis)
    await redis.aclose()


def through_workers(
    redis_url: str, n: int, articles: list[RawArticle], repeats: int
) -> tuple[Rate, list[float]]:
    asyncio.run(reset(redis_url))
    workers = Workers(redis_url, n)
    try:
        workers.wait_ready()
        rates = []
        for _ in range(repeats):
            cpu = workers.cpu_s()
            seconds = asyncio.run(one_run(redis_url, articles))
            rates.append(_rate(articles, seconds, workers.cpu_s() - cpu))
            asyncio.run(_clear_outputs(redis_url))
        return _median(rates), workers.rss_mb()
    finally:
        workers.stop()


async def _clear_outputs(redis_url: str) -> None:
    redis = aioredis.Redis.from_url(redis_url)
    await redis.delete(ENRICHED)
    await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--copies", type=int, default=1, help="how many times to repeat the corpus")
    args = parser.parse_args()
    if not GWN.is_file():
        sys.exit(f"GeoWebNews not found at {GWN} (team-only data; see ../shared/data/README.md)")
    settings = load_settings()
    articles = gwn_articles(args.copies)
    words = sum(len(a.title.split()) + len(a.text.split()) for a in articles)
    print(
        f"{len(articles)} GeoWebNews articles, {words} words, batch size {settings.enrich_batch_size}, "
        f"{args.repeats} repeats, {os.cpu_count()} CPUs, load average {_load()}"
    )
    base, load_s = baseline(settings, articles, args.repeats)
    with PrivateRedis() as server:
        one, rss1 = through_workers(server.url, 1, articles, args.repeats)
        two, rss2 = through_workers(server.url, 2, articles, args.repeats)
    per_article = words / len(articles)
    print(
        f"{'':32} {'articles/s':>10} {'words/s':>8} {'x baseline':>10} {'CPU ms/article':>15}  RSS MB"
    )
    for name, rate, rss in (
        (f"Enricher in-process (load {load_s:.1f} s)", base, []),
        ("1 worker process", one, rss1),
        ("2 worker processes", two, rss2),
    ):
        print(
            f"{name:32} {rate.articles_per_s:10.1f} {rate.articles_per_s * per_article:8.0f}"
            f" {rate.articles_per_s / base.articles_per_s:10.2f} {rate.cpu_ms_per_article:15.1f}"
            f"  {', '.join(f'{r:.0f}' for r in rss)}"
        )
    print(f"2 workers / 1 worker: {two.articles_per_s / one.articles_per_s:.2f} x")
    print(f"load average after: {_load()} (other processes on these CPUs skew the figures)")


def _rate(articles: list[RawArticle], seconds: float, cpu_s: float) -> Rate:
    return Rate(len(articles) / seconds, cpu_s * 1000 / len(articles))


def _median(rates: list[Rate]) -> Rate:
    return Rate(
        statistics.median(r.articles_per_s for r in rates),
        statistics.median(r.cpu_ms_per_article for r in rates),
    )


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()

"""One long article must not stall everyone: how long small articles posted right after a
1 M-character one take to become searchable, through the whole running system.

Starts Redis, ingest, the enrich workers and index as separate processes (dateline.stack),
waits until a first small article is searchable (models loaded), then, in one run:
- baseline: 100 small articles posted one by one, evenly over ``--spread`` seconds (90:
  longer than the 60 s after which a silent worker's entries are claimed), each timed
  from its POST (202) until GET /v1/articles/{id} finds it;
- the same with a long article (bench/long_text.py, about 1 M characters) posted just
  before them; and the long article's own time to searchable.
Prints median, p95 and max per phase, and how many were not searchable by the deadline
(``--deadline`` seconds after the last POST).

    python -m bench.long_article [--chars 1000000] [--small 100] [--spread 90] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

from bench.long_text import long_news_text
from bench.pipeline import KEY, stack_env
from dateline.samples import sample_articles
from dateline.stack import ingest_url, search_url, supervised
from shared.settings import Settings, load_settings

POLL_S = 0.02
SEARCH_ERRORS: list[str] = []  # lookups that got no answer at all


class Timing(msgspec.Struct):
    article_id: str
    posted: float  # perf_counter when its 202 came back
    searchable: float | None = None  # perf_counter when search first found it


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="dateline-bench-long-") as data_dir:
        env = stack_env(data_dir)
        settings = load_settings(env)
        with supervised(settings, args.workers, Path(data_dir) / "logs", env):
            asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> None:
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    async with (
        httpx.AsyncClient(base_url=ingest_url(settings), headers=headers, timeout=120) as ingest,
        httpx.AsyncClient(base_url=search_url(settings), timeout=60) as search,
    ):
        await _phase(ingest, search, _small("warm-up", 1, seed=1), spread_s=0, deadline_s=300)
        baseline = await _phase(
            ingest, search, _small("baseline", args.small, seed=2), args.spread, args.deadline
        )
        text = long_news_text(args.chars)
        long, *behind = await _phase(
            ingest,
            search,
            [_long_article(text), *_small("behind", args.small, seed=3)],
            args.spread,
            args.deadline,
        )
    load = os.getloadavg()[0]
    print(f"{args.workers} enrich worker(s); load average {load:.1f} at the end", end="")
    print(f"; {len(SEARCH_ERRORS)} lookups got no answer" if SEARCH_ERRORS else "")
    _report(f"baseline: {args.small} small articles over {args.spread:.0f} s, alone (s)", baseline)
    _report(f"the same right after a {len(text):,}-character article (s)", behind)
    _report(f"the {len(text):,}-character article (s)", [long])


async def _phase(
    ingest: httpx.AsyncClient,
    search: httpx.AsyncClient,
    articles: list[dict],
    spread_s: float,
    deadline_s: float,
) -> list[Timing]:
    """Post ``articles`` evenly over ``spread_s`` seconds while timing each to searchable."""
    timings: list[Timing] = []
    posting = asyncio.create_task(_post_spread(ingest, articles, spread_s, timings))
    await _until_searchable(search, timings, posting, deadline_s)
    await posting
    return timings


def _small(phase: str, count: int, seed: int) -> list[dict]:
    articles = sample_articles(count, seed=seed)
    for n, article in enumerate(articles):  # a URL of its own in each phase: never a duplicate
        article["url"] = article["url"].replace("://", f"://{phase}-{n}.", 1)
    return articles


def _long_article(text: str) -> dict:
    return {
        "url": "https://longreads.example/2026/11/30/a-year-of-reports",
        "title": "A year of reports from Lagos, Mosul and Lima",
        "text": text,
        "language": "en",
    }


async def _post_spread(
    ingest: httpx.AsyncClient, articles: list[dict], spread_s: float, timings: list[Timing]
) -> None:
    """One POST per article, one after the other, as an upstream feed would."""
    started = time.perf_counter()
    for n, article in enumerate(articles):
        await asyncio.sleep(max(0.0, started + n * spread_s / len(articles) - time.perf_counter()))
        response = await ingest.post("/v1/articles", content=msgspec.json.encode(article))
        if response.status_code != 202:
            raise SystemExit(f"ingest answered {response.status_code}: {response.text[:300]}")
        [result] = response.json()["results"]
        timings.append(Timing(article_id=result["id"], posted=time.perf_counter()))


async def _until_searchable(
    search: httpx.AsyncClient,
    timings: list[Timing],
    posting: asyncio.Task[None],
    deadline_s: float,
) -> None:
    """Poll every posted article not yet found, all at once, until all are posted and
    found, or ``deadline_s`` after the last POST."""
    deadline = math.inf
    while time.perf_counter() < deadline:
        if posting.done():
            if posting.exception() is not None:
                return
            deadline = min(deadline, max(t.posted for t in timings) + deadline_s)
        waiting = [t for t in timings if t.searchable is None]
        if posting.done() and not waiting:
            return
        found = await asyncio.gather(*(_found(search, t.article_id) for t in waiting))
        now = time.perf_counter()
        for timing, here in zip(waiting, found, strict=True):
            if here:
                timing.searchable = now
        await asyncio.sleep(POLL_S)


async def _found(search: httpx.AsyncClient, article_id: str) -> bool:
    try:
        return (await search.get(f"/v1/articles/{article_id}")).status_code == 200
    except httpx.TransportError:  # search restarting: not found yet, asked again next round
        SEARCH_ERRORS.append(article_id)
        return False


def _report(title: str, timings: list[Timing]) -> None:
    waits = sorted(t.searchable - t.posted for t in timings if t.searchable is not None)
    missing = len(timings) - len(waits)
    print(f"{title}:")
    if waits:
        print(f"  median {statistics.median(waits):.2f}  p95 {_p95(waits):.2f}  max {max(waits):.2f}")
    if missing:
        print(f"  {missing} of {len(timings)} not searchable by the deadline")


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chars", type=int, default=1_000_000, help="length of the long text")
    parser.add_argument("--small", type=int, default=100, help="small articles per phase")
    parser.add_argument(
        "--spread", type=float, default=90, help="seconds over which a phase's articles are posted"
    )
    parser.add_argument("--workers", type=int, default=2, help="enrich worker processes")
    parser.add_argument(
        "--deadline", type=float, default=600, help="seconds after a phase's last POST to wait"
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()

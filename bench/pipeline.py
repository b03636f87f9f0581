"""Time from 202 to searchable, and bulk throughput, through the whole running system.

Starts Redis, ingest, two enrich workers and index as separate processes (dateline.stack),
then measures:
- latency: one article at a time, from POST (202) until GET /v1/articles/{id} finds it;
- baseline in the same run: enriching the same article in this process (the part of the
  latency that is NER and geotagging, not the pipeline);
- bulk: N articles in NDJSON batches of 100, from the first POST until all are searchable.

    python -m bench.pipeline [--latency 30] [--bulk 1000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec

from dateline.samples import sample_articles
from dateline.stack import free_ports, ingest_url, search_url, supervised
from shared.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


def stack_env(data_dir: str) -> dict[str, str]:
    """The settings of a benchmark's own stack: its data dir, free ports, the bench key."""
    return {
        "DATELINE_DATA_DIR": data_dir,
        "DATELINE_GAZETTEER_PATH": str(ROOT / "data" / "gazetteer"),
        "DATELINE_API_KEYS": KEY,
        **free_ports(),
        "DATELINE_LOG_LEVEL": "WARNING",
    }


@contextmanager
def running_stack(data_dir: str, **extra_env: str) -> Iterator[Settings]:
    """Redis, ingest, two enrich workers and index, ready; stopped on leaving."""
    env = {**stack_env(data_dir), **extra_env}
    settings = load_settings(env)
    with supervised(settings, 2, Path(data_dir) / "logs", env):
        yield settings


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="dateline-bench-") as data_dir, running_stack(data_dir) as settings:
        _run(settings, args)


def _run(settings, args) -> None:
    ingest = httpx.Client(base_url=ingest_url(settings), headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
    search = httpx.Client(base_url=search_url(settings), timeout=60)
    articles = sample_articles(args.latency + args.bulk, seed=99)
    latencies = [_time_to_searchable(ingest, search, a) for a in articles[: args.latency]]
    baseline = _enrichment_alone(articles[: args.latency])
    bulk_rate = _bulk(ingest, search, articles[args.latency :])
    print(f"time from 202 to searchable, {args.latency} single articles (ms):")
    print(f"  median {statistics.median(latencies):.0f}  p95 {_p95(latencies):.0f}  max {max(latencies):.0f}")
    print(f"baseline, the same articles enriched in-process, one at a time (ms): median {statistics.median(baseline):.0f}")
    print(f"pipeline overhead beyond enrichment (median): {statistics.median(latencies) - statistics.median(baseline):.0f} ms")
    print(f"bulk: {args.bulk} articles from first POST to all searchable: {bulk_rate:.1f} articles/s")


def _time_to_searchable(ingest: httpx.Client, search: httpx.Client, article: dict) -> float:
    started = time.perf_counter()
    response = ingest.post("/v1/articles", content=msgspec.json.encode(article),
                           headers={"Content-Type": "application/json"})
    article_id = response.json()["results"][0]["id"]
    while search.get(f"/v1/articles/{article_id}").status_code != 200:
        time.sleep(0.005)
    return (time.perf_counter() - started) * 1000


def _enrichment_alone(articles: list[dict]) -> list[float]:
    from datetime import UTC, datetime

    from services.enrich import Enricher
    from services.ingest.normalise import normalise
    from shared.schemas import ArticleIn
    from shared.settings import Settings

    enricher = Enricher.load()
    timings = []
    for article in articles:
        raw = normalise(msgspec.convert(article, ArticleIn), datetime.now(UTC), Settings().enrich_max_chars)
        started = time.perf_counter()
        list(enricher.enrich_many([raw]))
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _bulk(ingest: httpx.Client, search: httpx.Client, articles: list[dict]) -> float:
    before = search.get("/v1/stats").json()["documents"]
    started = time.perf_counter()
    for n in range(0, len(articles), 100):
        body = b"\n".join(msgspec.json.encode(a) for a in articles[n : n + 100])
        ingest.post("/v1/articles", content=body, headers={"Content-Type": "application/x-ndjson"})
    while search.get("/v1/stats").json()["documents"] - before < len(articles):
        time.sleep(0.05)
    return len(articles) / (time.perf_counter() - started)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=int, default=30, help="single articles timed one by one")
    parser.add_argument("--bulk", type=int, default=1000, help="articles in the bulk load")
    return parser.parse_args()


if __name__ == "__main__":
    main()

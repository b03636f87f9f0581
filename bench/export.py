"""The export benchmark: whole matches streamed by a search process, up to a million rows.

    python -m bench.export                          # 1,000,000 short articles (make bench-export)
    python -m bench.export --articles 200000        # the search benchmark's size
    python -m bench.export --keep /tmp/idx          # build once, export again later

Builds an index of generated articles (bench.search's newsroom, ~40 words each so a
million index in minutes), starts a read-only search process, and downloads exports of
matches from a few thousand rows to the whole index, each as CSV and as NDJSON. For each:
time to first byte, rows/s, MB/s, and the search process's anonymous memory (RssAnon,
its heap: the index's pages mapped from disk are not counted) sampled every 50 ms, at
its peak during the download. Baseline in the same run: paging the same match through
``GET /v1/search`` 100 hits at a time with ``cursor``, as a client had to before.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Self
from urllib.parse import urlencode

import httpx

from bench.search import CITIES, Newsroom, index_articles, search_process
from services.index.tantivy_store import ArticleStore

WORDS = (30, 50)
PAGE = 100


def build(data_dir: Path, articles: int) -> None:
    store = ArticleStore(data_dir / "index", writable=True)
    try:
        have = store.stats().documents
        if have >= articles:
            print(f"index: {have:,} articles already in {data_dir}")
            return
        made = itertools.islice(Newsroom(words=WORDS).articles(articles), have, articles)
        count, rate, _ = index_articles(store, made, 5000)
        print(f"indexed {count:,} articles at {rate:,.0f} docs/s (generation included)")
    finally:
        store.close()


class AnonMemory:
    """The peak of a process's RssAnon while inside, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self._status = Path(f"/proc/{pid}/status")
        self.peak_kib = 0
        self._done = threading.Event()

    def now_kib(self) -> int:
        for line in self._status.read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
        return 0

    def __enter__(self) -> Self:
        self.peak_kib = self.now_kib()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            self.peak_kib = max(self.peak_kib, self.now_kib())


def export(client: httpx.Client, pid: int, query: dict) -> tuple[int, float, float, int, int]:
    """(rows, seconds to the first byte, seconds in all, bytes, peak RssAnon KiB)."""
    started = time.perf_counter()
    first = None
    size = lines = 0
    with AnonMemory(pid) as memory, client.stream("GET", "/v1/export?" + urlencode(query)) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            first = first or time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
    header = 1 if query.get("format", "csv") == "csv" else 0
    return lines - header, first or 0.0, time.perf_counter() - started, size, memory.peak_kib


def paged(client: httpx.Client, query: dict, limit: int) -> tuple[int, float]:
    """(rows, seconds) paging ``/v1/search`` by cursor, up to ``limit`` rows."""
    started, rows, cursor = time.perf_counter(), 0, None
    while rows < limit:
        params = {**query, "sort": "newest", "size": PAGE, **({"cursor": cursor} if cursor else {})}
        body = client.get("/v1/search?" + urlencode(params)).raise_for_status().json()
        rows += len(body["hits"])
        cursor = body.get("next_cursor")
        if not cursor:
            break
    return rows, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="index here and keep it (default: a temp dir)")
    parser.add_argument("--baseline-rows", type=int, default=20_000, help="rows paged through /v1/search")
    args = parser.parse_args()
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="dateline-bench-export-"))
    try:
        build(data_dir, args.articles)
        run(data_dir, args.baseline_rows)
    finally:
        if args.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(data_dir: Path, baseline_rows: int) -> None:
    city = CITIES[0]
    matches = {
        "entity (one person)": {"entity": "PERSON:Ana Duval"},
        "text, one topic word": {"q": "flood"},
        "bbox, 8 x 6 degrees": {"bbox": f"{city[2] - 4},{city[1] - 3},{city[2] + 4},{city[1] + 3}"},
        "everything": {},
    }
    process, base = search_process(data_dir)
    try:
        with httpx.Client(base_url=base, timeout=600) as client:
            export(client, process.pid, {**matches["entity (one person)"], "format": "ndjson"})  # warm up
            idle = AnonMemory(process.pid).now_kib()
            print(f"\nsearch process RssAnon before the exports: {idle / 1024:,.0f} MiB")
            print(f"{'match':<22} {'format':<7} {'rows':>10} {'first byte':>10} {'rows/s':>9} {'MB/s':>6}"
                  f" {'RssAnon peak':>12}")
            for name, query in matches.items():
                for form in ("csv", "ndjson"):
                    rows, first, seconds, size, peak = export(client, process.pid, {**query, "format": form})
                    print(f"{name:<22} {form:<7} {rows:>10,} {first * 1000:>8.0f}ms {rows / seconds:>9,.0f}"
                          f" {size / seconds / 1e6:>6.1f} {peak / 1024:>9,.0f} MiB")
            rows, seconds = paged(client, matches["everything"], baseline_rows)
            print(f"\nbaseline: /v1/search paged {PAGE} at a time by cursor, newest first: {rows:,} rows in "
                  f"{seconds:.1f} s = {rows / seconds:,.0f} rows/s")
    finally:
        process.terminate()
        process.wait(timeout=60)


if __name__ == "__main__":
    main()

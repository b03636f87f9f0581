"""The search page's benchmark: its interactions over HTTP, and page loads in Chromium.

    python -m bench.page                          # 200,000 articles (make bench-page)
    python -m bench.page --articles 20000         # a quick look
    python -m bench.page --keep /tmp/page-bench   # keep the index; a second run reuses it

Indexes the search benchmark's generated news (bench/search.py), starts a read-only search
process, then times each interaction a person has with the page, as the server answers it
(the HTML of a whole page: one search with its facets, points and timeline, and the
rendering) and, as the baseline measured in the same run, the API request of the same
search (``/v1/search`` with the same facets and histogram). Then, where Debian's Chromium is
installed, the page load a person sees: navigation to the load event (HTML, stylesheet,
script and the map's shapes), first with an empty cache, then warm. Goals: a page load
under 1 s, interactions under 150 ms at p95.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.search import (
    CITIES,
    DAYS,
    FIRST,
    LAST,
    ORGS,
    SEED,
    START,
    TOPICS,
    Newsroom,
    index_articles,
    percentiles,
    search_process,
)
from services.index.tantivy_store import ArticleStore
from services.index.web.views import FACET_SIZE, FACETS, PAGE_SIZE

SAMPLES = 100  # requests per interaction
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# What the page asks of the store, as an API request: the baseline of every interaction.
API_EXTRA = {
    "size": PAGE_SIZE,
    "facets": ",".join([name for name, *_ in FACETS] + ["points"]),
    "facet_size": FACET_SIZE,
    "histogram": "day",
}


def interactions(rng: random.Random) -> dict[str, list[dict]]:
    """Parameter sets per interaction, sampled once so the page and the API run the same."""

    def word() -> str:
        return rng.choice(rng.choice(TOPICS).split())

    def window() -> dict:  # a month, as a drag over a timeline of weeks makes it
        first = START + timedelta(days=rng.randrange(DAYS - 30))
        return {
            "from": first.date().isoformat(),
            "to": (first + timedelta(days=30)).date().isoformat(),
        }

    def box() -> str:
        _, lat, lon, *_ = rng.choice(CITIES)
        return f"{max(-180, lon - 8):.2f},{lat - 6:.2f},{min(180, lon + 8):.2f},{lat + 6:.2f}"

    kinds = {
        "open the page": dict,
        "search two words": lambda: {"q": f"{word()} {word()}"},
        "click a facet": lambda: {
            "q": word(),
            "entity": f"PERSON:{rng.choice(FIRST)} {rng.choice(LAST)}",
        },
        "click an organisation": lambda: {"entity": f"ORG:{rng.choice(ORGS)}"},
        "drag the timeline": lambda: {"q": word(), **window()},
        "draw a box": lambda: {"bbox": box()},
        "click a point": lambda: {"place": str(1000 + rng.randrange(len(CITIES)))},
        "sort by newest": lambda: {"q": word(), "sort": "newest"},
    }
    return {name: [make() for _ in range(SAMPLES)] for name, make in kinds.items()}


def timed(client: httpx.Client, url: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed, response.text


def time_both(client: httpx.Client, queries: list[dict]) -> tuple[list[float], list[float]]:
    """(page, API) for each query, in turns so neither always finds the other's warm cache."""
    page, api = [], []
    for n, query in enumerate(queries):
        urls = ["/?" + urlencode(query), "/v1/search?" + urlencode(query | API_EXTRA)]
        first, second = (timed(client, url)[0] for url in (urls if n % 2 else urls[::-1]))
        page.append(second if n % 2 == 0 else first)
        api.append(first if n % 2 == 0 else second)
    return page, api


def time_more(client: httpx.Client, queries: list[dict]) -> list[float]:
    """The "more results" fragment after each query's first page."""
    samples = []
    for query in queries:
        _, html = timed(client, "/?" + urlencode(query))
        found = re.search(r'data-fragment="([^"]+)"', html)
        if found:
            samples.append(timed(client, unescape(found.group(1)))[0])
    return samples


def time_articles(client: httpx.Client, ids: list[str]) -> list[float]:
    return [timed(client, f"/articles/{article_id}")[0] for article_id in ids]


def row(name: str, page: list[float], api: list[float] | None = None) -> str:
    p50, p95, p99 = percentiles(page)
    line = f"{name:<24} {p50:>8.1f} {p95:>7.1f} {p99:>7.1f}"
    if api:
        b50, b95, _ = percentiles(api)
        line += f"   {b50:>8.1f} {b95:>7.1f}   {p50 - b50:>+8.1f}"
    return line


def browser_loads(base: str, urls: list[str]) -> tuple[list[float], list[float]] | None:
    """Navigation start to the load event, in ms: each URL in a fresh context (empty cache),
    then again in one warm context."""
    if not Path(CHROMIUM).exists():
        print(f"\n(no Chromium at {CHROMIUM}: page loads in a browser not measured)")
        return None
    from playwright.sync_api import sync_playwright

    script = "(() => { const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd - t.startTime; })()"
    cold, warm = [], []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for url in urls:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            tab = context.new_page()
            tab.goto(base + url, wait_until="load")
            cold.append(tab.evaluate(script))
            context.close()
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        tab = context.new_page()
        tab.goto(base + "/", wait_until="load")
        for url in urls:
            tab.goto(base + url, wait_until="load")
            warm.append(tab.evaluate(script))
        browser.close()
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument(
        "--keep", type=Path, help="index here and keep it; an index already there is reused"
    )
    parser.add_argument("--samples", type=int, default=SAMPLES, help="requests per interaction")
    args = parser.parse_args()
    globals()["SAMPLES"] = args.samples
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="dateline-bench-page-"))
    try:
        run(data_dir, args.articles)
    finally:
        if args.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(data_dir: Path, articles: int) -> None:
    store = ArticleStore(data_dir / "index", writable=True)
    if store.stats().documents < articles:
        print(f"indexing {articles:,} generated articles (seed {SEED})", flush=True)
        made = Newsroom().articles(articles)
        index_articles(store, itertools.islice(made, store.stats().documents, None), 1000)
    documents = store.stats().documents
    store.close()
    print(
        f"page benchmark: {documents:,} articles; load average {os.getloadavg()[0]:.2f} at the start"
    )
    kinds = interactions(random.Random(SEED + 2))
    rng = random.Random(SEED + 3)
    ids = [f"{rng.randrange(documents):032x}" for _ in range(SAMPLES)]
    process, base = search_process(data_dir)
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for (
                queries
            ) in kinds.values():  # warm: page cache, lazy loads (coverings, country names)
                time_both(client, queries[:10])
            print(
                f"\nms over {SAMPLES} requests each, one client, warm cache: the page's HTML, "
                "and the API request of the same search (baseline)"
            )
            print(
                f"{'interaction':<24} {'page p50':>8} {'p95':>7} {'p99':>7}   {'API p50':>8} {'p95':>7}   {'page +p50':>8}"
            )
            for name, queries in kinds.items():
                print(row(name, *time_both(client, queries)), flush=True)
            print(row("more results", time_more(client, kinds["search two words"])))
            print(row("open an article", time_articles(client, ids)))
        urls = [
            "/?" + urlencode(q)
            for q in itertools.islice(itertools.chain(*kinds.values()), 0, None, SAMPLES // 3)
        ]
        loads = browser_loads(base, urls)
        if loads:
            cold, warm = loads
            print(
                f"\npage load in Chromium (navigation start to load event, {len(urls)} pages): "
                f"empty cache p50 {statistics.median(cold):.0f} ms, max {max(cold):.0f} ms; "
                f"warm p50 {statistics.median(warm):.0f} ms, max {max(warm):.0f} ms"
            )
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(
        f"load average {os.getloadavg()[0]:.2f} at the end (other work on the machine slows every figure)"
    )


if __name__ == "__main__":
    main()

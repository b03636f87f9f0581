"""Article text, dates and authors that ingest takes from real pages, against gold text.

    python -m bench.extraction --benchmark DIR --newspaper DIR [--pages]
    make bench-extract EXTRACT="--benchmark DIR --newspaper DIR"
    (or DATELINE_BENCH_ARTICLES=DIR / DATELINE_BENCH_NEWSPAPER=DIR in the environment)

Each page goes the way ingest takes an article posted with ``html``: its extraction
worker processes with their time budget (:class:`~services.ingest.extraction.PageReader`,
``DATELINE_HTML_WORKERS`` and ``DATELINE_HTML_TIMEOUT_S`` as set), then ``normalise``
(the page's metadata fills title, date, authors). The baseline, in the same run, is plain
``trafilatura.extract(html, include_comments=False)``, the call the benchmark's authors
ran for trafilatura's published figure, and ``trafilatura.extract_metadata`` for dates
and authors.

Two sets of pages, neither in this repository (their licences and size):

- scrapinghub's article-extraction-benchmark (MIT): 181 news pages and their article
  text written by people. Scored as its ``evaluate.py`` does (:mod:`bench.text_overlap`)::

      git clone --depth 1 https://github.com/scrapinghub/article-extraction-benchmark /tmp/aeb
      ... --benchmark /tmp/aeb

- newspaper4k's test pages (its sdist's tests/data: html/, txt/, metadata/), in several
  languages. Their expected text, dates and authors are newspaper4k's own recorded
  output, not checked by people: agreement with them is a cross-check, not accuracy::

      pip download newspaper4k==0.9.6 --no-binary :all: --no-deps -d /tmp/n4k
      tar xzf /tmp/n4k/newspaper4k-0.9.6.tar.gz -C /tmp/n4k
      ... --newspaper /tmp/n4k/newspaper4k-0.9.6/tests/data
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import time
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import msgspec
from prometheus_client import REGISTRY

from bench.text_overlap import Overlap, Spread, overlap, with_spread
from services.ingest.decode import Rejection, decode_article
from services.ingest.extraction import PageReader
from services.ingest.normalise import NotAnArticle, normalise
from shared.logging import configure_logging
from shared.schemas import RawArticle
from shared.settings import Settings, load_settings

# trafilatura 2.0.0 on the article-extraction-benchmark, as its README publishes it (the
# output the authors generated with that version, scored by their evaluate.py).
PUBLISHED = "trafilatura 2.0.0, published: F1 0.958 ± 0.006, precision 0.938 ± 0.009, recall 0.978 ± 0.006, exact 0.293"
HOW_READ = ("extracted", "timed_out", "no_worker", "failed")
WARM_UP_S = 120.0
NAME_WORD = re.compile(r"\w+")


class Page(msgspec.Struct, frozen=True):
    name: str
    url: str
    html: str
    gold_text: str
    gold_date: str | None = None  # as recorded: ISO 8601, with or without an offset
    gold_authors: list[str] | None = None  # None: the set records no authors field


class Reading(msgspec.Struct, frozen=True):
    """What one way of reading a page found, and how long it took."""

    text: str
    published_at: datetime | None
    authors: list[str]
    seconds: float
    how: str = (
        "extracted"  # Dateline: how the workers read it; "rejected: …" when ingest refused it
    )


def benchmark_pages(directory: Path) -> list[Page]:
    gold = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key, item in sorted(gold.items()):
        with gzip.open(directory / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as f:
            pages.append(
                Page(
                    key[:12],
                    item.get("url") or f"https://benchmark.invalid/{key}",
                    f.read(),
                    item["articleBody"],
                )
            )
    return pages


def newspaper_pages(directory: Path) -> list[Page]:
    pages = []
    for recorded in sorted((directory / "metadata").glob("*.json")):
        html, text = (
            directory / "html" / f"{recorded.stem}.html",
            directory / "txt" / f"{recorded.stem}.txt",
        )
        if not (html.is_file() and text.is_file()):
            continue
        meta = json.loads(recorded.read_text(encoding="utf-8"))
        pages.append(
            Page(
                recorded.stem,
                meta.get("url") or f"https://newspaper.invalid/{recorded.stem}",
                html.read_text(encoding="utf-8", errors="replace"),
                text.read_text(encoding="utf-8"),
                meta.get("publish_date") or None,
                meta.get("authors"),
            )
        )
    return pages


async def dateline_readings(pages: list[Page], settings: Settings) -> list[Reading]:
    """Each page as ingest reads it, one at a time (as the pages of one request)."""
    reader = PageReader(settings.html_workers, settings.html_timeout_s)
    reader.start()
    try:
        await _until_extracting(reader)
        return [await _dateline_reading(reader, page, settings) for page in pages]
    finally:
        await reader.close()


async def _until_extracting(reader: PageReader) -> None:
    """Workers start in the background: the pages are timed once one answers."""
    deadline = time.monotonic() + WARM_UP_S
    while time.monotonic() < deadline:
        before = _pages_read("extracted")
        await reader.read("<html><body><p>Warming up.</p></body></html>")
        if _pages_read("extracted") > before:
            return
    raise SystemExit(f"no extraction worker answered within {WARM_UP_S:.0f} s")


async def _dateline_reading(reader: PageReader, page: Page, settings: Settings) -> Reading:
    counts = {how: _pages_read(how) for how in HOW_READ}
    started = time.perf_counter()
    reading = await reader.read(page.html)
    how = next((h for h in HOW_READ if _pages_read(h) > counts[h]), "?")
    decoded = decode_article(msgspec.json.encode({"url": page.url, "html": page.html}))
    try:
        if isinstance(decoded, Rejection):
            raise NotAnArticle(decoded.field, decoded.reason)
        article = normalise(decoded.article, datetime.now(UTC), settings.enrich_max_chars, reading)
    except NotAnArticle as exc:
        return Reading(
            "", None, [], time.perf_counter() - started, f"rejected: {exc.field} {exc.reason}"
        )
    return _found(article, time.perf_counter() - started, how)


def _found(article: RawArticle, seconds: float, how: str) -> Reading:
    return Reading(article.text, article.published_at, article.authors, seconds, how)


def _pages_read(how: str) -> float:
    return REGISTRY.get_sample_value("dateline_ingest_html_pages_total", {"how": how}) or 0.0


def baseline_reading(page: Page) -> Reading:
    import trafilatura
    from trafilatura.utils import load_html

    started = time.perf_counter()
    text = trafilatura.extract(page.html, include_comments=False) or ""
    tree = load_html(page.html)
    found = trafilatura.extract_metadata(tree) if tree is not None else None
    seconds = time.perf_counter() - started
    when = _as_instant(found.date) if found and found.date else None
    authors = [a.strip() for a in (found.author or "").split(";") if a.strip()] if found else []
    return Reading(text, when, authors, seconds)


def _as_instant(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def same_day(recorded: str, found: datetime) -> bool:
    """Whether ``found`` falls on the recorded day, read in the recorded offset or in UTC
    (ingest keeps instants in UTC; a page giving only a day is dated 00:00 UTC)."""
    when = _as_instant(recorded.replace(" ", "T", 1))
    if when is None:
        return False
    days = {when.date(), when.astimezone(UTC).date()}
    return found.date() in days or found.astimezone(UTC).date() in days


def name_key(name: str) -> str:
    return " ".join(NAME_WORD.findall(name.casefold()))


def author_agreement(recorded: list[str], found: list[str]) -> str:
    """How the names found compare: same, some in common, other, or none found."""
    want, got = {name_key(n) for n in recorded}, {name_key(n) for n in found}
    if not got:
        return "none"
    return "same" if want == got else "some" if want & got else "other"


# --- printing -----------------------------------------------------------------------


def print_text_scores(
    title: str, pages: list[Page], readings: dict[str, list[Reading]]
) -> dict[str, list[Overlap]]:
    print(f"\n{title}")
    print(
        f"  {'':24} {'F1':>13}  {'precision':>13}  {'recall':>13}  {'exact':>6}  {'ms/page p50':>11}  {'p95':>6}"
    )
    overlaps = {}
    for name, found in readings.items():
        overlaps[name] = [overlap(p.gold_text, r.text) for p, r in zip(pages, found, strict=True)]
        spread = with_spread(overlaps[name])
        print(
            f"  {name:24} {_pm(spread, 'f1')}  {_pm(spread, 'precision')}  {_pm(spread, 'recall')}  "
            f"{spread.scores.exact:6.3f}  {_ms(found, 50):>11}  {_ms(found, 95):>6}"
        )
    return overlaps


def _pm(spread: Spread, field: str) -> str:
    return f"{getattr(spread.scores, field):.3f} ± {getattr(spread.deviation, field):.3f}"


def _ms(readings: list[Reading], percentile: int) -> str:
    seconds = sorted(r.seconds for r in readings)
    return f"{seconds[min(len(seconds) - 1, len(seconds) * percentile // 100)] * 1000:.0f}"


def print_how_read(readings: list[Reading]) -> None:
    hows = Counter(r.how for r in readings)
    print("  Dateline read the pages: " + ", ".join(f"{how} {n}" for how, n in hows.most_common()))


def print_page_differences(
    pages: list[Page], overlaps: dict[str, list[Overlap]], readings: list[Reading]
) -> None:
    ours, theirs = overlaps["Dateline ingest"], overlaps["trafilatura.extract"]
    print("  pages where Dateline's F1 differs from the baseline's by more than 0.01:")
    shown = 0
    for page, mine, base, reading in zip(pages, ours, theirs, readings, strict=True):
        if abs(_page_f1(mine) - _page_f1(base)) > 0.01:
            shown += 1
            print(
                f"    {page.name:24} Dateline {_page_f1(mine):.3f}  baseline {_page_f1(base):.3f}  ({reading.how})"
            )
    if not shown:
        print("    none")


def _page_f1(page: Overlap) -> float:
    p, r = page.precision or 0.0, page.recall or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def print_facts(pages: list[Page], readings: dict[str, list[Reading]], per_page: bool) -> None:
    dated = [i for i, p in enumerate(pages) if p.gold_date]
    authored = [i for i, p in enumerate(pages) if p.gold_authors]
    print(
        f"  published_at: {len(dated)} pages with a recorded date; authors: {len(authored)} pages with recorded authors"
    )
    for name, found in readings.items():
        has_date = sum(found[i].published_at is not None for i in dated)
        right_day = sum(
            found[i].published_at is not None
            and same_day(pages[i].gold_date or "", found[i].published_at)
            for i in dated
        )
        extra = sum(found[i].published_at is not None for i in range(len(pages)) if i not in dated)
        agreement = Counter(
            author_agreement(pages[i].gold_authors or [], found[i].authors) for i in authored
        )
        print(
            f"  {name:24} dates found {has_date}/{len(dated)}, same day {right_day}/{len(dated)} "
            f"(+{extra} on pages without one); authors same {agreement['same']}, some in common "
            f"{agreement['some']}, other {agreement['other']}, none {agreement['none']} of {len(authored)}"
        )
    if per_page:
        for i, page in enumerate(pages):
            ours = readings["Dateline ingest"][i]
            print(
                f"    {page.name:24} date {page.gold_date or '-'} | {ours.published_at or '-'}; "
                f"authors {page.gold_authors or '-'} | {ours.authors or '-'}"
            )


def measure(title: str, pages: list[Page], settings: Settings, per_page: bool, facts: bool) -> None:
    readings = {
        "Dateline ingest": asyncio.run(dateline_readings(pages, settings)),
        "trafilatura.extract": [baseline_reading(page) for page in pages],
    }
    overlaps = print_text_scores(title, pages, readings)
    print_how_read(readings["Dateline ingest"])
    if per_page:
        print_page_differences(pages, overlaps, readings["Dateline ingest"])
    if facts:
        print_facts(pages, readings, per_page)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--benchmark",
        type=Path,
        default=os.environ.get("DATELINE_BENCH_ARTICLES"),
        help="a checkout of scrapinghub/article-extraction-benchmark",
    )
    parser.add_argument(
        "--newspaper",
        type=Path,
        default=os.environ.get("DATELINE_BENCH_NEWSPAPER"),
        help="newspaper4k's sdist tests/data directory",
    )
    parser.add_argument(
        "--pages",
        action="store_true",
        help="also list pages where Dateline and the baseline differ",
    )
    args = parser.parse_args()
    if not (args.benchmark or args.newspaper):
        parser.error(
            "give --benchmark DIR and/or --newspaper DIR; how to get them:\n"
            + __doc__.split("\n\n", 3)[3]
        )
    for directory, name in ((args.benchmark, "ground-truth.json"), (args.newspaper, "metadata")):
        if directory and not (directory / name).exists():
            parser.error(f"{directory} has no {name}: see --help for where the pages come from")
    settings = load_settings()
    configure_logging(
        "bench", "ERROR"
    )  # pages read as plain text are counted, not logged one by one
    print(
        f"trafilatura {version('trafilatura')}; HTML workers {settings.html_workers}, "
        f"timeout {settings.html_timeout_s} s; load average {os.getloadavg()[0]:.1f}"
    )
    if args.benchmark:
        pages = benchmark_pages(args.benchmark)
        measure(
            f"article-extraction-benchmark: {len(pages)} pages, gold text written by people",
            pages,
            settings,
            args.pages,
            facts=False,
        )
        print(f"  {PUBLISHED}")
    if args.newspaper:
        pages = newspaper_pages(args.newspaper)
        measure(
            f"newspaper4k test pages: {len(pages)} pages; text, dates and authors as newspaper4k recorded them",
            pages,
            settings,
            args.pages,
            facts=True,
        )


if __name__ == "__main__":
    main()

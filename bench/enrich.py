"""Enrichment speed: the full Enricher against bare spaCy NER, in one process and in two.

    python -m bench.enrich [--rounds 3] [--limit N]        (make bench-enrich)

Articles: the GeoWebNews texts in ../shared/data/geo (skipped with a message if absent).
Baseline, in the same run on the same texts: bare ``nlp.pipe`` over each article's title
and text with the same model and components (NER only). Each measuring process loads the
model and the gazetteer itself (load times are reported), then runs rounds of bare NER
and ``enrich_many`` alternately, so a busy neighbour on the machine slows both alike.
With two processes the rounds start together (a barrier) and the throughput is both
processes' articles over the slower one's time. Prints medians over the rounds, the
ratios the goals are about, and each process's resident memory.

Goals (issue 3): enrich_many >= 0.9x bare NER; two processes >= 1.8x one; < 600 MB each.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from hashlib import md5
from multiprocessing.synchronize import Barrier
from pathlib import Path
from urllib.parse import urlsplit

from msgspec import Struct

from shared.schemas import RawArticle
from shared.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
GWN = ROOT.parent / "shared" / "data" / "geo" / "GWN.xml"


class Timings(Struct):
    """What one measuring process reports."""

    model_load_s: float
    gazetteer_load_s: float
    bare_s: list[float]  # wall time, one per round
    enrich_s: list[float]
    bare_cpu_s: list[float]  # this process's CPU time: steadier on a busy machine
    enrich_cpu_s: list[float]
    rss_mb: float  # after loading and enriching everything once: a worker's footprint
    peak_rss_mb: float  # the highest it reached by then


def gwn_articles(limit: int | None) -> list[RawArticle]:
    received = datetime.now(UTC)
    articles = []
    for node in ET.parse(GWN).getroot().iter("article"):
        link = (node.findtext("link") or "").strip()
        text = node.findtext("text") or ""
        articles.append(
            RawArticle(
                id=md5(link.encode()).hexdigest(),
                url=link,
                canonical_url=link,
                source=urlsplit(link).hostname or "unknown",
                title=(node.findtext("title") or "").strip() or "untitled",
                text=text,
                language="en",
                published_at=None,
                received_at=received,
                content_hash=md5(text.encode()).hexdigest(),
            )
        )
    return articles[:limit]


def words(articles: list[RawArticle]) -> int:
    return sum(len(a.title.split()) + len(a.text.split()) for a in articles)


# -- one measuring process ------------------------------------------------------------------


def measure(
    settings: Settings, articles: list[RawArticle], rounds: int, barrier: Barrier | None
) -> Timings:
    """Load, then ``rounds`` x (bare NER, full enrichment), in this process."""
    from services.enrich import Enricher
    from services.enrich.geotag import Geotagger
    from services.enrich.nlp import load_ner

    started = time.perf_counter()
    nlp = load_ner(settings.spacy_model)
    model_load = time.perf_counter() - started
    started = time.perf_counter()
    geotagger = Geotagger.load(settings)
    gazetteer_load = time.perf_counter() - started
    enricher = Enricher(nlp, geotagger, batch_size=settings.enrich_batch_size)
    texts = [text for a in articles for text in (a.title, a.text)]

    def bare() -> None:
        for _doc in nlp.pipe(texts):
            pass

    def enrich() -> None:
        for _article in enricher.enrich_many(articles):
            pass

    enrich()  # warm up (first-call costs are not throughput), and a worker's memory
    rss, peak = _memory_mb()  # before bare NER's own, larger batches raise the peak
    timings = Timings(model_load, gazetteer_load, [], [], [], [], rss, peak)
    for _ in range(rounds):
        for kind, run in (("bare", bare), ("enrich", enrich)):
            wall, cpu = _timed(run, barrier)
            getattr(timings, f"{kind}_s").append(wall)
            getattr(timings, f"{kind}_cpu_s").append(cpu)
    return timings


def _timed(run, barrier: Barrier | None) -> tuple[float, float]:
    """(wall, CPU) seconds of ``run()``, started together with the other processes."""
    if barrier is not None:
        barrier.wait()
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def _memory_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def _child(
    settings: Settings, articles: list[RawArticle], rounds: int, barrier: Barrier, out
) -> None:
    out.put(measure(settings, articles, rounds, barrier))


def in_processes(
    n: int, settings: Settings, articles: list[RawArticle], rounds: int
) -> list[Timings]:
    """``n`` fresh processes measuring at once (spawned: nothing inherited from this one)."""
    context = mp.get_context("spawn")
    barrier, out = context.Barrier(n), context.Queue()
    children = [
        context.Process(target=_child, args=(settings, articles, rounds, barrier, out))
        for _ in range(n)
    ]
    for child in children:
        child.start()
    results = [out.get() for _ in children]
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"a measuring process failed (exit code {child.exitcode})")
    return results


def _compile_gazetteer_once(settings: Settings) -> None:
    """A first start compiles the gazetteer: a one-off, not a worker's load time or memory."""
    from services.enrich.geotag import Geotagger

    Geotagger.load(settings)


# -- report ----------------------------------------------------------------------------------


def throughput(results: list[Timings], kind: str, n_articles: int) -> list[float]:
    """Articles/s per round: all processes' articles over the slowest process's time."""
    per_round = zip(*(getattr(r, f"{kind}_s") for r in results), strict=True)
    return [len(results) * n_articles / max(times) for times in per_round]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per measurement")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N articles")
    args = parser.parse_args(argv)
    if not GWN.is_file():
        print(f"skipped: GeoWebNews not found at {GWN} (team-only data; see README)")
        return 0
    settings = load_settings()
    articles = gwn_articles(args.limit)
    n, n_words = len(articles), words(articles)
    print(
        f"enrichment benchmark: {n} GeoWebNews articles, {n_words:,} words, "
        f"model {settings.spacy_model}, batch {settings.enrich_batch_size}, "
        f"medians of {args.rounds} rounds"
    )

    _compile_gazetteer_once(settings)
    one = in_processes(1, settings, articles, args.rounds)
    two = in_processes(2, settings, articles, args.rounds)

    figures, rounds = {}, {}
    for label, results in (("1 process", one), ("2 processes", two)):
        for kind in ("bare", "enrich"):
            rounds[label, kind] = throughput(results, kind, n)
            figures[label, kind] = statistics.median(rounds[label, kind])
    words_per_article = n_words / n
    name = {"bare": "bare NER (nlp.pipe)", "enrich": "enrich_many"}
    for (label, kind), rate in figures.items():
        print(
            f"  {label:<12} {name[kind]:<20} {rate:7.1f} articles/s "
            f"{rate * words_per_article:9,.0f} words/s   rounds: "
            + " ".join(f"{r:.1f}" for r in rounds[label, kind])
        )

    loads = one + two
    print(
        f"  load: model {statistics.median(r.model_load_s for r in loads):.2f} s, "
        f"gazetteer {statistics.median(r.gazetteer_load_s for r in loads):.2f} s "
        f"(medians over {len(loads)} processes)"
    )
    print(
        "  memory per process: "
        + ", ".join(f"{r.rss_mb:.0f} MB (peak {r.peak_rss_mb:.0f} MB)" for r in loads)
    )

    cpu = {
        kind: statistics.median(c for r in loads for c in getattr(r, f"{kind}_cpu_s")) / n
        for kind in ("bare", "enrich")
    }
    print(
        f"  CPU per article: bare NER {cpu['bare'] * 1000:.1f} ms, "
        f"enrich_many {cpu['enrich'] * 1000:.1f} ms (medians, all processes and rounds)"
    )
    print(
        f"  machine load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} cores (others' work slows the 2-process rounds)"
    )

    ratio = figures["1 process", "enrich"] / figures["1 process", "bare"]
    scaling = figures["2 processes", "enrich"] / figures["1 process", "enrich"]
    peak = max(r.peak_rss_mb for r in loads)
    print("goals:")
    print(
        f"  enrich_many / bare NER, 1 process: {ratio:.2f}x (goal >= 0.9x) "
        f"{'met' if ratio >= 0.9 else 'NOT met'}; by CPU time "
        f"{cpu['bare'] / cpu['enrich']:.2f}x"
    )
    print(
        f"  2 processes / 1 process (enrich):  {scaling:.2f}x (goal >= 1.8x) "
        f"{'met' if scaling >= 1.8 else 'NOT met'}  "
        f"[bare NER scales {figures['2 processes', 'bare'] / figures['1 process', 'bare']:.2f}x]"
    )
    # Neighbours' work lands on some rounds and not others; the best rounds show what
    # two processes do when the cores are theirs.
    best = max(rounds["2 processes", "enrich"]) / max(rounds["1 process", "enrich"])
    print(f"     best round against best round: {best:.2f}x")
    print(
        f"  peak RSS per worker: {peak:.0f} MB (goal < 600 MB) {'met' if peak < 600 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Geotagging accuracy on the GeoWebNews development set (``make eval``).

Prints, with the commit that produced them:
- the gazetteer's compile and load time and memory;
- resolution on gold spans (``Enricher.resolve``): accuracy within 161 km and median
  error, overall and per toponym type, and how often each confidence band is right;
- detection: precision / recall / F1 of the toponym spans the whole pipeline finds
  (``Enricher.enrich_many`` -> places) against the gold toponyms that have coordinates;
- resolution end to end: accuracy on the gold toponyms the pipeline found.

acc@161 is the published measure: within 161 km of the gold point. entry_or_161 also
counts the gold's own GeoNames entry as right: the packages' centre points of a few large
countries and of first-level divisions are not GeoNames' own (Canada's is 1,000 km away),
which the dump-file build (``dateline gazetteer build --from DIR``) fixes.

``--errors`` also lists every end-to-end answer that is neither the gold's entry nor within
161 km of it: the material for the next disambiguation rule.

Reads ../shared/data/geo (team-only; see its README) and skips with a message when absent.
Tune only on this set: other corpora check that gains are real.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from msgspec import Struct

from services.enrich import Enricher
from services.enrich.disambiguation import distance_km
from services.enrich.gazetteer import Gazetteer
from services.enrich.gazetteer_build import build_gazetteer
from services.enrich.geotag import Geotagger
from services.enrich.mentions import Mention
from shared.schemas import Place, RawArticle
from shared.settings import load_settings

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "geo" / "GWN.xml"
ACCURATE_KM = 161.0  # 100 miles, as the published figures


class GoldToponym(Struct, frozen=True):
    start: int
    end: int
    type: str
    lat: float
    lon: float
    geonames_id: int | None


class GoldArticle(Struct):
    title: str
    text: str
    toponyms: list[GoldToponym]


def gold_articles(path: Path) -> list[GoldArticle]:
    """GeoWebNews articles with their located toponyms (those with coordinates)."""
    articles = []
    for article in ET.parse(path).getroot().iter("article"):
        toponyms = [
            GoldToponym(
                start=int(t.findtext("start")),
                end=int(t.findtext("end")),
                type=t.findtext("type") or "",
                lat=float(t.findtext("latitude")),
                lon=float(t.findtext("longitude")),
                geonames_id=int(t.findtext("geonamesID")) if t.findtext("geonamesID") else None,
            )
            for t in article.find("toponyms")
            if t.findtext("latitude")
        ]
        articles.append(
            GoldArticle(article.findtext("title") or "", article.findtext("text") or "", toponyms)
        )
    return articles


class Tally:
    """Errors in km of resolved toponyms (None: left unresolved), and whether each answer
    is the gold's GeoNames entry or within 161 km of it."""

    def __init__(self) -> None:
        self.errors: list[float | None] = []
        self.right: list[bool] = []

    def add(self, gold: GoldToponym, place: Place | None) -> bool:
        """Tallies one answer; True when it is right (the gold's entry or within 161 km)."""
        error = None if place is None else distance_km(gold.lat, gold.lon, place.lat, place.lon)
        self.errors.append(error)
        same_entry = place is not None and place.geonames_id == gold.geonames_id
        self.right.append(same_entry or (error is not None and error <= ACCURATE_KM))
        return self.right[-1]

    def line(self, label: str) -> str:
        n = len(self.errors)
        if not n:
            return f"  {label:<24} n=0"
        answered = [e for e in self.errors if e is not None]
        accurate = sum(e <= ACCURATE_KM for e in answered)
        # Unresolved counts as wrong, at the far end of the error distribution.
        median = statistics.median([e if e is not None else 20_000.0 for e in self.errors])
        return (
            f"  {label:<22} n={n:<5} acc@161={accurate / n:6.1%}  median_km={median:7.1f}"
            f"  answered={len(answered) / n:6.1%}  entry_or_161={sum(self.right) / n:6.1%}"
        )


class GeotagRecorder:
    """Stands in for the Enricher's geotagger and keeps what it was asked, so that
    geotagging alone can be timed on exactly the end-to-end inputs."""

    def __init__(self, geotagger: Geotagger) -> None:
        self.geotagger = geotagger
        self.version = geotagger.version
        self.calls: list[tuple[str, str, list[Mention]]] = []

    def geotag(
        self, title: str, text: str, mentions: Sequence[Mention]
    ) -> tuple[list[Place], Place | None]:
        self.calls.append((title, text, list(mentions)))
        return self.geotagger.geotag(title, text, mentions)

    def resolve(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Place | None]:
        return self.geotagger.resolve(text, spans)

    def speed(self) -> str:
        """Articles/s of geotagging alone, with a fresh lookup cache and with a warm one."""
        fresh = Geotagger(Gazetteer.open(self.geotagger.gazetteer.directory))
        rates = []
        for _ in range(2):
            started = time.perf_counter()
            for call in self.calls:
                fresh.geotag(*call)
            rates.append(len(self.calls) / (time.perf_counter() - started))
        return (
            f"geotagging alone (same mentions): {rates[0]:.0f} articles/s cold, {rates[1]:.0f} warm"
        )


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, check=False
    ).stdout.strip()


def raw_articles(articles: Sequence[GoldArticle]) -> list[RawArticle]:
    now = datetime.now(UTC)
    return [
        RawArticle(
            id=f"{i:032x}", url=f"https://gwn.example/{i}", canonical_url=f"https://gwn.example/{i}",
            source="gwn.example", title=a.title, text=a.text, language="en", published_at=None,
            received_at=now, content_hash=str(i),
        )
        for i, a in enumerate(articles)
    ]  # fmt: skip


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gazetteer_costs(settings_dir: Path) -> str:
    """Compile into a scratch directory, then load it: seconds and memory of each."""
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        meta = build_gazetteer(Path(scratch))
        compiled = time.perf_counter() - started
        size = sum(f.stat().st_size for f in Path(scratch).iterdir()) / 1e6
    before = rss_mb()
    started = time.perf_counter()
    Gazetteer.open(settings_dir)
    loaded = time.perf_counter() - started
    return (
        f"gazetteer: {meta.places} places, {meta.keys} name keys, {size:.0f} MB on disk; "
        f"compile {compiled:.1f} s, load {loaded:.2f} s, +{rss_mb() - before:.0f} MB RSS on load"
    )


def calibration(tallies: list[tuple[float, bool]]) -> str:
    """Share right (same GeoNames entry or within 161 km) per confidence band."""
    bands = [(0.0, 0.3), (0.3, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 1.01)]
    parts = []
    for low, high in bands:
        inside = [ok for confidence, ok in tallies if low <= confidence < high]
        if inside:
            parts.append(
                f"[{low:.1f},{min(high, 1.0):.1f}): {sum(inside) / len(inside):.0%} of {len(inside)}"
            )
    return "  confidence vs right: " + "; ".join(parts)


def misresolved(article: GoldArticle, gold: GoldToponym, place: Place) -> str:
    """One line on a wrong answer, for ``--errors``: what was written, where the gold puts
    it, and what was answered instead."""
    error = distance_km(gold.lat, gold.lon, place.lat, place.lon)
    return (
        f"  wrong: {article.text[gold.start : gold.end]!r} ({gold.type}) gold {gold.lat:.2f},"
        f"{gold.lon:.2f} -> {place.resolved_name}, {place.country_code} {place.feature_code}"
        f" {error:,.0f} km off, confidence {place.confidence:.2f}"
    )


def main() -> int:
    if not DATA.is_file():
        print(f"skipped: GeoWebNews not found at {DATA} (team-only data; see shared/data/README)")
        return 0
    settings = load_settings()
    commit = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", "services", "bench")
    enricher = Enricher.load(settings)
    print(
        f"commit {commit}{' (uncommitted changes)' if dirty else ''}  model {enricher.model}  gazetteer {enricher.gazetteer}"
    )
    print(gazetteer_costs(settings.gazetteer_dir))
    articles = gold_articles(DATA)
    print(
        f"GeoWebNews: {len(articles)} articles, {sum(len(a.toponyms) for a in articles)} located gold toponyms"
    )

    on_gold, on_gold_by_type = Tally(), defaultdict(Tally)
    confidences: list[tuple[float, bool]] = []
    started = time.perf_counter()
    for article in articles:
        wanted = [t for t in article.toponyms if t.geonames_id is not None]
        answers = enricher.resolve(article.text, [(t.start, t.end) for t in wanted])
        for gold, place in zip(wanted, answers, strict=True):
            on_gold.add(gold, place)
            on_gold_by_type[gold.type].add(gold, place)
            if place is not None:
                confidences.append((place.confidence, on_gold.right[-1]))
    resolving = time.perf_counter() - started
    print(f"resolution on the {len(on_gold.errors)} gold spans with a GeoNames id (resolve; "
          f"{len(articles) / resolving:.0f} articles/s):")  # fmt: skip
    print(on_gold.line("all"))
    for kind, tally in sorted(on_gold_by_type.items(), key=lambda kv: -len(kv[1].errors)):
        print(tally.line(kind))
    print(calibration(confidences))

    tp = fp = fn = 0
    found_by_type: dict[str, list[bool]] = defaultdict(list)
    end_to_end, end_to_end_by_type = Tally(), defaultdict(Tally)
    wrong: list[str] = []
    recorder = enricher.geotagger = GeotagRecorder(enricher.geotagger)
    started = time.perf_counter()
    enriched = list(enricher.enrich_many(raw_articles(articles)))
    enriching = time.perf_counter() - started
    for article, result in zip(articles, enriched, strict=True):
        predicted = {
            (s.start, s.end): p for p in result.places for s in p.spans if s.field == "text"
        }
        gold_spans = {(t.start, t.end): t for t in article.toponyms}
        matched = predicted.keys() & gold_spans.keys()
        tp += len(matched)
        fp += len(predicted) - len(matched)
        fn += len(gold_spans) - len(matched)
        for span, gold in gold_spans.items():
            found_by_type[gold.type].append(span in matched)
        for span in matched:
            gold = gold_spans[span]
            if gold.geonames_id is not None:
                end_to_end_by_type[gold.type].add(gold, predicted[span])
                if not end_to_end.add(gold, predicted[span]):
                    wrong.append(misresolved(article, gold, predicted[span]))
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(f"detection, end to end (Enricher.enrich_many, {len(articles) / enriching:.1f} articles/s; "
          f"places' text spans vs gold, exact match): P={precision:.3f} R={recall:.3f} F1={f1:.3f} "
          f"(tp={tp} fp={fp} fn={fn})")  # fmt: skip
    recalls = sorted(found_by_type.items(), key=lambda kv: -len(kv[1]))
    print("  recall per type: " + "; ".join(
        f"{kind} {sum(found) / len(found):.0%} of {len(found)}" for kind, found in recalls
    ))  # fmt: skip
    print("resolution end to end (the detected gold toponyms with a GeoNames id):")
    print(end_to_end.line("all"))
    for kind, tally in sorted(end_to_end_by_type.items(), key=lambda kv: -len(kv[1].errors)):
        print(tally.line(kind))
    if "--errors" in sys.argv:
        print("\n".join(wrong))
    print(recorder.speed())
    print(f"peak RSS {rss_mb():.0f} MB (model, gazetteer and a compile in one process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Geotagging accuracy on the development corpora (``make eval``).

Prints, with the commit that produced them:

1. the place ranker cross-validated (bench/ranker_cv.py): weights learned on four fifths
   of the sources of GeoWebNews, TUD-Loc-2013 and lgl-dev, scored on the fifth they never
   saw; per corpus, the share of gold toponyms (those with a GeoNames id) resolved within
   161 km on held-out and on training folds, and the gap between the two; beside it the
   same with the source prior left out, and the population baseline (each name's most
   populous reading); how often each confidence band is right, on the gold spans and on
   the places a worker would publish;
2. toponym detection on GeoWebNews, cross-validated: each held-out fold's articles
   geotagged (from what the Enricher hands geotagging) with the weights learned on the
   other folds, and the training folds' with the same weights (the gap); then
3. GeoWebNews end to end with the committed weights (``make learn``, learned on every
   article, so not held out): detection
   precision / recall / F1 of the toponym spans the whole pipeline finds against the gold
   toponyms that have coordinates (GeoWebNews' eight toponym types, literal and
   associative: Literal, Mixed, Coercion, Embedded_Literal, Literal_Modifier, Metonymic,
   Non_Literal_Modifier, Embedded_Non_Lit; not its Demonym, Homonym, Language,
   Non_Toponym or *_Expression annotations, which carry none), a span found when its
   offsets are the gold's exactly; beside it, for comparison, the same with overlapping
   spans (GeoWebNews marks some embedded toponyms as the whole name, "Bank of Japan")
   and the recall of the gold toponyms with a GeoNames id; resolution of the ones it
   found; geotagging's own speed; the gazetteer's compile and load costs.

Options: ``--ablate NAME`` (repeatable): a feature or veto of services/enrich/evidence.py
left out, reported beside the full ranker; ``--errors``: every held-out wrong answer with
the winner's feature contributions against the gold reading's; ``--quick``: parts 1 and 2
only; ``--misses``: each held-out missed and false detection span, with its context.

acc@161 is the published measure: within 161 km of the gold point. Reads
../shared/data/geo (team-only; see its README) and skips with a message when absent.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from bench.geo_corpora import CORPORA, GoldArticle, available, geotag_inputs, load_gwn, raw_articles
from bench.ranker_cv import (
    FOLDS,
    WITHOUT_PRIOR,
    Case,
    FoldResult,
    Scored,
    accuracy,
    cross_validate,
    folds_by_source,
    read_cases,
    right_entry,
    spans_of,
)
from services.enrich import Enricher
from services.enrich.distance import distance_km
from services.enrich.evidence import ANCHOR_FEATURES, FEATURES, NONE_FEATURES, VETOES
from services.enrich.gazetteer import Gazetteer
from services.enrich.gazetteer_build import build_gazetteer
from services.enrich.geotag import Geotagger
from services.enrich.ranker import UNLEARNED
from services.enrich.source_history import SourceHistory
from shared.schemas import Place
from shared.settings import load_settings

BANDS = [(0.0, 0.3), (0.3, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 1.01)]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not available():
        print("skipped: the geotagging corpora are not in ../shared/data/geo (team-only data)")
        return 0
    known = {*FEATURES, *ANCHOR_FEATURES, *NONE_FEATURES, *VETOES, *WITHOUT_PRIOR}
    unknown = set(args.ablate) - known
    if unknown:
        print(f"unknown feature or veto: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    settings = load_settings()
    # Reading the corpora needs the gazetteer, not the committed weights.
    geotagger = Geotagger(Gazetteer.load(settings.gazetteer_dir), UNLEARNED)
    print(f"commit {_commit()}  gazetteer {geotagger.version}")
    cases, folds = cross_validation(geotagger, args.ablate, args.errors)
    held_out_detection(cases, folds, geotagger.gazetteer, args.misses)
    if not args.quick:
        end_to_end(settings, geotagger)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="make eval EVAL_ARGS=...")
    parser.add_argument("--ablate", action="append", default=[], metavar="NAME")
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--misses", action="store_true")
    return parser


# -- 1. cross-validation ------------------------------------------------------------------


def cross_validation(
    geotagger: Geotagger, ablate: Sequence[str], errors: bool
) -> tuple[list[Case], list[FoldResult]]:
    """Prints the cross-validated resolution; returns the full ranker's cases and folds."""
    runs = {"ranker": frozenset(), "without source prior": WITHOUT_PRIOR}
    for name in ablate:
        runs[f"without {name}"] = frozenset({name})
    results: dict[str, list[FoldResult]] = {}
    for label, left_out in runs.items():
        started = time.perf_counter()
        cases = read_cases(CORPORA, geotagger, left_out)
        results[label] = cross_validate(cases, left_out, explain_errors=errors and not left_out)
        print(f"  ({label}: {len(cases)} articles, {time.perf_counter() - started:.0f} s)")
        if not left_out:
            baseline = _population_baseline(cases)
            ranker_cases = cases
    print(f"\nresolution of gold toponyms, {FOLDS}-fold cross-validated by source (acc@161):")
    scored = [s for f in results["ranker"] for s in f.held_out]
    counts = [f"{c or 'all'} ({len(spans_of(scored, c))})" for c in [*CORPORA, None]]
    print(f"  {'held out (gap to training)':<28}" + "".join(f"{c:>22}" for c in counts))
    for label, folds in results.items():
        print(_row(label, folds))
    print(_baseline_row(baseline))
    print("\nconfidence vs right (held out):")
    for corpus in [*CORPORA, None]:
        held = [s for f in results["ranker"] for s in f.held_out]
        print(f"  {corpus or 'all':<5} gold spans: {_bands(_on_gold(held, corpus))}")
        print(f"  {'':<5} published:  {_bands(_published(held, corpus))}")
    if errors:
        print("\nheld-out wrong answers (winner's contributions minus the gold reading's):")
        for fold in results["ranker"]:
            print("\n".join(fold.errors))
    return ranker_cases, results["ranker"]


def _row(label: str, folds: list[FoldResult]) -> str:
    held = [s for f in folds for s in f.held_out]
    training = [s for f in folds for s in f.training]
    cells = []
    for corpus in [*CORPORA, None]:
        share, _ = accuracy(spans_of(held, corpus))
        trained, _ = accuracy(spans_of(training, corpus))
        cells.append(f"{share:6.1%} (gap {trained - share:+.1%})")
    return f"  {label:<28}" + "".join(f"{c:>22}" for c in cells)


def _population_baseline(cases: Sequence[Case]) -> dict[str | None, float]:
    """Each gold toponym's most populous reading (before vetoes), the classic baseline."""
    right: dict[str | None, list[bool]] = {c: [] for c in [*CORPORA, None]}
    for case in cases:
        located = [t for t in case.article.toponyms if t.located]
        for gold, choice in zip(located, case.answering, strict=True):
            readings = []
            if choice is not None:
                key = case.reading.choices[choice].toponym.key
                readings = case.reading.story.candidates.get(key, [])
            best = max(readings, key=lambda c: c.entry.population, default=None)
            ok = best is not None and right_entry(best.entry, gold)
            right[case.article.corpus].append(ok)
            right[None].append(ok)
    return {c: sum(r) / len(r) if r else 0.0 for c, r in right.items()}


def _baseline_row(baseline: dict[str | None, float]) -> str:
    cells = [f"{baseline[c]:6.1%}" for c in [*CORPORA, None]]
    return f"  {'population baseline':<28}" + "".join(f"{c:>22}" for c in cells)


def _on_gold(scored: list[Scored], corpus: str | None) -> list[tuple[float, bool]]:
    return [(a.confidence, a.right) for a in spans_of(scored, corpus) if a.entry is not None]


def _published(scored: list[Scored], corpus: str | None) -> list[tuple[float, bool]]:
    return [p for s in scored if corpus is None or s.corpus == corpus for p in s.published]


def _bands(answers: list[tuple[float, bool]]) -> str:
    parts = []
    for low, high in BANDS:
        inside = [ok for confidence, ok in answers if low <= confidence < high]
        if inside:
            parts.append(
                f"[{low:.1f},{min(high, 1.0):.1f}) {sum(inside) / len(inside):.1%} of {len(inside)}"
            )
    return "; ".join(parts)


# -- 2. toponym detection, cross-validated ------------------------------------------------


def held_out_detection(
    cases: Sequence[Case], folds: Sequence[FoldResult], gazetteer: Gazetteer, misses: bool
) -> None:
    """GeoWebNews' detection with each fold's weights: on the fold they were not learned
    from (held out) and on the others (training), every article geotagged as the Enricher
    would from the same input, in the corpus's order, each fold with its own history."""
    fold_of = dict(zip((c.article.doc_id for c in cases if c.article.corpus == "gwn"),
                       (f for c, f in zip(cases, folds_by_source(cases), strict=True)
                        if c.article.corpus == "gwn"), strict=True))  # fmt: skip
    articles = load_gwn()
    inputs = geotag_inputs("gwn", articles)
    held, trained = DetectionScore(), DetectionScore()
    lines: list[str] = []
    for fold, result in enumerate(folds):
        tagger = Geotagger(gazetteer, result.weights, history=SourceHistory())
        for article, given in zip(articles, inputs, strict=True):
            places, _ = tagger.geotag(given.title, given.text, given.mentions, article.source)
            mine = fold_of[article.doc_id] == fold
            (held if mine else trained).add(article, places)
            if mine and misses:
                lines += detection_misses(article, places)
    print(f"\nGeoWebNews toponym detection, {FOLDS}-fold cross-validated by source:")
    print(f"  held out: {held.exact.line()}")
    print(
        f"  training: {trained.exact.line()}  (gap in F1 {trained.exact.f1 - held.exact.f1:+.3f})"
    )
    print(f"  (held out, overlapping spans {held.overlapping.line()}; recall of the gold "
          f"toponyms with a GeoNames id {held.linked.recall:.3f})")  # fmt: skip
    if misses:
        print("\nheld-out detection errors (- missed gold span, + false span):")
        print("\n".join(lines))


def detection_misses(article: GoldArticle, places) -> list[str]:
    predicted = {(s.start, s.end) for p in places for s in p.spans if s.field == "text"}
    gold = {(t.start, t.end): t.type for t in article.toponyms if t.lat is not None}
    text = article.text
    out = []
    for (start, end), kind in sorted(gold.items()):
        if (start, end) not in predicted:
            out.append(f"  - {article.doc_id:>4} {kind:<20} {text[start:end]!r:<28} "
                       f"…{text[max(0, start - 40):end + 40]!r}")  # fmt: skip
    for start, end in sorted(predicted - gold.keys()):
        out.append(f"  + {article.doc_id:>4} {'':<20} {text[start:end]!r:<28} "
                   f"…{text[max(0, start - 40):end + 40]!r}")  # fmt: skip
    return out


# -- 3. GeoWebNews end to end -------------------------------------------------------------


class Tally:
    """Errors in km of resolved toponyms."""

    def __init__(self) -> None:
        self.errors: list[float] = []

    def line(self, label: str) -> str:
        n = len(self.errors)
        accurate = sum(e <= 161.0 for e in self.errors)
        median = statistics.median(self.errors) if self.errors else 0.0
        return (
            f"  {label:<22} n={n:<5} acc@161={accurate / max(n, 1):6.1%}  median_km={median:7.1f}"
        )


def end_to_end(settings, geotagger: Geotagger) -> None:
    articles = load_gwn()
    enricher = Enricher.load(settings)
    started = time.perf_counter()
    enriched = list(enricher.enrich_many(raw_articles(articles)))
    enriching = time.perf_counter() - started
    found = DetectionScore()
    for article, result in zip(articles, enriched, strict=True):
        found.add(article, result.places)
    print(
        f"\nGeoWebNews end to end, committed weights learned on every article, so not held "
        f"out (Enricher.enrich_many, {len(articles) / enriching:.1f} articles/s): detection "
        f"{found.exact.line()}"
    )
    print(f"  (for comparison: overlapping spans {found.overlapping.line()}; recall of the gold "
          f"toponyms with a GeoNames id {found.linked.recall:.3f})")  # fmt: skip
    print("resolution of the detected gold toponyms with a GeoNames id:")
    print(found.resolution.line("all"))
    print(_geotagging_speed(articles, geotagger))
    print(gazetteer_costs(settings.gazetteer_dir))
    print(f"peak RSS {_rss_mb():.0f} MB (model, gazetteer and a compile in one process)")


class DetectionScore:
    """An article's places against its gold toponyms that carry coordinates: exact spans,
    overlapping spans, the ones with a GeoNames id, and how far off the found ones are."""

    def __init__(self) -> None:
        self.exact, self.overlapping, self.linked = Detection(), Detection(), Detection()
        self.resolution = Tally()

    def add(self, article: GoldArticle, places: Sequence[Place]) -> None:
        predicted = {(s.start, s.end): p for p in places for s in p.spans if s.field == "text"}
        gold_spans = {(t.start, t.end): t for t in article.toponyms if t.lat is not None}
        matched = predicted.keys() & gold_spans.keys()
        self.exact.add(len(predicted), len(gold_spans), len(matched))
        self.overlapping.add(len(predicted), len(gold_spans), _overlapping(predicted, gold_spans))
        linked_spans = {k for k, t in gold_spans.items() if t.geonames_id is not None}
        self.linked.add(0, len(linked_spans), len(matched & linked_spans))
        for span in matched:
            gold, place = gold_spans[span], predicted[span]
            if gold.geonames_id is not None:
                self.resolution.errors.append(distance_km(gold.lat, gold.lon, place.lat, place.lon))


class Detection:
    """Toponym detection against the gold spans: the headline counts a span found when its
    offsets are the gold's exactly (GeoWebNews' own scoring)."""

    def __init__(self) -> None:
        self.tp = self.predicted = self.gold = 0

    def add(self, predicted: int, gold: int, matched: int) -> None:
        self.predicted += predicted
        self.gold += gold
        self.tp += matched

    @property
    def recall(self) -> float:
        return self.tp / max(self.gold, 1)

    @property
    def precision(self) -> float:
        return self.tp / max(self.predicted, 1)

    @property
    def f1(self) -> float:
        return 2 * self.precision * self.recall / max(self.precision + self.recall, 1e-9)

    def line(self) -> str:
        precision, f1 = self.precision, self.f1
        fp, fn = self.predicted - self.tp, self.gold - self.tp
        return f"P={precision:.3f} R={self.recall:.3f} F1={f1:.3f} (tp={self.tp} fp={fp} fn={fn})"


def _overlapping(predicted: Iterable[tuple[int, int]], gold: Iterable[tuple[int, int]]) -> int:
    """Pairs of a predicted and a gold span that overlap, each span in one pair at most
    ("Bank of Japan" annotated whole, "Japan" found)."""
    free = sorted(gold)
    pairs = 0
    for start, end in sorted(predicted):
        hit = next((g for g in free if g[0] < end and start < g[1]), None)
        if hit is not None:
            free.remove(hit)
            pairs += 1
    return pairs


def _geotagging_speed(articles: list[GoldArticle], geotagger: Geotagger) -> str:
    inputs = geotag_inputs("gwn", articles)
    fresh = Geotagger(Gazetteer.open(geotagger.gazetteer.directory))  # the committed weights
    rates = []
    for _ in range(2):
        started = time.perf_counter()
        for given in inputs:
            fresh.geotag(given.title, given.text, given.mentions)
        rates.append(len(inputs) / (time.perf_counter() - started))
    return f"geotagging alone (same mentions): {rates[0]:.0f} articles/s cold, {rates[1]:.0f} warm"


def gazetteer_costs(settings_dir: Path) -> str:
    """Compile into a scratch directory, then load it: seconds and memory of each."""
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        meta = build_gazetteer(Path(scratch))
        compiled = time.perf_counter() - started
        size = sum(f.stat().st_size for f in Path(scratch).iterdir()) / 1e6
    before = _rss_mb()
    started = time.perf_counter()
    Gazetteer.open(settings_dir)
    loaded = time.perf_counter() - started
    return (
        f"gazetteer: {meta.places} places, {meta.keys} name keys, {size:.0f} MB on disk; "
        f"compile {compiled:.1f} s, load {loaded:.2f} s, +{_rss_mb() - before:.0f} MB RSS on load"
    )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "services", "bench")
    return git("rev-parse", "--short", "HEAD") + (" (uncommitted changes)" if dirty else "")


if __name__ == "__main__":
    sys.exit(main())

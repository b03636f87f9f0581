"""Learning and cross-validating the place ranker on the development corpora.

Every gold article is read once (NER from the cache in ``data/geo_eval``, then the
ranker's first-pass evidence for every toponym: :class:`Case`); learning and scoring
then run on those readings alone.

- The toponyms of a case are the gold spans (labelled as the pipeline's own detection
  labelled them, where it found them) and the places the pipeline detected that no gold
  span covers: what a running worker would read, plus the gold.
- A toponym teaches the ranker when the gold says what it is: a gold span (its right
  readings: the gold's entry or any within 161 km), or a name the pipeline took for a
  place where the gold has none (its right reading: "no place here").
- Folds are by source: a paper's articles are all in one fold, so that the held-out
  figures are those of papers the weights never saw.
- The source prior is replayed in publication order: each article is read with the
  history of its source's earlier articles as the ranker resolved them. Training
  articles are read with their sources' gold history.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence

import msgspec
from msgspec import Struct

from bench.geo_corpora import CORPORA, GeotagInput, GoldArticle, GoldToponym, geotag_inputs
from services.enrich.distance import distance_km
from services.enrich.evidence import ANCHOR_FEATURES, PRIOR_FEATURES
from services.enrich.gazetteer import GazetteerEntry
from services.enrich.geotag import Geotagger
from services.enrich.place_mentions import GIVEN, place_mentions, toponyms_at
from services.enrich.ranker import (
    NAMES,
    NONE_NAMES,
    Choice,
    RankerWeights,
    Resolution,
    StoryReading,
    add_anchors,
    ranked,
    read_story,
    resolved,
    with_prior,
)
from services.enrich.ranker_learning import L2, Example, confidence_knee, fit
from services.enrich.source_history import SourceHistory

ACCURATE_KM = 161.0  # 100 miles, as the published figures
FOLDS = 5
NOT_PLACES = frozenset({"Non_Toponym", "Homonym"})  # GeoWebNews' types of names that are none
WITHOUT_PRIOR = frozenset(PRIOR_FEATURES)


class Case(Struct, kw_only=True):
    """One gold article, read for the ranker."""

    article: GoldArticle
    reading: StoryReading
    golds: list[list[GoldToponym]]  # per choice: the located gold spans it answers
    no_place: list[bool]  # per choice: the gold says the name is no place here
    answering: list[int | None]  # per located gold span, in order: its choice


class Answer(Struct, frozen=True):
    """What the ranker answered for one located gold span."""

    corpus: str
    gold: GoldToponym
    entry: GazetteerEntry | None
    confidence: float
    right: bool


class Scored(Struct, frozen=True):
    """One story's answers: for its gold spans, and as a worker would publish them."""

    corpus: str
    spans: list[Answer]
    published: list[tuple[float, bool]]  # (confidence, right) of each place it would publish


def read_cases(
    corpora: Iterable[str], geotagger: Geotagger, ablate: frozenset[str] = frozenset()
) -> list[Case]:
    cases = []
    for corpus in corpora:
        articles = CORPORA[corpus]()
        inputs = geotag_inputs(corpus, articles)
        cases += [read_case(a, i, geotagger, ablate) for a, i in zip(articles, inputs, strict=True)]
    return cases


def read_case(
    article: GoldArticle, given: GeotagInput, geotagger: Geotagger, ablate: frozenset[str]
) -> Case:
    located = [t for t in article.toponyms if t.located]
    found = place_mentions(given.text, given.mentions, geotagger)
    toponyms = toponyms_at(given.text, [(t.start, t.end) for t in located], found, given.title)
    reading = read_story(given.text, toponyms, geotagger.gazetteer, ablate=ablate)
    by_start = {s.start: i for i, t in enumerate(toponyms) for s in t.spans if s.field == "text"}
    answering = [by_start.get(t.start) for t in located]
    golds: list[list[GoldToponym]] = [[] for _ in toponyms]
    for gold, choice in zip(located, answering, strict=True):
        if choice is not None:
            golds[choice].append(gold)
    return Case(
        article=article,
        reading=reading,
        golds=golds,
        no_place=[_no_place(t.spans, article) for t in toponyms],
        answering=answering,
    )


def _no_place(spans, article: GoldArticle) -> bool:
    """The gold annotates none of the name's spans in the text as a place."""
    texts = [s for s in spans if s.field == "text"]
    if not texts:
        return False  # titles are not annotated
    for span in texts:
        for gold in article.toponyms:
            if gold.start < span.end and span.start < gold.end and gold.type not in NOT_PLACES:
                return False
    return True


def right_entry(entry: GazetteerEntry, gold: GoldToponym) -> bool:
    """Right as the published measure counts it: the gold's entry or within 161 km."""
    if entry.geonames_id == gold.geonames_id:
        return True
    return distance_km(gold.lat, gold.lon, entry.lat, entry.lon) <= ACCURATE_KM


def fits_gold(entry: GazetteerEntry, gold: GoldToponym) -> bool:
    """Right as the ranker learns it: also a sea or region whose reach holds the gold's
    point (the Atlantic's point is far from any point in it)."""
    far = distance_km(gold.lat, gold.lon, entry.lat, entry.lon)
    return right_entry(entry, gold) or far <= entry.extent_km


# -- learning -----------------------------------------------------------------------------


def examples(case: Case) -> Iterator[Example]:
    """A gold toponym's readings, the right ones marked."""
    for choice, golds in zip(case.reading.choices, case.golds, strict=True):
        if choice.candidates and golds:
            right = [fits_gold(c.entry, golds[0]) for c in choice.candidates]
            if any(right):
                yield Example(rows=choice.rows, right=right)


def none_examples(case: Case, weights: RankerWeights) -> Iterator[Example]:
    """Names the pipeline itself took for places, and whether publishing the best reading
    would be wrong (the gold has no place there, or another one): the "no place here" row
    against a row of zeros (a logistic model)."""
    second = weights.vector(second=True)
    for choice, golds, no_place in zip(
        case.reading.choices, case.golds, case.no_place, strict=True
    ):
        if not choice.candidates or choice.toponym.label == GIVEN or not (golds or no_place):
            continue  # never offered "no place" in a running worker, or the gold does not say
        found = ranked(case.reading, choice, second)
        wrong = no_place or not fits_gold(choice.candidates[found.best].entry, golds[0])
        row = found.none_row
        yield Example(rows=[row, [0.0] * len(row)], right=[wrong, not wrong])


def learn(
    cases: Sequence[Case], ablate: frozenset[str] = frozenset(), l2: float = L2
) -> RankerWeights:
    """Weights of both passes and of "no place here", learned on ``cases`` (read with
    their gold source history)."""
    for case, prior in _gold_priors(cases):
        with_prior(case.reading, prior)
    kept = [i for i, name in enumerate(NAMES) if name not in ablate]
    first_columns = [i for i in kept if NAMES[i] not in ANCHOR_FEATURES]
    first = _weights(
        NAMES, fit([e for c in cases for e in examples(c)], first_columns, len(NAMES), l2)
    )
    weights = RankerWeights(first=first, second={})
    for case in cases:
        add_anchors(case.reading, weights)
    second = _weights(NAMES, fit([e for c in cases for e in examples(c)], kept, len(NAMES), l2))
    weights = RankerWeights(first=first, second=second)
    none_columns = [i for i, name in enumerate(NONE_NAMES) if name not in ablate]
    found = [e for c in cases for e in none_examples(c, weights)]
    none = _weights(NONE_NAMES, fit(found, none_columns, len(NONE_NAMES), l2))
    weights = RankerWeights(first=first, second=second, none=none)
    # The raw confidence that makes "0.9 or more" mean "right 98 % of the time" on every corpus of
    # these cases, on gold spans and on what a worker would publish alike.
    scored = score(cases, weights)
    groups = [
        [(a.confidence, a.right) for a in spans_of(scored, corpus) if a.entry is not None]
        for corpus in {c.article.corpus for c in cases}
    ] + [
        [p for s in scored if s.corpus == corpus for p in s.published]
        for corpus in {c.article.corpus for c in cases}
    ]
    return msgspec.structs.replace(weights, confidence_knee=confidence_knee(groups))


def _weights(names: Sequence[str], vector) -> dict[str, float]:
    return {name: round(float(w), 4) for name, w in zip(names, vector, strict=True) if w}


def _gold_priors(cases: Sequence[Case]):
    """Each case with its source's history as the gold tells it, in publication order."""
    history = SourceHistory()
    for case in _in_order(cases):
        yield case, history.prior(case.article.source)
        history.record(case.article.source, _gold_places(case))


def _gold_places(case: Case) -> list[tuple[GazetteerEntry, float]]:
    places = []
    for choice, golds in zip(case.reading.choices, case.golds, strict=True):
        right = [c.entry for c in choice.candidates if golds and fits_gold(c.entry, golds[0])]
        if right:
            places.append((right[0], 1.0))
    return places


def _in_order(cases: Sequence[Case]) -> list[Case]:
    return sorted(cases, key=lambda c: (c.article.published, c.article.corpus, c.article.doc_id))


# -- scoring ------------------------------------------------------------------------------


def score(cases: Sequence[Case], weights: RankerWeights) -> list[Scored]:
    """Each case resolved as a running worker would, in publication order, with the
    history of its source's earlier cases as the ranker resolved them."""
    history = SourceHistory()
    scored = []
    for case in _in_order(cases):
        with_prior(case.reading, history.prior(case.article.source))
        add_anchors(case.reading, weights)
        published = resolved(case.reading, weights, none_allowed=True)
        history.record(case.article.source, [(r.entry, r.confidence) for r in published if r.entry])
        scored.append(_scored(case, weights, published))
    return scored


def _scored(case: Case, weights: RankerWeights, published: list[Resolution]) -> Scored:
    on_gold = resolved(case.reading, weights, none_allowed=False)
    spans = []
    located = [t for t in case.article.toponyms if t.located]
    for gold, choice in zip(located, case.answering, strict=True):
        answer = on_gold[choice] if choice is not None else None
        entry = answer.entry if answer is not None else None
        spans.append(
            Answer(
                corpus=case.article.corpus,
                gold=gold,
                entry=entry,
                confidence=answer.confidence if answer is not None else 0.0,
                right=entry is not None and right_entry(entry, gold),
            )
        )
    return Scored(corpus=case.article.corpus, spans=spans, published=_published(case, published))


def _published(case: Case, published: list[Resolution]) -> list[tuple[float, bool]]:
    """(confidence, right) of each place a worker would publish whose truth the gold tells."""
    found = []
    for resolution, golds, no_place in zip(published, case.golds, case.no_place, strict=True):
        if resolution.entry is None or resolution.via_demonym or resolution.toponym.label == GIVEN:
            continue
        if golds:
            found.append((resolution.confidence, right_entry(resolution.entry, golds[0])))
        elif no_place:
            found.append((resolution.confidence, False))
    return found


# -- cross-validation ---------------------------------------------------------------------


def folds_by_source(cases: Sequence[Case], folds: int = FOLDS) -> list[int]:
    """A fold per case; each source's cases all in one fold, folds of like size per corpus."""
    by_source: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        by_source[case.article.corpus, case.article.source or case.article.doc_id].append(i)
    fold_of = [0] * len(cases)
    sizes: Counter[tuple[str, int]] = Counter()
    ordered = sorted(by_source.items(), key=lambda kv: (-len(kv[1]), _hash(kv[0])))
    for (corpus, _), members in ordered:
        fold = min(range(folds), key=lambda f: (sizes[corpus, f], f))
        sizes[corpus, fold] += len(members)
        for i in members:
            fold_of[i] = fold
    return fold_of


def _hash(key: tuple[str, str]) -> str:
    return hashlib.blake2b("/".join(key).encode(), digest_size=8).hexdigest()


class FoldResult(Struct, frozen=True):
    held_out: list[Scored]
    training: list[Scored]
    weights: RankerWeights
    errors: list[str] = []  # the held-out wrong answers, explained


def cross_validate(
    cases: Sequence[Case],
    ablate: frozenset[str] = frozenset(),
    l2: float = L2,
    progress: Callable[[str], None] = lambda _: None,
    explain_errors: bool = False,
) -> list[FoldResult]:
    fold_of = folds_by_source(cases)
    results = []
    for fold in range(FOLDS):
        training = [c for c, f in zip(cases, fold_of, strict=True) if f != fold]
        held_out = [c for c, f in zip(cases, fold_of, strict=True) if f == fold]
        weights = learn(training, ablate, l2)
        held_out_scored = score(held_out, weights)
        errors = [e for c in held_out for e in wrong_answers(c, weights)] if explain_errors else []
        results.append(
            FoldResult(
                held_out=held_out_scored,
                training=score(training, weights),
                weights=weights,
                errors=errors,
            )
        )
        progress(f"fold {fold + 1}/{FOLDS}")
    return results


def accuracy(answers: Iterable[Answer]) -> tuple[float, int]:
    answers = list(answers)
    return (sum(a.right for a in answers) / len(answers) if answers else 0.0), len(answers)


def spans_of(scored: Iterable[Scored], corpus: str | None = None) -> list[Answer]:
    return [a for s in scored for a in s.spans if corpus is None or a.corpus == corpus]


def wrong_answers(case: Case, weights: RankerWeights) -> list[str]:
    """One line per gold span of a scored case answered wrong: what was written, what it
    was read as, and why the winner beat the gold's reading (when it was one of them)."""
    lines = []
    answers = resolved(case.reading, weights, none_allowed=False)
    located = [t for t in case.article.toponyms if t.located]
    for gold, at in zip(located, case.answering, strict=True):
        answer = answers[at] if at is not None else None
        if answer is not None and answer.entry is not None and right_entry(answer.entry, gold):
            continue
        written = case.article.text[gold.start : gold.end]
        head = f"  {case.article.corpus} {case.article.source[:24]:<24} {written!r}"
        if answer is None or answer.entry is None or at is None:
            lines.append(f"{head}: no reading (gold {gold.lat:.2f},{gold.lon:.2f})")
            continue
        choice = case.reading.choices[at]
        won = answer.entry
        lines.append(
            f"{head} ({choice.toponym.label}) -> {won.name}, {won.admin1 or ''} {won.country_code}"
            f" {won.feature_code} p={answer.confidence:.2f}, "
            f"{distance_km(gold.lat, gold.lon, won.lat, won.lon):,.0f} km off"
        )
        gold_at = next(
            (i for i, c in enumerate(choice.candidates) if right_entry(c.entry, gold)), None
        )
        if gold_at is None:
            lines.append("      the gold is none of the readings")
            continue
        winner_at = next(i for i, c in enumerate(choice.candidates) if c.entry is won)
        ahead, behind = explain(choice, winner_at, weights), explain(choice, gold_at, weights)
        difference = {
            name: ahead.get(name, 0.0) - behind.get(name, 0.0) for name in {*ahead, *behind}
        }
        shown = sorted(
            ((n, d) for n, d in difference.items() if abs(d) >= 0.05), key=lambda nd: -abs(nd[1])
        )
        gold_entry = choice.candidates[gold_at].entry
        lines.append(
            f"      vs gold {gold_entry.name}, {gold_entry.admin1 or ''} {gold_entry.feature_code}: "
            + ", ".join(f"{n} {d:+.2f}" for n, d in shown[:8])
        )
    return lines


def explain(choice: Choice, index: int, weights: RankerWeights) -> dict[str, float]:
    """A reading's score as named contributions (second pass), the biggest first."""
    second = weights.vector(second=True)
    row = choice.rows[index]
    parts = {name: w * x for name, w, x in zip(NAMES, second, row, strict=True) if w * x}
    return dict(sorted(parts.items(), key=lambda kv: -abs(kv[1])))

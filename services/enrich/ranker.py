"""Which GeoNames entry each toponym means, and how sure we are: a learned ranker.

For every toponym of a story: its readings (the gazetteer's candidates, less the vetoed
ones, see :mod:`services.enrich.evidence`). Each reading gets a score, the weighted sum
of its named features; the weights are learned from gold corpora (``make learn``,
:mod:`services.enrich.ranker_learning`) and live in one typed object,
:class:`RankerWeights`, read from ``data/ranker_weights.json``.

Two passes, as a reader goes: the first scores every reading on the evidence of the name
and the story as a whole; the readings it is surest of become *anchors*, and the second
pass also weighs nearness to them. The probability of a reading is its softmax share
among the toponym's readings; how *sure* the ranking is of an answer is the probability
of it and of the readings that answer alike (within 25 km: a city and the district
around it). Then, whether to publish it at all: a logistic model of the odds that the
name is no place or not this one, on the name as written (NER's label, a sentence's
first word, a common word) and on its best reading. The confidence of an answer is
P(publish) x sure, stretched so that 0.9 or more means right 98 % of the time on every
corpus learned from. "Iraqi" is Iraq's by a rule: demonyms vote, they
are not ranked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import msgspec
from msgspec import Struct

from services.enrich.distance import distance_km
from services.enrich.evidence import (
    ANCHOR_FEATURES,
    CANDIDATE_ONLY,
    FEATURES,
    NONE_FEATURES,
    PRIOR_FEATURES,
    VETOES,
    WHOLE_AREAS,
)
from services.enrich.gazetteer import Candidate, Gazetteer, GazetteerEntry
from services.enrich.gazetteer_build import ADMIN2_FEATURE, LOOSE, PRIMARY
from services.enrich.place_mentions import COMMON_WORDS, LONE_LABELS, Toponym
from services.enrich.source_history import NO_HISTORY, SourcePrior
from services.enrich.story import Story, anchored, story_of

WEIGHTS_FILE = Path(__file__).with_name("data") / "ranker_weights.json"
# One column per feature, in this order, in every reading's vector and weight list ...
NAMES: tuple[str, ...] = (*FEATURES, *ANCHOR_FEATURES)
_ANCHOR_START = len(FEATURES)
# ... and in every "no place here" vector.
NONE_NAMES: tuple[str, ...] = tuple(NONE_FEATURES)
SAME_ANSWER_KM = 25.0
DEMONYM_CONFIDENCE = 0.9  # "Iraqi" is Iraq's; the rest is whether NER read it right
# ... but a continent's or a region's ("African", "Central American") is drawn at a point
# that is no GeoNames point and lies far from most of it
WIDE_DEMONYM_CONFIDENCE = 0.5
WIDE_AREAS = frozenset({"CONT", "RGN"})


class RankerWeights(Struct, frozen=True, kw_only=True):
    """The ranker's weights, by feature name (a name left out weighs nothing)."""

    first: dict[str, float]  # the first pass: no anchors yet
    second: dict[str, float]  # the second pass: with nearness to the anchors
    none: dict[str, float] = {}  # the log-odds that the name is no place here
    anchor_confidence: float = 0.7  # a first-pass answer this sure is an anchor
    # the raw confidence (P(publish) x sure) put at 0.9: learned so that answers of 0.9
    # or more were right 98 % of the time on every corpus (linear below and above it)
    confidence_knee: float = 0.9
    learned_from: str = ""  # what they were learned from (``make learn``)

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> RankerWeights:
        return msgspec.json.decode(path.read_bytes(), type=cls)

    def vector(self, second: bool) -> list[float]:
        weights = self.second if second else self.first
        return [weights.get(name, 0.0) for name in NAMES]

    def none_vector(self) -> list[float]:
        return [self.none.get(name, 0.0) for name in NONE_NAMES]

    def calibrated(self, raw: float) -> float:
        knee = self.confidence_knee
        if raw < knee:
            return 0.9 * raw / knee
        return 0.9 + 0.1 * (raw - knee) / (1.0 - knee)


UNLEARNED = RankerWeights(first={}, second={}, learned_from="nothing: every reading alike")


class Resolution(Struct, kw_only=True):
    toponym: Toponym
    entry: GazetteerEntry | None
    confidence: float = 0.0
    via_demonym: bool = False


class Choice(Struct, kw_only=True):
    """One toponym's readings, each with its feature vector (columns: ``NAMES``)."""

    toponym: Toponym
    candidates: list[Candidate]
    rows: list[list[float]]
    demonym: GazetteerEntry | None = None


class Ranked(Struct, frozen=True):
    """A choice's best reading, how sure the ranking is of it, and the evidence on
    whether the name is a place at all (columns: ``NONE_NAMES``)."""

    best: int
    sure: float
    none_row: list[float]


class StoryReading(Struct, kw_only=True):
    story: Story
    choices: list[Choice]
    ablate: frozenset[str] = frozenset()  # features and vetoes left out


def read_story(
    text: str,
    toponyms: Sequence[Toponym],
    gazetteer: Gazetteer,
    prior: SourcePrior = NO_HISTORY,
    ablate: frozenset[str] = frozenset(),
) -> StoryReading:
    """Every toponym's readings and their first-pass evidence. ``ablate``: names of
    features and vetoes to leave out (for measuring what each is worth)."""
    candidates = {t.key: list(gazetteer.candidates(t.name)) for t in toponyms}
    # A lone name is a town or nobody: "Jackson Smith" holds no Jackson, Ohio.
    inner = frozenset(
        t.key
        for t in toponyms
        if not candidates[t.key] and not t.demonym and t.label not in LONE_LABELS
    )
    names = {t.key: t.name for t in reversed(toponyms)}  # the first toponym's of each key
    located = {t.key: t.located_in for t in reversed(toponyms) if t.located_in}
    for key in inner:
        candidates[key] = inner_candidates(names[key], gazetteer) or located_candidates(
            located.get(key), gazetteer
        )
    demonyms = {t.key: _demonym_entry(t, candidates[t.key], gazetteer) for t in toponyms}
    story = story_of(text, toponyms, candidates, demonyms, inner, gazetteer, prior)
    vetoes = [v for name, v in VETOES.items() if name not in ablate]
    static = [i for i, name in enumerate(FEATURES) if name in CANDIDATE_ONLY and name not in ablate]
    features = [
        (i, f)
        for i, (name, f) in enumerate(FEATURES.items())
        if name not in ablate and name not in CANDIDATE_ONLY
    ]
    choices = []
    for toponym in toponyms:
        demonym = demonyms[toponym.key]
        if demonym is not None:
            choices.append(Choice(toponym=toponym, candidates=[], rows=[], demonym=demonym))
            continue
        kept = [c for c in candidates[toponym.key] if not any(v(c, toponym, story) for v in vetoes)]
        rows = [_row(static, features, c, toponym, story) for c in kept]
        choices.append(Choice(toponym=toponym, candidates=kept, rows=rows))
    return StoryReading(story=story, choices=choices, ablate=ablate)


def _row(static, features, candidate: Candidate, toponym: Toponym, story: Story) -> list[float]:
    row = [0.0] * len(NAMES)
    known = _of_the_reading(candidate)
    for column in static:
        row[column] = known[column]
    for column, feature in features:
        row[column] = feature(candidate, toponym, story)
    return row


_READINGS_KEPT = 1 << 15
_readings: dict[tuple[int, int], list[float]] = {}


def _of_the_reading(candidate: Candidate) -> list[float]:
    """The features of the reading alone (``CANDIDATE_ONLY``), by column; the names of
    the news recur, so the last readings' are kept."""
    key = (candidate.entry.row, candidate.quality)
    known = _readings.get(key)
    if known is None:
        if len(_readings) >= _READINGS_KEPT:
            _readings.clear()
        known = _readings[key] = [
            f(candidate, None, None) if name in CANDIDATE_ONLY else 0.0  # type: ignore[arg-type]
            for name, f in FEATURES.items()
        ]
    return known


def with_prior(reading: StoryReading, prior: SourcePrior) -> None:
    """The reading with the source's history as it stands now (evaluation replays a
    source's stories in order; a running worker reads each story with it at once)."""
    reading.story.prior = prior
    features = [
        (NAMES.index(name), FEATURES[name]) for name in PRIOR_FEATURES if name not in reading.ablate
    ]
    for choice in reading.choices:
        for candidate, row in zip(choice.candidates, choice.rows, strict=True):
            for column, feature in features:
                row[column] = feature(candidate, choice.toponym, reading.story)


def add_anchors(reading: StoryReading, weights: RankerWeights) -> None:
    """The first pass: the answers it is surest of become anchors, and every reading gets
    its evidence of nearness to them."""
    first = weights.vector(second=False)
    anchors = []
    for choice in reading.choices:
        if not choice.candidates:
            continue
        probabilities = softmax([dot(first, row) for row in choice.rows])
        best = max(range(len(choice.candidates)), key=probabilities.__getitem__)
        entry = choice.candidates[best].entry
        sure = probabilities[best] >= weights.anchor_confidence
        if sure and entry.feature_code not in WHOLE_AREAS:
            anchors.append((choice.toponym.key, entry))
    story = anchored(reading.story, anchors)
    features = [
        (_ANCHOR_START + i, f)
        for i, (name, f) in enumerate(ANCHOR_FEATURES.items())
        if name not in reading.ablate
    ]
    for choice in reading.choices:
        for candidate, row in zip(choice.candidates, choice.rows, strict=True):
            for column, feature in features:
                row[column] = feature(candidate, choice.toponym, story)


def ranked(reading: StoryReading, choice: Choice, second: list[float]) -> Ranked:
    """The second pass for one choice (that has readings), with the second pass's weights
    (``RankerWeights.vector(second=True)``)."""
    probabilities = softmax([dot(second, row) for row in choice.rows])
    best = max(range(len(choice.candidates)), key=probabilities.__getitem__)
    entry = choice.candidates[best].entry
    sure = sum(
        p
        for candidate, p in zip(choice.candidates, probabilities, strict=True)
        if same_answer(entry, candidate.entry)
    )
    sure = min(sure, 1.0)
    none_row = [
        0.0
        if name in reading.ablate
        else feature(choice.toponym, reading.story, choice.candidates[best], sure)
        for name, feature in NONE_FEATURES.items()
    ]
    return Ranked(best=best, sure=sure, none_row=none_row)


def resolved(
    reading: StoryReading, weights: RankerWeights, *, none_allowed: bool
) -> list[Resolution]:
    """The second pass: each toponym's best reading and the confidence in it, or None
    where the name is likelier no place. Without ``none_allowed`` (the spans are known
    to be places) a name with any reading gets one."""
    second, none = weights.vector(second=True), weights.none_vector()
    return [
        _resolution(reading, choice, weights, second, none, none_allowed)
        for choice in reading.choices
    ]


def rank(
    text: str,
    toponyms: Sequence[Toponym],
    gazetteer: Gazetteer,
    weights: RankerWeights,
    prior: SourcePrior = NO_HISTORY,
    *,
    none_allowed: bool = True,
) -> list[Resolution]:
    reading = read_story(text, toponyms, gazetteer, prior)
    add_anchors(reading, weights)
    return resolved(reading, weights, none_allowed=none_allowed)


def _resolution(
    reading: StoryReading,
    choice: Choice,
    weights: RankerWeights,
    second: list[float],
    none: list[float],
    none_allowed: bool,
) -> Resolution:
    toponym = choice.toponym
    if choice.demonym is not None:
        wide = choice.demonym.feature_code in WIDE_AREAS
        confidence = WIDE_DEMONYM_CONFIDENCE if wide else DEMONYM_CONFIDENCE
        return Resolution(
            toponym=toponym, entry=choice.demonym, confidence=confidence, via_demonym=True
        )
    if not choice.candidates:
        return Resolution(toponym=toponym, entry=None)
    found = ranked(reading, choice, second)
    # The odds against publishing it: that the name is no place, or not this one.
    place = 1.0 - _logistic(dot(none, found.none_row))
    if none_allowed and place < 0.5:
        return Resolution(toponym=toponym, entry=None, confidence=round(1.0 - place, 3))
    confidence = weights.calibrated(place * found.sure)
    return Resolution(
        toponym=toponym, entry=_town_of_its_district(choice, found.best), confidence=round(confidence, 3)
    )


def _town_of_its_district(choice: Choice, best: int) -> GazetteerEntry:
    """A district named after its town answers with the town: the same answer (see
    :func:`same_answer`) at the point a reader means ("Mosul" is the city, not the
    centre of the larger district around it)."""
    winner = choice.candidates[best]
    if winner.entry.feature_code != ADMIN2_FEATURE:
        return winner.entry
    towns = [
        c.entry
        for c in choice.candidates
        if c.entry.feature_code.startswith("PPL")
        and c.quality == winner.quality
        and (c.entry.country_code, c.entry.admin1) == (winner.entry.country_code, winner.entry.admin1)
    ]
    return max(towns, key=lambda town: town.population, default=winner.entry)


def _logistic(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-score)) if score > -700 else 0.0


def same_answer(one: GazetteerEntry, other: GazetteerEntry) -> bool:
    """Two readings that answer alike: within 25 km, or a town and the county around it
    ("Mosul" the city and the district)."""
    if one is other:
        return True
    in_one_state = (one.country_code, one.admin1) == (other.country_code, other.admin1)
    if in_one_state and ADMIN2_FEATURE in (one.feature_code, other.feature_code):
        return True
    return distance_km(one.lat, one.lon, other.lat, other.lon) <= SAME_ANSWER_KM


def dot(weights: list[float], row: list[float]) -> float:
    return sum([w * x for w, x in zip(weights, row, strict=True) if w])


def softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


# -- readings of names the gazetteer lacks, and demonyms ------------------------------------


def inner_candidates(name: str, gazetteer: Gazetteer) -> list[Candidate]:
    """For a name the gazetteer lacks ("Dulles International Airport", "Lake Manassas"),
    the places named by its longest run of proper words that the gazetteer knows and that
    starts the name or follows a generic word ("Easter Sunday Mass" is no Massachusetts).
    A continent's name is no clue: "North Africa" lies thousands of km from its middle."""
    words = name.split()
    for length in range(len(words) - 1, 0, -1):
        found = [
            c
            for start in range(len(words) - length + 1)
            if _proper_run(words[start : start + length])
            and (start == 0 or words[start - 1].lower().strip(".,") in COMMON_WORDS)
            for c in _unless_continent(
                gazetteer.candidates(" ".join(words[start : start + length]))
            )
            if c.quality > LOOSE
        ]
        if found:
            return found
    return []


def located_candidates(place: str | None, gazetteer: Gazetteer) -> list[Candidate]:
    """For a name the gazetteer lacks with none inside it either ("Loyola University",
    "Collins Avenue"), the readings of the place written right after it ("in Los
    Angeles", ", Dublin"), a country, state or town by its name (a continent is no clue)."""
    if not place:
        return []
    found = _unless_continent(gazetteer.candidates(place))
    return [c for c in found if c.quality > LOOSE]


def _unless_continent(candidates: Sequence[Candidate]) -> Sequence[Candidate]:
    return [] if any(c.entry.feature_code == "CONT" for c in candidates) else candidates


def _proper_run(words: list[str]) -> bool:
    return words[0][:1].isupper() and not all(w.lower().strip(".,") in COMMON_WORDS for w in words)


def _demonym_entry(
    toponym: Toponym, candidates: Sequence[Candidate], gazetteer: Gazetteer
) -> GazetteerEntry | None:
    entry = gazetteer.demonym(toponym.name)
    if entry is None:
        return None
    # "Canadian" is also a town in Texas: only a country, a state or a city named so
    # exactly outweighs the demonym.
    if toponym.demonym or not any(c.quality == PRIMARY and c.entry.is_major for c in candidates):
        return entry
    return None

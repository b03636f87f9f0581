"""Which GeoNames entry each toponym means, and how sure we are.

Evidence, in the order a reader uses it: the name itself (an exact spelling beats a
loose one), what kind of place it is (a country or state is what a bare name usually
means), how big it is, which countries the story is about (countries named, demonyms,
the dateline), and how close it lies to places already resolved with confidence.

Confidence is the margin of the winner over the best rival more than 25 km away, so a
name with one plausible reading is sure and "Paris" between France and Texas is not.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from msgspec import Struct

from services.enrich.anchors import Anchors
from services.enrich.gazetteer import MAJOR_CITY, Candidate, Gazetteer, GazetteerEntry
from services.enrich.gazetteer_build import ADMIN2_FEATURE, ALTERNATE, LOOSE, PRIMARY
from services.enrich.place_mentions import (
    COMMON_WORDS,
    EMBEDDED,
    LONE_LABELS,
    LONE_PERSON,
    Toponym,
)
from services.enrich.toponyms import possessive_stripped

# Weights of the evidence, tuned on the GeoWebNews development set only (bench/eval_geo.py).
NAME_QUALITY = {PRIMARY: 1.0, ALTERNATE: 0.0, LOOSE: 0.0}
FEATURE_BONUS = {"PCLI": 2.5, "CONT": 2.5, "PPLC": 1.5, "ADM1": -0.5, "ADM2": -1.0}
POPULATION_WEIGHT = 0.7  # per decade of inhabitants
VOTE_WEIGHT = 1.0  # times the country's share of the story's country votes
NEAR_WEIGHT = 2.0  # for a candidate next to a confidently resolved place ...
NEAR_KM = 1500.0  # ... falling to nothing at this distance
STATE_WEIGHT = 0.5  # for a candidate in a state the story names
QUALIFIER_WEIGHT = 3.0  # for a candidate in the state or country written after the name
RIVAL_KM = 25.0
MARGIN_SCALE = 1.0
ANCHOR_CONFIDENCE = 0.6
DOMINANT_VOTES = 2.0  # this many votes make a story "about" its countries
DEMONYM_CONFIDENCE = 0.9  # "Iraqi" is Iraq's; the rest is whether NER read it right
INNER_CONFIDENCE = 0.5  # a place named inside an unknown name is where it probably is
LONE_NAME_POPULATION = 2_000
# spaCy's labels for regions, seas and mountains, and for buildings, airports and roads
NOT_SETTLEMENTS = frozenset({"LOC", "FAC"})
WHOLE_AREAS = ("PCLI", "CONT")  # their point is a centre: nearness to it means nothing


class Resolution(Struct, kw_only=True):
    toponym: Toponym
    entry: GazetteerEntry | None
    confidence: float = 0.0
    via_demonym: bool = False


class StoryContext(Struct, kw_only=True):
    votes: dict[str, float]  # country code -> share of the votes
    vote_total: float
    anchors: Anchors  # (toponym key, entry) resolved with confidence
    regions: dict[str, GazetteerEntry | None]  # toponym key -> the state or country after it
    states: set[tuple[str, str]]  # (country, admin1 name) of the states the story names
    inner: set[str]  # toponym keys resolved by a place named inside them
    lone_countries: set[str]  # where two or more lone names are towns ("Cheltenham", "Stroud")


def resolve_toponyms(toponyms: Sequence[Toponym], gazetteer: Gazetteer) -> list[Resolution]:
    """Resolve every toponym in two passes: the second one also uses proximity to the
    places the first pass resolved with confidence."""
    candidates = {t.key: gazetteer.candidates(t.name) for t in toponyms}
    # A lone name is a town or nobody: "Jackson Smith" holds no Jackson, Ohio.
    inner = {
        t.key
        for t in toponyms
        if not candidates[t.key] and not t.demonym and t.label not in LONE_LABELS
    }
    names = {t.key: t.name for t in reversed(toponyms)}  # the first toponym's of each key
    for key in inner:
        candidates[key] = inner_candidates(names[key], gazetteer)
    demonyms = {t.key: _demonym_entry(t, candidates[t.key], gazetteer) for t in toponyms}
    regions = {t.key: _qualifying_region(t, gazetteer) for t in toponyms}
    context = StoryContext(
        anchors=Anchors((), NEAR_KM, distance_km),
        regions=regions,
        states=_states(regions.values()),
        inner=inner,
        lone_countries=_lone_names_countries(toponyms, candidates),
        **_country_votes(toponyms, candidates, demonyms, gazetteer),
    )
    first = [_resolve(t, candidates[t.key], demonyms[t.key], context) for t in toponyms]
    context.anchors = Anchors(
        (
            (r.toponym.key, r.entry)
            for r in first
            if r.entry and r.confidence >= ANCHOR_CONFIDENCE and not r.via_demonym
            and r.entry.feature_code not in WHOLE_AREAS
        ),
        NEAR_KM,
        distance_km,
    )  # fmt: skip
    context.states |= _states(r.entry for r in first if r.confidence >= ANCHOR_CONFIDENCE)
    return [_resolve(t, candidates[t.key], demonyms[t.key], context) for t in toponyms]


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
            for c in _unless_continent(gazetteer.candidates(" ".join(words[start : start + length])))
            if c.quality > LOOSE
        ]
        if found:
            return found
    return []


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
    if toponym.demonym or not any(_names_major_place(c) for c in candidates):
        return entry
    return None


def _names_major_place(candidate: Candidate) -> bool:
    return candidate.quality == PRIMARY and candidate.entry.is_major


def _country_votes(
    toponyms: Sequence[Toponym],
    candidates: dict[str, Sequence[Candidate]],
    demonyms: dict[str, GazetteerEntry | None],
    gazetteer: Gazetteer,
) -> dict[str, object]:
    votes: Counter[str] = Counter()
    for toponym in toponyms:
        if toponym.label in LONE_LABELS:
            continue  # maybe a person: no evidence until it resolves
        weight = len(toponym.spans)
        demonym = demonyms[toponym.key]
        if demonym is not None and demonym.country_code:
            votes[demonym.country_code] += weight
            continue
        named = _named_country_or_state(candidates[toponym.key])
        if named is not None:
            votes[named.country_code] += weight if named.feature_code == "PCLI" else weight / 2
        if toponym.dateline and toponym.qualifier:
            region = _named_country_or_state(gazetteer.candidates(toponym.qualifier))
            if region is not None:
                votes[region.country_code] += 2
    total = sum(votes.values())
    return {"votes": {c: v / total for c, v in votes.items()} if total else {}, "vote_total": total}


def _states(entries: Iterable[GazetteerEntry | None]) -> set[tuple[str, str]]:
    return {
        (e.country_code, e.admin1)
        for e in entries
        if e is not None and e.feature_code == "ADM1" and e.admin1
    }


def _qualifying_region(toponym: Toponym, gazetteer: Gazetteer) -> GazetteerEntry | None:
    """The state or country written right after the name: "Paris, Texas"."""
    if not toponym.qualifier:
        return None
    return _named_country_or_state(gazetteer.candidates(possessive_stripped(toponym.qualifier)))


def _named_country_or_state(candidates: Sequence[Candidate]) -> GazetteerEntry | None:
    """The country or first-level division a name spells out, if it spells one."""
    for candidate in candidates:
        if candidate.quality >= ALTERNATE and candidate.entry.feature_code in ("PCLI", "ADM1"):
            return candidate.entry
    return None


def _resolve(
    toponym: Toponym,
    candidates: Sequence[Candidate],
    demonym: GazetteerEntry | None,
    context: StoryContext,
) -> Resolution:
    if demonym is not None:
        return Resolution(
            toponym=toponym, entry=demonym, confidence=DEMONYM_CONFIDENCE, via_demonym=True
        )
    # A variant spelling is a fallback, not a rival of the name as written.
    if any(c.quality > LOOSE for c in candidates):
        candidates = [c for c in candidates if c.quality > LOOSE]
    plausible = [c for c in candidates if _plausible(c, toponym, context)]
    if toponym.as_division and not any(c.entry.feature_code == "PCLI" for c in plausible):
        # "Washington state" is the state; "Georgia state television" is still Georgia's.
        plausible = [c for c in plausible if c.entry.feature_code == "ADM1"] or plausible
    if not plausible:
        return Resolution(toponym=toponym, entry=None)
    scored = sorted(((_score(c, toponym, context), c) for c in plausible), key=lambda sc: -sc[0])
    best_score, best = scored[0]
    rivals = scored[1:]
    if toponym.label in LONE_LABELS and not _town_in_story(best.entry, context):
        town = _namesake_town(best.entry, scored, context)
        if town is None:
            return Resolution(toponym=toponym, entry=None)
        # The division around the town is no rival reading of the name.
        rivals = [sc for sc in scored if sc[1] is not town[1] and sc[1] is not best]
        best_score, best = town
    confidence = _confidence(best_score, best, rivals)
    if toponym.key in context.inner:
        confidence *= INNER_CONFIDENCE
    return Resolution(toponym=toponym, entry=best.entry, confidence=round(confidence, 3))


def _plausible(candidate: Candidate, toponym: Toponym, context: StoryContext) -> bool:
    """Whether the name can mean this place at all. An organisation's name or a short name
    carries only a famous place's; a region or facility NER knows is no small town
    elsewhere; and a town abroad that only a variant spelling, a list of neighbourhoods or a
    word inside an unknown name ("Brands Hatch") points to, in a story about other
    countries, is a false friend (Quds in Mosul is not Jerusalem)."""
    entry = candidate.entry
    if toponym.label == EMBEDDED and not entry.is_major:
        return False  # "Portland Trail Blazers": an organisation carries a famous place's name
    if _short(toponym.name) and (not entry.is_major or re.search(r"[a-z][A-Z]", toponym.name)):
        return False  # "UK", "Jos", "Pa." are places; "AI", "Dr" no hamlet's, "MoD" no Modesto
    if toponym.label in NOT_SETTLEMENTS and not _local_story_allows(entry, toponym, context):
        return False
    region = context.regions.get(toponym.key)
    if toponym.key in context.inner and region is not None and not _inside(entry, region):
        return False  # "CAMP MURRAY, Wash.": no Camp County, Texas
    if context.vote_total < DOMINANT_VOTES or entry.country_code in context.votes:
        return True
    if entry.feature_code in ("PCLI", "CONT", "ADM1"):
        return True
    named_inside = toponym.key in context.inner
    return not (toponym.in_sub_place_list or candidate.quality == LOOSE or named_inside)


def _inside(entry: GazetteerEntry, region: GazetteerEntry) -> bool:
    """Whether the place lies in the country or state (region) written after its name."""
    in_country = entry.country_code == region.country_code
    return in_country and (region.feature_code != "ADM1" or region.admin1 == entry.admin1)


def _local_story_allows(entry: GazetteerEntry, toponym: Toponym, context: StoryContext) -> bool:
    """NER reads "Middle East", "Atlantic" and "Heathrow" as places that are no settlement:
    a small town or a county of that name is meant only in a story that is local there,
    one with another place of its state resolved with confidence."""
    small_town = entry.feature_code.startswith("PPL") and entry.population < MAJOR_CITY
    if not (small_town or entry.feature_code == ADMIN2_FEATURE):
        return True
    # No anchors yet in the first pass: such a town never anchors others, by design.
    return context.anchors.in_state_of(entry, besides=toponym.key)


def _namesake_town(
    division: GazetteerEntry, scored: list[tuple[float, Candidate]], context: StoryContext
) -> tuple[float, Candidate] | None:
    """The town a lone name means when it also names the division around it ("Aveiro",
    "Bac Ninh"): a person is seldom named after a province and its capital at once."""
    if division.feature_code not in ("ADM1", ADMIN2_FEATURE):
        return None
    return next(
        (
            (score, c)
            for score, c in scored
            if _town_in_story(c.entry, context)
            and (c.entry.country_code, c.entry.admin1) == (division.country_code, division.admin1)
        ),
        None,
    )


def _short(name: str) -> bool:
    return sum(c.isalpha() for c in name) <= 3


def _town_in_story(entry: GazetteerEntry, context: StoryContext) -> bool:
    """Whether a name that may be a person's is a town of some size in the story's countries
    (hamlets are named after everyone)."""
    in_story = entry.country_code in context.votes or entry.country_code in context.lone_countries
    return _town(entry) and in_story


def _town(entry: GazetteerEntry) -> bool:
    return entry.feature_code.startswith("PPL") and entry.population >= LONE_NAME_POPULATION


def _lone_names_countries(
    toponyms: Sequence[Toponym], candidates: dict[str, Sequence[Candidate]]
) -> set[str]:
    """Countries where two or more of the story's lone names are towns: NER took a run of
    English towns for people, and they vouch for each other (companies named after towns,
    "Alcoa and Goodyear", do not)."""
    towns_in: Counter[str] = Counter()
    for toponym in toponyms:
        if toponym.label == LONE_PERSON:
            towns_in.update(
                {
                    c.entry.country_code
                    for c in candidates[toponym.key]
                    if c.quality == PRIMARY and _town(c.entry)
                }
            )
    return {country for country, count in towns_in.items() if count >= 2}


def _score(candidate: Candidate, toponym: Toponym, context: StoryContext) -> float:
    entry = candidate.entry
    score = NAME_QUALITY[candidate.quality]
    score += FEATURE_BONUS.get(entry.feature_code, 0.0) * (candidate.quality > LOOSE)
    score += POPULATION_WEIGHT * math.log10(entry.population + 1)
    score += VOTE_WEIGHT * context.votes.get(entry.country_code, 0.0)
    if entry.feature_code != "ADM1" and (entry.country_code, entry.admin1) in context.states:
        score += STATE_WEIGHT
    region = context.regions.get(toponym.key)
    if region is not None and _inside(entry, region):
        score += QUALIFIER_WEIGHT
    if entry.feature_code not in WHOLE_AREAS:
        # Anchors out of reach (NEAR_KM) would add nothing: None when no other is within.
        nearest = context.anchors.nearest_km(entry, besides=toponym.key)
        if nearest is not None:
            score += NEAR_WEIGHT * max(0.0, 1.0 - nearest / NEAR_KM)
    return score


def _confidence(best_score: float, best: Candidate, rivals: list[tuple[float, Candidate]]) -> float:
    far = [
        s
        for s, c in rivals
        if distance_km(best.entry.lat, best.entry.lon, c.entry.lat, c.entry.lon) > RIVAL_KM
        and not _town_and_its_county(best.entry, c.entry)
    ]
    margin = best_score - far[0] if far else 3.0 * MARGIN_SCALE
    confidence = 1.0 - math.exp(-max(margin, 0.0) / MARGIN_SCALE)
    if best.quality == LOOSE:
        confidence *= 0.6  # a spelling variant is weaker evidence than the name itself
    return round(confidence, 3)


def _town_and_its_county(one: GazetteerEntry, other: GazetteerEntry) -> bool:
    """ "Mosul" the city and "Mosul" the district around it are one answer, not rivals."""
    in_one_state = (one.country_code, one.admin1) == (other.country_code, other.admin1)
    return in_one_state and ADMIN2_FEATURE in (one.feature_code, other.feature_code)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12_742.0 * math.asin(min(1.0, math.sqrt(h)))

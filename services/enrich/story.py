"""What a story as a whole says about where its places are, gathered once per story.

Every piece of evidence that looks beyond one name (the countries the story is about, the
states it names, the places near other names' places, the publisher's usual places, the
places already resolved with confidence) is counted here once, so that asking it of any
candidate is a lookup: a story naming four times the places costs four times the work.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from msgspec import Struct

from services.enrich.anchors import Anchors
from services.enrich.distance import distance_km
from services.enrich.gazetteer import Candidate, Gazetteer, GazetteerEntry
from services.enrich.gazetteer_build import ADMIN2_FEATURE, ALTERNATE, LOOSE, PRIMARY
from services.enrich.place_mentions import LONE_LABELS, LONE_PERSON, Toponym, follows_locative
from services.enrich.source_history import SourcePrior
from services.enrich.toponyms import possessive_stripped

GRID_DEGREES = 1.0  # cells of about 100 km for "near another name's place"
NEAR_NAMES_CAP = 3  # more names nearby than this say nothing more
READINGS_IN_GRID = 5  # a name's likeliest readings (by name match and size) count as near
NEAR_KM = 1500.0  # an anchor farther than this is no evidence of nearness
LONE_NAME_POPULATION = 2_000  # a lone name is a town of some size, not a hamlet
_SENTENCE_START = re.compile(r"(?:\A\s*|[.!?][\"'”’)]*\s+|\n\s*)$")
_NUMBER_AFTER = re.compile(r"[ \t]+\d")
_LOWER_WORD = re.compile(r"\b[a-z][a-z'’-]+\b")

Cell = tuple[int, int]


class Story(Struct, kw_only=True):
    text: str
    lower_words: frozenset[str]  # the words the story writes in lower case
    candidates: dict[str, list[Candidate]]  # toponym key -> the readings of its name
    biggest: dict[str, int]  # key -> the population of its most populous reading
    exact_match: dict[str, bool]  # key -> some reading matches more than a variant spelling
    votes: dict[str, float]  # country code -> share of the story's country votes
    vote_total: float
    top_country: str | None
    regions: dict[str, GazetteerEntry | None]  # key -> the state or country written after it
    named_states: Counter[tuple[str, str | None]]  # states some toponym of the story names ...
    named_states_by: Counter[tuple[str, str, str | None]]  # ... and which toponym names them
    names_near: dict[Cell, dict[str, None]]  # cell -> keys with a likely reading in it
    # How many names have a likely reading in each state and country, and which: counted
    # once per name.
    names_in: Counter[tuple[str, str | None]]
    names_in_by: set[tuple[str, str, str | None]]
    names_counted: frozenset[str]
    # The same, of the names no cue read as a lone (maybe a person's) name: what vouches
    # for a lone name where the story names no country.
    settled_names_in: Counter[str]
    settled_names: int
    lone_countries: frozenset[str]  # where two or more lone names are towns
    inner: frozenset[str]  # keys read through a place named inside them
    prior: SourcePrior
    # key -> the (country, state) of each first-level division the name is a name of
    states_called: dict[str, frozenset[tuple[str, str | None]]]
    admin1_names: Mapping[str, str]  # "US.CA" -> "California": a region's member divisions
    anchors: Anchors | None = None  # places resolved with confidence (the second pass)
    # A region's row -> its members as (country, state name), turned into names once: asked
    # each time anchors are added (once in a worker; for every fold's weights in evaluation).
    members_named: dict[int, frozenset[tuple[str, str | None]]] = {}

    def near_other_names(self, entry: GazetteerEntry, key: str) -> int:
        """How many other names of the story (up to a cap) have a likely reading in the
        cells around ``entry``."""
        row, col = _cell(entry)
        found: set[str] = set()
        for cell in ((row + i, col + j) for i in (-1, 0, 1) for j in (-1, 0, 1)):
            for other in self.names_near.get(cell, ()):
                if other != key:
                    found.add(other)
                    if len(found) >= NEAR_NAMES_CAP:
                        return NEAR_NAMES_CAP
        return len(found)

    def share_of_names_in(self, entry: GazetteerEntry, key: str, state: bool) -> float:
        """The share of the story's other names with a likely reading in the entry's state
        (or country)."""
        region = (entry.country_code, entry.admin1 if state else None)
        own = (key, *region) in self.names_in_by
        others = len(self.names_counted) - (key in self.names_counted)
        return (self.names_in[region] - own) / others if others > 0 else 0.0

    def member_regions(self, entry: GazetteerEntry) -> frozenset[tuple[str, str | None]]:
        """The countries ("SY") and states ("US.CA") a region is made of, as the
        (country, state name) pairs the story counts its names by."""
        named = self.members_named.get(entry.row)
        if named is None:
            named = self.members_named[entry.row] = frozenset(
                (code, None) if "." not in code else (code[:2], self.admin1_names.get(code))
                for code in entry.members
            )
        return named

    def state_named_by_another(self, entry: GazetteerEntry, key: str) -> bool:
        state = (entry.country_code, entry.admin1)
        return self.named_states[state] > self.named_states_by[key, *state]

    def town_in_story(self, entry: GazetteerEntry) -> bool:
        """Whether a name that may be a person's is a town of some size in the story's
        countries: those it names, or where most of its other names may be (a local paper
        names no country, or one abroad: "Dewsbury" beside Blackpool and Portugal; hamlets
        are named after everyone)."""
        country = entry.country_code
        in_story = (
            country in self.votes
            or country in self.lone_countries
            or self.settled_names_in[country] * 2 > self.settled_names > 0
        )
        return (_town(entry) or _county_or_island(entry)) and in_story

    def sentence_initial(self, toponym: Toponym) -> bool:
        """Every mention of the name begins a sentence: a capital that says nothing."""
        return all(
            span.field == "text"
            and _SENTENCE_START.search(self.text, max(0, span.start - 4), span.start) is not None
            for span in toponym.spans
        )

    def after_a_preposition_of_place(self, toponym: Toponym) -> bool:
        """Some mention of the name stands right after "in", "near" or "outside": where
        something is, as a place's name would ("clashes in Afrin")."""
        return any(
            span.field == "text"
            and follows_locative(self.text, span.start)
            for span in toponym.spans
        )

    def named_with_a_number(self, toponym: Toponym) -> bool:
        """Every mention of the name in the text runs on into a number: a name of
        something else ("Europe 1" radio, "France 24", "Terminal 5")."""
        texts = [span for span in toponym.spans if span.field == "text"]
        return bool(texts) and all(_NUMBER_AFTER.match(self.text, span.end) for span in texts)

    def written_in_lower_case(self, toponym: Toponym) -> bool:
        """The name is also written as a common word ("coal", "apple") in the story."""
        lower = toponym.name.lower()
        return lower != toponym.name and lower in self.lower_words


def story_of(
    text: str,
    toponyms: Sequence[Toponym],
    candidates: dict[str, list[Candidate]],
    demonyms: Mapping[str, GazetteerEntry | None],
    inner: frozenset[str],
    gazetteer: Gazetteer,
    prior: SourcePrior,
) -> Story:
    regions = {t.key: _qualifying_region(t, gazetteer) for t in toponyms}
    votes = _country_votes(toponyms, candidates, demonyms, gazetteer)
    total = sum(votes.values())
    named_states, named_states_by = _named_states(toponyms, candidates, regions)
    return Story(
        text=text,
        lower_words=frozenset(_LOWER_WORD.findall(text)),
        candidates=candidates,
        biggest={
            k: max((c.entry.population for c in found), default=0)
            for k, found in candidates.items()
        },
        exact_match={k: any(c.quality > LOOSE for c in found) for k, found in candidates.items()},
        votes={c: v / total for c, v in votes.items()} if total else {},
        vote_total=total,
        top_country=votes.most_common(1)[0][0] if votes else None,
        regions=regions,
        named_states=named_states,
        named_states_by=named_states_by,
        names_near=_names_near(candidates, demonyms),
        **_names_in(candidates, demonyms, {t.key for t in toponyms if t.label in LONE_LABELS}),
        lone_countries=_lone_names_countries(toponyms, candidates),
        inner=inner,
        prior=prior,
        states_called={
            key: frozenset(
                (c.entry.country_code, c.entry.admin1)
                for c in found
                if c.quality >= ALTERNATE and c.entry.feature_code == "ADM1"
            )
            for key, found in candidates.items()
        },
        admin1_names=gazetteer.meta.admin1_names,
    )


def anchored(story: Story, anchors: Iterable[tuple[str, GazetteerEntry]]) -> Story:
    """The story with the places resolved with confidence in a first pass."""
    story.anchors = Anchors(anchors, NEAR_KM, distance_km)
    return story


def _country_votes(
    toponyms: Sequence[Toponym],
    candidates: Mapping[str, Sequence[Candidate]],
    demonyms: Mapping[str, GazetteerEntry | None],
    gazetteer: Gazetteer,
) -> Counter[str]:
    """Countries the story is about: its demonyms, the countries and states it names (a
    state half a vote), its dateline's region; each as often as it is written."""
    votes: Counter[str] = Counter()
    for toponym in toponyms:
        if toponym.label in LONE_LABELS:
            continue  # maybe a person: no evidence until it resolves
        weight = len(toponym.spans)
        demonym = demonyms.get(toponym.key)
        if demonym is not None and demonym.country_code:
            votes[demonym.country_code] += weight
            continue
        named = named_country_or_state(candidates[toponym.key])
        if named is not None:
            votes[named.country_code] += weight if named.feature_code == "PCLI" else weight / 2
        if toponym.dateline and toponym.qualifier:
            region = named_country_or_state(gazetteer.candidates(toponym.qualifier))
            if region is not None:
                votes[region.country_code] += 2
    return votes


def _named_states(
    toponyms: Sequence[Toponym],
    candidates: Mapping[str, Sequence[Candidate]],
    regions: Mapping[str, GazetteerEntry | None],
) -> tuple[Counter[tuple[str, str | None]], Counter[tuple[str, str, str | None]]]:
    states: Counter[tuple[str, str | None]] = Counter()
    by: Counter[tuple[str, str, str | None]] = Counter()
    for toponym in toponyms:
        named = {
            (c.entry.country_code, c.entry.admin1)
            for c in candidates[toponym.key]
            if c.quality >= ALTERNATE and c.entry.feature_code == "ADM1"
        }
        region = regions.get(toponym.key)
        if region is not None and region.feature_code == "ADM1":
            named.add((region.country_code, region.admin1))
        for state in named:
            states[state] += 1
            by[toponym.key, *state] += 1
    return states, by


def _likeliest(found: Sequence[Candidate]) -> list[Candidate]:
    return sorted(found, key=lambda c: (-c.quality, -c.entry.population))[:READINGS_IN_GRID]


def _names_in(
    candidates: Mapping[str, Sequence[Candidate]],
    demonyms: Mapping[str, GazetteerEntry | None],
    lone: set[str],
) -> dict[str, object]:
    by: set[tuple[str, str, str | None]] = set()
    counted = set()
    for key, found in candidates.items():
        demonym = demonyms.get(key)
        if demonym is not None:  # "Iraqi": a name of the story in Iraq
            counted.add(key)
            by.add((key, demonym.country_code, None))
            continue
        if not found:
            continue
        counted.add(key)
        for candidate in _likeliest(found):
            entry = candidate.entry
            by.add((key, entry.country_code, None))
            if entry.admin1 is not None and entry.feature_code != "PCLI":
                by.add((key, entry.country_code, entry.admin1))
    names_in = Counter((country, admin1) for _, country, admin1 in by)
    settled = Counter(country for key, country, admin1 in by if admin1 is None and key not in lone)
    return {
        "names_in": names_in,
        "names_in_by": by,
        "names_counted": frozenset(counted),
        "settled_names_in": settled,
        "settled_names": len(counted - lone),
    }


def _names_near(
    candidates: Mapping[str, Sequence[Candidate]], demonyms: Mapping[str, GazetteerEntry | None]
) -> dict[Cell, dict[str, None]]:
    grid: dict[Cell, dict[str, None]] = {}
    for key, found in candidates.items():
        if demonyms.get(key) is not None:
            continue
        for candidate in _likeliest(found):
            if candidate.entry.feature_code not in ("PCLI", "CONT"):
                grid.setdefault(_cell(candidate.entry), {})[key] = None
    return grid


def _cell(entry: GazetteerEntry) -> Cell:
    return math.floor(entry.lat / GRID_DEGREES), math.floor(entry.lon / GRID_DEGREES)


def _lone_names_countries(
    toponyms: Sequence[Toponym], candidates: Mapping[str, Sequence[Candidate]]
) -> frozenset[str]:
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
    return frozenset(country for country, count in towns_in.items() if count >= 2)


def _town(entry: GazetteerEntry) -> bool:
    return entry.feature_code.startswith("PPL") and entry.population >= LONE_NAME_POPULATION


def _county_or_island(entry: GazetteerEntry) -> bool:
    """A county or an island ("Hampshire", "Oahu" that NER took for people); not a state,
    many of which are women's names ("Georgia", "Victoria")."""
    return entry.feature_code == ADMIN2_FEATURE or entry.feature_code.startswith("ISL")


def _qualifying_region(toponym: Toponym, gazetteer: Gazetteer) -> GazetteerEntry | None:
    """The state or country written right after the name: "Paris, Texas"."""
    if not toponym.qualifier:
        return None
    return named_country_or_state(gazetteer.candidates(possessive_stripped(toponym.qualifier)))


def named_country_or_state(candidates: Sequence[Candidate]) -> GazetteerEntry | None:
    """The country or first-level division a name spells out, if it spells one."""
    for candidate in candidates:
        if candidate.quality >= ALTERNATE and candidate.entry.feature_code in ("PCLI", "ADM1"):
            return candidate.entry
    return None


def inside(entry: GazetteerEntry, region: GazetteerEntry) -> bool:
    """Whether the place lies in the country or state (region) written after its name."""
    in_country = entry.country_code == region.country_code
    return in_country and (region.feature_code != "ADM1" or region.admin1 == entry.admin1)

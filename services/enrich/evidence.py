"""The evidence for and against each reading of a place name, one named piece at a time.

A *feature* is ``(candidate, toponym, story) -> float``: one thing a reader weighs (the
name matches exactly; it is a country; the story is about this country; a state the
story names holds it; ...). The ranker (:mod:`services.enrich.ranker`) scores a reading
by the weighted sum of its features, with weights learned from gold corpora, so every
answer can be explained as a short list of named contributions.

Whether the name is a place at all is a second question with features of its own, the
``NONE_FEATURES``: what makes a capitalised word more likely a company's, a person's or a
sentence's first word than a place's, and how plausible its best reading is.

A *veto* is ``(candidate, toponym, story) -> bool``: a reading the name cannot have at
all ("MoD" is no Modesto; an organisation's name carries only a famous place's). Vetoed
readings are never scored.

All three registries are read top to bottom, like ``boilerplate.RULES``; a name of
one of them is what ``make eval EVAL_ARGS="--ablate NAME"`` leaves out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from services.enrich.common_words import lower_case_share
from services.enrich.gazetteer import MAJOR_CITY, Candidate, GazetteerEntry
from services.enrich.gazetteer_build import ADMIN2_FEATURE, ALTERNATE, LOOSE, PRIMARY
from services.enrich.place_mentions import (
    COMMON_WORDS,
    EMBEDDED_FACILITY,
    EMBEDDED_INSIDE,
    EMBEDDED_LABELS,
    LONE_LABELS,
    OTHER_NAME_LABELS,
    UNMARKED,
    Toponym,
    word_in,
    written_as_a_name,
)
from services.enrich.story import Story, inside

Feature = Callable[[Candidate, Toponym, Story], float]
NoneFeature = Callable[[Toponym, Story, Candidate, float], float]
Veto = Callable[[Candidate, Toponym, Story], bool]

DOMINANT_VOTES = 2.0  # this many country votes make a story "about" its countries
POPULATION_DECADES = 7.0  # log10 of population, scaled so that a big city is near 1
ANCHOR_CLOSE_KM = 50.0
SMALL_TOWN = 10_000  # inhabitants
TOWN_SUPPORT_KM = 200.0  # a place resolved this near vouches for a town
# spaCy's labels for regions, seas and mountains, and for buildings, airports and roads
NOT_SETTLEMENT_LABELS = frozenset({"LOC", "FAC"})
NAME_LABELS = frozenset({"ORG", "PERSON", *EMBEDDED_LABELS, *LONE_LABELS, *OTHER_NAME_LABELS})
WHOLE_AREAS = ("PCLI", "CONT")  # their point is a centre: nearness to it means nothing
ADMIN_SEAT = re.compile(r"PPLA\d?$")
# A word written in lower case less than half the time is mostly a name (a surname after a
# place that is also a first name).
MOSTLY_A_NAME = 0.5


# -- features of a reading ----------------------------------------------------------------


def name_primary(c: Candidate, t: Toponym, s: Story) -> float:
    """The name as written is the place's own name."""
    return float(c.quality == PRIMARY)


def name_alternate(c: Candidate, t: Toponym, s: Story) -> float:
    """The name is one of the place's other names (exonyms, abbreviations)."""
    return float(c.quality == ALTERNATE)


def _kind(code: str) -> Feature:
    def kind(c: Candidate, t: Toponym, s: Story) -> float:
        return float(c.entry.feature_code == code)

    kind.__doc__ = f"The place is of GeoNames feature code {code}."
    return kind


def populated_place(c: Candidate, t: Toponym, s: Story) -> float:
    """A town or city (not a capital of a country: see kind_PPLC)."""
    code = c.entry.feature_code
    return float(code.startswith("PPL") and code != "PPLC")


def physical_feature(c: Candidate, t: Toponym, s: Story) -> float:
    """A sea, river, region or other place that is no settlement nor division."""
    code = c.entry.feature_code
    return float(not code.startswith(("PPL", "ADM", "PCL", "CONT")))


def log_population(c: Candidate, t: Toponym, s: Story) -> float:
    return math.log10(c.entry.population + 1) / POPULATION_DECADES


def population_unknown(c: Candidate, t: Toponym, s: Story) -> float:
    """The gazetteer gives no population (a number of towns, some of them big)."""
    return float(c.entry.population == 0)


def biggest_reading(c: Candidate, t: Toponym, s: Story) -> float:
    """The most populous of the name's readings."""
    return float(c.entry.population > 0 and c.entry.population == s.biggest[t.key])


def famous(c: Candidate, t: Toponym, s: Story) -> float:
    """A continent, country, state, capital, big city or county of millions."""
    return float(c.entry.is_major)


def country_votes(c: Candidate, t: Toponym, s: Story) -> float:
    """The share of the story's country votes (countries, states, demonyms named) that
    goes to the place's country."""
    return s.votes.get(c.entry.country_code, 0.0)


def top_country(c: Candidate, t: Toponym, s: Story) -> float:
    """The place lies in the country the story names most."""
    return float(c.entry.country_code == s.top_country)


def state_named(c: Candidate, t: Toponym, s: Story) -> float:
    """Another name of the story is the place's state (Georgia beside Rome)."""
    if c.entry.feature_code == "ADM1" or c.entry.admin1 is None:
        return 0.0
    return float(s.state_named_by_another(c.entry, t.key))


def qualified_inside(c: Candidate, t: Toponym, s: Story) -> float:
    """The place lies in the state or country written after the name ("Rome, Ga.")."""
    region = s.regions.get(t.key)
    return float(region is not None and inside(c.entry, region))


def qualified_elsewhere(c: Candidate, t: Toponym, s: Story) -> float:
    """A state or country is written after the name, and the place is not in it."""
    region = s.regions.get(t.key)
    return float(region is not None and not inside(c.entry, region))


def near_other_names(c: Candidate, t: Toponym, s: Story) -> float:
    """Other names of the story have a likely reading within about 100 km."""
    if c.entry.feature_code in WHOLE_AREAS:
        return 0.0
    return s.near_other_names(c.entry, t.key) / 3


def names_in_state(c: Candidate, t: Toponym, s: Story) -> float:
    """The share of the story's other names with a likely reading in the place's state."""
    if c.entry.admin1 is None or c.entry.feature_code == "PCLI":
        return 0.0
    return s.share_of_names_in(c.entry, t.key, state=True)


def names_in_country(c: Candidate, t: Toponym, s: Story) -> float:
    """The share of the story's other names with a likely reading in the place's country."""
    return s.share_of_names_in(c.entry, t.key, state=False)


def city_called_as_its_state(c: Candidate, t: Toponym, s: Story) -> float:
    """A big city called as the state it lies in ("New York"): the city or the state."""
    entry = c.entry
    return float(
        entry.feature_code.startswith("PPL")
        and entry.population >= MAJOR_CITY
        and (entry.country_code, entry.admin1) in s.states_called.get(t.key, ())
    )


def source_state(c: Candidate, t: Toponym, s: Story) -> float:
    """The share of the source's earlier stories that were in the place's state."""
    return s.prior.state_share(c.entry)


def source_country(c: Candidate, t: Toponym, s: Story) -> float:
    """The share of the source's earlier stories that were in the place's country."""
    return s.prior.country_share(c.entry)


def small_place_for_region_label(c: Candidate, t: Toponym, s: Story) -> float:
    """NER reads the name as a region, sea or facility ("Middle East", "Heathrow") and
    the reading is a small town or a county."""
    entry = c.entry
    small_town = entry.feature_code.startswith("PPL") and entry.population < MAJOR_CITY
    return float(
        t.label in NOT_SETTLEMENT_LABELS and (small_town or entry.feature_code == ADMIN2_FEATURE)
    )


def small_place_for_name_label(c: Candidate, t: Toponym, s: Story) -> float:
    """NER reads the name as an organisation's, a person's or a product's, and the
    reading is no famous place."""
    return float(t.label in NAME_LABELS and not c.entry.is_major)


def lone_name_town_of_story(c: Candidate, t: Toponym, s: Story) -> float:
    """A lone word NER called a person or organisation, read as a town of some size in a
    country the story is about (hamlets are named after everyone)."""
    return float(t.label in LONE_LABELS and s.town_in_story(c.entry))


def division_written(c: Candidate, t: Toponym, s: Story) -> float:
    """ "Washington state", "Punjab province": the division."""
    return float(t.as_division and c.entry.feature_code == "ADM1")


def dateline_town(c: Candidate, t: Toponym, s: Story) -> float:
    """The story's dateline names a town ("SPRINGFIELD, Ill. —")."""
    return float(t.dateline and c.entry.feature_code.startswith("PPL"))


def anchor_near(c: Candidate, t: Toponym, s: Story) -> float:
    """How near the nearest place resolved with confidence lies (1 on it, 0 from 1,500 km)."""
    if s.anchors is None or c.entry.feature_code in WHOLE_AREAS:
        return 0.0
    nearest = s.anchors.nearest_km(c.entry, besides=t.key)
    return 0.0 if nearest is None else max(0.0, 1.0 - nearest / s.anchors.reach_km)


def anchor_close(c: Candidate, t: Toponym, s: Story) -> float:
    """A place resolved with confidence lies within 50 km."""
    if s.anchors is None or c.entry.feature_code in WHOLE_AREAS:
        return 0.0
    nearest = s.anchors.nearest_km(c.entry, besides=t.key)
    return float(nearest is not None and nearest <= ANCHOR_CLOSE_KM)


def anchor_inside(c: Candidate, t: Toponym, s: Story) -> float:
    """A place resolved with confidence lies inside the place's area (its country, its
    state, a region's members, a sea's reach): the nearness of an area."""
    if s.anchors is None:
        return 0.0
    entry = c.entry
    if entry.members:
        return float(any(s.anchors.any_in(*region, t.key) for region in s.member_regions(entry)))
    if entry.feature_code == "PCLI":
        return float(s.anchors.any_in(entry.country_code, None, t.key))
    if entry.feature_code == "ADM1":
        admin1 = entry.admin1
        return float(admin1 is not None and s.anchors.any_in(entry.country_code, admin1, t.key))
    if entry.extent_km <= 0:
        return 0.0
    nearest = s.anchors.nearest_km(entry, besides=t.key)
    return float(nearest is not None and nearest <= entry.extent_km)


def anchor_state(c: Candidate, t: Toponym, s: Story) -> float:
    """The share of the places resolved with confidence that lie in the place's state."""
    if s.anchors is None or c.entry.admin1 is None:
        return 0.0
    return s.anchors.state_share(c.entry, besides=t.key)


def anchor_country(c: Candidate, t: Toponym, s: Story) -> float:
    """The share of the places resolved with confidence that lie in the place's country."""
    if s.anchors is None:
        return 0.0
    return s.anchors.country_share(c.entry, besides=t.key)


FEATURES: dict[str, Feature] = {
    f.__name__: f
    for f in [
        name_primary, name_alternate,
        populated_place, physical_feature,
        log_population, population_unknown, biggest_reading, famous,
        country_votes, top_country, state_named, qualified_inside, qualified_elsewhere,
        near_other_names, names_in_state, names_in_country, city_called_as_its_state,
        source_state, source_country,
        small_place_for_region_label, small_place_for_name_label, lone_name_town_of_story,
        division_written, dateline_town,
    ]
}  # fmt: skip
for _code in ("PCLI", "CONT", "ADM1", "ADM2", "PPLC"):
    FEATURES[f"kind_{_code}"] = _kind(_code)

# Of the reading alone, whatever the story: computed once per reading and kept.
CANDIDATE_ONLY = frozenset(
    {
        "name_primary", "name_alternate", "populated_place", "physical_feature",
        "log_population", "population_unknown", "famous",
        *(name for name in FEATURES if name.startswith("kind_")),
    }
)  # fmt: skip
# Known only from the source's history (filled in as a story's turn comes, in evaluation).
PRIOR_FEATURES = ("source_state", "source_country")
# Known only once the first pass has resolved the story's surest places.
ANCHOR_FEATURES: dict[str, Feature] = {
    f.__name__: f for f in [anchor_near, anchor_close, anchor_inside, anchor_state, anchor_country]
}


# -- features of "no place here" ----------------------------------------------------------
# Whether to publish a place for the name at all is weighed after its readings are ranked
# (learned as: would the best reading be wrong?): on the name as written, and on its best
# reading (``best``, whose probability among the readings, with the ones answering alike,
# is ``sure``).


def _label(*labels: str) -> NoneFeature:
    wanted = frozenset(labels)

    def label(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
        return float(t.label in wanted)

    label.__doc__ = f"NER or a cue labelled the name {' or '.join(sorted(wanted))}."
    return label


def none(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """Always 1: how often a name is no place, all else equal."""
    return 1.0


def sentence_initial(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """Every mention of the name begins a sentence: its capital says nothing."""
    return float(s.sentence_initial(t))


def written_in_lower_case(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """The story also writes the name as a common word ("coal", "apple")."""
    return float(s.written_in_lower_case(t))


def after_a_preposition_of_place(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """Written where something is ("stuck in Samos"): a town no other name of the story
    vouches for is more likely the place than a name of something else."""
    return float(s.after_a_preposition_of_place(t))


def named_with_a_number(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """Every mention runs on into a number: a station's, a product's or a building's
    name ("Europe 1 radio", "France 24")."""
    return float(s.named_with_a_number(t))


def mentioned_once(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    return float(len(t.spans) == 1)


def in_title_only(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    return float(all(span.field == "title" for span in t.spans))


def named_inside(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """The gazetteer lacks the name; its readings are of a place named inside it
    ("Lake Manassas" -> Manassas)."""
    return float(t.key in s.inner)


def best_famous(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """The best reading is a famous place (a country, a state, a big city)."""
    return float(best.entry.is_major)


def best_population(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    return math.log10(best.entry.population + 1) / POPULATION_DECADES


def best_population_unknown(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """The gazetteer gives the best reading no population (some big towns among them)."""
    return float(best.entry.population == 0)


def best_by_its_own_name(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """The best reading's own name is the name as written (not another of its names)."""
    return float(best.quality == PRIMARY)


def best_near_the_story(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """The best reading lies in a country the story is about or near its other places."""
    in_story = best.entry.country_code in s.votes
    near = s.anchors is not None and s.anchors.nearest_km(best.entry, besides=t.key) is not None
    return float(in_story or near)


def best_sure(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """How sure the ranking of the readings is of the best one."""
    return sure


def common_word(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """How often the name is written in lower case in English: "coal", "solitude", "meta"
    are common words first (see :mod:`services.enrich.common_words`)."""
    return lower_case_share(t.name)


def common_word_as_a_name(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """A common word that NER reads as a company's, a person's or a product's name ("Meta
    said", "Apple shares"): the same share, where the label says so too."""
    return lower_case_share(t.name) if t.label in NAME_LABELS else 0.0


def common_word_first_in_sentence(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """A common word whose every capital is a sentence's first letter ("Coal has been ...")."""
    return lower_case_share(t.name) if s.sentence_initial(t) else 0.0


def common_word_written_lower(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """A common word the story also writes in lower case ("a flint tool ... Flint tools")."""
    return lower_case_share(t.name) if s.written_in_lower_case(t) else 0.0


def common_word_vouched_for(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """A common word whose best reading the story vouches for nearby ("Meta" beside
    Villavicencio, its capital): see :func:`_vouched_for_nearby`."""
    share = lower_case_share(t.name)
    return share if share and _vouched_for_nearby(best.entry, t, s) else 0.0


def best_town_alone_in_its_state(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """The best reading is a town of no fame that nothing vouches for nearby (a country
    named is not enough: "Solitude" in a story naming the United States is no hamlet in
    Tennessee)."""
    entry = best.entry
    if not entry.feature_code.startswith("PPL") or entry.is_major:
        return 0.0
    return float(not _vouched_for_nearby(entry, t, s))


def _vouched_for_nearby(entry: GazetteerEntry, t: Toponym, s: Story) -> bool:
    """Something else of the story lies in the place's state or near it: another name (a
    likely reading of it within about 100 km, or in the state), a place resolved with
    confidence within 200 km, the state written after it, or the source's earlier stories."""
    nearest = None if s.anchors is None else s.anchors.nearest_km(entry, besides=t.key)
    return (
        (nearest is not None and nearest <= TOWN_SUPPORT_KM)
        or s.near_other_names(entry, t.key) > 0
        or s.share_of_names_in(entry, t.key, state=True) > 0
        or s.regions.get(t.key) is not None
        or s.prior.state_share(entry) > 0
    )


def best_alone(t: Toponym, s: Story, best: Candidate, sure: float) -> float:
    """Nothing else the story or its source says points to the best reading: no other name
    in its country, none written after it ("X, Y"), no place resolved near it, no earlier
    story of the source there."""
    entry = best.entry
    near = s.anchors is not None and s.anchors.nearest_km(entry, besides=t.key) is not None
    supported = (
        near
        or s.share_of_names_in(entry, t.key, state=False) > 0
        or s.regions.get(t.key) is not None
        or s.prior.country_share(entry) > 0
    )
    return float(not supported)


NONE_FEATURES: dict[str, NoneFeature] = {
    "none": none,
    "none_place_label": _label("GPE", "LOC", "FAC"),
    "none_organisation": _label("ORG"),
    "none_person": _label("PERSON"),
    "none_lone_name": _label(*LONE_LABELS),
    "none_other_name": _label(*OTHER_NAME_LABELS),
    "none_embedded": _label(*EMBEDDED_LABELS),
    "none_embedded_inside": _label(EMBEDDED_INSIDE),
    "none_embedded_facility": _label(EMBEDDED_FACILITY),
    "none_unmarked": _label(UNMARKED),
    "none_listed": _label("LIST", "SUBLIST"),
    "none_dateline": _label("DATELINE"),
    "none_sentence_initial": sentence_initial,
    "none_lower_case": written_in_lower_case,
    "none_with_a_number": named_with_a_number,
    "none_after_a_preposition_of_place": after_a_preposition_of_place,
    "none_mentioned_once": mentioned_once,
    "none_in_title_only": in_title_only,
    "none_named_inside": named_inside,
    "none_best_famous": best_famous,
    "none_best_population": best_population,
    "none_best_population_unknown": best_population_unknown,
    "none_best_by_its_own_name": best_by_its_own_name,
    "none_best_near_the_story": best_near_the_story,
    "none_best_sure": best_sure,
    "none_common_word": common_word,
    "none_common_word_as_a_name": common_word_as_a_name,
    "none_common_word_first_in_sentence": common_word_first_in_sentence,
    "none_common_word_written_lower": common_word_written_lower,
    "none_common_word_vouched_for": common_word_vouched_for,
    "none_best_alone": best_alone,
    "none_best_town_alone_in_its_state": best_town_alone_in_its_state,
}


# -- vetoes -------------------------------------------------------------------------------


def variant_beside_exact(c: Candidate, t: Toponym, s: Story) -> bool:
    """A variant spelling is a fallback, not a rival of the name as written."""
    return c.quality == LOOSE and s.exact_match[t.key]


def short_name_not_famous(c: Candidate, t: Toponym, s: Story) -> bool:
    """ "UK", "Jos", "Pa." are places; "AI", "Dr" no hamlet's, "MoD" no Modesto."""
    short = sum(ch.isalpha() for ch in t.name) <= 3
    return short and (not c.entry.is_major or re.search(r"[a-z][A-Z]", t.name) is not None)


def outside_its_qualifier(c: Candidate, t: Toponym, s: Story) -> bool:
    """ "CAMP MURRAY, Wash.": a place named inside an unknown name lies in the state
    written after it (no Camp County, Texas)."""
    region = s.regions.get(t.key)
    return t.key in s.inner and region is not None and not inside(c.entry, region)


def false_friend_abroad(c: Candidate, t: Toponym, s: Story) -> bool:
    """In a story about other countries, a town abroad that only a variant spelling, a
    list of neighbourhoods or a word inside an unknown name points to (Quds in Mosul is
    not Jerusalem)."""
    if s.vote_total < DOMINANT_VOTES or c.entry.country_code in s.votes:
        return False
    if c.entry.feature_code in ("PCLI", "CONT", "ADM1"):
        return False
    return t.in_sub_place_list or c.quality == LOOSE or t.key in s.inner


def lone_name_abroad(c: Candidate, t: Toponym, s: Story) -> bool:
    """A lone word NER called a person or organisation is a place only as a town of some
    size in a country the story is about (see ``Story.town_in_story``)."""
    return t.label in LONE_LABELS and not s.town_in_story(c.entry)


def small_town_for_a_region_afar(c: Candidate, t: Toponym, s: Story) -> bool:
    """NER reads "Middle East", "Atlantic" and "Heathrow" as places that are no
    settlement: a small town or a county of that name is meant only in a story with
    another name read in its state."""
    return (
        small_place_for_region_label(c, t, s) > 0
        and s.share_of_names_in(c.entry, t.key, state=True) == 0.0
    )


def unsupported_small_town(c: Candidate, t: Toponym, s: Story) -> bool:
    """A bare small town far from everything else the story says: not in a country it
    names or where any of its other names may be, not qualified ("Solitude" in a story
    about a video game is no hamlet in Indiana)."""
    entry = c.entry
    if not entry.feature_code.startswith("PPL") or entry.population >= SMALL_TOWN:
        return False
    supported = (
        entry.country_code in s.votes
        or s.share_of_names_in(entry, t.key, state=False) > 0
        or s.prior.country_share(entry) > 0
        or t.key in s.regions
        and s.regions[t.key] is not None
    )
    return not supported


def not_the_division_written(c: Candidate, t: Toponym, s: Story) -> bool:
    """ "Washington state" is the state; "Georgia state television" is still Georgia's."""
    if not t.as_division or c.entry.feature_code == "ADM1":
        return False
    kinds = {other.entry.feature_code for other in s.candidates[t.key]}
    return "ADM1" in kinds and "PCLI" not in kinds


def first_name_of_a_person(c: Candidate, t: Toponym, s: Story) -> bool:
    """A place that is the first word of a two-word name whose second word English writes
    mostly as a name is a person's first name ("Amara Okafor", "Seismologist Amara Costa
    said", whatever NER calls it), unless the story is there: its country is one the
    story's other names may be in, or something of the story lies near it."""
    if not any(written_as_a_name(w, lower_case_under=MOSTLY_A_NAME) for w in _surnames_after(t, s)):
        return False
    in_story = s.share_of_names_in(c.entry, t.key, state=False) > 0
    return not in_story and not _vouched_for_nearby(c.entry, t, s)


def _surnames_after(t: Toponym, s: Story) -> list[str]:
    """The word that ends a two-word name right after the place in it: in a name the
    gazetteer lacks and reads through its first word ("Amara Okafor"), the second; after
    a place found inside an organisation's name, the next word of the text, when no
    capitalised word follows that."""
    words = t.name.split()
    if t.key in s.inner:
        two = len(words) == 2 and not word_in(words[0], COMMON_WORDS)
        return [words[1]] if two else []
    if t.label not in EMBEDDED_LABELS or " " in t.name:
        return []
    found = (_LAST_NAME.match(s.text, span.end) for span in t.spans if span.field == "text")
    return [m.group(1) for m in found if m]


# one capitalised word, then no other: "Amara Costa said", not "Houston Chronicle Editor"
_LAST_NAME = re.compile(r" ([A-Z][a-z][\w'’\-]*)(?![\w'’\-]| [A-Z])")


VETOES: dict[str, Veto] = {
    v.__name__: v
    for v in [
        variant_beside_exact, short_name_not_famous, outside_its_qualifier,
        false_friend_abroad, lone_name_abroad, small_town_for_a_region_afar,
        unsupported_small_town, not_the_division_written, first_name_of_a_person,
    ]
}  # fmt: skip

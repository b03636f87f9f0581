"""Labels the small English model gets wrong, corrected from what the gazetteer and the
word list know, once the article is geotagged (geotagging reads NER's own labels).

Each step is one small function, each measured with ``make eval-ner`` (README, Entities):

1. ``person_read_as_organisation``: a first name and a surname NER read as an organisation
   ("Nadia Reyes said") is a person;
2. ``place_read_as_person``: a town the gazetteer placed at most of its mentions, or a
   country or state by its own name, that NER read as a person ("Dakar said", "KATHMANDU,
   Nepal —") is a place;
3. ``nationality``: a people's name read as an organisation, a person or a place
   ("Bangladeshi", "Scots") is a nationality (NORP).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import msgspec

from services.enrich.entities import LEGAL_FORMS, place_kinds_at
from services.enrich.evidence import MOSTLY_A_NAME
from services.enrich.place_mentions import COMMON_WORDS, word_in, written_as_a_name
from shared.schemas import Entity, Place

# A name of this many words may be a person's: a first name, a middle one, a surname.
PERSON_WORDS = (2, 3)
# The share of a name's mentions the gazetteer must have placed for NER's "person" to be
# the place (Dakar: its dateline placed, its headline's mention not).
PLACED_SHARE = 0.5
# A first name is written in lower case at most this often ("Grace" and "Mark" 0.68 of the
# time): "Radio" (0.87), "News", "Voice" before a name are an organisation's words.
FIRST_NAME_LOWER_CASE_UNDER = 0.8
NATIONALITY_OF = frozenset({"ORG", "PERSON", "GPE", "LOC"})


class PlaceNames(Protocol):
    """What correcting labels asks of the gazetteer."""

    def is_known(self, name: str) -> bool: ...  # a place or a nationality is called so

    def is_well_known(self, name: str) -> bool: ...  # a country, continent, state or big city

    def is_demonym(self, word: str) -> bool: ...

    def is_own_name(self, name: str) -> bool: ...  # a place's own name, not an alternate

    def is_only_an_area(self, name: str) -> bool: ...  # a country or state, and no town


def corrected_labels(
    entities: Iterable[Entity], places: Iterable[Place], names: PlaceNames
) -> list[Entity]:
    """The entities, each with the label the steps above give it (its own otherwise)."""
    places = list(places)
    kind_at = place_kinds_at(places)
    corrected = []
    for entity in entities:
        label = (
            nationality(entity, names)
            or place_read_as_person(entity, kind_at, names)
            or person_read_as_organisation(entity, _has_place_inside(entity, places), names)
            or entity.label
        )
        if label != entity.label:
            entity = msgspec.structs.replace(entity, label=label)
        corrected.append(entity)
    return corrected


def person_read_as_organisation(
    entity: Entity, place_inside: bool, names: PlaceNames
) -> str | None:
    """PERSON for an organisation of two or three capitalised words, none a generic word
    or a legal form, whose first may be a first name (``FIRST_NAME_LOWER_CASE_UNDER``:
    "Radio Farda" stays), whose words after the first English writes mostly as names and none
    a big place or a nationality (the surname test of the geotagger's first-name veto),
    whose first is no nationality, the whole no place, and nothing in it placed by the
    gazetteer ("Seattle Mariners", "Dynamo Moscow", "Texas Rangers" stay teams)."""
    words = entity.text.split()
    if entity.label != "ORG" or len(words) not in PERSON_WORDS or place_inside:
        return None
    if not all(_name_word(word) for word in words) or names.is_demonym(words[0]):
        return None
    if not written_as_a_name(words[0], lower_case_under=FIRST_NAME_LOWER_CASE_UNDER):
        return None
    surnames = words[1:]
    if not all(written_as_a_name(word, lower_case_under=MOSTLY_A_NAME) for word in surnames):
        return None
    if any(names.is_well_known(word) or names.is_demonym(word) for word in surnames):
        return None
    return None if names.is_known(entity.text) else "PERSON"


def place_read_as_person(
    entity: Entity, kind_at: dict[tuple[str, int, int], str], names: PlaceNames
) -> str | None:
    """The place's label for a person the gazetteer placed at ``PLACED_SHARE`` of its
    mentions or more, under the place's own name, or that is a country or state by its
    own name and no town's ("Nepal" in a dateline the geotagger left alone)."""
    if entity.label != "PERSON":
        return None
    kinds = [kind_at.get((s.field, s.start, s.end)) for s in entity.spans]
    placed = [kind for kind in kinds if kind is not None]
    if placed and len(placed) >= PLACED_SHARE * len(kinds) and names.is_own_name(entity.text):
        return "GPE" if "GPE" in placed else "LOC"
    return "GPE" if names.is_only_an_area(entity.text) else None


def nationality(entity: Entity, names: PlaceNames) -> str | None:
    """NORP for a people's name ("Bangladeshi", "Scots", "Briton") read as something
    else, unless a place is called so too."""
    if entity.label not in NATIONALITY_OF or not names.is_demonym(entity.text):
        return None
    return None if names.is_own_name(entity.text) else "NORP"


def _name_word(word: str) -> bool:
    """A capitalised word of letters, no generic one ("Bank") nor a legal form ("Corp")."""
    return (
        word[:1].isupper()
        and word[1:].islower()
        and word.replace("'", "").replace("’", "").replace("-", "").isalpha()
        and not word_in(word, COMMON_WORDS)
        and word.casefold().strip(".") not in LEGAL_FORMS
    )


def _has_place_inside(entity: Entity, places: Iterable[Place]) -> bool:
    return any(
        p.field == s.field and s.start <= p.start and p.end <= s.end
        for place in places
        for p in place.spans
        for s in entity.spans
    )

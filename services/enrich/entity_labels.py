"""Labels the small English model gets wrong, corrected from what the gazetteer and the
word list know, once the article is geotagged (geotagging reads NER's own labels).

Each step is one small function, each measured with ``make eval-ner`` (README, Entities):

1. ``person_read_as_organisation``: a first name and a surname NER read as an organisation
   ("Nadia Reyes said") is a person;
2. ``place_read_as_person``: a town the gazetteer placed at most of its mentions, or a
   country or state by its own name, that NER read as a person ("Dakar said", "KATHMANDU,
   Nepal —") is a place;
3. ``nationality``: a people's name read as an organisation, a person or a place
   ("Bangladeshi", "Scots") is a nationality (NORP);
4. ``person_read_as_place``: a first name and a surname NER read as a place, and no place
   the gazetteer knows or placed ("Amara Okafor, a doctor at ..."), is a person.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Container, Iterable
from typing import Protocol

import msgspec

from services.enrich.entities import LEGAL_FORMS, name_key, place_kinds_at
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
# The place labels a person's name is read as ("Ingrid Sato" as LOC).
PERSON_READ_AS_PLACE = frozenset({"GPE", "LOC"})


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
    placed = {name_key(place.name) for place in places}
    has_place_inside = _places_inside(places)
    corrected = []
    for entity in entities:
        place_inside = has_place_inside(entity)
        label = (
            nationality(entity, names)
            or place_read_as_person(entity, kind_at, names)
            or person_read_as_organisation(entity, place_inside, names)
            or person_read_as_place(entity, place_inside, placed, names)
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
    if entity.label != "ORG" or place_inside:
        return None
    return "PERSON" if _a_persons_name(entity.text, names) else None


def person_read_as_place(
    entity: Entity, place_inside: bool, placed: Container[str], names: PlaceNames
) -> str | None:
    """PERSON for a place (GPE or LOC) named as a person is (the test of
    ``person_read_as_organisation``) that the gazetteer did not place, whole or in part,
    and no word of which is a place it placed elsewhere in the story (``placed``: their
    name keys; "Lebed Chechnya peace plan" where Chechnya is placed). The small model
    reads unfamiliar names as places ("Amara Okafor, a doctor", "Pablo Sato pledged"),
    and a place the gazetteer does not know is no place of the story."""
    if entity.label not in PERSON_READ_AS_PLACE or place_inside:
        return None
    if any(name_key(word) in placed for word in entity.text.split()):
        return None
    return "PERSON" if _a_persons_name(entity.text, names) else None


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


def _a_persons_name(text: str, names: PlaceNames) -> bool:
    """Two or three capitalised words, none generic or a legal form, the first one a first
    name could be and no nationality, the others written mostly as names and none a big
    place or a nationality, the whole no place the gazetteer knows."""
    words = text.split()
    if len(words) not in PERSON_WORDS or not all(_name_word(word) for word in words):
        return False
    if names.is_demonym(words[0]):
        return False
    if not written_as_a_name(words[0], lower_case_under=FIRST_NAME_LOWER_CASE_UNDER):
        return False
    surnames = words[1:]
    if not all(written_as_a_name(word, lower_case_under=MOSTLY_A_NAME) for word in surnames):
        return False
    if any(names.is_well_known(word) or names.is_demonym(word) for word in surnames):
        return False
    return not names.is_known(text)


def _name_word(word: str) -> bool:
    """A capitalised word of letters, no generic one ("Bank") nor a legal form ("Corp")."""
    return (
        word[:1].isupper()
        and word[1:].islower()
        and word.replace("'", "").replace("’", "").replace("-", "").isalpha()
        and not word_in(word, COMMON_WORDS)
        and not word_in(word, LEGAL_FORMS)
    )


def _places_inside(places: Iterable[Place]) -> Callable[[Entity], bool]:
    """Whether a place's span lies inside one of an entity's spans: the places' spans
    sorted once per field, so a long article's many entities each look up only the spans
    that start inside theirs (checking every place for every entity grew with the square
    of the text: tests/unit/test_enrich_cost.py)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for place in places:
        for span in place.spans:
            spans.setdefault(span.field, []).append((span.start, span.end))
    for found in spans.values():
        found.sort()

    def inside(entity: Entity) -> bool:
        for s in entity.spans:
            found = spans.get(s.field, [])
            for i in range(bisect_left(found, (s.start, s.start)), len(found)):
                start, end = found[i]
                if start >= s.end:
                    break
                if end <= s.end:
                    return True
        return False

    return inside

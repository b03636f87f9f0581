"""From NER mentions to the article's entities: one `Entity` per person, organisation, place...

Steps, each a small function:
1. ``mentions_in``: a passage's spaCy entities as `Mention`s with offsets into the original
   field, trimmed of a leading "the" and a possessive "'s" ("RFE/RL's" -> "RFE/RL").
2. ``entities_of``: mentions grouped by name (an acronym defined in the text joins its full
   name's group), one label voted per group, short forms absorbed into the one fuller form
   they abbreviate ("Baghdadi" -> "Abu Bakr al-Baghdadi"), taking its label ("Havel" is
   the person Vaclav Havel even where NER read it as an organisation), the fullest form
   as the text.
3. ``with_entity_labels``: every mention relabelled with its entity's label, so geotagging
   sees one consistent label per name.
Numeric mentions (dates, amounts, ...) are not entities.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from functools import cache

import msgspec
from spacy.tokens import Doc

from services.enrich.mentions import Mention
from services.enrich.passages import Passage
from services.enrich.sport import about_sport
from shared.schemas import Entity, Place, Span

# Labels of other models' schemes in this one's: WikiNER's (the French model's) PER.
LABEL_NAMES = {"PER": "PERSON"}
NUMERIC_LABELS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# Short forms stand for a longer name of these kinds only: "York" is not "New York".
ABBREVIABLE_LABELS = frozenset({"PERSON", "ORG"})
# A short name NER labelled so may still be a person's: the small model often reads a
# surname alone as an organisation or a place.
CROSS_LABELLED = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT"})
_FACILITY_HEADS = (
    "Street", "St.", "Avenue", "Ave.", "Road", "Rd.", "Boulevard", "Blvd.", "Lane", "Square",
    "Plaza", "Bridge", "Airport", "Station", "Canal", "Highway", "Motorway", "Freeway",
    "Church", "Cathedral", "Basilica", "Mosque", "Temple", "Synagogue", "Tower", "Stadium",
)  # fmt: skip
_NATURAL_HEADS = (
    "River", "Lake", "Mountain", "Mountains", "Island", "Islands", "Ocean", "Sea",
    "Bay", "Valley", "Desert", "Gulf", "Coast", "Peninsula", "Strait", "Forest", "Hills",
)  # fmt: skip
PLACE_HEADS = {word: "FAC" for word in _FACILITY_HEADS} | {word: "LOC" for word in _NATURAL_HEADS}
# A company's legal form, which one mention writes and the next leaves out.
LEGAL_FORMS = frozenset(
    {"corp", "corporation", "inc", "incorporated", "ltd", "limited", "plc", "llc", "co",
     "company", "ag", "gmbh", "sa", "spa", "nv", "bv", "ab", "asa", "oyj", "sarl", "sas"}
)  # fmt: skip
ACRONYM_CHARS = 4  # "US", "NATO": all capitals this short are no one's surname
NAME_PARTICLES = frozenset({"al", "el", "ul", "bin", "ibn", "von", "van", "de", "da", "di"})

_LEADING_THE = re.compile(r"^(?:the|The|THE)\s+(?=\S)")
# A final full stop stays: spaCy's tokenizer leaves one on a name only for an
# abbreviation ("Va.", "U.S.", "Inc."), never for a sentence's end.
_TRAILING_NOISE = re.compile(r"(?:\s*['’]s|(?<=s)['’]|[\s,;:'’\"”-])+$")
_POSSESSIVE_INSIDE = re.compile(r"['’]s\s")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def mentions_in(passage: Passage, doc: Doc) -> list[Mention]:
    """The entities spaCy found in one passage, located in the article's field."""
    found = []
    for ent in doc.ents:
        mention = trimmed(
            Mention(
                passage.field,
                passage.start + ent.start_char,
                passage.start + ent.end_char,
                passage.text[ent.start_char : ent.end_char],  # as written, not as read
                LABEL_NAMES.get(ent.label_, ent.label_),
            )
        )
        if mention is not None:
            found.append(mention)
    return found


def trimmed(mention: Mention) -> Mention | None:
    """Without a leading "the", a trailing possessive, what follows a person's possessive
    ("Laura Ingraham's Easter") or an unclosed bracket; None when nothing is left."""
    text, start = mention.text, mention.start
    leading = _LEADING_THE.match(text)
    if leading:
        text, start = text[leading.end() :], start + leading.end()
    if text.count("(") > text.count(")"):
        text = text[: text.index("(")]
    owner = _POSSESSIVE_INSIDE.search(text)
    if owner and mention.label == "PERSON":
        text = text[: owner.start()]
    trailing = _TRAILING_NOISE.search(text)
    if trailing:
        text = text[: trailing.start()]
    if not any(c.isalnum() for c in text):
        return None
    return Mention(mention.field, start, start + len(text), text, mention.label)


def name_key(text: str) -> str:
    """How two mentions of one name compare: case, spacing and apostrophes folded."""
    return " ".join(_WORD.findall(text.replace("’", "'").casefold()))


# -- merging -------------------------------------------------------------------------------


def entities_of(mentions: Iterable[Mention], aliases: Mapping[str, str] = {}) -> list[Entity]:
    """One Entity per named thing; ``aliases`` maps an acronym's key to its full name's key."""
    groups: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        if mention.label not in NUMERIC_LABELS:
            key = name_key(mention.text)
            groups[without_legal_form(aliases.get(key, key))].append(mention)
    labels = {key: voted_label(group) for key, group in groups.items()}
    acronyms = {key for key, group in groups.items() if all(_is_acronym(m.text) for m in group)}
    for short, full in short_forms(labels, acronyms).items():
        groups[full].extend(groups.pop(short))
    entities = [_entity(group, labels[key]) for key, group in groups.items()]
    return sorted(entities, key=lambda e: (-e.count, _position(e.spans[0])))


def voted_label(group: Sequence[Mention]) -> str:
    """The label most mentions carry. A name tagged as a place at least once is a place:
    the small model's known error is reading foreign place names as people. A name whose
    last word is a street, a building or a natural feature is one ("Royal Street")."""
    votes = Counter(mention.label for mention in group)
    if votes.keys() & PLACE_LABELS:
        votes.pop("PERSON", None)
    best = max(votes.values())
    label = next(m.label for m in group if votes.get(m.label) == best)
    if label in {"ORG", "PERSON"}:
        last_word = max((m.text for m in group), key=len).split()[-1]
        return PLACE_HEADS.get(last_word, label)
    return label


def without_legal_form(key: str) -> str:
    """A name key without a company's legal form: "microsoft corp" -> "microsoft"."""
    words = key.split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def short_forms(
    labels: Mapping[str, str], acronyms: Container[str] = frozenset()
) -> dict[str, str]:
    """Short name key -> the one fuller key it abbreviates: of its own label, or a
    person's (unless the short name is one of ``acronyms``)."""
    words = {key: _name_words(key) for key in labels}
    # Every fuller name filed under each of its first and last runs of words, so that a
    # short name finds the names it may abbreviate without reading all the others.
    fuller_by_part: dict[tuple[str, tuple[str, ...]], set[str]] = defaultdict(set)
    for key, label in labels.items():
        if label in ABBREVIABLE_LABELS:
            for n in range(1, len(words[key])):
                fuller_by_part[label, tuple(words[key][:n])].add(key)
                fuller_by_part[label, tuple(words[key][-n:])].add(key)
    found = {}
    for short, label in labels.items():
        for kind in _may_stand_for(label, short in acronyms):
            fuller = [
                full
                for full in fuller_by_part.get((kind, tuple(words[short])), ())
                if _abbreviates(words[short], words[full], kind)
            ]
            widest = _widest(fuller, words)
            if widest is not None:
                found[short] = widest
                break
    return found


def _may_stand_for(label: str, acronym: bool) -> tuple[str, ...]:
    """The labels of the fuller names a short name of ``label`` may stand for: its own,
    then a person's whatever NER called it ("Havel" read as an ORG after "Vaclav Havel"),
    unless it is an acronym ("US" stands for no one)."""
    own = (label,) if label in ABBREVIABLE_LABELS else ()
    if label == "PERSON" or label not in CROSS_LABELLED or acronym:
        return own
    return (*own, "PERSON")


def _is_acronym(text: str) -> bool:
    return text.isupper() and len(text) <= ACRONYM_CHARS


def _widest(names: list[str], words: Mapping[str, list[str]]) -> str | None:
    """The one name whose words include every other's, if there is one."""
    if not names:
        return None
    widest = max(names, key=lambda name: len(set(words[name])))
    within = set(words[widest])
    if all(set(words[name]) < within for name in names if name != widest):
        return widest
    return None


def _abbreviates(short: list[str], full: list[str], label: str) -> bool:
    """A person is named by first or last names; an organisation by its last words
    ("Counterterrorism Service"), never by one word ("State" is not "Islamic State")."""
    if not short:
        return False
    is_suffix = full[-len(short) :] == short
    if label == "PERSON":
        return is_suffix or full[: len(short)] == short
    return is_suffix and len(short) >= 2


def _name_words(key: str) -> list[str]:
    words = [w for w in key.split() if w not in NAME_PARTICLES]
    return words or key.split()


def _entity(group: list[Mention], label: str) -> Entity:
    spans = sorted({Span(m.field, m.start, m.end) for m in group}, key=_position)
    return Entity(text=_fullest_form(group), label=label, count=len(spans), spans=spans)


def _fullest_form(group: list[Mention]) -> str:
    forms = Counter(m.text for m in group)
    return max(forms, key=lambda text: (len(_WORD.findall(text)), len(text), forms[text]))


def _position(span: Span) -> tuple[int, int]:
    return (0 if span.field == "title" else 1, span.start)


def with_entity_labels(mentions: Iterable[Mention], entities: Iterable[Entity]) -> list[Mention]:
    """The mentions, each carrying the label its entity was given."""
    label_at = {(s.field, s.start, s.end): e.label for e in entities for s in e.spans}
    return [
        Mention(m.field, m.start, m.end, m.text, label_at.get((m.field, m.start, m.end), m.label))
        for m in mentions
    ]


# Kinds of name no place has: one resolved as a place under the place's own name (not its
# demonym) is that place ("Mombasa" read as a nationality, "Malindi" as a product).
_OTHER_NAMES = frozenset({"NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"})
# GeoNames feature codes of settlements, divisions and countries; other places are LOC.
_GPE_CODES = ("PPL", "ADM", "PCL")


def relabelled_as_places(
    entities: Iterable[Entity], places: Iterable[Place], story: Sequence[str]
) -> list[Entity]:
    """Entities the gazetteer placed at every mention, labelled as places: people;
    organisations resolved as natural features, or under the place's own name in a
    ``story`` (its headline and text) not about sport; and names of other kinds
    (:data:`_OTHER_NAMES`) resolved under the place's own name.

    The small model reads unfamiliar town names as people ("Abeokuta said ...") or
    organisations ("Our teams reached Kilifi"); once the gazetteer has placed each of
    those mentions, the people and organisations facets should not list them. A river read
    as an organisation is a river too; a town's is its team in a story about sport
    ("Karlsruhe beat Bochum 2-0", :mod:`services.enrich.sport`), and the town elsewhere.
    """
    places = list(places)
    kind_at = place_kinds_at(places)
    named = {name_key(p.resolved_name) for p in places}

    @cache
    def sport() -> bool:  # read only for a town read as an organisation, which few stories have
        return about_sport(*story)

    relabelled = []
    for entity in entities:
        kinds = {kind_at.get((s.field, s.start, s.end)) for s in entity.spans}
        own_name = name_key(entity.text) in named
        if None not in kinds and (
            entity.label == "PERSON"
            or entity.label == "ORG"
            and (kinds == {"LOC"} or own_name and not sport())
            or entity.label in _OTHER_NAMES
            and own_name
        ):
            entity = msgspec.structs.replace(entity, label="GPE" if "GPE" in kinds else "LOC")
        relabelled.append(entity)
    return relabelled


def place_kinds_at(places: Iterable[Place]) -> dict[tuple[str, int, int], str]:
    """(field, start, end) of every span the gazetteer placed -> GPE or LOC, its kind."""
    return {
        (s.field, s.start, s.end): "GPE" if (p.feature_code or "").startswith(_GPE_CODES) else "LOC"
        for p in places
        for s in p.spans
    }

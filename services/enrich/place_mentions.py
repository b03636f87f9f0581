"""Which mentions of an article name places: NER's place labels, names NER mislabelled
that the article uses as places elsewhere, the members of a list of places ("the
districts of A, B and C"), demonyms ("Iraqi"), and the dateline ("MOSUL, Iraq —").

Every mention of one name becomes one :class:`Toponym` carrying all its spans.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from typing import Protocol

from msgspec import Struct
from spacy.lang.en.stop_words import STOP_WORDS

from services.enrich.capitalised import NAME_PARTICLES, capitalised_runs
from services.enrich.common_words import LEAST_LISTED_SHARE, lower_case_share
from services.enrich.mention_set import MentionSet
from services.enrich.mentions import Mention
from services.enrich.name_search import NameSearch
from services.enrich.toponyms import exact_key, possessive_stripped
from services.enrich.wire import ANY_AGENCY
from shared.schemas import Span

PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# Words of facility and region names that are no place's own name ("the Centre", "City").
COMMON_WORDS = frozenset(
    """university college school institute center centre tower hospital airport church
    cathedral street avenue road stadium park bridge lake river point mount mountain state
    national international medical north south east west northern southern eastern western
    central new old great upper lower the of and for county city district region valley
    island beach bay harbour harbor port station hall house hotel club estate square market
    mall plaza museum library prison court federal royal saint st metro downtown ocean sea
    gulf coast peninsula union quarter bank republic world cup wing office embassy
    consulate basilica temple mosque chapel abbey castle palace fort hill hills heights
    springs falls creek canyon desert forest garden gardens tunnel highway route line
    railway terminal pier field fields course racecourse arena theatre theater campus
    academy council senate assembly parliament ministry department agency police army""".split()  # noqa: SIM905
)
# Of those, the words that make a name an institution's ("European Union", "Harare City
# Council"): the name's head, they make it the organisation, not the place inside it.
ORGANISATION_WORDS = COMMON_WORDS & frozenset(
    """union council bank agency ministry department assembly parliament senate court
    police army office embassy consulate university college school institute academy
    club hospital""".split()  # noqa: SIM905
)
MAYBE_PLACE_LABELS = frozenset({"ORG", "PERSON", "NORP"})
# Labels of names that may be a famous place's ("Mauritius" as a PRODUCT); not titles of
# works ("Casablanca", "Fargo").
OTHER_NAME_LABELS = frozenset({"PRODUCT", "EVENT"})

_NAME = r"[A-Z][\w'’\-]*(?: (?:al|el|de|du|la|le|of)?[- ]?[A-Z][\w'’\-]*)*"
# "the neighborhoods of A, B, and C", "villages such as A and B", "towns including A, B"
LIST_CUE = re.compile(
    r"\b(?P<kind>neighbou?rhoods?|districts?|villages?|towns?|cities|suburbs?|provinces?"
    r"|areas?|regions?|quarters?|settlements?|camps?|municipalities|states|countries)"
    r" (?:of|such as|including|like|in) "
    rf"(?P<names>{_NAME}(?:, {_NAME})*,? (?:and|or) {_NAME}|{_NAME})"
)
# A name of up to three capitalised words ("Texas", "New South Wales").
_NAME_RUN = r"[A-Z][\w'’\-]+(?: [A-Z][\w'’\-]+){0,2}"
# "Paris, Texas", "Portland, Ore.": a state or country right after a place name.
QUALIFIER = re.compile(rf", ((?:[A-Z][a-z]{{0,3}}\.){{1,2}}|{_NAME_RUN})")
# A dateline's region is no date ("SOUTH WAZIRISTAN, April 5 (APP):").
_NO_DATE = r"(?!(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d)"
# "MOSUL, Iraq (Reuters) —", "WASHINGTON —", "SPRINGFIELD, Ill., June 3 -", "BOSTON (AP)":
# at the start of the text, a paragraph or a sentence ("By Nate Raymond. BOSTON (Reuters)"),
# closed by a dash or a news agency's credit ("NATO (the alliance) said" is no dateline).
# The date may carry a year ("LOS ANGELES, April 05, 2018 (GLOBE NEWSWIRE) --"), the
# credit be any capitalised one ("SOUTH WAZIRISTAN, April 5 (APP):"), and the dash the
# byte a Windows code page makes of one when the feed was decoded as Latin-1.
DATELINE = re.compile(
    r"(?:\A|(?<=\n)|(?<=[.!?] ))\s*(?P<city>[A-Z][A-Z'’.\- ]{1,40}[A-Z.])"
    rf"(?:, {_NO_DATE}(?P<region>[A-Z][\w.'’\- ]{{1,40}}?))?"
    r"(?:,? [A-Z][a-zA-Z]{2,8}\.? \d{1,2}(?:, \d{4})?)?"
    r"(?:(?: \([\w/ .]+\))?\s*[—–\x97-]{1,2}(?:\s|\()"
    rf"| \((?:{ANY_AGENCY})[\w/ .,]*\):?\s"
    r"| \([A-Z][\w/.&]*(?: [A-Z][\w/.&]*){0,3}\)(?::|\s))"
)
# A dateline whose dash a web page lost: at the start of the text or of a paragraph, a
# place's name in capitals, its region maybe, then the story's first words ("LONDON The
# Latest on ...", "MOMBASA, Kenya, Dock workers ...", "CALAMBA CITY, Laguna Mayor ...").
# Read only where the gazetteer knows the name (:func:`_datelines`).
BARE_DATELINE = re.compile(
    r"(?:\A|(?<=\n))[ \t]*(?P<city>[A-Z][A-Z'’.\- ]{2,40}[A-Z])"
    rf"(?:, {_NO_DATE}(?P<region>[A-Z][\w.'’\- ]{{1,40}}?))?,? (?=[A-Z][a-z])"
)
BARE_DATELINE_LETTERS = 4  # "LONDON", not "U.S." nor "UK"
# "... in Los Angeles", "..., Dublin", "... at Rome": the place a name is in, right after it.
LOCATED_IN = re.compile(rf"(?:,| in| at) ({_NAME_RUN})")
# What may stand between two parts of one place's name NER split ("Trinidad and Tobago",
# "Baja California", "Washington, D.C.").
_NAME_JOINER = re.compile(r"(?: |, | and | & )")
LEAD_CHARS = 300  # a dateline this near the start says where the whole story happens
PLACE_LIST, SUB_PLACE_LIST = "LIST", "SUBLIST"
# A place an organisation is of, the name's next capitalised word a generic one ("Toronto
# Police Service", "Harare City Council", "Japan's Ministry of ..."), or one its name has
# elsewhere ("Air Zimbabwe", "Central Bank of Malta", "Canadian Press"): evidence of
# different strength.
EMBEDDED, EMBEDDED_INSIDE = "EMBEDDED", "EMBEDDED_INSIDE"
# A building, venue or campus named after its place ("Colorado State University", "the
# Dubai World Cup", "University of Alberta"): the whole name is where something happens
# (GeoWebNews counts it whole as a toponym), read as the place named inside it.
EMBEDDED_FACILITY = "EMBEDDED_FACILITY"
EMBEDDED_LABELS = frozenset({EMBEDDED, EMBEDDED_INSIDE, EMBEDDED_FACILITY})
# A name NER did not mark at all, written right after "in", "at", "near", "outside",
# "from" or "to" ("served in Colchester", "a market at Makeen", "stations in Castellón de
# la Plana", "the road to Thika"): the longest run of its words the gazetteer knows is a
# toponym.
UNMARKED = "UNMARKED"
_PLACE_PREPOSITION = re.compile(r"\b(?:in|at|near|outside|from|to) \Z")
_NAME_WORD_START = re.compile(r"[A-Z][a-z]")  # "Colchester", not "USA"
# Such a name is up to three capitalised words, up to two particles between two of them.
UNMARKED_WORDS, UNMARKED_PARTICLES = 3, 2
_CAPITALISED_ALONE = re.compile(r"(?<![\w'’])[A-Z][a-z]+(?![\w'’])")  # a word, not a part
# The words that make an organisation's name a facility's, a venue's or an event's held
# at one place: with a place in it, the whole name is one toponym. Some are also
# ORGANISATION_WORDS on purpose: a university, a hospital or an embassy is an institution
# (its bare name is no place: headed_by_an_institution) and a site ("Colorado State
# University" whole). A bank, a ministry or a police force is only an institution: "Bank of
# Japan", "Toronto Police" keep the place embedded in them.
FACILITY_WORDS = frozenset(
    """university college school academy hospital clinic stadium arena centre center hotel
    estate airport armory armoury mall museum theatre theater prison jail cathedral mosque
    temple racecourse embassy consulate cup""".split()  # noqa: SIM905
)
GIVEN = "SPAN"  # a span the caller says is a place (a gold toponym) that no cue found
# A one-word person or organisation that may be a town ("Abeokuta said ..."), or any
# written right after "in" ("in Ciudad Juarez"): kept only when it resolves to a town in a
# country the story is about (disambiguation decides).
LONE_NAME, LONE_PERSON = "LONE", "LONE_PERSON"  # the second: one NER called a person
LONE_LABELS = frozenset({LONE_NAME, LONE_PERSON})
# Names that may be named after a place ("Air Zimbabwe", "the Dubai World Cup"), and sums
# in a country's currency ("9 billion US dollars", "800 Egyptian pounds"): the place in
# them is a toponym of its own.
EMBEDDING_LABELS = frozenset({"ORG", "EVENT", "LAW", "WORK_OF_ART", "PRODUCT", "MONEY"})
EMBEDDED_WORDS = 3  # the longest place name looked for inside one
# A word of a name, its possessive left off: "Japan" in "Japan's Ministry of Agriculture".
_NAME_WORD = re.compile(r"[\w.&]+?(?=[’']s\b|[^\w.&]|$)")
LOCATIVE = re.compile(r"\b(?:[Ii]n|[Nn]ear|[Oo]utside) $")
# "Washington state's", "Punjab province": the division, not its namesake city; not in
# "Washington State University".
DIVISION_WORD = re.compile(r" (?:[Ss]tate|[Pp]rovince)\b(?! [A-Z])")
NAME_VERBS = frozenset({"said", "says", "told", "tells", "added", "called", "wrote"})
_WORD_CHAR = re.compile(r"\w")
_HYPHENED_WORD = re.compile(r"[^\W\d_]+")  # a word between hyphens
_WORD_AFTER = re.compile(r" (\w+)")
_SURNAME_AFTER = re.compile(r" ([A-Z][\w'’\-]+)")
SUB_PLACE_KINDS = (
    "neighbo",
    "district",
    "village",
    "suburb",
    "quarter",
    "camp",
    "settlement",
    "area",
)


class Toponym(Struct, kw_only=True):
    """One place name of the article with every span that writes it."""

    name: str  # as first written, possessive stripped
    key: str  # exact key: what groups its mentions
    spans: list[Span]
    label: str  # NER label; LIST, SUBLIST, EMBEDDED or DATELINE for names found by a cue
    demonym: bool = False  # NER called it a nationality: it votes for a country
    in_sub_place_list: bool = False  # named in "the neighbourhoods of ..." and the like
    dateline: bool = False
    qualifier: str | None = None  # "Texas" in "Paris, Texas", "Iraq" in "MOSUL, Iraq —"
    as_division: bool = False  # written "Washington state", "Punjab province" somewhere
    located_in: str | None = None  # "Miami Beach" in "Collins Avenue in Miami Beach"


class PlaceNames(Protocol):
    """What choosing place mentions asks of the gazetteer."""

    def is_demonym(self, word: str) -> bool: ...

    def is_continental(self, word: str) -> bool: ...  # a continent's adjective ("European")

    def is_well_known(self, name: str) -> bool: ...  # a country, continent, state or big city

    def is_known(self, name: str) -> bool: ...  # a place or a nationality is called so

    def is_only_an_area(self, name: str) -> bool: ...  # a country or state, and no town


def select_toponyms(
    text: str, mentions: Sequence[Mention], names: PlaceNames, title: str = ""
) -> list[Toponym]:
    """The article's place names from its NER mentions, list cues and dateline."""
    return _toponyms(place_mentions(text, mentions, names), text, title)


def place_mentions(text: str, mentions: Sequence[Mention], names: PlaceNames) -> list[Mention]:
    """The mentions that name places, relabelled by the cue that found them (LIST,
    DATELINE, LONE, ...), none overlapping another."""
    mentions = demonyms_apart(joined_names(text, mentions, names), names)
    unmarked = _unmarked_after_locative(text, mentions, names)
    covered = MentionSet(unmarked)  # NER's pieces of a name found whole ("Plana")
    mentions = [m for m in mentions if not covered.overlapping(m.field, m.start, m.end)]
    place_keys = {
        exact_key(possessive_stripped(m.text)) for m in mentions if m.label in PLACE_LABELS
    }
    people = {exact_key(m.text) for m in mentions if m.label == "PERSON" and " " in m.text.strip()}
    person_words = {word for person in people for word in person.split()}
    family_names = {person.split()[-1] for person in people}  # "faith in Sutton": the driver
    # ... and the surnames the story writes alone as a person's ("Okafor said")
    surnames = family_names | {
        exact_key(m.text) for m in mentions if m.label == "PERSON" and " " not in m.text.strip()
    }
    chosen = [
        m for m in mentions
        if _names_place(m, place_keys, names) and not _is_surname(m, person_words)
        and not _first_name_before_a_surname(m, text, family_names, surnames, names)
        and exact_key(m.text) not in COMMON_WORDS
    ]  # fmt: skip
    chosen_set = set(chosen)
    people_with_word = Counter(word for person in people for word in set(person.split()))
    maybe_lone = [
        m for m in mentions
        if m not in chosen_set
        and (_lone_name(m, people, people_with_word) or _after_locative(m, text))
        and names.is_known(possessive_stripped(m.text))  # most people are no town: cheap first
    ]  # fmt: skip
    read_as_names = _read_as_names(
        {m.text for m in maybe_lone if not _after_locative(m, text)}, text
    )
    lone = [
        Mention(m.field, m.start, m.end, m.text, LONE_PERSON if m.label == "PERSON" else LONE_NAME)
        for m in maybe_lone
        if (_after_locative(m, text) or m.text not in read_as_names)
        and not _is_surname(m, family_names)
    ]
    embedded = [
        e
        for m in mentions
        if m.label in EMBEDDING_LABELS and m not in chosen_set
        for e in _embedded(m, names, place_keys)
    ]
    # A cue's reading of a span beats a lone name's ("Dubai" in "Dubai Police", "the districts
    # of Guma LGA and ...").
    demonyms = _unmarked_demonyms(text, mentions, names)
    found = [
        *chosen,
        *embedded,
        *_listed_names(text),
        *_datelines(text, names),
        *lone,
        *unmarked,
        *demonyms,
    ]
    return _unique_spans(found)


def toponyms_at(
    text: str, spans: Iterable[tuple[int, int]], found: Sequence[Mention] = (), title: str = ""
) -> list[Toponym]:
    """Given spans (gold toponyms) as toponyms, grouped by name like the article's own.
    ``found``: the article's place mentions (:func:`place_mentions`), if known: a span
    takes the label of the one it overlaps, and the others are the story's other places."""
    located = MentionSet(found)
    given = []
    for start, end in spans:
        overlapping = located.overlapping("text", start, end)
        label = overlapping[0].label if overlapping else GIVEN
        given.append(Mention("text", start, end, text[start:end], label))
    covered = MentionSet(given)
    others = [m for m in found if not covered.overlapping(m.field, m.start, m.end)]
    return _toponyms([*given, *others], text, title)


def _toponyms(found: Sequence[Mention], text: str, title: str = "") -> list[Toponym]:
    toponyms = _grouped(found, text, title)
    # Also where another reading of the span won: "Quds" is a neighbourhood of Mosul here.
    sub_place_keys = {exact_key(m.text) for m in _listed_names(text) if m.label == SUB_PLACE_LIST}
    for toponym in toponyms:
        toponym.in_sub_place_list = toponym.key in sub_place_keys
    _mark_dateline(toponyms, text)
    return toponyms


def _names_place(mention: Mention, place_keys: set[str], names: PlaceNames) -> bool:
    if mention.label in PLACE_LABELS:
        return True
    name = possessive_stripped(mention.text)
    if mention.label == "NORP":
        # "Tunis", "Cavan": NER reads some places' names as nationalities.
        return names.is_demonym(mention.text) or names.is_well_known(name)
    if mention.label in OTHER_NAME_LABELS:
        # "Mauritius" as a PRODUCT or an EVENT: a well-known place is one whatever NER says.
        return names.is_well_known(name)
    if mention.label not in MAYBE_PLACE_LABELS:
        return False
    # NER calls some places people or organisations: trust the article's own usage, and
    # read a bare well-known name ("the EU", "Liverpool", "UAE") as the place it names; a
    # person's name of several words that only a country or state has ("Tamil Nadu said")
    # is seldom a person's (a city's may be: "a rally in Ciudad Juarez").
    if exact_key(name) in place_keys:
        return True
    if mention.label == "ORG":
        return names.is_well_known(name) and not headed_by_an_institution(name)
    return " " in name and names.is_only_an_area(name)


def headed_by_an_institution(name: str) -> bool:
    """The name's head noun (its last word, or the word before "of") is an institution's:
    "European Union" is the union, whatever else a gazetteer calls so; "Europe" may be
    embedded in it (:func:`_embedded`)."""
    words = exact_key(name).split()
    head = words[words.index("of") - 1] if "of" in words[1:] else words[-1]
    return len(words) > 1 and head in ORGANISATION_WORDS


def _lone_name(mention: Mention, people: set[str], people_with_word: Counter[str]) -> bool:
    """A capitalised word NER called a person or organisation, or a longer name it called a
    person ("Bac Ninh"), sharing no word with another person's name in the article
    (``people_with_word``: how many of ``people`` have each word)."""
    key = exact_key(possessive_stripped(mention.text))
    itself = int(key in people)  # a person shares every word with their own name
    return (
        mention.label in ("PERSON", "ORG")
        and mention.text[:1].isupper()
        and (" " not in key or mention.label == "PERSON")
        and not mention.text.isupper()
        and not any(people_with_word[word] > itself for word in set(key.split()))
        and key not in COMMON_WORDS
    )


def _after_locative(mention: Mention, text: str) -> bool:
    """A person or organisation NER saw right after "in", "near" or "outside" ("a rally
    in Ciudad Juarez"), whatever its words: a lone name too."""
    if mention.field != "text" or mention.label not in ("PERSON", "ORG"):
        return False
    return follows_locative(text, mention.start)


def follows_locative(text: str, start: int) -> bool:
    """Whether "in", "near" or "outside" stands right before ``start``."""
    return LOCATIVE.search(text, max(0, start - 8), start) is not None


def _read_as_names(names: Iterable[str], text: str) -> set[str]:
    """Those of ``names`` written somewhere as someone's or something's name: next to
    another capitalised word ("Pope Francis", "Cadillac President"), after "the", or
    before "said" (a title's mention is judged by the text's). One reading of the text for
    all of them."""
    names = set(names)
    searchable = {name for name in names if _WORD_CHAR.match(name)}
    found = {name for name in names - searchable if _reads_as_name(name, text)}
    for name, spans in NameSearch(searchable, hyphen_joins=False).occurrences(text).items():
        if any(_name_beside(text, start, end) for start, end in spans):
            found.add(name)
    return found


def _name_beside(text: str, start: int, end: int) -> bool:
    after = _WORD_AFTER.match(text, end)
    return _names_someone(_word_before(text, start), after.group(1) if after else "")


def _word_before(text: str, start: int) -> str:
    """The word one space before ``start``, or ""."""
    if start < 1 or text[start - 1] != " ":
        return ""
    begin = start - 1
    while begin > 0 and (text[begin - 1].isalnum() or text[begin - 1] == "_"):
        begin -= 1
    return text[begin : start - 1]


def _reads_as_name(name: str, text: str) -> bool:
    """:func:`_read_as_names` for a name that does not begin with a word character."""
    for found in re.finditer(rf"(?:(\w+) )?\b{re.escape(name)}\b(?: (\w+))?", text):
        if _names_someone(found.group(1) or "", found.group(2) or ""):
            return True
    return False


def _names_someone(before: str, after: str) -> bool:
    if _proper_word(before) or _proper_word(after):
        return True
    return before.casefold() == "the" or after in NAME_VERBS


def _proper_word(word: str) -> bool:
    return word[:1].isupper() and not word.isupper() and word.casefold() not in STOP_WORDS


def _embedded(organisation: Mention, names: PlaceNames, place_keys: set[str]) -> list[Mention]:
    """The places an organisation's or event's name is named after, wherever in the name
    they stand: "Toronto" in "Toronto Police Service", "Zimbabwe" in "Air Zimbabwe",
    "Canadian" in "Canadian Blood Services", "Malta" in "Central Bank of Malta" (GeoWebNews
    counts these as toponyms too). A run of capitalised words is one when it is a
    well-known place, a nationality, or a name the article uses as a place elsewhere; the
    longest such run wins, left to right. A facility's name with such a place in it
    ("Colorado State University") is one toponym, whole."""
    words = [w for w in _NAME_WORD.finditer(organisation.text) if w.group()[:1].isupper()]
    found = _embedded_runs(organisation, words, names, place_keys)
    if found and any(word_in(w.group(), FACILITY_WORDS) for w in words):
        return [_whole_facility(organisation)]
    return found


def demonyms_apart(mentions: Sequence[Mention], names: PlaceNames) -> list[Mention]:
    """A nationality NER read with what it is hyphened to ("anti-Russian", "Russian-European",
    "All-American") is the demonyms in it, each its own mention."""
    apart: list[Mention] = []
    for mention in mentions:
        if mention.label != "NORP" or "-" not in mention.text or names.is_demonym(mention.text):
            apart.append(mention)
            continue
        parts = [
            Mention(
                mention.field, mention.start + w.start(), mention.start + w.end(), w.group(), "NORP"
            )
            for w in _HYPHENED_WORD.finditer(mention.text)
            if names.is_demonym(w.group())
        ]
        apart += parts or [mention]
    return apart


def joined_names(text: str, mentions: Sequence[Mention], names: PlaceNames) -> list[Mention]:
    """Two mentions NER split out of one place's name, one of them read as a place, joined
    when the gazetteer knows the whole ("Trinidad and Tobago", "Baja California",
    "Washington, D.C."); "Paris, Texas" stays two."""
    ordered = sorted(mentions, key=lambda m: (m.field, m.start))
    joined: list[Mention] = []
    for mention in ordered:
        last = joined[-1] if joined else None
        if last is not None and _one_place(text, last, mention, names):
            label = last.label if last.label in PLACE_LABELS else mention.label
            whole = text[last.start : mention.end] if mention.field == "text" else None
            joined[-1] = Mention(
                last.field, last.start, mention.end, whole or f"{last.text} {mention.text}", label
            )
            continue
        joined.append(mention)
    return joined


def _one_place(text: str, first: Mention, second: Mention, names: PlaceNames) -> bool:
    if first.field != "text" or second.field != "text" or second.start <= first.end:
        return False
    if PLACE_LABELS.isdisjoint({first.label, second.label}):
        return False
    if not _NAME_JOINER.fullmatch(text, first.end, second.start):
        return False
    return names.is_known(text[first.start : second.end])


def _unmarked_after_locative(
    text: str, mentions: Sequence[Mention], names: PlaceNames
) -> list[Mention]:
    """Names right after a preposition of place that no mention covers but NER's pieces of
    them as places, that the gazetteer knows and that are no common word ("in Colchester";
    "in Castellón de la Plana" when NER marked "Plana"; not "in March")."""
    marked = MentionSet(mentions)
    found: list[Mention] = []
    for words in _names_after_locative(text):
        start = words[0].start()
        if found and start < found[-1].end:
            continue  # a preposition inside the name found ("Castellón de la Plana en ...")
        for end in _name_ends(words):
            name = possessive_stripped(text[start:end])
            end = start + len(name)
            if not _runs_on(marked.overlapping("text", start, end), start, end):
                continue  # NER's already, or part of another name or a date ("on Monday")
            if lower_case_share(name) == 0.0 and names.is_known(name):
                found.append(Mention("text", start, end, name, UNMARKED))
                break
    return found


def _names_after_locative(text: str) -> Iterator[list[re.Match[str]]]:
    """The words of each name written right after "in", "at", "near", "outside", "from"
    or "to", read off the text's capitalised runs; a preposition inside one ("from Alcalá
    in Santiago de Compostela") begins another, the caller keeping the one it finds."""
    for run in capitalised_runs(text):
        for at, word in enumerate(run):
            start = word.start()
            if _NAME_WORD_START.match(word.group()) and _PLACE_PREPOSITION.search(
                text, max(0, start - 8), start
            ):
                yield _name_begun(text, run[at:])


def _name_begun(text: str, run: list[re.Match[str]]) -> list[re.Match[str]]:
    """The name the run begins with: its capitalised words and the particles between them,
    each a single space from the last, as far as :data:`UNMARKED_WORDS` and
    :data:`UNMARKED_PARTICLES` allow."""
    name, between, capitalised = [run[0]], [], 1
    for word in run[1:]:
        if text[(between or name)[-1].end() : word.start()] != " ":
            break
        if word.group() in NAME_PARTICLES:
            between.append(word)
            if len(between) > UNMARKED_PARTICLES:
                break
            continue
        if capitalised == UNMARKED_WORDS or not _NAME_WORD_START.match(word.group()):
            break
        name += [*between, word]
        between, capitalised = [], capitalised + 1
    return name


def _name_ends(words: list[re.Match[str]]) -> list[int]:
    """Where a name may end, longest first: after its last word (a hyphen or an apostrophe
    that ends it left off), then before each particle: "Castellón de la Plana", then
    "Castellón". Capitalised words side by side are one name or none ("Windsor Castle" is
    not "Windsor", "Mr Robinson" not "Mr")."""
    last = words[-1]
    inner = [
        word.end()
        for word, after in pairwise(words)
        if word.group() not in NAME_PARTICLES and after.group() in NAME_PARTICLES
    ]
    return [last.start() + len(last.group().rstrip("'’-")), *reversed(inner)]


def _runs_on(overlapping: Sequence[Mention], start: int, end: int) -> bool:
    """Whether a name from ``start`` to ``end`` runs on past the places NER marked in it."""
    return all(
        m.label in PLACE_LABELS
        and start <= m.start
        and m.end <= end
        and (m.start, m.end) != (start, end)
        for m in overlapping
    )


def _unmarked_demonyms(text: str, mentions: Sequence[Mention], names: PlaceNames) -> list[Mention]:
    """Nationalities NER did not mark ("Salvadoran migrant", "the Syrian-Turkish border"):
    read as NER's would be (where one names people, :func:`geotag.as_modifier` drops it)."""
    marked = MentionSet(mentions)
    return [
        Mention("text", word.start(), word.end(), word.group(), "NORP")
        for word in _CAPITALISED_ALONE.finditer(text)
        if not marked.overlapping("text", word.start(), word.end())
        and names.is_demonym(word.group())
    ]


def _located_in(text: str, end: int) -> str | None:
    """The capitalised name right after ``end`` behind ", ", " in " or " at ", if any."""
    found = LOCATED_IN.match(text, end)
    return possessive_stripped(found.group(1)) if found else None


def _whole_facility(organisation: Mention) -> Mention:
    """The facility's whole name, its possessive left off, as one toponym."""
    name = possessive_stripped(organisation.text)
    start = organisation.start
    return Mention(organisation.field, start, start + len(name), name, EMBEDDED_FACILITY)


def _embedded_runs(
    organisation: Mention, words: list[re.Match[str]], names: PlaceNames, place_keys: set[str]
) -> list[Mention]:
    found, at = [], 0
    while at < len(words):
        for count in range(min(len(words) - at, EMBEDDED_WORDS), 0, -1):
            run = words[at : at + count]
            if not _adjacent(organisation.text, run):
                continue
            name = organisation.text[run[0].start() : run[-1].end()]
            # the whole name is NER's to judge (:func:`_names_place`, lone names)
            whole = name == possessive_stripped(organisation.text)
            followed = words[at + count] if at + count < len(words) else None
            if _first_name(organisation.text, run, followed) and not names.is_demonym(name):
                continue  # a nationality is no first name ("British Airways")
            if not whole and _embedded_place(name, names, place_keys):
                start = organisation.start + run[0].start()
                serves = followed is not None and word_in(followed.group(), COMMON_WORDS)
                label = EMBEDDED if serves else EMBEDDED_INSIDE
                found.append(Mention(organisation.field, start, start + len(name), name, label))
                at += count
                break
        else:
            at += 1
    return found


def _first_name(text: str, run: list[re.Match[str]], followed: re.Match[str] | None) -> bool:
    """One word right before a word English writes only as a name ("Sofia Novak" in an
    organisation NER ran across a sentence): a person's first name, not a place."""
    if len(run) > 1 or followed is None or text[run[-1].end() : followed.start()] != " ":
        return False
    return written_as_a_name(followed.group(), lower_case_under=LEAST_LISTED_SHARE)


def written_as_a_name(word: str, lower_case_under: float) -> bool:
    """No generic word ("Police", "Dam"), and written in lower case less often than
    ``lower_case_under`` of the time: a surname, after a first name."""
    return not word_in(word, COMMON_WORDS) and lower_case_share(word) < lower_case_under


def word_in(word: str, words: frozenset[str]) -> bool:
    """Whether ``word``, its case and an abbreviation's dot aside ("St."), is one of ``words``."""
    return word.casefold().strip(".") in words


def _adjacent(text: str, run: list[re.Match[str]]) -> bool:
    """The words follow one another with a single space between ("Armenia-Italy" is two)."""
    return all(text[a.end() : b.start()] == " " for a, b in pairwise(run))


def _embedded_place(name: str, names: PlaceNames, place_keys: set[str]) -> bool:
    key = exact_key(name)
    if not key or key in COMMON_WORDS:
        return False
    # A continent's adjective names an organisation's reach ("European Union", "African
    # Development Bank"), not a place of the story; a nationality's is its country's.
    demonym = names.is_demonym(name) and not names.is_continental(name)
    return key in place_keys or names.is_well_known(name) or demonym


def _is_surname(mention: Mention, person_words: set[str]) -> bool:
    """ "Salah" after "Mohamed Salah" is the man, whatever NER calls it."""
    key = exact_key(possessive_stripped(mention.text))
    return " " not in key and key in person_words


def _first_name_before_a_surname(
    mention: Mention,
    text: str,
    family_names: set[str],
    surnames: set[str],
    names: PlaceNames,
) -> bool:
    """A name that ends in a surname the story gives a person elsewhere ("Austin Okafor,
    a doctor, ... Okafor said"), or one word followed by the last name of a person the
    story names in full ("Austin" before "Okafor" where "Austin Okafor" is NER's person),
    that no place is called as a whole, is that person, whatever NER calls it (even in a
    story in Texas)."""
    name = possessive_stripped(mention.text)
    if " " not in name.strip():
        after = _SURNAME_AFTER.match(text, mention.start + len(name))
        if mention.field != "text" or after is None:
            return False
        name, surnames = f"{name} {after.group(1)}", family_names
    words = exact_key(name).split()
    return len(words) > 1 and words[-1] in surnames and not names.is_known(name)


def _listed_names(text: str) -> Iterable[Mention]:
    """Names in a list of places; labelled SUB_PLACE_LIST when the list is of parts of a
    town (neighbourhoods, districts, villages), which a country check then holds to the
    story's countries."""
    for cue in LIST_CUE.finditer(text):
        label = SUB_PLACE_LIST if cue.group("kind").startswith(SUB_PLACE_KINDS) else PLACE_LIST
        start = cue.start("names")
        for name in re.finditer(_NAME, cue.group("names")):
            yield Mention("text", start + name.start(), start + name.end(), name.group(), label)


def _datelines(text: str, names: PlaceNames) -> list[Mention]:
    """Each dateline's place, and its state or country where the gazetteer knows it
    ("DAKAR, Senegal —": NER often marks neither in a line of capitals)."""
    found = []
    for line in [*DATELINE.finditer(text), *_bare_datelines(text, names)]:
        for part in ("city", "region"):
            name = line.group(part)
            if name and (part == "city" or names.is_known(name)):
                found.append(Mention("text", line.start(part), line.end(part), name, "DATELINE"))
    return found


def _bare_datelines(text: str, names: PlaceNames) -> Iterator[re.Match[str]]:
    for line in BARE_DATELINE.finditer(text):
        city = line.group("city")
        if sum(c.isalpha() for c in city) >= BARE_DATELINE_LETTERS and names.is_known(city):
            yield line


def _story_dateline(text: str, toponyms: Sequence[Toponym]) -> re.Match[str] | None:
    """The dateline near the start, closed by a dash or a credit, or bare before the
    story's first words where its name is one of the story's places."""
    found = DATELINE.search(text, 0, LEAD_CHARS)
    if found:
        return found
    bare = BARE_DATELINE.search(text, 0, LEAD_CHARS)
    starts = {s.start for t in toponyms for s in t.spans if s.field == "text"}
    return bare if bare and bare.start("city") in starts else None


def _unique_spans(mentions: Iterable[Mention]) -> list[Mention]:
    """Drop a cue-found mention where NER already has one overlapping it."""
    kept = MentionSet()
    for mention in mentions:
        if not kept.overlapping(mention.field, mention.start, mention.end):
            kept.add(mention)
    return list(kept)


def _grouped(mentions: Iterable[Mention], text: str, title: str = "") -> list[Toponym]:
    by_key: dict[str, Toponym] = {}
    for mention in sorted(mentions, key=lambda m: (m.field != "title", m.start)):
        name = possessive_stripped(mention.text)
        key = exact_key(name)
        if not key:
            continue
        span = Span(mention.field, mention.start, mention.start + len(name))
        qualifier = _qualifier(text, mention) if mention.label != "NORP" else None
        at = _located_in(text, span.end) if mention.field == "text" else None
        as_division = DIVISION_WORD.match(title if mention.field == "title" else text, span.end)
        if key in by_key:
            by_key[key].spans.append(span)
            by_key[key].qualifier = by_key[key].qualifier or qualifier
            by_key[key].as_division |= as_division is not None
            by_key[key].located_in = by_key[key].located_in or at
            continue
        by_key[key] = Toponym(
            name=name,
            key=key,
            spans=[span],
            label=mention.label,
            demonym=mention.label == "NORP",
            qualifier=qualifier,
            as_division=as_division is not None,
            located_in=at,
        )
    return list(by_key.values())


def _qualifier(text: str, mention: Mention) -> str | None:
    if mention.field != "text":
        return None
    found = QUALIFIER.match(text, mention.end)
    return found.group(1) if found else None


def _mark_dateline(toponyms: list[Toponym], text: str) -> None:
    found = _story_dateline(text, toponyms)
    if not found:
        return
    for toponym in toponyms:
        if any(s.field == "text" and s.start == found.start("city") for s in toponym.spans):
            toponym.dateline = True
            toponym.qualifier = toponym.qualifier or found.group("region")

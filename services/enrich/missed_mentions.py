"""Mentions the small NER model misses, found cheaply from what it did find.

1. acronyms defined in the article: "Islamic State (IS)" makes every later bare "IS" a
   mention of Islamic State, even where NER missed or mislabelled it;
2. wire agency credits ("With reporting by dpa, Reuters, and AFP") are organisations;
   the sides of score lines and the rows of tables of results are teams (:mod:`tables`);
3. repeats: a name NER recognised once is the same name where it appears again untagged
   (NER is inconsistent across a text, in headlines above all);
4. listed places: in "the neighborhoods of Malayin, Samah, Khadra, and Karamah" the names
   listed with a place are places, split where NER ran them together ("Malayin, Samah").
Nothing is added inside boilerplate regions. Returns the mentions, sorted, and the
acronym aliases (acronym key -> full name key) for merging entities.

Each step reads the text once, whatever the number of names (:class:`NameSearch`), and
looks mentions up by position (:class:`MentionSet`): its cost grows with the article's
length, not with its length times its number of names.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Literal

from msgspec import Struct
from spacy.lang.en.stop_words import STOP_WORDS

from services.enrich.entities import NUMERIC_LABELS, PLACE_LABELS, name_key
from services.enrich.mention_set import MentionSet
from services.enrich.mentions import Mention
from services.enrich.name_search import NameSearch
from services.enrich.passages import Regions
from services.enrich.tables import claim_table_names
from services.enrich.wire import agency_credits

Field = Literal["title", "text"]
Region = tuple[int, int]

_ACRONYM_DEFINITION = re.compile(r"\s*\(([A-Z][A-Za-z0-9&]{0,7})\)")
_FUNCTION_WORDS = frozenset({"the", "of", "and", "for", "in", "on", "de", "du", "des", "la", "le"})


class Found(Struct):
    mentions: list[Mention]
    aliases: dict[str, str]  # acronym key -> full name key


class Article(Struct, frozen=True):
    """The two fields mentions point into, and the boilerplate of each."""

    title: str
    text: str
    boilerplate: Sequence[Region] = ()
    title_boilerplate: Sequence[Region] = ()

    def fields(self) -> Iterator[tuple[Field, str, Regions]]:
        yield "title", self.title, Regions(self.title_boilerplate)
        yield "text", self.text, Regions(self.boilerplate)

    def field(self, name: Field) -> str:
        return self.title if name == "title" else self.text


def with_missed_mentions(article: Article, mentions: Sequence[Mention]) -> Found:
    found = confirmed_in_headlines(article, list(mentions))
    found, aliases = with_acronyms(article, found)
    found = with_agency_credits(article, found)
    found = with_table_names(article, found)
    found = with_repeats(article, found)
    found = with_listed_places(article, found)
    return Found(sorted(found, key=lambda m: (m.field != "title", m.start)), aliases)


# -- headlines -------------------------------------------------------------------------------


def confirmed_in_headlines(article: Article, mentions: list[Mention]) -> list[Mention]:
    """Title Case fools the model ("Floods Cut Off Villages Near Mopti" as one
    organisation): a name NER found in a title-case headline stays only if the story names
    it too. The repeats step then finds the story's names in the headline."""
    story = {name_key(m.text) for m in mentions if not _in_headline(article, m)}
    if not story:
        return mentions  # nothing to check against: NER's reading is all there is
    return [
        m
        for m in mentions
        if m.label in NUMERIC_LABELS or name_key(m.text) in story or not _in_headline(article, m)
    ]


def _in_headline(article: Article, mention: Mention) -> bool:
    return _title_case_line(article.field(mention.field), mention.start)


# -- acronyms ------------------------------------------------------------------------------


def with_acronyms(
    article: Article, mentions: list[Mention]
) -> tuple[list[Mention], dict[str, str]]:
    aliases: dict[str, str] = {}
    definers: dict[str, Mention] = {}  # acronym -> its last definition, in that order
    for definer, acronym in acronym_definitions(article, mentions):
        aliases[name_key(acronym)] = name_key(definer.text)
        definers.pop(acronym, None)  # defined again: claimed again, as if for the first time
        definers[acronym] = definer
    found = MentionSet(mentions)
    written = _occurrences(article, list(definers))
    upper_case = {field: _upper_case_lines(text) for field, text, _ in article.fields()}
    for acronym, definer in definers.items():
        for field, start, end in written.get(acronym, ()):
            if not upper_case[field](start):
                _claim(found, Mention(field, start, end, acronym, definer.label))
    return list(found), aliases


def acronym_definitions(
    article: Article, mentions: Sequence[Mention]
) -> Iterator[tuple[Mention, str]]:
    """(full name mention, acronym) for each "Full Name (FN)" in the article."""
    for mention in mentions:
        if mention.label in NUMERIC_LABELS or mention.label == "PERSON":
            continue
        after = _ACRONYM_DEFINITION.match(article.field(mention.field), mention.end)
        if after and abbreviates(after.group(1), mention.text):
            yield mention, after.group(1)


def abbreviates(acronym: str, name: str) -> bool:
    """ "CTS" abbreviates "Counterterrorism Service": its letters, in order, from the first."""
    letters = [c for c in acronym.casefold() if c.isalnum()]
    if acronym.endswith("s") and not acronym[-2:].isupper():
        letters = letters[:-1]  # "NGOs"
    words = [w for w in name_key(name).split() if w not in _FUNCTION_WORDS] or [""]
    capitals = sum(c.isupper() for c in acronym)
    if len(letters) < 2 or capitals < 2 or letters[0] != words[0][:1]:
        return False
    remaining = iter("".join(words))
    return all(letter in remaining for letter in letters)


def _occurrences(article: Article, names: Sequence[str]) -> dict[str, list[tuple[Field, int, int]]]:
    """Where each name is written as a word of its own, outside boilerplate
    (case-sensitive), title first."""
    found: dict[str, list[tuple[Field, int, int]]] = {}
    if not names:
        return found
    search = NameSearch(names)
    for field, text, skip in article.fields():
        for name, spans in search.occurrences(text).items():
            found.setdefault(name, []).extend(
                (field, start, end) for start, end in spans if not skip.cover(start, end)
            )
    return found


def _upper_case_lines(text: str) -> Callable[[int], bool]:
    """Whether the line around a position is mostly in capitals (in an all-capitals line
    "IS" is a verb, not Islamic State); each line is read once, however often asked."""
    breaks = [found.start() for found in re.finditer("\n", text)]
    known: dict[int, bool] = {}

    def upper_case_at(at: int) -> bool:
        after = bisect_left(breaks, at)
        start = breaks[after - 1] + 1 if after else 0
        if start not in known:
            end = breaks[after] if after < len(breaks) else len(text)
            letters = [c for c in text[start:end] if c.isalpha()]
            known[start] = sum(c.isupper() for c in letters) > 0.6 * len(letters)
        return known[start]

    return upper_case_at


# -- wire agencies ---------------------------------------------------------------------------


def with_agency_credits(article: Article, mentions: list[Mention]) -> list[Mention]:
    found = MentionSet(mentions)
    for field, text, skip in article.fields():
        for line in re.finditer(r"[^\n]+", text):
            if skip.cover(line.start(), line.end()):
                continue
            for start, end in agency_credits(line.group()):
                s, e = line.start() + start, line.start() + end
                _claim(found, Mention(field, s, e, text[s:e], "ORG"), widen=False)
    return list(found)


# -- tables of results -----------------------------------------------------------------------


def with_table_names(article: Article, mentions: list[Mention]) -> list[Mention]:
    found = MentionSet(mentions)
    for field, text, skip in article.fields():
        claim_table_names(field, text, skip, found)
    return list(found)


# -- repeats of recognised names ---------------------------------------------------------


def with_repeats(article: Article, mentions: list[Mention]) -> list[Mention]:
    """Recognised names found again where NER missed them; in a line in capitals, written
    in capitals ("SHEARER" after "Alan Shearer")."""
    labels = _repeatable_names(mentions)
    if not labels:
        return mentions
    in_capitals = {name.upper(): label for name, label in labels.items()}
    search = NameSearch(labels.keys() | in_capitals.keys())  # longest first at one place
    recognised = MentionSet(mentions)
    taken = {(m.field, m.start, m.end) for m in mentions}
    added = []
    for field, text, skip in article.fields():
        upper_case = _upper_case_lines(text)
        for start, end, name in search.longest_matches(text):
            if skip.cover(start, end) or recognised.overlapping(field, start, end):
                continue
            if (field, start, end) in taken:
                continue
            if name in labels and not _inside_longer_name(text, start, end):
                added.append(Mention(field, start, end, name, labels[name]))
            elif name in in_capitals and upper_case(start):
                added.append(Mention(field, start, end, name, in_capitals[name]))
    return mentions + added


def _repeatable_names(mentions: Sequence[Mention]) -> dict[str, str]:
    """Surface form -> its most frequent label, for names safe to look for verbatim. A
    person's surname counts as a name of its own: "Havel" after "Vaclav Havel"."""
    votes: dict[str, Counter[str]] = {}
    for m in mentions:
        if m.label not in NUMERIC_LABELS and _is_distinctive(m.text):
            votes.setdefault(m.text, Counter())[m.label] += 1
        surname = _SURNAME.search(m.text) if m.label == "PERSON" and " " in m.text else None
        if surname and _is_distinctive(surname.group()):
            votes.setdefault(surname.group(), Counter())["PERSON"] += 1
    return {text: counter.most_common(1)[0][0] for text, counter in votes.items()}


_SURNAME = re.compile(r"(?<=\s)[^\W\d_][\w'’-]*$")


def _is_distinctive(text: str) -> bool:
    """Capitalised, and not an English word that happens to start a sentence ("May")."""
    if not (text[:1].isupper() and text[:1].isalnum()) or len(text) < 2:
        return False
    if " " in text or text.isupper():
        return True
    return len(text) >= 3 and text.casefold() not in STOP_WORDS


def _inside_longer_name(text: str, start: int, end: int) -> bool:
    """ "Washington" in "Washington Post": a capitalised neighbour, outside a title-case line."""
    before = re.search(r"([\w-]+)\s+$", text[max(0, start - 40) : start])
    after = re.match(r"\s+([\w-]+)", text[end : end + 40])
    neighbours = [m.group(1) for m in (before, after) if m]
    if not any(w[:1].isupper() for w in neighbours):
        return False
    return not _title_case_line(text, start)


def _title_case_line(text: str, at: int) -> bool:
    starts, ends = _headlines(text)
    i = bisect_right(starts, at) - 1
    return i >= 0 and at < ends[i]


_DATA_ROW = re.compile(r"\d|,[^,]*,")


@lru_cache(maxsize=64)  # asked once per mention: the lines are read once per text
def _headlines(text: str) -> tuple[list[int], list[int]]:
    """Where the Title Case headlines of ``text`` start and end: nearly every word of four
    letters or more capitalised (prose full of names still has its verbs in lower case),
    no full stop at the end. A line with figures or a run of commas is a row of a table or
    a list of names ("3. Rose Cheruiyot (Kenya) 15:05.41"), not a headline."""
    starts, ends = [], []
    for line in re.finditer(r"[^\n]+", text):
        if _DATA_ROW.search(line.group()):
            continue
        words = [w for w in re.findall(r"[A-Za-z][\w'-]*", line.group()) if len(w) > 3]
        capitalised = sum(w[0].isupper() for w in words)
        if len(words) >= 3 and capitalised >= 0.9 * len(words) and line.group().strip()[-1] != ".":
            starts.append(line.start())
            ends.append(line.end())
    return starts, ends


# -- places listed together ------------------------------------------------------------------

_NAME = r"[A-Z][\w'’]*(?:-[\w'’]+)*(?:\s+(?:(?:al|el|de|la)-)?[A-Z][\w'’]*(?:-[\w'’]+)*)*"
_SEPARATOR = r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)"
_LIST = re.compile(rf"{_NAME}(?:{_SEPARATOR}{_NAME})+")
_LIST_ITEM = re.compile(_NAME)
_PLACE_NOUN_BEFORE = re.compile(
    r"\b(?:cities|towns|villages|districts|neighbou?rhoods|provinces|regions|areas|countries"
    r"|suburbs|islands|governorates|camps|municipalities|counties)\b(?:\s+\w+){0,2}\s*$"
)
NAME_LABELS = PLACE_LABELS | {"PERSON", "ORG"}


def with_listed_places(article: Article, mentions: list[Mention]) -> list[Mention]:
    found = MentionSet(mentions)
    named = Counter((name_key(m.text), m.label) for m in mentions)  # as ``found`` changes
    for field, text, skip in article.fields():
        for listing in _LIST.finditer(text):
            if not skip.cover(listing.start(), listing.end()):
                _list_as_places(field, text, listing, found, named)
    return list(found)


def _list_as_places(
    field: Field,
    text: str,
    listing: re.Match[str],
    found: MentionSet,
    named: Counter[tuple[str, str]],
) -> None:
    """The items of a list of places, each a place mention. A list is of places when a
    place noun introduces it ("villages such as A and B"), or when it has three or more
    items, more of them places than people or organisations, and its people and
    organisations are named nowhere else (so "Trump, Putin and Russia" stays as it is)."""
    items = [
        (listing.start() + m.start(), listing.start() + m.end(), m.group())
        for m in _LIST_ITEM.finditer(listing.group())
    ]
    inside = found.starting_in(field, listing.start(), listing.end())
    if any(m.end > listing.end() or m.label not in NAME_LABELS for m in inside):
        return  # a date, a nationality, a name running past the list: not a list
    places = [m for m in inside if m.label in PLACE_LABELS]
    others = [m for m in inside if m.label not in PLACE_LABELS]
    introduced = bool(
        _PLACE_NOUN_BEFORE.search(text[max(0, listing.start() - 40) : listing.start()])
    )
    if not introduced and not (
        len(items) >= 3
        and _ends_with_conjunction(listing.group(), items)
        and len(places) >= max(1, len(others))
        and not _named_elsewhere(others, named)
    ):
        return
    label = Counter(m.label for m in places).most_common(1)[0][0] if places else "GPE"
    taken = {(m.start, m.end) for m in places}
    listed = [Mention(field, s, e, t, label) for s, e, t in items if (s, e) not in taken]
    for mention in others:
        found.remove(mention)
    for mention in listed:
        found.add(mention)
    named.subtract((name_key(m.text), m.label) for m in others)
    named.update((name_key(m.text), m.label) for m in listed)


def _ends_with_conjunction(listing: str, items: list[tuple[int, int, str]]) -> bool:
    return bool(re.search(r"\b(?:and|or)\s+\S+$", listing[: items[-1][1] - items[0][0]]))


def _named_elsewhere(listed: list[Mention], named: Counter[tuple[str, str]]) -> bool:
    """Whether a name of ``listed`` is also a mention outside them (``named`` counts every
    mention's name and label)."""
    here = Counter((name_key(m.text), m.label) for m in listed)
    return any(named[name] > count for name, count in here.items())


# -- overlaps ------------------------------------------------------------------------------


def _claim(found: MentionSet, claim: Mention, widen: bool = True) -> None:
    """``claim`` added, replacing the NER mentions it corrects: the same span with another
    label, or (with ``widen``) a non-person span starting with it ("IS fighters").
    Left out when it cuts through any other mention."""
    clashing = found.overlapping(claim.field, claim.start, claim.end)
    replaceable = [
        m
        for m in clashing
        if (m.start, m.end) == (claim.start, claim.end)
        or (widen and m.start == claim.start and m.label != "PERSON")
    ]
    if len(replaceable) != len(clashing):
        return
    for mention in replaceable:
        found.remove(mention)
    found.add(claim)

"""Place names in an article no NER model reads: its capitalised names the gazetteer knows.

Any Latin-script language writes names with a capital; the gazetteer holds GeoNames'
names of places in many languages ("München", "Allemagne", "Varsovie"). From each run of
capitalised words ("Frankfurt am Main", "Bad Homburg", "Rio de Janeiro") the longest
pieces the gazetteer knows become mentions; a function word of the language starting a
sentence ("Die", "Le") is no name. German capitalises every noun, so what the gazetteer
knows is not yet a place: a famous place by its own name (a country, a state, a big city),
a name of several words and a place's own name right after a preposition of place ("in
Passau", not "in Höhe von") are labelled GPE; any other single word ORG, which geotagging keeps only with support from
the story's other places (as it does for a word NER could not place).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal, Protocol

from services.enrich.mentions import Mention
from services.enrich.passages import Passage

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Lower-case words inside a place's name: "Frankfurt am Main", "Rio de Janeiro", "Isle of
# the Dead", "Castellón de la Plana".
NAME_PARTICLES = frozenset(
    "am an der den des dem bei im in ob of the on upon de du la le les lès sur sous en y del los las da do dos das di van von aan op zu".split()  # noqa: SIM905
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[\"“«(„]\s*)$")
MAX_WORDS = 5  # of a place's name
MIN_LETTERS = 3  # of a one-word name
# Prepositions of place in the Latin-script languages news is most written in: a known name
# right after one is read as a place ("in Simmelsdorf"), as NER would.
_LOCATIVE = re.compile(
    r"(?:^|\s)(?:in|im|nach|aus|bei|von|zu|à|au|aux|en|dans|near|naar|uit|bij|nel|da|em|no|na)\s+$",
    re.IGNORECASE,
)


class PlaceNames(Protocol):
    def is_known(self, name: str) -> bool: ...  # some place is called so, in some language

    def is_well_known(self, name: str) -> bool: ...  # a country, continent, state, big city

    def is_own_name(self, name: str) -> bool: ...  # a place's own name, not an alternate


def place_name_mentions(
    passage: Passage, names: PlaceNames, function_words: frozenset[str]
) -> list[Mention]:
    """The mentions of known place names in one passage."""
    found = []
    field: Literal["title", "text"] = passage.field
    for run in capitalised_runs(passage.text, function_words):
        for start, end in _known_pieces(passage.text, run, names):
            name = passage.text[start:end]
            if " " not in name and len(name) < MIN_LETTERS:
                continue  # "T", "Es": an initial or a word, too short to tell
            located = _after_locative(passage.text, start) and names.is_own_name(name)
            label = "GPE" if " " in name or located or names.is_well_known(name) else "ORG"
            found.append(Mention(field, passage.start + start, passage.start + end, name, label))
    return found


def capitalised_runs(
    text: str, function_words: frozenset[str] = frozenset()
) -> Iterator[list[re.Match[str]]]:
    """Runs of capitalised words, with the short lower-case words a name may hold between
    them (and after them: the run ends at the first other word); without one of
    ``function_words`` starting a sentence ("Die", "Le")."""
    run: list[re.Match[str]] = []
    for word in _WORD.finditer(text):
        next_to = run and text[run[-1].end() : word.start()].strip(" \t") == ""
        if next_to and (word.group()[0].isupper() or word.group() in NAME_PARTICLES):
            run.append(word)
            continue
        if run:
            yield run
        run = [word] if _may_start_name(text, word, function_words) else []
    if run:
        yield run


def _may_start_name(text: str, word: re.Match[str], function_words: frozenset[str]) -> bool:
    if not word.group()[0].isupper():
        return False
    return not (word.group().lower() in function_words and _starts_sentence(text, word.start()))


def _known_pieces(
    text: str, run: list[re.Match[str]], names: PlaceNames
) -> Iterator[tuple[int, int]]:
    """The longest pieces of a run the gazetteer knows, left to right, none overlapping; a
    piece begins and ends with a capitalised word."""
    i = 0
    while i < len(run):
        for j in range(min(len(run), i + MAX_WORDS), i, -1):
            first, last = run[i].group(), run[j - 1].group()
            start, end = run[i].start(), run[j - 1].end()
            if first[0].isupper() and last[0].isupper() and names.is_known(text[start:end]):
                yield start, end
                i = j
                break
        else:
            i += 1


def _after_locative(text: str, at: int) -> bool:
    """Right after a preposition of place: "in Passau", "nach Tübingen", "à Domdidier"."""
    return _LOCATIVE.search(text[max(0, at - 8) : at]) is not None


def _starts_sentence(text: str, at: int) -> bool:
    return bool(_SENTENCE_START.search(text, max(0, at - 4), at))

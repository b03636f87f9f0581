"""NER spans that are not one name, cut to the names they hold, or dropped.

The small English model runs a name on past its end or joins several names into one
span; each step here repairs one such mistake, and a span left with no name is dropped:

1. ``at_semicolons``: no name holds a semicolon ("Dordrecht; Sofia Novak" is two);
2. ``without_score``: a match score, or a number after a person's or a town's name, is no
   part of it ("Bekasi 2-1");
3. ``at_lower_case_words``: a name holds no lower-case word but its particles ("of",
   "de", "bin"), so "Farmers between Gdańsk and Sopot" is "Farmers" and "Gdańsk and
   Sopot";
4. ``coordinated``: names joined by "and" or a comma, each a name of its own (a place the
   gazetteer knows, or a name the article tags elsewhere), are apart ("Malindi and
   Kilifi"), unless the whole is one name ("Trinidad and Tobago");
5. ``sentence_start_word``: one common word, mostly written in lower case, capitalised
   only because it starts a sentence, is no name ("Farmers", "Police");
6. ``title_before_name``: one word starting a sentence right before a person's name and
   named nowhere else is the person's title, however rare the word ("Seismologist").

A piece keeps the label the article gives its name elsewhere, else, as a side of a score
or one of names joined, the gazetteer knows it, a place's, else its span's.

Run after geotagging, on the mentions labelled as their entities were (places found):
geotagging reads NER's own spans and takes them apart its own way
(:meth:`Enricher._named_apart`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Sequence

from services.enrich.capitalised import NAME_PARTICLES as PLACE_PARTICLES
from services.enrich.common_words import lower_case_share
from services.enrich.entities import LEGAL_FORMS, NAME_PARTICLES, NUMERIC_LABELS, name_key
from services.enrich.mentions import Mention
from services.enrich.wire import AGENCY

# Lower-case words a name may hold: particles of people's and places' names, and the
# words of institutions' ("Food and Agriculture Organization", "Committee to Protect
# Journalists", "University of California at Berkeley").
PARTICLES = NAME_PARTICLES | PLACE_PARTICLES | {"and", "for", "to", "at", "&", "y", "e", "et"}
# "mostly written in lower case": a common word, whose capital says only that a sentence
# starts with it.
COMMON_SHARE = 0.5
# A nationality's adjective is capitalised wherever it stands, whatever the word list says
# of its homograph ("Polish", "polish").
ADJECTIVE_LABELS = frozenset({"NORP", "LANGUAGE"})
_SCORE = re.compile(r"\s+\d{1,3}\s*[-–:]\s*\d{1,3}$")
_NUMBER = re.compile(r"\s+\d+$")
NUMBERLESS_LABELS = frozenset({"PERSON", "GPE"})  # no "Route 66", "Channel 4" among them
_WORD = re.compile(r"\S+")
_COORDINATION = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_NEXT_WORD_LOWER = re.compile(r"[ \t]+[a-z]")  # prose goes on in lower case
_NEXT_NAME = re.compile(r"[ \t]+")
# What ends a sentence before a word that starts the next: a full stop, a dash after a
# dateline, an opening quote.
_SENTENCE_START = re.compile(r"(?:^|[\n.!?:;—–]|\s-)[ \t\"“‘'(]*$")

Piece = tuple[int, int]  # offsets into the field


def named_parts(
    mentions: Sequence[Mention], fields: dict[str, str], is_known: Callable[[str], bool]
) -> list[Mention]:
    """``mentions`` with each span repaired to the names it holds; ``fields``: the title
    and the text they point into; ``is_known``: whether some place is called so."""
    labels: dict[str, Counter[str]] = {}
    for m in mentions:
        labels.setdefault(name_key(m.text), Counter())[m.label] += 1
    people = {(m.field, m.start) for m in mentions if m.label == "PERSON"}
    repaired = []
    for mention in mentions:
        if mention.label in NUMERIC_LABELS:
            repaired.append(mention)
            continue
        text = fields[mention.field]
        if title_before_name(mention, text, people, labels, is_known):
            continue
        for start, end, known_place in _pieces(mention, text, labels, is_known):
            name = text[start:end]
            if mention.label in ADJECTIVE_LABELS or not sentence_start_word(
                text, start, end, fields.values()
            ):
                label = _label(name, mention, labels, known_place)
                repaired.append(Mention(mention.field, start, end, name, label))
    return repaired


def _pieces(
    mention: Mention, text: str, labels: dict[str, Counter[str]], is_known: Callable[[str], bool]
) -> Iterator[tuple[int, int, bool]]:
    """(start, end, a known place) of each name in the mention's span; a place only
    where a score or another name beside it says it may be one (a side of a match, one
    of places listed), not where a word was cut off ("Smith said")."""
    for piece in at_semicolons(mention.start, mention.end, text):
        scored = without_score(piece, text, mention.label)
        for part in at_lower_case_words(scored, text):
            parts = coordinated(part, text, labels, is_known)
            for start, end in parts:
                beside = scored != piece or len(parts) > 1
                yield start, end, beside and is_known(text[start:end])


def at_semicolons(start: int, end: int, text: str) -> list[Piece]:
    """The span cut at each semicolon, each piece stripped of spaces."""
    pieces, at = [], start
    for stop in [*(i for i in range(start, end) if text[i] == ";"), end]:
        piece = _stripped((at, stop), text)
        if piece[0] < piece[1]:
            pieces.append(piece)
        at = stop + 1
    return pieces


def without_score(piece: Piece, text: str, label: str) -> Piece:
    """The piece without a match score at its end ("Bekasi 2-1"), nor, for a person or a
    town, a number."""
    start, end = piece
    found = _SCORE.search(text, start, end)
    if not found and label in NUMBERLESS_LABELS:
        found = _NUMBER.search(text, start, end)
    if found and found.start() > start:
        return start, found.start()
    return piece


def at_lower_case_words(piece: Piece, text: str) -> list[Piece]:
    """The runs of the piece between its lower-case words that are no name's particle,
    each without particles at its ends, and starting with a capital. A piece with no
    capital at all holds no name ("supreme court", "meth"), but for an agency's that
    writes it so ("dpa")."""
    if not any(c.isupper() for c in text[piece[0] : piece[1]]):
        return [piece] if AGENCY.fullmatch(text, *piece) else []
    runs: list[list[re.Match[str]]] = [[]]
    for word in _WORD.finditer(text, *piece):
        if _inner_word(word.group()):
            runs.append([])
        else:
            runs[-1].append(word)
    found = []
    for run in runs:
        while run and run[0].group().casefold() in PARTICLES:
            run.pop(0)
        while run and run[-1].group().casefold() in PARTICLES:
            run.pop()
        if run and any(c.isupper() for c in run[0].group()):
            found.append((run[0].start(), run[-1].end()))
    return found if len(runs) > 1 else [piece]


def _inner_word(word: str) -> bool:
    """A lower-case word no name holds ("between", "said"): not a particle, no capital
    inside ("iPhone", "al-Baghdadi"), no figure."""
    bare = word.strip(",.'’\"()")
    return (
        bare[:1].islower()
        and bare.casefold() not in PARTICLES
        and not any(c.isupper() or c.isdigit() for c in bare)
    )


def coordinated(
    piece: Piece, text: str, labels: dict[str, Counter[str]], is_known: Callable[[str], bool]
) -> list[Piece]:
    """The names joined in the piece by "and" or commas, when each is a name of its own
    (a place the gazetteer knows, or a name tagged elsewhere) and the whole is not one
    name; else the piece whole."""
    whole = text[piece[0] : piece[1]]
    cuts = list(_COORDINATION.finditer(text, *piece))
    if not cuts or is_known(whole):
        return [piece]
    bounds = [piece[0], *(i for cut in cuts for i in (cut.start(), cut.end())), piece[1]]
    parts = list(zip(bounds[::2], bounds[1::2], strict=True))
    names = [text[s:e] for s, e in parts]
    if all(_name_of_its_own(name, labels, is_known) for name in names):
        return parts
    return [piece]


def _name_of_its_own(
    name: str, labels: dict[str, Counter[str]], is_known: Callable[[str], bool]
) -> bool:
    """Capitalised, not a company's legal form ("Apple, Inc."), and a place's name or one
    the article tags elsewhere."""
    key = name_key(name)
    if not name[:1].isupper() or key in LEGAL_FORMS:
        return False
    return key in labels or is_known(name)


def sentence_start_word(text: str, start: int, end: int, fields: Iterable[str] = ()) -> bool:
    """One word, mostly written in lower case, capitalised at the start of a sentence of
    prose (the next word in lower case: "Farmers reported", not a row of a table, "Hull 0
    Barnet 0") and nowhere else in ``text`` and the other ``fields`` of its article (not
    "Labour" if "Labour" is written mid-sentence too)."""
    word = text[start:end]
    if " " in word or word.isupper() or lower_case_share(word) < COMMON_SHARE:
        return False
    if not _NEXT_WORD_LOWER.match(text, end):
        return False
    written = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    return all(
        _starts_sentence(field, found.start())
        for field in {text, *fields}
        for found in written.finditer(field)
    )


def title_before_name(
    mention: Mention,
    text: str,
    people: Container[tuple[str, int]],
    labels: dict[str, Counter[str]],
    is_known: Callable[[str], bool],
) -> bool:
    """One word starting a sentence right before a person's name, named nowhere else and
    no place's name, is the person's title ("Seismologist Chidi Novak said"), however
    rare the word."""
    if mention.label in ADJECTIVE_LABELS | {"PERSON"} or " " in mention.text:
        return False
    after = _NEXT_NAME.match(text, mention.end)
    return (
        after is not None
        and (mention.field, after.end()) in people
        and _starts_sentence(text, mention.start)
        and sum(labels.get(name_key(mention.text), Counter()).values()) == 1
        and not is_known(mention.text)
    )


def _starts_sentence(text: str, at: int) -> bool:
    return _SENTENCE_START.search(text, max(0, at - 6), at) is not None


def _stripped(piece: Piece, text: str) -> Piece:
    start, end = piece
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _label(name: str, mention: Mention, labels: dict[str, Counter[str]], known_place: bool) -> str:
    """The label the article gives the name as a mention of its own, else a place's for
    a known place, else the span's."""
    if name == mention.text or mention.label in ADJECTIVE_LABELS:
        return mention.label
    elsewhere = labels.get(name_key(name))
    if elsewhere:
        return elsewhere.most_common(1)[0][0]
    return "GPE" if known_place else mention.label

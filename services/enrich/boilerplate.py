"""Publisher boilerplate in an article's text: what the page says that the story does not.

Text reduced from a web page carries the page's furniture: media-player widgets
("please wait", "0:00 / 1:02"), share and subscribe prompts, copyright lines, and a
footer in which the publisher talks about itself ("RFE/RL journalists report...", "If you
are in ... you could face fines"). Names in it are not part of the story, so entities and
places must not come from it. It is found by the shape of lines, not by listing strings:

1. widget lines: short lines that are UI prompts or mostly digits/symbols, and the short
   headings in the same block as one (a video's title above its "please wait");
2. legal lines: copyright and rights notices;
3. the footer after the sign-off: a wire credit ("With reporting by ...", "Editing by")
   past the first third of the text ends the story, everything after it is the page's;
4. trailing publisher notes: from the end upwards, lines that name the publisher, speak
   as the publisher to the reader ("we ... you"), or are not sentences.

Regions are whole lines, as ``(start, end)`` offsets into the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise

from msgspec import Struct

from services.enrich.wire import PARENTHESISED_CREDIT

Region = tuple[int, int]

SHORT_LINE_WORDS = 8  # widget prompts are at most this long
HEADING_WORDS = 14  # a widget's title or caption, attached to it in one block
NOTICE_WORDS = 40  # a copyright notice; longer lines are story paragraphs that quote one

_WIDGET_WORDS = frozenset(
    {
        "wait", "loading", "share", "tweet", "email", "print", "subscribe", "newsletter",
        "advertisement", "advert", "sponsored", "cookie", "cookies", "accessibility", "image",
        "images", "photo", "photos", "gallery", "video", "audio", "media", "player",
        "playback", "comments", "login", "menu", "skip", "download", "app",
    }
)  # fmt: skip
_WIDGET_PHRASES = re.compile(
    r"\b(?:click|tap) here\b|\bread more\b|\bsee also\b|\bfollow us\b|\bsign (?:up|in)\b"
    r"|\blog ?in\b|\bmore from\b|\brelated (?:stories|articles|links|content|coverage)\b",
    re.IGNORECASE,
)
_LEGAL = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|\ball rights reserved\b", re.IGNORECASE)
SIGN_OFF = re.compile(
    r"^[(\[]?\s*(?:with |additional )?reporting by\b"
    r"|^[(\[]?\s*(?:writing|editing|compiled|produced|reported) by\b"
    r"|\b(?:contributed|contributing) (?:to )?(?:this )?report(?:ing)?\b",
    re.IGNORECASE,
)
_TITLE_SEPARATOR = re.compile(r"\s+[|–—-]\s+|\s*\|\s*")
_CREDIT_AT_END = re.compile(PARENTHESISED_CREDIT.pattern + r"\W*$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
_PUBLISHER_VOICE = frozenset({"we", "us", "our", "ours"})
_READER = frozenset({"you", "your", "yours"})
_HOST_NOISE = frozenset({"www", "m", "amp", "mobile", "edition", "news", "en", "english"})
_SUFFIX_LABELS = frozenset({"com", "org", "net", "gov", "edu", "co", "ac", "info", "news"})


class Line(Struct, frozen=True):
    start: int
    end: int
    text: str
    block: int  # lines of one block have no blank line between them

    @property
    def words(self) -> list[str]:
        return _WORD.findall(self.text)

    @property
    def is_sentence(self) -> bool:
        return bool(_SENTENCE_END.search(self.text))


Rule = Callable[[list[Line], set[int], str], set[int]]


def boilerplate_regions(text: str, source: str = "") -> list[Region]:
    """The lines of ``text`` that are page furniture; ``source`` is the publisher's host."""
    lines = lines_of(text)
    publisher = publisher_key(source)
    marked: set[int] = set()
    for rule in RULES:
        marked |= rule(lines, marked, publisher)
    return [(lines[i].start, lines[i].end) for i in sorted(marked)]


def title_boilerplate(title: str, source: str = "") -> list[Region]:
    """The publisher's name tacked onto a headline, with its separator:
    "Floods reach Mopti | Sahel Radio" -> " | Sahel Radio"."""
    publisher = publisher_key(source)
    parts = title_parts(title)
    if not publisher or len(parts) < 2:
        return []
    found = []
    for i, (start, end) in enumerate(parts):
        name = title[start:end]
        if len(name.split()) <= SHORT_LINE_WORDS and _names_publisher(
            Line(start, end, name, 0), publisher
        ):
            found.append((parts[i - 1][1], end) if i else (start, parts[1][0]))
    return found


def title_parts(title: str) -> list[Region]:
    """The pieces of a headline between " | ", " - ", " — " separators."""
    edges = [0] + [i for m in _TITLE_SEPARATOR.finditer(title) for i in m.span()] + [len(title)]
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2) if edges[i] < edges[i + 1]]


def title_separators(title: str) -> list[Region]:
    """The " | ", " - ", " — " between a headline's pieces: no name spans one."""
    return [m.span() for m in _TITLE_SEPARATOR.finditer(title)]


def without_boilerplate(text: str, regions: list[Region]) -> str:
    """``text`` with its boilerplate blanked out: same length, so offsets still hold."""
    pieces, last = [], 0
    for start, end in regions:
        pieces += [text[last:start], re.sub(r"[^\n]", " ", text[start:end])]
        last = end
    return "".join(pieces) + text[last:]


def lines_of(text: str) -> list[Line]:
    found, block, last_end = [], 0, 0
    for match in re.finditer(r"[^\n]+", text):
        stripped = match.group().strip()
        if not stripped:
            continue
        if text.count("\n", last_end, match.start()) > 1:
            block += 1
        start = match.start() + match.group().index(stripped)
        found.append(Line(start, start + len(stripped), stripped, block))
        last_end = match.end()
    return found


def publisher_key(source: str) -> str:
    """``www.rferl.org`` -> ``rferl``: the publisher's name as its letters, for matching."""
    source = source.strip().lower()
    if "." not in source or " " in source:  # a name ("RFE/RL"), not a host
        return re.sub(r"[^a-z0-9]", "", source)
    host = re.sub(r"^[a-z]+://", "", source).split("/")[0].split(":")[0]
    labels = [label for label in host.split(".") if label and label not in _HOST_NOISE]
    while len(labels) > 1 and (labels[-1] in _SUFFIX_LABELS or len(labels[-1]) == 2):
        labels.pop()
    return labels[-1] if labels else ""


# -- the rules, in order -----------------------------------------------------------------


def widget_lines(lines: list[Line], _marked: set[int], _publisher: str) -> set[int]:
    """UI prompts and bare numbers, and the short non-sentence lines sharing a block with a
    prompt: a video's title above its "please wait" (a line of figures in a table of
    results is no prompt, and the table's rows are the story's)."""
    widgets = {i for i, line in enumerate(lines) if _is_widget(line)}
    blocks = {lines[i].block for i in widgets if _mostly_letters(lines[i].text)}
    headings = {i for i, line in enumerate(lines) if line.block in blocks and _is_heading(line)}
    return widgets | headings


def legal_lines(lines: list[Line], _marked: set[int], _publisher: str) -> set[int]:
    return {
        i
        for i, line in enumerate(lines)
        if len(line.words) <= NOTICE_WORDS and _LEGAL.search(line.text)
    }


def footer_after_sign_off(lines: list[Line], _marked: set[int], _publisher: str) -> set[int]:
    if not lines:
        return set()
    # A credit in the first third is a byline or an editor's note, not the story's end.
    third = lines[-1].end / 3
    sign_offs = [i for i, line in enumerate(lines) if line.start >= third and is_sign_off(line)]
    return set(range(sign_offs[-1] + 1, len(lines))) if sign_offs else set()


def trailing_publisher_notes(lines: list[Line], marked: set[int], publisher: str) -> set[int]:
    """From the last line up, while lines read as the page's rather than the story's.

    A line naming the publisher only counts below a clearer footer line: a story's last
    paragraph may well name its publisher ("MSF's psychologist on Samos agrees...").
    """
    found: set[int] = set()
    for i in reversed(range(len(lines))):
        line = lines[i]
        if is_sign_off(line):
            break
        clear_note = i in marked or _is_heading(line) or _speaks_to_reader(line)
        if not (clear_note or (found and _names_publisher(line, publisher))):
            break
        found.add(i)
    # A "footer" longer than the story is a misreading (e.g. a text of bare headlines).
    footer_chars = sum(lines[i].end - lines[i].start for i in found - marked)
    story_chars = sum(line.end - line.start for line in lines)
    return found if footer_chars * 2 < story_chars else set()


RULES: list[Rule] = [widget_lines, legal_lines, footer_after_sign_off, trailing_publisher_notes]


# -- line features -----------------------------------------------------------------------


def is_sign_off(line: Line) -> bool:
    """A wire credit ending the story: "With reporting by ...", "... (Reuters, AFP)"."""
    if len(line.words) > 30:
        return False
    return bool(SIGN_OFF.search(line.text) or _CREDIT_AT_END.search(line.text))


def _is_heading(line: Line) -> bool:
    """A short line that is not a sentence: a title, caption or label (not a credit)."""
    return not line.is_sentence and len(line.words) <= HEADING_WORDS and not is_sign_off(line)


def _is_widget(line: Line) -> bool:
    words = [word.casefold() for word in line.words]
    if len(words) > SHORT_LINE_WORDS:
        return False
    if _WIDGET_PHRASES.search(line.text):
        return True
    if not _mostly_letters(line.text):  # "0:00 / 2:14", but not a dateline or a score line
        return not _names_something(line)
    return not line.is_sentence and any(word in _WIDGET_WORDS for word in words)


def _names_something(line: Line) -> bool:
    """A capitalised word that is not a widget's: "LONDON 1996-08-30", "Pohang 3 Ulsan 2"."""
    return any(
        len(word) > 1 and word[0].isupper() and word.casefold() not in _WIDGET_WORDS
        for word in line.words
    )


def _mostly_letters(text: str) -> bool:
    visible = [c for c in text if not c.isspace()]
    return sum(c.isalpha() for c in visible) * 2 > len(visible)


def _names_publisher(line: Line, publisher: str) -> bool:
    if not publisher:
        return False
    tokens = [re.sub(r"['’]s$", "", token) for token in line.text.split()]
    keys = [re.sub(r"[^a-z0-9]", "", token.casefold()) for token in tokens]
    pairs = [a + b for a, b in pairwise(keys)]
    return publisher in keys or publisher in pairs


def _speaks_to_reader(line: Line) -> bool:
    if len(line.words) > NOTICE_WORDS:
        return False
    unquoted = _QUOTED.sub(" ", line.text).split('"')[0].split("“")[0]
    words = {word.casefold() for word in _WORD.findall(unquoted)}
    return bool(words & _PUBLISHER_VOICE) and bool(words & _READER)

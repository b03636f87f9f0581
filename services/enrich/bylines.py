"""Bylines: who wrote the story, as its authors, not as people in it.

    By Nate Raymond and Jan Wolfe
    By JOHN SMITH, Associated Press
    Von Anna Meier und Jonas Roth

A byline is a short line near the top of the text that starts with "By" (or its word in
the article's language) and names one or more people, each a run of capitalised words; a
title or an agency after a comma ends it. The names join the article's ``authors``; the
mentions inside a byline are not the story's entities.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from msgspec import Struct

from shared.schemas import Entity

# A byline stands in the first lines of the text ...
LEAD_LINES = 4
# ... and is short.
MAX_WORDS = 12

_BY = r"(?:By|BY|by|Von|VON|von|Par|PAR|par|Por|POR|por|Di|DI|Door|DOOR|door)"
_NAME = r"[A-ZÀ-Þ][\w'’.-]*(?:[ \t]+(?:(?:van|von|de|der|da|di|du|la|le|al|el|bin|ibn)[ \t]+)?[A-ZÀ-Þ][\w'’.-]*){1,3}"
_AND = r"(?:[ \t]*,[ \t]*|[ \t]+(?:and|und|et|y|e|en)[ \t]+|[ \t]*&[ \t]*)"
_CONJUNCTION = re.compile(r"[ \t](?:and|und|et|y|e|en)[ \t]|&")
_BYLINE = re.compile(
    rf"^[ \t]*{_BY}[ \t]+(?P<names>{_NAME}(?:{_AND}{_NAME})*)(?P<rest>[ \t]*(?:,|\||—|–|-|\(|$).*)$"
)


class Byline(Struct, frozen=True):
    start: int  # the line's, in the text
    end: int
    authors: list[str]


def bylines(text: str) -> list[Byline]:
    """The bylines among the first lines of ``text``."""
    found = []
    for number, line in enumerate(re.finditer(r"[^\n]+", text)):
        if number >= LEAD_LINES:
            break
        byline = _BYLINE.match(line.group())
        if byline and len(line.group().split()) <= MAX_WORDS:
            names = re.split(_AND, _listed(byline.group("names")))
            found.append(Byline(line.start(), line.end(), [_cased(n) for n in names if n]))
    return found


def _listed(names: str) -> str:
    """The names of a byline: after a comma, more names only in a list closed by "and"
    ("A, B and C"); else what follows the comma is a title or an agency."""
    if _CONJUNCTION.search(names):
        return names
    return names.split(",")[0]


def with_authors(authors: Iterable[str], found: Iterable[Byline]) -> list[str]:
    """``authors`` and the bylines' names, each once (case folded), in that order."""
    known: dict[str, str] = {}
    for name in [*authors, *(a for byline in found for a in byline.authors)]:
        known.setdefault(" ".join(name.casefold().split()), name)
    return list(known.values())


def _cased(name: str) -> str:
    """ "JOHN SMITH" -> "John Smith"; a name in mixed case stays as written."""
    return name.title() if name.isupper() else name


def without_bylines(entities: Iterable[Entity], found: Iterable[Byline]) -> list[Entity]:
    """The entities named somewhere outside the bylines: a writer is no one in the story."""
    lines = [(b.start, b.end) for b in found]
    return [
        e
        for e in entities
        if not lines
        or not all(s.field == "text" and any(a <= s.start < b for a, b in lines) for s in e.spans)
    ]

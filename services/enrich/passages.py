"""What NER reads: an article cut into passages that no entity can span.

Running the headline into the body, or one paragraph into the next, makes spaCy merge
names across the break ("...Mosul\\nIraqi Forces" as one span), so NER reads one line at
a time. Very long lines are cut at a sentence end so that batches stay even and no doc
comes near spaCy's length limit. Every passage keeps its offset into the original field,
so entity offsets map back exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Literal

from msgspec import Struct

MAX_PASSAGE_CHARS = 5_000

_LINE = re.compile(r"[^\n\r]+")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")


class Passage(Struct, frozen=True):
    field: Literal["title", "text"]
    start: int  # offset of ``text`` in the article's field
    text: str


def passages(
    field: Literal["title", "text"], text: str, skip: Sequence[tuple[int, int]] = ()
) -> list[Passage]:
    """The lines of ``text`` without the ``skip`` regions, cut to a bounded size."""
    found = []
    for line in _LINE.finditer(text):
        for outside_start, outside_end in _outside(line.start(), line.end(), skip):
            start, end = _stripped(text, outside_start, outside_end)
            if start < end:
                for piece_start, piece_end in _pieces(text, start, end):
                    found.append(Passage(field, piece_start, text[piece_start:piece_end]))
    return found


def _outside(start: int, end: int, regions: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """[start, end) minus the regions (sorted, not overlapping)."""
    for r_start, r_end in regions:
        if r_end <= start or r_start >= end:
            continue
        if r_start > start:
            yield start, r_start
        start = max(start, r_end)
    if start < end:
        yield start, end


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def is_inside(start: int, end: int, regions: Sequence[tuple[int, int]]) -> bool:
    """Whether [start, end) lies within one of ``regions``."""
    return any(r_start <= start and end <= r_end for r_start, r_end in regions)


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """[start, end) cut after the last sentence end before each MAX_PASSAGE_CHARS."""
    while end - start > MAX_PASSAGE_CHARS:
        limit = start + MAX_PASSAGE_CHARS
        cuts = [
            m.end() for m in _SENTENCE_END.finditer(text, start + MAX_PASSAGE_CHARS // 2, limit)
        ]
        cut = cuts[-1] if cuts else _last_space(text, start, limit)
        yield _stripped(text, start, cut)
        start, end = _stripped(text, cut, end)
    yield start, end


def _last_space(text: str, start: int, limit: int) -> int:
    space = text.rfind(" ", start + 1, limit)
    return space if space > start else limit

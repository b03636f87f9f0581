"""What NER reads: an article cut into passages that no entity can span.

Running the headline into the body, or one paragraph into the next, makes spaCy merge
names across the break ("...Mosul\\nIraqi Forces" as one span), so NER reads one line at
a time. Very long lines are cut at a sentence end so that batches stay even and no doc
comes near spaCy's length limit. Every passage keeps its offset into the original field,
so entity offsets map back exactly.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Literal

from msgspec import Struct

MAX_PASSAGE_CHARS = 5_000

_LINE = re.compile(r"[^\n\r]+")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")


class Passage(Struct, frozen=True):
    field: Literal["title", "text"]
    start: int  # offset of ``text`` in the article's field
    text: str
    read_as: str | None = None  # what NER reads instead, of the same length (recased)

    @property
    def for_ner(self) -> str:
        return self.text if self.read_as is None else self.read_as


def passages(
    field: Literal["title", "text"], text: str, skip: Sequence[tuple[int, int]] = ()
) -> list[Passage]:
    """The lines of ``text`` without the ``skip`` regions (sorted by start), cut to a
    bounded size."""
    found = []
    ahead = 0  # regions before it end before the current line: no later line meets them
    for line in _LINE.finditer(text):
        while ahead < len(skip) and skip[ahead][1] <= line.start():
            ahead += 1
        for outside_start, outside_end in _outside(line.start(), line.end(), skip, ahead):
            start, end = _stripped(text, outside_start, outside_end)
            if start < end:
                for piece_start, piece_end in _pieces(text, start, end):
                    found.append(Passage(field, piece_start, text[piece_start:piece_end]))
    return found


def _outside(
    start: int, end: int, regions: Sequence[tuple[int, int]], first: int = 0
) -> Iterator[tuple[int, int]]:
    """[start, end) minus the regions from ``first`` on (sorted by start)."""
    for r_start, r_end in (regions[i] for i in range(first, len(regions))):
        if r_start >= end:
            break  # and so does every later region
        if r_end <= start:
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


class Regions:
    """Regions of a field, asked whether one of them covers a span, in logarithmic time:
    a long article asks it for every name found in it."""

    def __init__(self, regions: Sequence[tuple[int, int]] = ()) -> None:
        ordered = sorted(regions)
        self._starts = [start for start, _ in ordered]
        self._reach = list(accumulate((end for _, end in ordered), max))  # of those so far

    def cover(self, start: int, end: int) -> bool:
        """Whether [start, end) lies within one of the regions."""
        before = bisect_right(self._starts, start)  # the regions starting at or before it
        return before > 0 and self._reach[before - 1] >= end


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

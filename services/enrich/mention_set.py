"""Mentions kept in the order they were found, looked up by position without a scan.

The steps that correct NER ask, for every name they find in the text, which mentions it
overlaps. Asked of a list, that is a scan of every mention for every find: a long
article (tens of thousands of mentions and finds) made it quadratic. Here each mention
is filed under the stretches of ``STRETCH`` characters of its field that it covers, so a
lookup reads only the mentions near the span, and a removal is one dictionary delete.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import count

from services.enrich.mentions import Mention

STRETCH = 64  # characters: a name or two


class MentionSet:
    """An ordered collection of mentions, like a list, with position lookups."""

    def __init__(self, mentions: Iterable[Mention] = ()) -> None:
        self._order = count()
        self._mentions: dict[int, Mention] = {}  # insertion number -> mention, in order
        self._near: dict[tuple[str, int], set[int]] = {}  # (field, stretch) -> numbers
        for mention in mentions:
            self.add(mention)

    def __iter__(self) -> Iterator[Mention]:
        return iter(self._mentions.values())

    def __len__(self) -> int:
        return len(self._mentions)

    def add(self, mention: Mention) -> None:
        number = next(self._order)
        self._mentions[number] = mention
        for stretch in _stretches(mention.field, mention.start, mention.end):
            self._near.setdefault(stretch, set()).add(number)

    def remove(self, mention: Mention) -> None:
        """Remove every mention equal to ``mention`` (as ``list.remove`` would, repeatedly)."""
        for number in self._overlapping(mention.field, mention.start, mention.end, mention):
            del self._mentions[number]
            for stretch in _stretches(mention.field, mention.start, mention.end):
                self._near[stretch].discard(number)

    def overlapping(self, field: str, start: int, end: int) -> list[Mention]:
        """The mentions of ``field`` sharing a character with [start, end), in order."""
        return [self._mentions[n] for n in self._overlapping(field, start, end)]

    def starting_in(self, field: str, start: int, end: int) -> list[Mention]:
        """The mentions of ``field`` that start within [start, end), in order."""
        near = set().union(*(self._near.get(s, ()) for s in _stretches(field, start, end)))
        found = (self._mentions[n] for n in sorted(near))
        # A mention is filed under the stretch it starts in, among others.
        return [m for m in found if start <= m.start < end]

    def _overlapping(
        self, field: str, start: int, end: int, equal_to: Mention | None = None
    ) -> list[int]:
        near = set().union(*(self._near.get(s, ()) for s in _stretches(field, start, end)))
        found = []
        for number in sorted(near):
            mention = self._mentions[number]
            if equal_to is not None:
                if mention == equal_to:
                    found.append(number)
            elif mention.start < end and start < mention.end:
                found.append(number)
        return found


def _stretches(field: str, start: int, end: int) -> Iterator[tuple[str, int]]:
    # An empty span is filed where it stands: it overlaps what covers its position.
    for stretch in range(start // STRETCH, max(start, end - 1) // STRETCH + 1):
        yield field, stretch

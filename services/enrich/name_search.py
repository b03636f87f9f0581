"""Where given names are written in a text as words of their own: every name, one reading.

A regular expression alternating many names (``Abuja|Aba|...``) tries each of them at
every position, and one expression per name reads the text once per name: the names
NER found in a long article, looked for again in it, made either quadratic. Here names
are filed under their first word and the text is read once, word by word; each word
start costs a dictionary lookup and a comparison with the few names beginning so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# A word of its own: not preceded by a word character, nor by a hyphen when hyphens
# join words ("al-Nuri" holds no "Nuri" then).
_WORD_START = {True: re.compile(r"(?<![\w-])\w+"), False: re.compile(r"(?<!\w)\w+")}
_FIRST_WORD = re.compile(r"\w+")


class NameSearch:
    """Names to find in texts. ``hyphen_joins``: the boundaries of ``(?<![\\w-])name(?![\\w-])``,
    else those of ``\\bname\\b``. Every name must begin with a word character."""

    def __init__(self, names: Iterable[str], *, hyphen_joins: bool = True) -> None:
        self._hyphen_joins = hyphen_joins
        self._word_start = _WORD_START[hyphen_joins]
        self._by_first_word: dict[str, list[str]] = {}
        for name in dict.fromkeys(names):
            first = _FIRST_WORD.match(name)
            if first is None:
                raise ValueError(f"a name to search must begin with a word character: {name!r}")
            self._by_first_word.setdefault(first.group(), []).append(name)
        for same_start in self._by_first_word.values():
            same_start.sort(key=len, reverse=True)  # longest first, as an alternation tries

    def longest_matches(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, name), left to right, never overlapping, the longest name where
        several begin at one place: what ``finditer`` of the names' alternation, longest
        first, finds."""
        resume = 0
        for start, names in self._starts(text):
            if start < resume:
                continue
            for name in names:
                end = start + len(name)
                if text.startswith(name, start) and self._ends_word(text, name, end):
                    yield start, end, name
                    resume = end
                    break

    def occurrences(self, text: str) -> dict[str, list[tuple[int, int]]]:
        """Each name's (start, end) spans, not overlapping one another: what ``finditer``
        of each name's own pattern finds. Names not written are left out."""
        found: dict[str, list[tuple[int, int]]] = {}
        for start, names in self._starts(text):
            for name in names:
                end = start + len(name)
                if text.startswith(name, start) and self._ends_word(text, name, end):
                    spans = found.setdefault(name, [])
                    if not spans or spans[-1][1] <= start:
                        spans.append((start, end))
        return found

    def _starts(self, text: str) -> Iterator[tuple[int, list[str]]]:
        # Where a name is written, the text's word there is the name's first word: the
        # name goes on, if at all, with a character that ends a word.
        for word in self._word_start.finditer(text):
            names = self._by_first_word.get(word.group())
            if names:
                yield word.start(), names

    def _ends_word(self, text: str, name: str, end: int) -> bool:
        after = text[end : end + 1]
        if self._hyphen_joins:
            return not (after.isalnum() or after in ("_", "-")) if after else True
        # \b: a word character on exactly one side of the end.
        return _is_word(name[-1]) != (bool(after) and _is_word(after))


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"

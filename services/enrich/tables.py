"""Names in tables of results: the sides of a score line and the rows of a standings table.

    Swansea 49 Cardiff 23            a score line: two sides, each with its score
    Red Star 4 4 0 0 9 3 12          a table row: a name, then figures only
    CLEVELAND 80 53 .602 -

The small model reads such lines badly: it misses most names, runs them into the
figures ("Red Star 4 4") or calls a club a person. The sides are teams: each name becomes
an organisation, except one of two or more words NER read as a person (a golfer's row,
"Colin Montgomerie 69 70 71"). A run of such lines counts as a table of names only when
NER recognised something in some of its names (``RECOGNISED_SHARE``): a company's table
of figures ("Sales 12.3 11.2", "Net income 5.1 4.0") names nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from msgspec import Struct

from services.enrich.mention_set import MentionSet
from services.enrich.mentions import Mention
from services.enrich.passages import Regions

_NAME = r"[^\W\d_][\w'.&-]*(?:[ \t]+[^\W\d_][\w'.&-]*)*"
_FIGURE = r"[-+]?(?:\d[\d.,:/]*|\.\d+)"
_SCORE_LINE = re.compile(
    rf"^[ \t]*(?P<a>{_NAME})[ \t]+\d+[ \t]+(?P<b>{_NAME})[ \t]+\d+(?:[ \t]+\([^()\n]*\))?[ \t]*$",
    re.MULTILINE,
)
_TABLE_ROW = re.compile(
    rf"^[ \t]*(?:\d+\.[ \t]+)?(?P<a>{_NAME})(?:[ \t]+{_FIGURE}){{2,}}(?:[ \t]+-)?[ \t]*$",
    re.MULTILINE,
)
# NER must have recognised something in this share of a table's names: a table of figures
# names nothing, and NER misses most of the names in a table of results.
RECOGNISED_SHARE = 0.2
TEAM = "ORG"
PERSON = "PERSON"


class Row(Struct, frozen=True):
    start: int  # the line's
    end: int
    names: tuple[tuple[int, int], ...]


def claim_table_names(field: str, text: str, skip: Regions, found: MentionSet) -> None:
    """The names of the tables of ``text`` as mentions in ``found``, replacing what NER
    made of them."""
    for table in _tables(text):
        names = [(row, span) for row in table for span in row.names]
        recognised = sum(bool(found.overlapping(field, *span)) for _, span in names)
        if recognised < RECOGNISED_SHARE * len(names):
            continue
        for row, (start, end) in names:
            if not skip.cover(start, end):
                _claim_name(found, field, text, row, start, end)


def _claim_name(found: MentionSet, field: str, text: str, row: Row, start: int, end: int) -> None:
    read = found.overlapping(field, start, end)
    if any(m.start < row.start or m.end > row.end for m in read):
        return  # a name running out of the line: not the table's to correct
    name = text[start:end]
    label = PERSON if " " in name and any(m.label == PERSON for m in read) else TEAM
    for mention in read:
        found.remove(mention)
    found.add(Mention(field, start, end, name, label))  # type: ignore[arg-type]


def _tables(text: str) -> Iterator[list[Row]]:
    """Runs of consecutive lines that are score lines or table rows."""
    run: list[Row] = []
    for line in re.finditer(r"[^\n]*", text):
        row = _row(line)
        if row is not None:
            run.append(row)
        elif line.group().strip():
            if run:
                yield run
            run = []
    if run:
        yield run


def _row(line: re.Match[str]) -> Row | None:
    for shape in (_SCORE_LINE, _TABLE_ROW):
        found = shape.fullmatch(line.group())
        if found:
            names = tuple(
                (line.start() + found.start(group), line.start() + found.end(group))
                for group in ("a", "b")
                if group in shape.groupindex
            )
            return Row(line.start(), line.end(), names)
    return None

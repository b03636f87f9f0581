"""Query text as people write it, rewritten where Tantivy's parser reads it differently."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

import tantivy
from tantivy import Query

from services.index.domain import QUERY_FIELDS, BadQuery

DEFAULT_FIELDS = ("title", "text")  # what the query text searches when it names no field


class ParsedText(NamedTuple):
    """Query text parsed once: the query the index runs, and the parser's tree of the same
    text (what standing queries evaluate in Python, fresh.py)."""

    query: Query
    tree: dict


def text_query(index: tantivy.Index, text: str | None) -> Query | None:
    """All terms required, the title counting double; None for no text."""
    parsed = parsed_text(index, text)
    return parsed.query if parsed is not None else None


def parsed_text(index: tantivy.Index, text: str | None) -> ParsedText | None:
    """:func:`text_query`'s query and its tree; None for no text. The tree of text the
    index parses but the tree's parser does not is ``{"type": "unparsed"}``."""
    if not text or not text.strip():
        return None
    prepared, tree = _prepared(text)
    try:
        query = index.parse_query(
            prepared,
            list(DEFAULT_FIELDS),
            field_boosts={"title": 2.0},
            conjunction_by_default=True,
        )
    except ValueError as exc:
        raise _syntax_error(text, exc) from None
    return ParsedText(query, tree)


def _prepared(text: str) -> tuple[str, dict]:
    """Lucene habits tantivy's parser reads differently, and unknown field prefixes; the
    text to parse, and its tree.

    ``a AND NOT b`` parses as ``a AND (NOT b)``, a pure negation that matches nothing:
    it becomes ``a AND -b``. A query of exclusions only gets ``*`` to exclude from.
    """
    text = _outside_quotes(text, lambda part: _AND_NOT.sub("AND -", part))
    try:
        tree = tantivy.parse_query(text)
    except ValueError:  # syntax errors are reported with their position by the real parse
        return text, {"type": "unparsed"}  # nothing a tree's reader evaluates: it asks the index
    unknown = sorted({f for f in _field_names(tree) if f not in QUERY_FIELDS})
    if unknown:
        allowed = ", ".join(f"{f}:" for f in QUERY_FIELDS)
        raise BadQuery(
            f"unknown field prefix {unknown[0]}: (use {allowed})", text.find(f"{unknown[0]}:")
        )
    if tree.get("type") == "bool" and all(occur == "must_not" for occur, _ in tree["clauses"]):
        # the tree of `* text`, as the parser makes it (tests/unit/test_index_text.py)
        return f"* {text}", {"type": "bool", "clauses": [(None, {"type": "all"}), *tree["clauses"]]}
    return text, tree


_AND_NOT = re.compile(r"\bAND\s+NOT\s+")


def _outside_quotes(text: str, change: Callable[[str], str]) -> str:
    parts = text.split('"')
    return '"'.join(change(part) if i % 2 == 0 else part for i, part in enumerate(parts))


def _field_names(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key in ("field_name", "field"):
            if isinstance(node.get(key), str):
                yield node[key]
        for value in node.values():
            yield from _field_names(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _field_names(value)


def _syntax_error(text: str, exc: ValueError) -> BadQuery:
    _, errors = tantivy.parse_query_lenient(text)
    if errors:
        reason, position = errors[0]["message"], errors[0]["pos"]
        if text.count('"') % 2:  # reported at the end of the text; the open quote is the news
            reason, position = "this quote is never closed", text.rfind('"')
        return BadQuery(f"syntax error at character {position}: {reason}", position)
    return BadQuery(f"syntax error: {exc} (is an operator missing its operand?)")

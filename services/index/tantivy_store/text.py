"""Query text as people write it, rewritten where Tantivy's parser reads it differently."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import tantivy
from tantivy import Query

from services.index.domain import QUERY_FIELDS, BadQuery

DEFAULT_FIELDS = ("title", "text")  # what the query text searches when it names no field


def text_query(index: tantivy.Index, text: str | None) -> Query | None:
    """All terms required, the title counting double; None for no text."""
    if not text or not text.strip():
        return None
    try:
        return index.parse_query(
            _prepared(text),
            list(DEFAULT_FIELDS),
            field_boosts={"title": 2.0},
            conjunction_by_default=True,
        )
    except ValueError as exc:
        raise _syntax_error(text, exc) from None


def text_tree(text: str | None) -> dict | None:
    """The parser's tree of what :func:`text_query` parses (call that first: it reports
    the errors); None for no text."""
    if not text or not text.strip():
        return None
    try:
        return tantivy.parse_query(_prepared(text))
    except ValueError:
        return {"type": "unparsed"}  # nothing a tree's reader evaluates: it asks the index


def _prepared(text: str) -> str:
    """Lucene habits tantivy's parser reads differently, and unknown field prefixes.

    ``a AND NOT b`` parses as ``a AND (NOT b)``, a pure negation that matches nothing:
    it becomes ``a AND -b``. A query of exclusions only gets ``*`` to exclude from.
    """
    text = _outside_quotes(text, lambda part: _AND_NOT.sub("AND -", part))
    try:
        tree = tantivy.parse_query(text)
    except ValueError:
        return text  # syntax errors are reported with their position by the real parse
    unknown = sorted({f for f in _field_names(tree) if f not in QUERY_FIELDS})
    if unknown:
        allowed = ", ".join(f"{f}:" for f in QUERY_FIELDS)
        raise BadQuery(
            f"unknown field prefix {unknown[0]}: (use {allowed})", text.find(f"{unknown[0]}:")
        )
    if tree.get("type") == "bool" and all(occur == "must_not" for occur, _ in tree["clauses"]):
        return f"* {text}"
    return text


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

"""The few changes after a position, matched against many standing queries at once, in
Python: what a tick does when many streams wait at one position.

A search of the whole index costs hundreds of microseconds per query however few changes
it is restricted to (the text's postings are walked in every segment), so one search per
stream made 1,000 streams cost the indexer more than indexing did. Here the changes are
read once (their stored articles, their places' points), their text fields analysed with
the index's own tokenizers, and each distinct query becomes a bit mask over them: a few
microseconds per query. The masks follow the index's own rules: text through the query
parser's tree (of the text the index parses, kept by the
:class:`~services.index.tantivy_store.queries.StandingQuery`), filters as
:func:`~services.index.tantivy_store.queries.filter_terms` gives them, and each field's
values as :func:`~services.index.tantivy_store.documents.field_values` gives the index
them, through the field's own tokenizer. A query
whose text uses syntax this does not evaluate (ranges, boosts, wildcards, slop, ``IN``)
answers None, and the caller searches the index for it as before.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache, lru_cache

import msgspec
import tantivy
from msgspec import Struct

from services.index.domain import QUERY_FIELDS, GeoFilter, Match
from services.index.tantivy_store.documents import ARTICLE_FIELDS, effective_date, field_values
from services.index.tantivy_store.points import Points, positions, read_points
from services.index.tantivy_store.queries import StandingQuery, filter_terms
from services.index.tantivy_store.schema import KEYWORD_FIELDS, keyword_analyzer
from services.index.tantivy_store.text import DEFAULT_FIELDS

TOKEN_LIMIT = 40  # bytes: longer tokens are dropped at indexing (en_stem's remove_long)


@cache
def _analysers() -> tuple[tantivy.TextAnalyzer, ...]:
    """en_stem without its remove_long (positions kept), the bare tokenizer (to find the
    long tokens it drops), the keyword fields' lower-casing, and en_stem itself (which
    terms an article holds)."""
    stem = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    bare = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()
    keyword = keyword_analyzer()
    en_stem = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(TOKEN_LIMIT))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )
    return stem, bare, keyword, en_stem


def tokens_at(text: str) -> list[str | None]:
    """en_stem's terms of ``text`` by position; None where it drops a long token (a gap)."""
    stem, bare, *_ = _analysers()
    found: list[str | None] = stem.analyze(text)
    raw = bare.analyze(text)
    if max(map(len, raw), default=0) * 4 >= TOKEN_LIMIT:  # a token may be long (in bytes)
        for position, token in enumerate(raw):
            if len(token) * 4 >= TOKEN_LIMIT and len(token.encode()) >= TOKEN_LIMIT:
                found[position] = None
    return found


def _may_hold_long(text: str) -> bool:
    """Whether a token of ``text`` may be TOKEN_LIMIT bytes long: a token is a run of
    letters and digits, so it lies inside one of these runs (which split on less)."""
    return len(text) * 4 >= TOKEN_LIMIT and any(
        len(run.encode()) >= TOKEN_LIMIT for run in _RUNS.findall(text)
    )


_RUNS = re.compile(r"[^\s!-/:-@\[-`{-~]{10,}")  # 10: TOKEN_LIMIT bytes in 4-byte characters


def terms(text: str) -> list[tuple[int, str]]:
    """(position, term) as en_stem indexes ``text``: a dropped long token leaves a gap."""
    return [(position, term) for position, term in enumerate(tokens_at(text)) if term is not None]


def held_terms(text: str) -> set[str]:
    """The terms en_stem indexes for ``text``. ASCII text (most news) is split here as
    tantivy's simple tokenizer splits it (runs of ASCII letters and digits), each distinct
    word stemmed once per process: about half the analyser's cost, which every changed
    article paid. Other text goes through the analyser itself."""
    if not text.isascii():
        return set(_analysers()[3].analyze(text))
    stems = _stems
    words = set(_ASCII_WORD.findall(text.lower()))
    return {stems[word] if word in stems else _stem(word) for word in words if len(word) < TOKEN_LIMIT}


def terms_by_position(text: str) -> list[str | None]:
    """As :func:`tokens_at` (None where a long token is dropped), on the same short cut as
    :func:`held_terms`."""
    if not text.isascii():
        return tokens_at(text) if _may_hold_long(text) else _analysers()[3].analyze(text)
    stems = _stems
    return [
        None if len(word) >= TOKEN_LIMIT else stems[word] if word in stems else _stem(word)
        for word in _ASCII_WORD.findall(text.lower())
    ]


_ASCII_WORD = re.compile(r"[a-z0-9]+")
_stems: dict[str, str] = {}  # lower-cased ASCII word -> its term
STEMS_KEPT = 200_000  # words; then the cache starts again


def _stem(word: str) -> str:
    if len(_stems) >= STEMS_KEPT:
        _stems.clear()
    term = _stems[word] = _analysers()[0].analyze(word)[0]
    return term


@lru_cache(maxsize=4096)
def _query_terms(phrase: str) -> list[tuple[int, str]]:
    return terms(phrase)


def keyword(value: str) -> str:
    found = _analysers()[2].analyze(value)
    return found[0] if found else ""


class _Entity(Struct):
    text: str
    label: str


class _Place(Struct):
    name: str
    geonames_id: int
    resolved_name: str
    country_code: str | None = None


class _Changed(Struct):
    """What matching reads of a stored EnrichedArticle (decoding the rest costs more): the
    attributes documents.field_values reads for the fields matched here, and the dates."""

    title: str
    text: str
    source: str
    language: str
    published_at: datetime | None
    received_at: datetime
    entities: list[_Entity] = []
    places: list[_Place] = []


_decode = msgspec.json.Decoder(_Changed).decode


class _Unsupported(Exception):
    """Query syntax evaluated only by the index itself."""


class Fresh:
    """Changed articles (oldest change first) and each query's matches among them."""

    def __init__(self, searcher: tantivy.Searcher, hits: list[tuple[int, tantivy.DocAddress]]) -> None:
        self._searcher = searcher
        self._addresses = [address for _, address in hits]
        self.seqs = [seq for seq, _ in hits]
        self.stored = [searcher.doc(address).get_first("article") for address in self._addresses]
        self._articles = [_decode(stored) for stored in self.stored]
        self.everything = (1 << len(hits)) - 1
        self._fields: dict[str, _Field] = {}
        self._points: dict[bool, Points] = {}
        self._texts: dict[str, int | None] = {}  # per query text: in many queries, once
        self._found: dict[bytes, list[int] | None] = {}  # per query: identical ones once
        self._published: list[float] | None = None

    def matching(self, standing: StandingQuery) -> list[int] | None:
        """Positions (in :attr:`seqs`) of the changes that match; None: search the index."""
        if standing.key not in self._found:
            try:
                self._found[standing.key] = positions(self._query_mask(standing.match, standing.tree))
            except _Unsupported:
                self._found[standing.key] = None
        return self._found[standing.key]

    def _query_mask(self, match: Match, tree: dict | None) -> int:
        mask = self.everything
        if tree is not None:
            mask &= self._text_mask(match.text or "", tree)
        mask &= self._filter_mask(match)
        if mask and match.geo is not None:
            mask &= self._inside(match.geo)
        return mask

    def _text_mask(self, text: str, tree: dict) -> int:
        if text not in self._texts:
            try:
                self._texts[text] = self._node(tree)
            except _Unsupported:
                self._texts[text] = None
        found = self._texts[text]
        if found is None:
            raise _Unsupported
        return found

    # -- filters: queries.filter_terms against the fields' terms -------------------------

    def _filter_mask(self, match: Match) -> int:
        mask = self.everything
        for field, wanted in filter_terms(match):
            holding = self._field(field).holding
            mask &= _any(holding(term) for term in wanted)
        if mask and (match.published_from or match.published_to):
            low = _seconds(match.published_from, -math.inf)
            high = _seconds(match.published_to, math.inf)
            if self._published is None:
                self._published = [_seconds(effective_date(a), 0) for a in self._articles]
            mask &= _any(1 << i for i, when in enumerate(self._published) if low <= when <= high)
        return mask

    def _inside(self, geo: GeoFilter) -> int:
        if geo.focus_only not in self._points:
            self._points[geo.focus_only] = read_points(
                self._searcher, self._addresses, focus_only=geo.focus_only
            )
        return self._points[geo.focus_only].inside(geo.shape)

    # -- text: the query parser's tree, term by term -------------------------------------

    def _node(self, node: dict) -> int:
        kind = node.get("type")
        if kind == "all":
            return self.everything
        if kind == "literal":
            return self._literal(node)
        if kind == "bool":
            return self._bool(node["clauses"])
        raise _Unsupported(kind)

    def _bool(self, clauses: list) -> int:
        """Tantivy's boolean query: every must; without one, at least one should; no must_not."""
        must, should, must_not = [], [], 0
        for occur, child in clauses:
            mask = self._node(child)
            if occur in (None, "must"):  # text_query joins bare terms with AND
                must.append(mask)
            elif occur == "should":
                should.append(mask)
            elif occur == "must_not":
                must_not |= mask
            else:
                raise _Unsupported(occur)
        if must:
            found = self.everything
            for mask in must:
                found &= mask
        elif should:
            found = _any(should)
        else:  # exclusions alone: the parser's business (text_query adds `*` at the top)
            raise _Unsupported("only must_not")
        return found & ~must_not

    def _literal(self, node: dict) -> int:
        phrase = node["phrase"]
        if node["prefix"] or node["slop"] or "*" in phrase or "?" in phrase:
            raise _Unsupported("prefix, slop or wildcard")
        wanted = _query_terms(phrase)
        if not wanted:
            raise _Unsupported("a literal of no terms")
        fields = (node["field_name"],) if node["field_name"] else DEFAULT_FIELDS
        found = 0
        for name in fields:
            found |= self._field(name).matching(wanted)
        return found

    def _field(self, name: str) -> _Field:
        """The changes' values of one index field (as documents.py makes them), each turned
        into terms by that field's tokenizer (schema.py)."""
        if name not in self._fields:
            if name not in ARTICLE_FIELDS:
                raise _Unsupported(name)
            values = [field_values(article, name) for article in self._articles]
            self._fields[name] = _Field(values, _terms_of(name), text=name in QUERY_FIELDS)
        return self._fields[name]


def _terms_of(field: str) -> Callable[[str], set[str]]:
    """How ``field``'s tokenizer turns a value into terms: en_stem for text, the keyword
    analyser (lower-casing) for keyword fields, the value as it is for raw ones."""
    if field in QUERY_FIELDS:
        return held_terms
    if field in KEYWORD_FIELDS:
        return lambda value: {keyword(value)}
    return lambda value: {value}


def _any(masks: Iterable[int]) -> int:
    found = 0
    for mask in masks:
        found |= mask
    return found


class _Field:
    """One field of the changes: which hold a term, and (text) at which positions."""

    def __init__(self, values: list[list[str]], terms_of: Callable[[str], set[str]], *, text: bool) -> None:
        self._values = values
        self.terms = [set().union(*map(terms_of, texts)) for texts in values]
        self._at: dict[int, list[list[str | None]]] = {}
        self._holding: dict[str, int] = {}
        self._every_term = not text  # a keyword field's few terms: all at once, in one pass
        if self._every_term:
            for i, held in enumerate(self.terms):
                for term in held:
                    self._holding[term] = self._holding.get(term, 0) | 1 << i

    def holding(self, term: str) -> int:
        if term not in self._holding:
            if self._every_term:
                return 0
            self._holding[term] = _any(1 << i for i, held in enumerate(self.terms) if term in held)
        return self._holding[term]

    def matching(self, wanted: list[tuple[int, str]]) -> int:
        mask = -1
        for _, term in wanted:
            mask &= self.holding(term)
        if len(wanted) == 1 or not mask:
            return max(mask, 0)
        return _any(1 << i for i in positions(mask) if self._phrase(i, wanted))

    def _phrase(self, i: int, wanted: list[tuple[int, str]]) -> bool:
        """The terms at their offsets from one start, within one value (slop 0)."""
        (first, term), rest = wanted[0], wanted[1:]
        for tokens in self._tokens(i):
            at = -1
            while (at := _find(tokens, term, at + 1)) >= 0:
                start = at - first
                if all(_at(tokens, start + offset) == other for offset, other in rest):
                    return True
        return False

    def _tokens(self, i: int) -> list[list[str | None]]:
        """Each value's terms by position (None where a long token was dropped), only for
        the changes a phrase may match."""
        if i not in self._at:
            self._at[i] = [terms_by_position(text) for text in self._values[i]]
        return self._at[i]


def _find(tokens: list[str | None], term: str, start: int) -> int:
    try:
        return tokens.index(term, start)
    except ValueError:
        return -1


def _at(tokens: list[str | None], position: int) -> str | None:
    return tokens[position] if 0 <= position < len(tokens) else None


def _seconds(when: datetime | None, missing: float) -> float:
    """Dates as the index compares them: whole seconds."""
    return missing if when is None else math.floor(when.timestamp())


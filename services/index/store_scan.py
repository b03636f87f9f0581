"""Whole matches and recent changes, read from one searcher snapshot: the Tantivy side of
the export (:mod:`services.index.export`) and of standing queries (:mod:`services.index.live`).

Positions are the store's change numbers (``seq``): microseconds of the change, strictly
increasing, given at upsert; one writer commits batches in order, so once a snapshot shows
a change it shows every older one, and "changed after position P" is a range on ``seq``.
"""

from __future__ import annotations

from collections.abc import Iterator

import tantivy
from tantivy import FieldType, Order, Query

from services.index.store import (
    ArticleStore,
    Match,
    _all_of,
    _filters,
    _last_seq_in,
    _schema,
    _text_query,
)

FIRST_BATCH = 200  # small, so the first bytes leave at once
BATCH = 2_000


class MatchScan:
    """Every article of a match in date order, in batches, from the snapshot taken when it
    was made: commits meanwhile neither add nor shift rows. Making it checks the query
    (:class:`~services.index.store.BadQuery`), so errors come before the first byte."""

    def __init__(self, store: ArticleStore, match: Match, *, oldest_first: bool = False) -> None:
        opened, self._searcher = store._view()
        self._query = store._match_query(
            self._searcher, match, _text_query(opened.index, match.text)
        )
        self._oldest_first = oldest_first
        self.rows = 0

    def batches(self, first: int = FIRST_BATCH, size: int = BATCH) -> Iterator[list[bytes]]:
        """Stored articles (their JSON), ``first`` then ``size`` at a time.

        Each batch is the top of what lies beyond the last row's ``sort_key``, bound
        included: the rows at the bound that were sent are skipped, so equal keys are
        neither lost nor repeated.
        """
        searcher, bound, sent_at_bound, limit = self._searcher, None, set(), first
        order = Order.Asc if self._oldest_first else Order.Desc
        while True:
            query = self._query if bound is None else _all_of([self._query], [self._beyond(bound)])
            hits = searcher.search(
                query,
                limit + len(sent_at_bound),
                count=False,
                order_by_field="sort_key",
                order=order,
            ).hits
            batch = [
                (key, address)
                for key, address in hits
                if not (key == bound and _at(address) in sent_at_bound)
            ]
            if batch:
                self.rows += len(batch)
                yield [searcher.doc(address).get_first("article") for _, address in batch]
            if len(hits) < limit + len(sent_at_bound) or not batch:
                return
            if batch[-1][0] != bound:
                bound, sent_at_bound = batch[-1][0], set()
            sent_at_bound |= {_at(address) for key, address in batch if key == bound}
            limit = size

    def _beyond(self, bound: int) -> Query:
        lower, upper = (bound, None) if self._oldest_first else (None, bound)
        return Query.range_query(_schema(), "sort_key", FieldType.Integer, lower, upper)


def _at(address: tantivy.DocAddress) -> tuple[int, int]:
    return address.segment_ord, address.doc


class StandingQuery:
    """A match compiled once, when a stream opens; each change set restricts it by position."""

    def __init__(self, store: ArticleStore, match: Match) -> None:
        opened, _ = store._view()
        text = _text_query(opened.index, match.text)  # BadQuery before the stream opens
        self.match = match
        self.scored = [text] if text is not None else []
        self.filters = _filters(_schema(), match)


class Changes:
    """One snapshot: its newest position, and which changes after a position match a query."""

    def __init__(self, store: ArticleStore) -> None:
        self._store = store
        _, self._searcher = store._view()
        self.newest = _last_seq_in(self._searcher)
        self._articles: dict[tuple[int, int], bytes] = {}

    def matching(self, standing: StandingQuery, after: int, limit: int) -> list[tuple[int, bytes]]:
        """(position, stored article) of the first ``limit`` matches changed after ``after``."""
        changed = Query.range_query(
            _schema(), "seq", FieldType.Integer, after, self.newest, include_lower=False
        )
        filters = [*standing.filters, changed]
        query = _all_of(standing.scored, filters)
        if standing.match.geo is not None:  # border-cell candidates: only the changed articles
            query = _all_of(
                standing.scored,
                [*filters, self._store._geo_query(self._searcher, standing.match.geo, query)],
            )
        hits = self._searcher.search(
            query, limit, count=False, order_by_field="seq", order=Order.Asc
        ).hits
        return [(seq, self._article(address)) for seq, address in hits]

    def _article(self, address: tantivy.DocAddress) -> bytes:
        """One read per article per snapshot, however many queries it matches."""
        at = _at(address)
        if at not in self._articles:
            self._articles[at] = self._searcher.doc(address).get_first("article")
        return self._articles[at]

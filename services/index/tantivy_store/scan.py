"""Whole matches and recent changes, read from one searcher snapshot: the Tantivy side of
the export (:mod:`services.index.export_api`) and of standing queries (:mod:`services.index.live`).

Positions are the store's change numbers (``seq``): microseconds of the change, strictly
increasing, given at upsert; one writer commits batches in order, so once a snapshot shows
a change it shows every older one, and "changed after position P" is a range on ``seq``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from typing import NamedTuple

import tantivy
from tantivy import FieldType, Order, Query

from services.index.domain import GeoFilter, Match
from services.index.tantivy_store.fresh import Fresh
from services.index.tantivy_store.live import Opened
from services.index.tantivy_store.points import Points, positions, read_points
from services.index.tantivy_store.queries import StandingQuery, all_of, changed_after, matched
from services.index.tantivy_store.schema import schema

FIRST_BATCH = 200  # small, so the first bytes leave at once
BATCH = 2_000
# A batch also ends once its stored articles reach this many bytes. An export whose client
# stopped reading holds about three: the batch read, its encoding waiting to be written and
# the write before it in the server's buffer (~3 MB, where a batch of 2,000 articles of
# 20 KB was 40 MB). Short articles (~1.7 KB) make a few batches of one search: the searches,
# which cost the time, are as many as before.
BATCH_BYTES = 1024 * 1024
GEO_CANDIDATES = 1_000  # changed articles checked against a standing query's shape at a time
# Many streams after one position: its changes are matched in Python (fresh.py) when there
# are at most this many per stream (reading and analysing one change cost about what one
# search did on a 13,500-article index, bench/stream.py's articles: 0.4 ms), and at most
# FRESH_MAX (memory: their stored articles are held).
FRESH_PER_STREAM = 1
FRESH_MAX = 5_000


class MatchScan:
    """Every article of a match in date order, in batches, from the snapshot taken when it
    was made: commits meanwhile neither add nor shift rows. Making it checks the query
    (:class:`~services.index.domain.BadQuery`), so errors come before the first byte."""

    def __init__(
        self, opened: Opened, searcher: tantivy.Searcher, match: Match, *, oldest_first: bool = False
    ) -> None:
        self._searcher = searcher
        self._query = matched(opened.index, self._searcher, match).query
        self._oldest_first = oldest_first
        self.rows = 0

    def batches(
        self, first: int = FIRST_BATCH, size: int = BATCH, most_bytes: int = BATCH_BYTES
    ) -> Iterator[list[bytes]]:
        """Stored articles (their JSON), ``first`` then ``size`` at a time, a batch ending
        early once its articles reach ``most_bytes`` (it holds one at least)."""
        for page in self._pages(first, size):
            yield from self._read(page, most_bytes)

    def _pages(self, first: int, size: int) -> Iterator[list[tuple[int, tantivy.DocAddress]]]:
        """The match's (sort key, address) in order, ``first`` then ``size`` at a time.

        Each page is the top of what lies beyond the last row's ``sort_key``, bound
        included: the rows at the bound that were sent are skipped, so equal keys are
        neither lost nor repeated.
        """
        searcher, bound, sent_at_bound, limit = self._searcher, None, set(), first
        order = Order.Asc if self._oldest_first else Order.Desc
        while True:
            query = self._query if bound is None else all_of([self._query], [self._beyond(bound)])
            hits = searcher.search(
                query,
                limit + len(sent_at_bound),
                count=False,
                order_by_field="sort_key",
                order=order,
            ).hits
            page = [
                (key, address)
                for key, address in hits
                if not (key == bound and _at(address) in sent_at_bound)
            ]
            if page:
                yield page
            if len(hits) < limit + len(sent_at_bound) or not page:
                return
            if page[-1][0] != bound:
                bound, sent_at_bound = page[-1][0], set()
            sent_at_bound |= {_at(address) for key, address in page if key == bound}
            limit = size

    def _read(
        self, page: list[tuple[int, tantivy.DocAddress]], most_bytes: int
    ) -> Iterator[list[bytes]]:
        """A page's stored articles, read a batch at a time: only the batch being sent is
        held, however long the articles."""
        batch: list[bytes] = []
        held = 0
        for _, address in page:
            article = self._searcher.doc(address).get_first("article")
            batch.append(article)
            held += len(article)
            if held >= most_bytes:
                self.rows += len(batch)
                yield batch
                batch, held = [], 0
        if batch:
            self.rows += len(batch)
            yield batch

    def _beyond(self, bound: int) -> Query:
        lower, upper = (bound, None) if self._oldest_first else (None, bound)
        return Query.range_query(schema(), "sort_key", FieldType.Integer, lower, upper)


def last_seq_in(searcher: tantivy.Searcher) -> int:
    found = searcher.search(Query.all_query(), 1, count=False, order_by_field="seq").hits
    return found[0][0] if found else 0


def _newest_after(searcher: tantivy.Searcher, floor: int | None) -> int:
    if floor is None:
        return last_seq_in(searcher)
    hits = searcher.search(changed_after(floor), 1, count=False, order_by_field="seq", order=Order.Desc).hits
    return hits[0][0] if hits else floor


def _at(address: tantivy.DocAddress) -> tuple[int, int]:
    return address.segment_ord, address.doc


class Mark(NamedTuple):
    """A snapshot's commit (its meta.json) and its newest position."""

    commit: bytes
    newest: int


class _Everything:
    """The standing query of no condition: every change."""

    scored: tuple = ()
    filters: tuple = ()


_EVERYTHING = _Everything()


class Changes:
    """One snapshot: its newest position, and which changes after a position match a query."""

    def __init__(
        self,
        opened: Opened,
        searcher: tantivy.Searcher,
        since: Mark | None = None,
        waiting: Mapping[int, int] | None = None,
    ) -> None:
        """``since``: an earlier snapshot's :attr:`mark`; the newest position is then found
        among the changes after it, or kept when nothing was committed meanwhile (finding it
        in the whole index reads every article's change number: ms on a big index).
        ``waiting``: streams per position; a position's changes, when few for its streams,
        are read once and matched in Python for all of them
        (:class:`~services.index.tantivy_store.fresh.Fresh`), and shared by every stream
        after it."""
        self._waiting = waiting or {}
        self._fresh: tuple[int, Fresh] | None = None  # the position they were read after
        self._fresh_read = False
        self._searcher = searcher
        if since is not None and since.commit == opened.committed:
            self.newest = since.newest
        else:
            self.newest = _newest_after(self._searcher, since.newest if since is not None else None)
        self.mark = Mark(opened.committed, self.newest)
        self._articles: dict[tuple[int, int], bytes] = {}
        self._places: dict[tuple[int, bool], tuple[list, list[int], Points] | None] = {}
        self._oldest = min(self._waiting, default=self.newest)  # the oldest position waiting

    def matching(self, standing: StandingQuery, after: int, limit: int) -> list[tuple[int, bytes]]:
        """(position, stored article) of the first ``limit`` matches changed after ``after``."""
        fresh = self._fresh_after(after)
        if fresh is not None:
            found = fresh.matching(standing)
            if found is not None:
                # the read may start before this stream's position
                first = bisect_left(found, bisect_right(fresh.seqs, after))
                return [(fresh.seqs[i], fresh.stored[i]) for i in found[first : first + limit]]
        geo = standing.match.geo
        if geo is None:
            hits = self._changed(standing, after, limit)
        else:
            hits = self._inside(standing, geo, after, limit)
        return [(seq, self._article(address)) for seq, address in hits]

    def _fresh_after(self, after: int) -> Fresh | None:
        if not self._fresh_read:
            self._fresh, self._fresh_read = self._read_fresh(), True
        if self._fresh is None or after >= self.newest:
            return None
        start, fresh = self._fresh
        return fresh if after >= start else None

    def _read_fresh(self) -> tuple[int, Fresh] | None:
        """The changes after the oldest position whose changes are few enough for its own
        streams, read once for every stream after it (streams paced apart do not read their
        common changes twice). A stream far behind the others is searched for, as it would
        be alone: matching everyone's queries over its many changes cost a tick of 1,000
        streams 165 ms instead of 16 with one stream 900 changes behind."""
        for position in sorted(p for p in self._waiting if p < self.newest):
            most = min(FRESH_MAX, FRESH_PER_STREAM * self._waiting[position])
            changed = self._changed(_EVERYTHING, position, most + 1)
            if len(changed) <= most:
                return position, Fresh(self._searcher, changed)
        return None

    def _changed(
        self, standing: StandingQuery, after: int, limit: int
    ) -> list[tuple[int, tantivy.DocAddress]]:
        query = all_of(standing.scored, [*standing.filters, changed_after(after, self.newest)])
        return self._searcher.search(
            query, limit, count=False, order_by_field="seq", order=Order.Asc
        ).hits

    def _inside(self, standing: StandingQuery, geo: GeoFilter, after: int, limit: int) -> list:
        """Few articles change between two ticks: their places are checked against the shape
        one by one, cheaper than the cell terms a search of the whole index needs. The
        changes' places are read once per snapshot for every stream at the same position,
        or after the oldest position waiting (streams paced apart share one read)."""
        changed = self._changed_places(after, geo.focus_only)
        if changed is None:  # a stream far behind: its changes in pages
            return self._inside_paged(standing, geo, after, limit)
        hits, seqs, places = changed
        first = bisect_right(seqs, after)  # the read may start before this stream's position
        inside = positions(places.inside(geo.shape) >> first << first)
        if not standing.scored and not standing.filters:
            return [hits[i] for i in inside[:limit]]
        wanted = {hits[i][0] for i in inside}
        return (
            [hit for hit in self._changed(standing, after, GEO_CANDIDATES) if hit[0] in wanted][
                :limit
            ]
            if wanted
            else []
        )

    def _changed_places(self, after: int, focus_only: bool) -> tuple[list, list[int], Points] | None:
        for start in dict.fromkeys((min(self._oldest, after), after)):
            key = (start, focus_only)
            if key not in self._places:
                hits = self._changed(_EVERYTHING, start, GEO_CANDIDATES + 1)
                self._places[key] = (
                    None
                    if len(hits) > GEO_CANDIDATES
                    else (
                        hits,
                        [seq for seq, _ in hits],
                        read_points(self._searcher, [a for _, a in hits], focus_only=focus_only),
                    )
                )
            if self._places[key] is not None:
                return self._places[key]
        return None

    def _inside_paged(
        self, standing: StandingQuery, geo: GeoFilter, after: int, limit: int
    ) -> list:
        found: list = []
        while len(found) < limit:
            candidates = self._changed(standing, after, GEO_CANDIDATES)
            if not candidates:
                break
            points = read_points(
                self._searcher, [address for _, address in candidates], focus_only=geo.focus_only
            )
            found += [candidates[i] for i in positions(points.inside(geo.shape))]
            if len(candidates) < GEO_CANDIDATES:
                break
            after = candidates[-1][0]
        return found[:limit]

    def any_between(self, after: int, upto: int) -> bool:
        """Whether an article changed after ``after`` and at or before ``upto``."""
        if upto <= after:
            return False
        return bool(self._searcher.search(changed_after(after, upto), 1, count=False).hits)

    def _article(self, address: tantivy.DocAddress) -> bytes:
        """One read per article per snapshot, however many queries it matches."""
        at = _at(address)
        if at not in self._articles:
            self._articles[at] = self._searcher.doc(address).get_first("article")
        return self._articles[at]

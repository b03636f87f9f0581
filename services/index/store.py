"""The search store: the Tantivy schema, and the only module that imports tantivy.

Its interface is store-neutral so another backend (Quickwit, OpenSearch) can be an
adapter: :meth:`ArticleStore.upsert` a batch then :meth:`~ArticleStore.commit`,
:meth:`~ArticleStore.delete`, :meth:`~ArticleStore.get`, :meth:`~ArticleStore.search`
(hits plus the facets and histogram of the whole match), :meth:`~ArticleStore.articles`
(every stored article, for a reindex). Requests and results are msgspec Structs.

One process writes (``writable=True`` holds tantivy's lock); any number of processes
read, reloading before every request (Manual policy) so a commit is visible at once.
"""

from __future__ import annotations

import re
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from functools import cache
from html import escape
from pathlib import Path
from stat import S_ISREG
from typing import Literal

import msgspec
import tantivy
from msgspec import Struct
from tantivy import Document, FieldType, Occur, Order, Query

from services.index import generations
from services.index.geo import REFINE_LEVELS, Box, Circle, cell_tokens, covering
from shared.schemas import Bucket, EnrichedArticle, Place, TimeBucket

Sort = Literal["relevance", "newest", "oldest"]
Interval = Literal["day", "week", "month"]
FacetName = Literal["entities", "people", "organizations", "places", "countries", "sources", "languages"]
FACET_NAMES: tuple[str, ...] = FacetName.__args__  # type: ignore[attr-defined]
QUERY_FIELDS = ("title", "text", "entity", "place")

# -- requests and results ----------------------------------------------------------------


class EntityFilter(Struct, frozen=True):
    text: str
    label: str | None = None


class PlaceFilter(Struct, frozen=True):
    name: str | None = None
    geonames_id: int | None = None


class GeoFilter(Struct, frozen=True):
    shape: Box | Circle
    focus_only: bool = False


class Match(Struct, kw_only=True, frozen=True):
    """Which articles a request is about; every part given must hold."""

    text: str | None = None  # query syntax: phrases, AND/OR/NOT, title:/text:/entity:/place:
    entities: tuple[EntityFilter, ...] = ()
    places: tuple[PlaceFilter, ...] = ()
    countries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    published_from: datetime | None = None
    published_to: datetime | None = None
    geo: GeoFilter | None = None


class After(Struct, frozen=True):
    """Where the previous page ended: a sort key (date order) or an offset (relevance),
    and the newest change the first page saw, so later arrivals do not shift pages."""

    sort_key: int | None
    offset: int
    seq_ceiling: int


class SearchRequest(Struct, kw_only=True, frozen=True):
    match: Match = Match()
    sort: Sort = "relevance"
    size: int = 10
    after: After | None = None
    facets: tuple[FacetName, ...] = ()
    facet_size: int = 10
    histogram: Interval | None = None

    @property
    def by_date(self) -> bool:
        """Pages in date order (keyed by ``sort_key``), else by relevance (by offset)."""
        return self.sort != "relevance" or not self.match.text


class StoredHit(Struct, kw_only=True):
    article: EnrichedArticle
    score: float
    snippet: str


class SearchResult(Struct, kw_only=True):
    total: int
    hits: list[StoredHit]
    next: After | None
    facets: dict[str, list[Bucket]]
    histogram: list[TimeBucket]


class Rejected(Struct):
    id: str
    reason: str


class UpsertReport(Struct, kw_only=True):
    written: list[str]
    stale: list[str]  # a newer version is already stored
    rejected: list[Rejected]


class StoreStats(Struct):
    documents: int
    size_bytes: int
    generation: str
    last_commit: datetime | None = None  # when the live generation last committed


class BadQuery(ValueError):
    """The query text does not parse; ``position`` is a 0-based character offset."""

    def __init__(self, reason: str, position: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position


# -- the schema ----------------------------------------------------------------------------

_FOLLOW_ATTEMPTS = 3  # a reader opening a generation that a newer switch removed tries again
MAX_GEO_CANDIDATES = 1_000_000  # articles in a shape's border cells, checked one by one
MANY_GEO_CANDIDATES = 1_000  # more than this: cover the edge with finer cells first
KEYWORD = "keyword"  # the whole value, lower-cased: exact, case-insensitive filters
PREFIX_BITS = 29  # sort key: epoch seconds above, a hash of the id below


@cache  # one object, shared: every generation's schema, queries are built against it
def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("id", tokenizer_name="raw", index_option="basic")
    b.add_bytes_field("article", stored=True)
    b.add_bytes_field("points", stored=True)  # every place's (lat, lon) as float64 pairs
    for name in (*_SLOT_FIELDS, "focus_lat", "focus_lon"):
        b.add_float_field(name, fast=True)
    for name in QUERY_FIELDS:
        b.add_text_field(name, tokenizer_name="en_stem")
    for name in ("entity_key", "place_key", "focus_key", "source"):
        b.add_text_field(name, tokenizer_name=KEYWORD, index_option="basic")
    for name in ("entity_facet", "person_facet", "org_facet", "place_facet", "source_facet", "country",
                 "focus_country", "language"):
        b.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("admin1", tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("cell", tokenizer_name="raw", index_option="basic")
    b.add_text_field("focus_cell", tokenizer_name="raw", index_option="basic")
    b.add_date_field("published", indexed=True, fast=True)
    for name in ("sort_key", "seq"):
        b.add_integer_field(name, indexed=True, fast=True)
    for name in ("month", "received_us", "enriched_us", "more_places"):
        b.add_integer_field(name, fast=True)
    return b.build()



class IndexBusy(RuntimeError):
    """Another process holds the index's writer: there is one writer per index."""


def _writer(index: tantivy.Index, path: Path, **options: int) -> tantivy.IndexWriter:
    try:
        return index.writer(**options)
    except ValueError as exc:
        if "LockBusy" not in str(exc):
            raise
        raise IndexBusy(f"another process writes the index at {path} (one writer per index)") from exc


class SchemaChanged(RuntimeError):
    """The index on disk was built with another schema: it needs a reindex."""


def _open(path: Path) -> tantivy.Index:
    try:
        index = tantivy.Index(_schema(), path=str(path))
    except ValueError as exc:
        if "schema does not match" not in str(exc):
            raise
        raise SchemaChanged(f"the index at {path} was built with another schema: reindex it "
                            "(python -m services.index reindex)") from exc
    keyword = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw()).filter(tantivy.Filter.lowercase()).build()
    index.register_tokenizer(KEYWORD, keyword)
    index.register_fast_field_tokenizer(KEYWORD, keyword)
    return index


# -- the store -----------------------------------------------------------------------------


class _Opened:
    """One open generation: its directory, its index, and the commit its reader last loaded.

    Replaced whole when the store moves to another generation, so a request that took it
    keeps a consistent view (the index of a generation never changes its configuration
    once others can see it: tantivy-py refuses to read an index while it is reconfigured).
    """

    __slots__ = ("committed", "index", "path")

    def __init__(self, path: Path, index: tantivy.Index) -> None:
        self.path = path
        self.index = index
        self.committed = b""


class ArticleStore:
    """One index root (``settings.index_dir``), following its live generation.

    Safe to share between threads: requests run in worker threads, and the one step that
    changes the store's view (reload after a commit, following a reindex's switch) is
    taken under a lock; the search itself runs outside it.
    """

    def __init__(self, root: Path, *, writable: bool = False, follow: bool = True,
                 heap_bytes: int = 256_000_000) -> None:
        """``follow``: ``root`` holds generations and ``CURRENT`` (the service's view);
        otherwise ``root`` is one generation directory (a reindex target)."""
        self.root = root
        self.writable = writable
        self._follows = follow
        self._heap = heap_bytes
        self._stamp: str | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._last_seq = 0
        self._viewing = threading.Lock()
        root.mkdir(parents=True, exist_ok=True)
        if follow:
            self._follow()
        else:
            self._attach(root)

    # -- writing ---------------------------------------------------------------------

    def upsert(self, articles: Iterable[EnrichedArticle], *, keep_seq: dict[str, int] | None = None) -> UpsertReport:
        """Stage the newest version of each article (not visible until :meth:`commit`).

        An article whose stored version is as new or newer is left alone (``stale``),
        so redelivery and out-of-order delivery change nothing.
        """
        writer = self._require_writer()
        _, searcher = self._view()
        report = UpsertReport(written=[], stale=[], rejected=[])
        for article in _newest_per_id(articles):
            if _version(article) < self._stored_version(searcher, article.id):
                report.stale.append(article.id)
                continue
            try:
                doc = _document(article, self._next_seq(keep_seq, article.id))
            except (ValueError, OverflowError) as exc:
                report.rejected.append(Rejected(article.id, f"{type(exc).__name__}: {exc}"))
                continue
            writer.delete_documents_by_term("id", article.id)
            writer.add_document(doc)
            report.written.append(article.id)
        return report

    def delete(self, article_id: str) -> None:
        self._require_writer().delete_documents_by_term("id", article_id)

    def commit(self) -> None:
        """Make every staged change durable and visible to readers."""
        self._require_writer().commit()

    def rollback(self) -> None:
        """Drop every change staged since the last commit."""
        self._require_writer().rollback()

    def switch_to(self, generation: Path) -> None:
        """Make ``generation`` live and write to it from now on (the writer's side of a reindex)."""
        self.close()
        generations.switch(self.root, generation)
        with self._viewing:
            self._attach(generation)
            self._stamp = generation.name

    @property
    def path(self) -> Path:
        """The generation directory this store reads (and writes)."""
        return self._opened.path

    def close(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    # -- reading ---------------------------------------------------------------------

    def get(self, article_id: str) -> EnrichedArticle | None:
        _, searcher = self._view()
        hits = searcher.search(Query.term_query(_schema(), "id", article_id), 1, count=False).hits
        return _article(searcher.doc(hits[0][1])) if hits else None

    def search(self, request: SearchRequest) -> SearchResult:
        opened, searcher = self._view()
        text = _text_query(opened.index, request.match.text)
        matched = self._match_query(searcher, request.match, text)
        page_query, order_field = self._page_query(matched, request)
        found = searcher.search(page_query, max(1, request.size), order_by_field=order_field,
                                order=Order.Asc if request.sort == "oldest" else Order.Desc,
                                offset=request.after.offset if request.after else 0)
        total = found.count if request.after is None else _count(searcher, self._seen(matched, request.after))
        hits = self._hits(searcher, found.hits[: request.size], text)
        aggregated = self._aggregate(searcher, matched, request)
        return SearchResult(
            total=total, hits=[hit for hit, _ in hits],
            next=self._next(request, hits, found.count),
            facets={name: buckets for name, buckets in aggregated.items() if name != "histogram"},
            histogram=aggregated.get("histogram", []),
        )

    def articles(self, *, after_seq: int = 0, batch: int = 1000) -> Iterator[tuple[int, EnrichedArticle]]:
        """Every stored article with its change number, oldest change first (for reindex)."""
        return _replay(self._view()[1], _schema(), after_seq, batch)

    def stats(self) -> StoreStats:
        opened, searcher = self._view()
        return StoreStats(documents=searcher.num_docs, size_bytes=_bytes_in(opened.path),
                          generation=opened.path.name, last_commit=_committed_at(opened.path))

    # -- generations -----------------------------------------------------------------

    def _follow(self) -> None:
        """Open the live generation when ``CURRENT`` changed since the last request."""
        for _ in range(_FOLLOW_ATTEMPTS):
            live = generations.current(self.root)
            if live.name == self._stamp:
                return
            try:
                self._attach(live)
            except (OSError, ValueError):
                if generations.pointer_stamp(self.root) == live.name:
                    raise
                continue  # two quick switches dropped it while we opened it: follow again
            self._stamp = live.name
            return

    def _attach(self, path: Path) -> None:
        self.close()
        index = _open(path)
        index.config_reader(reload_policy="Manual")  # before any other thread can see it
        if self.writable:
            # One indexing thread: it works while Python builds the next documents, and each
            # commit makes one segment instead of one per thread (fewer merges). Measured
            # ~40 % more docs/s than two threads on 2 cores.
            self._writer = _writer(index, path, heap_size=self._heap, num_threads=1)
            self._last_seq = max(self._last_seq, _last_seq_in(index.searcher()))
        self._opened = _Opened(path, index)

    def _view(self) -> tuple[_Opened, tantivy.Searcher]:
        """The generation to answer from and a searcher on its newest commit."""
        with self._viewing:
            if self._follows and not self.writable:
                self._follow()
            opened = self._opened
            # Every commit rewrites meta.json (with its opstamp): reload only when it changed. A
            # reload costs ~0.3 ms, reading the file ~20 us; mtimes are too coarse to compare.
            committed = (opened.path / "meta.json").read_bytes()
            if committed != opened.committed:
                opened.index.reload()
                opened.committed = committed
            return opened, opened.index.searcher()

    def _require_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            raise PermissionError(f"the index at {self.path} is open read-only")
        return self._writer

    def _next_seq(self, keep: dict[str, int] | None, article_id: str) -> int:
        if keep is not None and article_id in keep:
            self._last_seq = max(self._last_seq, keep[article_id])
            return keep[article_id]
        # Change numbers are microseconds of the change (kept strictly increasing), so a
        # reader knows the newest one without a search: the time of its request.
        self._last_seq = max(self._last_seq + 1, _now_us())
        return self._last_seq

    def _stored_version(self, searcher: tantivy.Searcher, article_id: str) -> tuple[int, int]:
        hits = searcher.search(Query.term_query(_schema(), "id", article_id), 1, count=False).hits
        if not hits:
            return (-1, -1)
        received = searcher.fast_field_values("received_us", [hits[0][1]])[0]
        enriched = searcher.fast_field_values("enriched_us", [hits[0][1]])[0]
        return (received or 0, enriched or 0)

    # -- queries ---------------------------------------------------------------------

    def _match_query(self, searcher: tantivy.Searcher, match: Match, text: Query | None) -> Query:
        filters = _filters(_schema(), match)
        base = _all_of([text] if text else [], filters)
        if match.geo is None:
            return base
        geo = self._geo_query(searcher, match.geo, base)
        return _all_of([text] if text else [], [*filters, geo])

    def _geo_query(self, searcher: tantivy.Searcher, geo: GeoFilter, base: Query) -> Query:
        """Cells inside the shape match as they are; places in border cells are checked.

        A busy place just across the edge makes thousands of candidates: then the edge is
        covered again with finer cells, which often puts it wholly out (or in).
        """
        schema = _schema()
        cell_field = "focus_cell" if geo.focus_only else "cell"
        # Finer circle coverings cost more (a new 300 km circle: 4 ms at +0, 8 at +1, 17 at +2).
        finer = 2 if isinstance(geo.shape, Box) else 1
        for refine in (REFINE_LEVELS, REFINE_LEVELS + finer):
            last = refine != REFINE_LEVELS
            cover = covering(geo.shape, refine)
            inside = Query.term_set_query(schema, cell_field, cover.inside) if cover.inside else Query.empty_query()
            border = Query.term_set_query(schema, cell_field, cover.border) if cover.border else Query.empty_query()
            # Articles with a place in an inside cell as well are candidates too (a few per
            # cent more): excluding them evaluated the inside cells once more (~0.4 ms), and
            # the check only adds them to what `inside` matches anyway.
            candidates = Query.const_score_query(Query.boolean_query([(Occur.Must, base), (Occur.Must, border)]), 0.0)
            # Unscored, so fetching every candidate is cheap (~0.1 ms for thousands); before
            # the last covering, only enough to know whether it is too many (~1 ms saved
            # on a busy edge: the list of thousands is built once).
            limit = MAX_GEO_CANDIDATES if last else MANY_GEO_CANDIDATES + 1
            addresses = [a for _, a in searcher.search(candidates, limit, count=False).hits]
            if len(addresses) <= MANY_GEO_CANDIDATES:
                break
        if not addresses:
            return inside
        points = _focus_points if geo.focus_only else _all_points
        seqs = searcher.fast_field_values("seq", addresses)
        exact = [seqs[i] for i in _inside(geo.shape, points(searcher, addresses))]
        if not exact:
            return inside
        return Query.boolean_query([(Occur.Should, inside), (Occur.Should, Query.term_set_query(schema, "seq", exact))])

    def _page_query(self, matched: Query, request: SearchRequest) -> tuple[Query, str | None]:
        by_date = request.by_date
        after = request.after
        if after is None:
            return matched, "sort_key" if by_date else None
        schema = _schema()
        parts = []
        if by_date and after.sort_key is not None:
            older = request.sort != "oldest"
            lower, upper = (None, after.sort_key) if older else (after.sort_key, None)
            parts.append(Query.range_query(schema, "sort_key", FieldType.Integer, lower, upper,
                                           include_lower=older, include_upper=not older))
        return _all_of([self._seen(matched, after)], parts), "sort_key" if by_date else None

    def _seen(self, matched: Query, after: After) -> Query:
        """What the first page's search could see: later changes do not shift the pages."""
        ceiling = Query.range_query(_schema(), "seq", FieldType.Integer, None, after.seq_ceiling)
        return _all_of([matched], [ceiling])

    def _next(self, request: SearchRequest,
              hits: list[tuple[StoredHit, int]], page_count: int) -> After | None:
        """A cursor when more remain: ``page_count`` counts this page and all after it
        (date order), or the whole match under the ceiling (relevance, by offset)."""
        by_date = request.by_date
        offset = 0 if by_date or request.after is None else request.after.offset
        if not hits or offset + len(hits) >= page_count:
            return None
        ceiling = request.after.seq_ceiling if request.after else _now_us()
        if by_date:
            return After(sort_key=hits[-1][1], offset=0, seq_ceiling=ceiling)
        return After(sort_key=None, offset=offset + len(hits), seq_ceiling=ceiling)

    def _hits(self, searcher: tantivy.Searcher, found: list, text: Query | None) -> list[tuple[StoredHit, int]]:
        snippets = None
        if text is not None and found:
            snippets = tantivy.SnippetGenerator.create(searcher, text, _schema(), "text")
            snippets.set_max_num_chars(240)
        keys = searcher.fast_field_values("sort_key", [address for _, address in found]) if found else []
        hits = []
        for (score, address), key in zip(found, keys, strict=True):
            article = _article(searcher.doc(address))
            hits.append((StoredHit(article=article, score=_score(score, text),
                                   snippet=_snippet(snippets, article.text)), key))
        return hits

    def _aggregate(self, searcher: tantivy.Searcher, matched: Query, request: SearchRequest) -> dict[str, list]:
        aggs = {name: _facet_agg(name, request.facet_size) for name in request.facets}
        if request.histogram:
            aggs["histogram"] = _histogram_agg(request.histogram)
        if not aggs:
            return {}
        result = searcher.aggregate(matched, aggs)
        out: dict[str, list] = {name: _buckets(result[name]) for name in request.facets}
        if request.histogram:
            out["histogram"] = _time_buckets(request.histogram, result["histogram"])
        return out


# -- replay: reading any generation, whatever its schema --------------------------------------


def stored_articles(generation: Path, *, batch: int = 1000) -> Iterator[tuple[int, EnrichedArticle]]:
    """Every article stored in ``generation``, built with this schema or an older one.

    Only ``seq`` and ``article`` are read: those two fields are the replay contract and
    keep their names and types in every schema.
    """
    index = tantivy.Index.open(str(generation))
    index.config_reader(reload_policy="Manual")
    return _replay(index.searcher(), index.schema, 0, batch)


@contextmanager
def writer_lock(generation: Path) -> Iterator[None]:
    """Hold ``generation``'s writer lock (whatever its schema): no indexer may write meanwhile."""
    writer = _writer(tantivy.Index.open(str(generation)), generation, heap_size=15_000_000, num_threads=1)
    try:
        yield
    finally:
        writer.wait_merging_threads()


def _replay(
    searcher: tantivy.Searcher, schema: tantivy.Schema, after_seq: int, batch: int
) -> Iterator[tuple[int, EnrichedArticle]]:
    while True:
        newer = Query.range_query(schema, "seq", FieldType.Integer, after_seq, None, include_lower=False)
        hits = searcher.search(newer, batch, count=False, order_by_field="seq", order=Order.Asc).hits
        for seq, address in hits:
            yield seq, _article(searcher.doc(address))
            after_seq = seq
        if len(hits) < batch:
            return


# -- documents -------------------------------------------------------------------------------

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(EnrichedArticle).decode
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _document(article: EnrichedArticle, seq: int) -> Document:
    published = _effective_date(article)
    doc = Document()
    doc.add_text("id", article.id)
    doc.add_bytes("article", _encode(article))
    _add_points(doc, article)
    doc.add_text("title", article.title)
    doc.add_text("text", article.text)
    doc.add_text("source", article.source)
    doc.add_text("source_facet", article.source)
    doc.add_text("language", article.language)
    doc.add_date("published", published)
    doc.add_integer("sort_key", sort_key(published, article.id))
    doc.add_integer("month", published.year * 12 + published.month - 1)
    doc.add_integer("received_us", _micros(article.received_at))
    doc.add_integer("enriched_us", _micros(article.enriched_at))
    doc.add_integer("seq", seq)
    _add_entities(doc, article)
    _add_places(doc, article.places, focus=False)
    if article.focus is not None:
        _add_places(doc, [article.focus], focus=True)
    return doc


def _add_entities(doc: Document, article: EnrichedArticle) -> None:
    for entity in article.entities:
        doc.add_text("entity", entity.text)
        doc.add_text("entity_key", entity.text)
        doc.add_text("entity_key", f"{entity.label}:{entity.text}")
        doc.add_text("entity_facet", f"{entity.label}:{entity.text}")
        if entity.label in _LABEL_FACETS:
            doc.add_text(_LABEL_FACETS[entity.label], entity.text)


def _add_places(doc: Document, places: list[Place], *, focus: bool) -> None:
    key, cell, country = ("focus_key", "focus_cell", "focus_country") if focus else ("place_key", "cell", "country")
    for place in places:
        for name in {place.name, place.resolved_name, str(place.geonames_id)}:
            doc.add_text(key, name)
        for token in cell_tokens(place.lat, place.lon):
            doc.add_text(cell, token)
        if place.country_code:
            doc.add_text(country, place.country_code)
        if focus:
            continue
        doc.add_text("place", f"{place.name} {place.resolved_name}")
        doc.add_text("place_facet", place.resolved_name)
        if place.country_code and place.admin1:
            doc.add_text("admin1", f"{place.country_code}.{place.admin1}")


def sort_key(published: datetime, article_id: str) -> int:
    """Date order with a stable tie-break: epoch seconds, then 29 bits of the id's hash."""
    seconds = max(0, int((published - _EPOCH).total_seconds()))
    return (seconds << PREFIX_BITS) | (zlib.crc32(article_id.encode()) & ((1 << PREFIX_BITS) - 1))


def _effective_date(article: EnrichedArticle) -> datetime:
    # Articles without a publication date sort and filter by when we received them.
    when = article.published_at or article.received_at
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _version(article: EnrichedArticle) -> tuple[int, int]:
    return (_micros(article.received_at), _micros(article.enriched_at))


def _now_us() -> int:
    return time.time_ns() // 1000


def _micros(when: datetime | None) -> int:
    if when is None:
        return 0
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return (when - _EPOCH) // timedelta(microseconds=1)


def _newest_per_id(articles: Iterable[EnrichedArticle]) -> list[EnrichedArticle]:
    newest: dict[str, EnrichedArticle] = {}
    for article in articles:
        held = newest.get(article.id)
        if held is None or _version(article) >= _version(held):
            newest[article.id] = article
    return list(newest.values())


# Coordinates for the exact geo check are read from fast fields, one column per place
# slot, without loading stored documents; only articles with more places than slots
# (flagged `more_places`) have the rest read from the stored `points`.
POINT_SLOTS = 6
_SLOT_FIELDS = [f"{axis}{i}" for i in range(POINT_SLOTS) for axis in ("lat", "lon")]


def _add_points(doc: Document, article: EnrichedArticle) -> None:
    for i, place in enumerate(article.places[:POINT_SLOTS]):
        doc.add_float(f"lat{i}", place.lat)
        doc.add_float(f"lon{i}", place.lon)
    if article.focus is not None:
        doc.add_float("focus_lat", article.focus.lat)
        doc.add_float("focus_lon", article.focus.lon)
    more = len(article.places) > POINT_SLOTS
    doc.add_integer("more_places", int(more))
    if more:
        doc.add_bytes("points", b"".join(struct.pack("<dd", p.lat, p.lon) for p in article.places))


class Candidates(Struct):
    """Coordinates of the candidates of a geo query, by position in the candidate list."""

    slots: list[tuple[list, list]]  # (latitudes, longitudes) of one place slot; None where empty
    more: dict[int, list[tuple[float, float]]]  # places past the slots, for the rare long list


def _all_points(searcher: tantivy.Searcher, addresses: list) -> Candidates:
    slots = []
    for i in range(POINT_SLOTS):
        lats = searcher.fast_field_values(f"lat{i}", addresses)
        if lats.count(None) == len(lats):
            break  # places fill slots in order: no candidate has more
        slots.append((lats, searcher.fast_field_values(f"lon{i}", addresses)))
    more = {
        i: list(struct.iter_unpack("<dd", searcher.doc(addresses[i]).get_first("points") or b""))[POINT_SLOTS:]
        for i, flag in enumerate(searcher.fast_field_values("more_places", addresses))
        if flag
    }
    return Candidates(slots=slots, more=more)


def _focus_points(searcher: tantivy.Searcher, addresses: list) -> Candidates:
    focus = (searcher.fast_field_values("focus_lat", addresses), searcher.fast_field_values("focus_lon", addresses))
    return Candidates(slots=[focus], more={})


def _inside(shape: Box | Circle, candidates: Candidates) -> set[int]:
    """Positions of the candidates with at least one place inside ``shape``."""
    contains = shape.contains
    found = {i for i, places in candidates.more.items() if any(contains(lat, lon) for lat, lon in places)}
    # Thousands of candidates per query: the box test (the circle's bounds for a circle)
    # is inlined, and only points passing it pay for a call.
    box = shape.bounds() if isinstance(shape, Circle) else shape
    south, north, west, east = box.min_lat, box.max_lat, box.min_lon, box.max_lon
    wraps = west > east
    for lats, lons in candidates.slots:
        for i, lat, lon in zip(range(len(lats)), lats, lons, strict=True):
            if (lat is not None and south <= lat <= north
                    and ((west <= lon or lon <= east) if wraps else west <= lon <= east)
                    and i not in found and contains(lat, lon)):
                found.add(i)
    return found


def _count(searcher: tantivy.Searcher, query: Query) -> int:
    return searcher.search(query, 1).count


def _bytes_in(generation: Path) -> int:
    """The generation's size on disk; files a merge or commit removes meanwhile count 0."""
    size = 0
    for path in generation.iterdir():
        with suppress(FileNotFoundError):
            found = path.stat()
            size += found.st_size if S_ISREG(found.st_mode) else 0
    return size


def _committed_at(generation: Path) -> datetime:
    return datetime.fromtimestamp((generation / "meta.json").stat().st_mtime, UTC)


def _last_seq_in(searcher: tantivy.Searcher) -> int:
    hits = searcher.search(Query.all_query(), 1, count=False, order_by_field="seq").hits
    return hits[0][0] if hits else 0


def _article(doc: Document) -> EnrichedArticle:
    return _decode(doc.get_first("article"))


# -- query pieces ----------------------------------------------------------------------------


def _filters(schema: tantivy.Schema, match: Match) -> list[Query]:
    filters: list[Query] = []
    for entity in match.entities:
        value = f"{entity.label}:{entity.text}" if entity.label else entity.text
        filters.append(Query.term_query(schema, "entity_key", value.lower()))
    for place in match.places:
        value = str(place.geonames_id) if place.geonames_id is not None else place.name or ""
        filters.append(Query.term_query(schema, "place_key", value.lower()))
    for field, values in (("country", match.countries), ("source", [s.lower() for s in match.sources]),
                          ("language", match.languages)):
        if values:
            filters.append(Query.term_set_query(schema, field, list(values)))
    if match.published_from or match.published_to:
        filters.append(Query.range_query(schema, "published", FieldType.Date,
                                         match.published_from, match.published_to))
    return filters


def _text_query(index: tantivy.Index, text: str | None) -> Query | None:
    if not text or not text.strip():
        return None
    try:
        return index.parse_query(_prepared(text), ["title", "text"], field_boosts={"title": 2.0},
                                 conjunction_by_default=True)
    except ValueError as exc:
        raise _syntax_error(text, exc) from None


def _all_of(scored: list[Query], filters: list[Query]) -> Query:
    """Scored parts as they are, filters with no effect on the score."""
    if not scored and not filters:
        return Query.all_query()
    parts = [(Occur.Must, q) for q in scored]
    parts += [(Occur.Must, Query.const_score_query(q, 0.0)) for q in filters]
    return parts[0][1] if len(parts) == 1 else Query.boolean_query(parts)


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
        raise BadQuery(f"unknown field prefix {unknown[0]}: (use {allowed})", text.find(f"{unknown[0]}:"))
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


def _score(score: object, text: Query | None) -> float:
    return float(score) if text is not None and isinstance(score, float) else 0.0


# Highlights come from the first characters of the text: the lead is where news puts
# what matters, and scanning whole articles would double the time of a text query.
SNIPPET_WINDOW = 2000


def _snippet(snippets: tantivy.SnippetGenerator | None, text: str) -> str:
    if snippets is not None:
        doc = Document()
        doc.add_text("text", text[:SNIPPET_WINDOW])
        html = snippets.snippet_from_doc(doc).to_html()
        if html:
            return html
    return escape(_lead(text))


def _lead(text: str, limit: int = 240) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


# -- aggregations ----------------------------------------------------------------------------

_FACET_FIELDS = {
    "entities": "entity_facet",  # keys are LABEL:text, the `entity` filter's own syntax
    "people": "person_facet",
    "organizations": "org_facet",
    "places": "place_facet",
    "countries": "country",
    "sources": "source_facet",
    "languages": "language",
}
# Labels with a facet of their own: a field each, as a regex `include` on entity_facet
# costs ~6 ms a query.
_LABEL_FACETS = {"PERSON": "person_facet", "ORG": "org_facet"}


def _facet_agg(name: str, size: int) -> dict:
    return {"terms": {"field": _FACET_FIELDS[name], "size": size}}


def _buckets(result: dict) -> list[Bucket]:
    return [Bucket(key=str(b["key"]), count=b["doc_count"]) for b in result["buckets"]]


def _histogram_agg(interval: Interval) -> dict:
    if interval == "month":
        return {"terms": {"field": "month", "size": 100_000, "order": {"_key": "asc"}}}
    # 1970-01-01 was a Thursday: weeks shifted by -3 days start on Mondays.
    step = {"day": {"fixed_interval": "1d"}, "week": {"fixed_interval": "7d", "offset": "-3d"}}[interval]
    return {"date_histogram": {"field": "published", **step}}


def _time_buckets(interval: Interval, result: dict) -> list[TimeBucket]:
    if interval == "month":
        return [
            TimeBucket(start=datetime(int(b["key"]) // 12, int(b["key"]) % 12 + 1, 1, tzinfo=UTC), count=b["doc_count"])
            for b in result["buckets"]
        ]
    return [
        TimeBucket(start=_EPOCH + timedelta(milliseconds=b["key"]), count=b["doc_count"])
        for b in result["buckets"]
        if b["doc_count"]
    ]

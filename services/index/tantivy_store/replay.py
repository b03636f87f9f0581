"""Reading any generation whatever its schema: the replayable source of a reindex.

Only ``seq`` and ``article`` are read: those two fields are the replay contract and keep
their names and types in every schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy
from tantivy import Order, Query

from services.index.domain import Change
from services.index.tantivy_store.documents import article_of
from services.index.tantivy_store.queries import all_of, changed_after
from services.index.tantivy_store.schema import open_writer


def stored_articles(generation: Path, *, batch: int = 1000) -> Iterator[Change]:
    """Every article stored in ``generation``, built with this schema or an older one."""
    index = tantivy.Index.open(str(generation))
    index.config_reader(reload_policy="Manual")
    return replay(index.searcher(), index.schema, after_seq=0, batch=batch)


@contextmanager
def writer_lock(generation: Path) -> Iterator[None]:
    """Hold ``generation``'s writer lock (whatever its schema): no indexer may write meanwhile."""
    writer = open_writer(
        tantivy.Index.open(str(generation)), generation, heap_size=15_000_000, num_threads=1
    )
    try:
        yield
    finally:
        writer.wait_merging_threads()


def replay(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    *,
    after_seq: int,
    batch: int,
    matched: Query | None = None,
) -> Iterator[Change]:
    """The documents (of ``matched``, else all) changed after ``after_seq``, oldest change first."""
    while True:
        newer = changed_after(after_seq, within=schema)
        query = all_of([matched], [newer]) if matched is not None else newer
        hits = searcher.search(
            query, batch, count=False, order_by_field="seq", order=Order.Asc
        ).hits
        for seq, address in hits:
            yield Change(seq, article_of(searcher.doc(address)))
            after_seq = seq
        if len(hits) < batch:
            return

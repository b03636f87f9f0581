"""Standing queries match changed articles in Python (fresh.py) against the terms the index
would hold for them: for every field that matching reads, each term the index holds, and
which articles hold it, are what the matcher computes. Both come from one definition of a
field's values (documents.field_values) and of its tokenizer (schema.py)."""

from __future__ import annotations

import pytest
from tantivy import Order, Query

from services.index.domain import QUERY_FIELDS, EntityFilter, Match, PlaceFilter
from services.index.tantivy_store import ArticleStore
from services.index.tantivy_store.fresh import Fresh
from services.index.tantivy_store.queries import filter_terms
from services.index.tantivy_store.schema import open_index, schema
from tests.factories import LYON, PARIS, place, story

EVERY_FILTER = Match(
    entities=[EntityFilter(text="x")], places=[PlaceFilter(name="x")],
    countries=["FR"], sources=["x"], languages=["en"],
)
FIELDS = sorted({*QUERY_FIELDS, *(field for field, _ in filter_terms(EVERY_FILTER))})

ARTICLES = [
    story(1, "Harbour STRIKE spreads to Lyon's port", f"Dockers' e-mail: {'x' * 45} stopped. Café São Paulo.",
          entities=[("PERSON", "Ana Duval"), ("ORG", "Port Authority"), ("PERSON", "Ana Duval")],
          places=[LYON, PARIS], focus=LYON, source="Wire.Example", language="fr"),
    story(2, "Storm", "Springfield floods.", source="Local News",
          places=[place("Springfield", geonames_id=4951788, resolved_name="Springfield"),
                  place("Lyons", geonames_id=2996944, resolved_name="Lyon", country_code="FR")]),
    story(3, "Senate budget", "Berlin.", language="de"),
]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    store = ArticleStore(tmp_path_factory.mktemp("fields") / "index", writable=True)
    store.upsert(ARTICLES)
    store.commit()
    searcher = open_index(store.path).searcher()
    hits = searcher.search(Query.all_query(), 10, count=False, order_by_field="seq", order=Order.Asc).hits
    yield searcher, Fresh(searcher, hits)
    store.close()


@pytest.mark.parametrize("field", FIELDS)
def test_the_matcher_reads_the_terms_the_index_holds(indexed, field):
    searcher, fresh = indexed
    in_index = {
        term: _positions(searcher, fresh, field, term) for term, _ in searcher.terms_with_prefix(field, "")
    }
    held = fresh._field(field).terms
    in_matcher = {term: {i for i, terms in enumerate(held) if term in terms} for term in set().union(*held)}
    assert in_index and in_matcher == in_index


def _positions(searcher, fresh: Fresh, field: str, term: str) -> set[int]:
    hits = searcher.search(Query.term_query(schema(), field, term), 10, count=False).hits
    seqs = searcher.fast_field_values("seq", [address for _, address in hits])
    return {fresh.seqs.index(seq) for seq in seqs}

"""The Tantivy adapter of the search store: the only package that imports tantivy.

| module | job |
|---|---|
| ``store`` | :class:`ArticleStore`, both ports (:mod:`services.index.port`) over the parts below |
| ``schema`` | the fields, opening an index and its one writer |
| ``documents`` | an EnrichedArticle as a document and back; sort keys, versions |
| ``text`` | query text: rewriting Lucene habits, unknown prefixes, syntax errors; the query and its parser's tree from one parse |
| ``queries`` | a Match and a page as queries (filters unscored); a standing query, compiled once |
| ``geo_match`` | a geo filter as a query: cells inside, the border's places checked exactly |
| ``points`` | the articles' own coordinates, sorted by latitude and checked one by one against a shape (standing queries) |
| ``hits`` | a page of hits: articles, scores, snippets, the next cursor position |
| ``aggregations`` | facets and histograms |
| ``live`` | the live generation, followed across switches and reloaded after commits |
| ``replay`` | every stored article of any generation, whatever its schema (reindex) |
| ``scan`` | a whole match from one snapshot in batches (export); the changes after a position that match a standing query (live streams) |
| ``fresh`` | the few changes after a position matched in Python against many standing queries at once |
"""

from services.index.tantivy_store.replay import stored_articles, writer_lock
from services.index.tantivy_store.schema import IndexBusy, SchemaChanged
from services.index.tantivy_store.store import ArticleStore

__all__ = ["ArticleStore", "IndexBusy", "SchemaChanged", "stored_articles", "writer_lock"]

"""A page of Tantivy hits as StoredHits: the article, its score, a highlighted snippet."""

from __future__ import annotations

from html import escape

import tantivy
from tantivy import Document, Query

from services.index.domain import After, SearchRequest, StoredHit
from services.index.tantivy_store.documents import article_of, now_us
from services.index.tantivy_store.schema import schema

# Highlights come from the first characters of the text: the lead is where news puts
# what matters, and scanning whole articles would double the time of a text query.
SNIPPET_WINDOW = 2000
SNIPPET_CHARS = 240


def hits(
    searcher: tantivy.Searcher, found: list, text: Query | None
) -> list[tuple[StoredHit, int]]:
    """Each hit with its sort key (where a date-ordered page ends)."""
    snippets = None
    if text is not None and found:
        snippets = tantivy.SnippetGenerator.create(searcher, text, schema(), "text")
        snippets.set_max_num_chars(SNIPPET_CHARS)
    keys = (
        searcher.fast_field_values("sort_key", [address for _, address in found]) if found else []
    )
    page = []
    for (score, address), key in zip(found, keys, strict=True):
        article = article_of(searcher.doc(address))
        page.append(
            (
                StoredHit(
                    article=article,
                    score=_score(score, text),
                    snippet=_snippet(snippets, article.text),
                ),
                key,
            )
        )
    return page


def next_after(
    request: SearchRequest, page: list[tuple[StoredHit, int]], page_count: int
) -> After | None:
    """A cursor when more remain: ``page_count`` counts this page and all after it
    (date order), or the whole match under the ceiling (relevance, by offset)."""
    by_date = request.by_date
    offset = 0 if by_date or request.after is None else request.after.offset
    if not page or offset + len(page) >= page_count:
        return None
    ceiling = request.after.seq_ceiling if request.after else now_us()
    if by_date:
        return After(sort_key=page[-1][1], offset=0, seq_ceiling=ceiling)
    return After(sort_key=None, offset=offset + len(page), seq_ceiling=ceiling)


def _score(score: object, text: Query | None) -> float:
    return float(score) if text is not None and isinstance(score, float) else 0.0


def _snippet(snippets: tantivy.SnippetGenerator | None, text: str) -> str:
    if snippets is not None:
        doc = Document()
        doc.add_text("text", text[:SNIPPET_WINDOW])
        html = snippets.snippet_from_doc(doc).to_html()
        if html:
            return html
    return escape(_lead(text))


def _lead(text: str, limit: int = SNIPPET_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"

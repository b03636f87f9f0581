"""What the stream tests share: committing articles as the index writer does, and reading
an article event back to the article's number."""

from __future__ import annotations

import msgspec

from dateline.events import ServerEvent
from services.index.tantivy_store import ArticleStore
from shared.schemas import EnrichedArticle


def commit(writer: ArticleStore, *articles: EnrichedArticle) -> None:
    writer.upsert(list(articles))
    writer.commit()


def article_of(event: ServerEvent) -> int:
    """The number ``tests.factories.story`` made the article from."""
    assert event.kind == "article", event
    return int(msgspec.json.decode(event.data, type=EnrichedArticle).id, 16)

"""An HTML page posted without a title, date or authors is published with the page's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.integration.test_ingest_api import JSON, raw_entries, running_ingest, settings_for

PAGE = """<html lang="mt"><head><title>Ferry resumes | Harbour News</title>
<meta property="og:title" content="Ferry resumes between Valletta and Gozo">
<meta property="article:published_time" content="2025-11-02T07:30:00+01:00">
<meta name="author" content="Ana Borg">
<link rel="canonical" href="https://harbour.example/ferry"></head>
<body><article><p>The ferry between Valletta and Gozo resumed on Monday after a storm kept boats
in port for two days, the operator said.</p></article></body></html>"""


@pytest.fixture
async def ingest(redis, redis_url) -> AsyncIterator[httpx.AsyncClient]:
    # Time enough for a worker to start on a busy machine: the page must reach one (the
    # plain-text fallback gives the title alone), which is not what these tests are about.
    async with running_ingest(settings_for(redis_url, html_timeout_s=60)) as client:
        yield client


async def test_a_page_without_title_date_or_authors_gets_them_from_its_metadata(ingest, redis):
    response = await ingest.post("/v1/articles", headers=JSON,
                                 json={"url": "https://mirror.example/ferry", "html": PAGE})
    assert response.status_code == 202, response.text
    [raw] = await raw_entries(redis)
    assert raw.title == "Ferry resumes between Valletta and Gozo"
    assert raw.published_at == datetime(2025, 11, 2, 6, 30, tzinfo=UTC)
    assert raw.authors == ["Ana Borg"] and raw.language == "mt"
    assert raw.meta == {"canonical_url": "https://harbour.example/ferry",
                        "from_page": "title,published_at,authors,language,canonical_url"}
    assert raw.url == "https://mirror.example/ferry"  # the article keeps the URL it was sent with


async def test_a_text_article_without_a_title_is_still_refused(ingest):
    response = await ingest.post("/v1/articles", headers=JSON,
                                 json={"url": "https://mirror.example/untitled", "text": "Words."})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["field"], error["reason"]) == ("$.title", "is required (it may be left out only with `html`)")

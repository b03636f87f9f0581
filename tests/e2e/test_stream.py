"""End to end: an article posted to ingest reaches a stream that follows its search."""

from __future__ import annotations

import httpx
import msgspec

from dateline.events import read_events
from dateline.samples import sample_articles
from shared.schemas import EnrichedArticle
from tests.e2e.driving import post


def test_a_posted_article_arrives_on_the_stream_that_follows_it(system):
    [article] = sample_articles(1, seed=31)
    followed = dict(article, url=article["url"] + "-followed", title="Lighthouse keepers strike at dawn")
    other = dict(article, url=article["url"] + "-other", title="Council meets")
    timeout = httpx.Timeout(5.0, read=120.0)
    with system.search.stream("GET", "/v1/stream", params={"q": "title:lighthouse"}, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        events = (e for e in read_events(response) if e.kind != "comment")
        assert next(events).kind == "ready"
        report = post(system, [other, followed])
        arrived = next(events)  # enrich and index take their time: the read timeout bounds it
    assert arrived.kind == "article"
    got = msgspec.json.decode(arrived.data, type=EnrichedArticle)
    assert got.id == report["results"][1]["id"] and got.title == followed["title"]
    assert got.enriched_at is not None

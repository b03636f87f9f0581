"""End to end: articles posted to ingest become searchable, through crashes and failures."""

from __future__ import annotations

import os
import signal
import time

import httpx
import structlog

from dateline.samples import sample_articles
from tests.e2e.driving import poll, post, search

log = structlog.get_logger("e2e")


def reference_article(shared_data) -> dict:
    text = (shared_data / "seed" / "mosul-rferl.txt").read_text()
    # the page paste starts with navigation lines; the headline is the longest of the first few
    title = max([line for line in text.splitlines() if line.strip()][:6], key=len).strip()
    return {"url": "https://www.rferl.org/a/iraq-mosul-offensive/28097405.html",
            "title": title, "text": text, "published_at": "2016-11-04T12:00:00Z"}


def test_reference_article_is_searchable_by_text_entity_place_and_facets(system, shared_data):
    own = sample_articles(5, seed=7)
    started = time.monotonic()
    report = post(system, [reference_article(shared_data), *own])
    assert report["accepted"] == 6
    mosul_id = report["results"][0]["id"]

    poll(lambda: system.search.get(f"/v1/articles/{mosul_id}").status_code == 200)
    log.info("e2e.time_to_searchable", seconds=round(time.monotonic() - started, 3), article_id=mosul_id)

    assert mosul_id in [h["id"] for h in search(system, q="Mosul")["hits"]]
    by_entity = search(system, entity="Abu Bakr al-Baghdadi")
    assert [h["id"] for h in by_entity["hits"]] == [mosul_id]
    near_mosul = search(system, near="36.34,43.13,30")
    assert mosul_id in [h["id"] for h in near_mosul["hits"]]
    faceted = search(system, q="Mosul", facets="places,people")
    assert "Mosul" in [b["key"] for b in faceted["facets"]["places"]]
    for article in own:
        poll(lambda a=article: search(system, q=f'"{a["title"]}"')["total"] >= 1)


def test_killed_worker_and_indexer_lose_nothing_and_duplicate_nothing(system):
    articles = [dict(a, url=a["url"] + "-bulk") for a in sample_articles(500, seed=11)]
    before = system.search.get("/v1/stats").json()["documents"]
    accepted = 0
    for n in range(0, 500, 100):
        accepted += post(system, articles[n:n + 100])["accepted"]
        if n == 200:  # mid-load: SIGKILL an enrich worker and the indexer
            for name in ("enrich-0", "index"):
                os.kill(system.child(name).process.pid, signal.SIGKILL)
    assert accepted == 500

    def all_indexed():
        try:  # the search API restarts with the indexer: refused connections are expected
            return system.search.get("/v1/stats").json()["documents"] - before == 500 or None
        except httpx.HTTPError:
            return None

    poll(all_indexed, timeout_s=300, every_s=1.0)
    assert system.child("index").restarts >= 1 and system.child("enrich-0").restarts >= 1
    ids = {h["id"] for h in search(system, q="", size=100, sort="newest")["hits"]}
    assert len(ids) == 100  # upserts by id: no article appears twice

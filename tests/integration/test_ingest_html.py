"""HTML extraction has a size and a time budget, in worker processes: heavy pages are
answered, slow ones are cut off and read as plain text, and ingest keeps answering."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from structlog.testing import capture_logs

from services.ingest.extraction import PageReader
from services.ingest.html_text import plain_text
from tests.integration.test_ingest_api import (
    AUTH,
    article,
    ingested,
    raw_entries,
    running_ingest,
    settings_for,
)

LISBON = "<div><p>Lisbon port</p></div>" * 65_000  # 1.9 MB: ran for minutes, holding a thread
# Under the element budget, yet about a second of trafilatura in full (it pairs each short
# block with its neighbours): ten times the time budget of the test below.
SLOW = "<li>Lisbon port</li>" * 1_900
PAGE = (
    "<html><body><nav>" + "<a href='/s'>Section</a> " * 30 + "</nav><article><h1>Harbour</h1><p>"
    + "The harbour council voted on Tuesday to approve the new budget. " * 10 + "</p></article></body></html>"
)


@pytest.mark.timeout(120)
async def test_a_handful_of_huge_pages_is_answered_and_ingest_keeps_answering(redis, redis_url):
    async with running_ingest(settings_for(redis_url)) as ingest:
        posts = [
            asyncio.create_task(ingest.post("/v1/articles", json=article(n, text=None, html=LISBON), headers=AUTH))
            for n in range(4)
        ]
        health = await ingest.get("/healthz")
        text_only = await ingest.post("/v1/articles", json=article(9), headers=AUTH)
        assert health.status_code == 200 and text_only.status_code == 202
        for response in await asyncio.gather(*posts):
            assert ingested(response).accepted == 1
    texts = {raw.text for raw in await raw_entries(redis) if raw.title != article(9)["title"]}
    assert texts == {"\n".join(["Lisbon port"] * 65_000)}


@pytest.mark.timeout(120)
async def test_a_page_slower_than_the_budget_is_cut_off_and_read_as_plain_text(redis, redis_url):
    settings = settings_for(redis_url, html_workers=1, html_timeout_s=0.1)
    async with running_ingest(settings) as ingest:
        await _extracted_once(ingest)  # the worker is up
        with capture_logs() as logs:
            body = ingested(await ingest.post("/v1/articles", json=article(1, text=None, html=SLOW), headers=AUTH))
        assert body.accepted == 1
        assert [e["event"] for e in logs if e["event"].startswith("html.")] == ["html.timed_out"]
        # the worker that ran out of time was replaced: the next page is extracted again
        await _extracted_once(ingest)
        # an article sent without a title takes the page's, read as plain text too
        untitled = article(2, text=None, title=None, html=f"<html><head><title>Port list</title></head>{SLOW}</html>")
        assert ingested(await ingest.post("/v1/articles", json=untitled, headers=AUTH)).accepted == 1
    raws = await raw_entries(redis)
    [slow] = [raw for raw in raws if raw.title == article(1)["title"]]
    assert slow.text == plain_text(SLOW)
    assert [raw.meta["from_page"] for raw in raws if raw.title == "Port list"] == ["title"]


async def test_the_worker_processes_end_with_the_reader():
    reader = PageReader(workers=2, timeout_s=30)
    reader.start()
    assert "Harbour" in (await reader.read(PAGE)).text
    workers = list(reader._idle._queue)
    assert len(workers) >= 1 and all(w._process.is_alive() for w in workers)
    await reader.close()
    assert not any(w._process.is_alive() for w in workers)


async def _extracted_once(ingest) -> None:
    """Post PAGE (fresh each time) until a worker extracts it: trafilatura drops the nav."""
    for attempt in range(100):
        page = PAGE.replace("Harbour", f"Harbour {attempt}")
        url = f"https://news.example.com/page-{attempt}-{id(ingest)}"
        with capture_logs() as logs:
            response = await ingest.post("/v1/articles", content=msgspec.json.encode(
                {"url": url, "title": "Harbour", "html": page}), headers={**AUTH, "Content-Type": "application/json"})
        ingested(response)
        if not [e for e in logs if e["event"].startswith("html.")]:
            return
    raise AssertionError(f"no worker extracted a page: {logs}")

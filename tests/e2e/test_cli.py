"""The `dateline` CLI against the running system."""

from __future__ import annotations

import json

from tests.e2e.driving import poll, post, run, search_json

RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Harbour desk</title>
<item><title>Ferry service resumes between Valletta and Gozo</title>
<link>https://harbourdesk.example/ferry-valletta-gozo</link>
<description>&lt;p&gt;VALLETTA, Malta — The ferry between Valletta and Gozo resumed on Monday after
a storm kept boats in port for two days, the operator said.&lt;/p&gt;&lt;p&gt;Transport
Malta said crossings would run hourly.&lt;/p&gt;</description>
<pubDate>Mon, 02 Nov 2026 07:30:00 +0100</pubDate></item>
</channel></rss>"""


def test_ingest_a_feed_and_find_it_with_search(system, tmp_path):
    feed = tmp_path / "harbour.xml"
    feed.write_text(RSS)
    pushed = run(system, "ingest", str(feed))
    assert pushed.exit_code == 0, pushed.output
    assert "1 accepted" in pushed.output

    def found():
        result = run(system, "search", "ferry Gozo", "--json")
        return result.exit_code == 0 and json.loads(result.stdout)["total"] >= 1 and json.loads(result.stdout)

    hit = poll(found)["hits"][0]
    assert hit["url"] == "https://harbourdesk.example/ferry-valletta-gozo"
    assert hit["published_at"] == "2026-11-02T06:30:00Z"
    readable = run(system, "search", "ferry Gozo")
    assert "Ferry service resumes" in readable.output


def test_ingest_reports_rejected_articles_and_exits_nonzero(system, tmp_path):
    batch = tmp_path / "batch.ndjson"
    batch.write_text(
        json.dumps({"url": "https://desk.example/ok-1", "title": "A fine article", "text": "Port news."}) + "\n"
        + json.dumps({"url": "ftp://desk.example/bad", "title": "Bad URL", "text": "x"}) + "\n"
    )
    result = run(system, "ingest", str(batch))
    assert result.exit_code == 1
    assert "1 accepted" in result.output and "1 rejected" in result.output
    assert "url" in result.output  # the rejection names the field


def test_search_syntax_error_is_reported(system):
    result = run(system, "search", 'title:"unclosed')
    assert result.exit_code == 1
    assert "400" in result.output


def test_status_shows_streams_groups_and_the_index(system):
    result = run(system, "status", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    groups = {g["name"] for s in status["streams"] for g in s["groups"]}
    assert groups >= {"ingest", "enrich", "index"}
    assert status["index"]["documents"] is not None, status["index"]


def test_search_pages_with_the_cursor(system):
    post(system, [{"url": f"https://desk.example/regatta-{n}", "title": f"Regatta day {n} in Zanzibar",
                   "text": "Dhows raced off Stone Town.", "published_at": f"2026-10-0{n}T09:00:00Z"}
                  for n in range(1, 4)])
    poll(lambda: search_json(system, "regatta")["total"] == 3)
    first = search_json(system, "regatta", "--sort", "newest", "--size", "2")
    second = search_json(system, "regatta", "--sort", "newest", "--size", "2", "--cursor", first["next_cursor"])
    titles = [h["title"] for h in first["hits"] + second["hits"]]
    assert titles == ["Regatta day 3 in Zanzibar", "Regatta day 2 in Zanzibar", "Regatta day 1 in Zanzibar"]


def test_reindex_through_the_running_service_keeps_every_article(system):
    before = system.search.get("/v1/stats").json()
    result = run(system, "reindex")
    assert result.exit_code == 0, result.output
    assert f"reindexed {before['documents']:,} articles" in result.output
    after = system.search.get("/v1/stats").json()
    assert after["generation"] != before["generation"] and after["documents"] == before["documents"]

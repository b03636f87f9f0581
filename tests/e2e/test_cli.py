"""The `dateline` CLI against the running system."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dateline.cli import app
from tests.e2e.conftest import API_KEY
from tests.e2e.test_pipeline import poll

RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Harbour desk</title>
<item><title>Ferry service resumes between Valletta and Gozo</title>
<link>https://harbourdesk.example/ferry-valletta-gozo</link>
<description>&lt;p&gt;VALLETTA, Malta — The ferry between Valletta and Gozo resumed on Monday after
a storm kept boats in port for two days, the operator said.&lt;/p&gt;&lt;p&gt;Transport
Malta said crossings would run hourly.&lt;/p&gt;</description>
<pubDate>Mon, 02 Nov 2026 07:30:00 +0100</pubDate></item>
</channel></rss>"""


def run(system, *args: str):
    env = {
        "DATELINE_REDIS_URL": system.settings.redis_url,
        "DATELINE_INGEST_PORT": str(system.settings.ingest_port),
        "DATELINE_SEARCH_PORT": str(system.settings.search_port),
        "DATELINE_API_KEY": API_KEY,
    }
    return CliRunner().invoke(app, list(args), env=env)


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

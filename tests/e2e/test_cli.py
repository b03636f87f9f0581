"""The `dateline` CLI against the running system."""

from __future__ import annotations

import json

from tests.e2e.driving import poll, post, run, search_json
from tests.integration.feed_server import answer, feed_server, rss

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


def _feed(*items: str) -> str:
    return '<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>' + "".join(items) + "</channel></rss>"


def _item(title: str, link: str | None) -> str:
    link_element = f"<link>{link}</link>" if link else ""
    return f"<item><title>{title}</title>{link_element}<description>Boats left the harbour.</description></item>"


def test_ingest_goes_on_past_bad_files_and_items_and_says_what_happened(system, tmp_path):
    (tmp_path / "a-good.xml").write_text(_feed(
        _item("Dhow race in Stone Town", "https://dir.example/dhow"),
        _item("No link at all", None),
    ))
    (tmp_path / "b-page.xml").write_text("<html><body><p>a web page, not a feed</p></body></html>")
    (tmp_path / "c-empty.xml").write_text("")
    (tmp_path / "d-quiet.xml").write_text(_feed())
    (tmp_path / "e-lines.ndjson").write_text(
        json.dumps({"url": "https://dir.example/line-1", "title": "Line one", "text": "Fine."}) + "\n"
        + json.dumps({"url": "ftp://dir.example/line-2", "title": "Line two", "text": "Bad URL."}) + "\n"
        + '{"url": "https://dir.example/line-3", "title": \n'
        + json.dumps({"url": "https://dir.example/line-4", "title": "", "text": "No title."}) + "\n"
        + json.dumps({"url": "https://dir.example/line-5", "title": "Line five", "text": "Fine."}) + "\n"
    )
    result = run(system, "ingest", str(tmp_path))
    assert result.exit_code == 1
    lines = result.output
    assert "3 accepted" in lines and "3 rejected" in lines
    assert "1 refused (no URL)" in lines and "1 skipped (unreadable)" in lines and "2 warnings" in lines
    assert "a-good.xml item 2 has no link or permalink guid" in lines
    assert "b-page.xml: not JSON, NDJSON, RSS, Atom or JSON Feed" in lines
    assert "c-empty.xml: the file is empty" in lines and "d-quiet.xml: it holds no articles" in lines
    assert "e-lines.ndjson line 2: url must be an absolute http(s) URL" in lines
    assert "e-lines.ndjson line 3: not valid JSON" in lines
    assert "e-lines.ndjson line 4: title is empty" in lines
    assert "$." not in lines and "Expected `" not in lines  # words, not the schema's terms
    poll(lambda: {system.search.get(f"/v1/articles/{_id(u)}").status_code
                  for u in ("dhow", "line-1", "line-5")} == {200})


def _id(slug: str) -> str:
    from services.ingest.normalise import article_id, canonical_url

    return article_id(canonical_url(f"https://dir.example/{slug}"))


def test_an_empty_feed_is_a_warning_and_fails_only_when_nothing_was_taken(system, tmp_path):
    empty = tmp_path / "empty.xml"
    empty.write_text("")
    alone = run(system, "ingest", str(empty))
    assert alone.exit_code == 1
    assert "warning" in alone.output and "the file is empty" in alone.output and "0 accepted" in alone.output

    good = tmp_path / "good.xml"
    good.write_text(_feed(_item("Lighthouse repainted in Essaouira", "https://dir.example/lighthouse")))
    together = run(system, "ingest", str(empty), str(good))
    assert together.exit_code == 0, together.output
    assert "1 accepted" in together.output and "1 warning" in together.output


def test_ndjson_with_no_valid_line_is_reported_line_by_line(system, tmp_path):
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"url": "https://dir.example/x", "title": 3, "text": "t"}\n{"nope\n')
    result = run(system, "ingest", str(bad))
    assert result.exit_code == 1
    assert "bad.ndjson line 1: title should be text, not a number" in result.output
    assert "bad.ndjson line 2: not valid JSON" in result.output
    assert "0 accepted, 0 updated, 0 duplicate, 2 rejected" in result.output


def test_a_missing_path_is_skipped_and_the_others_go(system, tmp_path):
    good = tmp_path / "good.xml"
    good.write_text(_feed(_item("Tram line extended in Porto", "https://dir.example/tram")))
    result = run(system, "ingest", str(tmp_path / "nowhere.xml"), str(good))
    assert result.exit_code == 1
    assert "nowhere.xml: no such file or directory" in result.output
    assert "1 accepted" in result.output


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


def test_the_poller_under_up_refuses_a_feed_on_a_private_address(system):
    with feed_server({"/rss": answer(200, rss(("Inside", "https://inside.example/a")))}) as site:
        added = run(system, "feeds", "add", site.url("/rss"))
        assert added.exit_code == 0, added.output
        listed = poll(lambda: (out := run(system, "feeds", "list").output) and "not a public address" in out and out)
        assert site.requests == []  # never fetched
        assert run(system, "feeds", "remove", site.url("/rss")).exit_code == 0
    assert "127.0.0.1 is not a public address" in listed

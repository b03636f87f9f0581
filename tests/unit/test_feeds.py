import pytest

from dateline.feeds import FeedError, files_under, parse_document

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Wire</title>
<item><title>Harbour reopens</title><link>https://wire.example/harbour</link>
<description>&lt;p&gt;The harbour in Valletta reopened.&lt;/p&gt;</description>
<pubDate>Tue, 03 Nov 2026 08:00:00 -0000</pubDate><dc:creator>Ana Borg</dc:creator></item>
</channel></rss>"""

ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Desk</title>
<entry><title>Bridge opens</title><link rel="alternate" href="https://desk.example/bridge"/>
<content type="html">&lt;p&gt;A bridge opened in Porto.&lt;/p&gt;</content>
<published>2026-11-02T10:00:00+01:00</published><author><name>Rui Lopes</name></author></entry>
</feed>"""


def test_rss_items_map_to_articles():
    [article] = parse_document(RSS, "wire.xml")
    assert article["url"] == "https://wire.example/harbour"
    assert article["title"] == "Harbour reopens"
    assert "<p>The harbour in Valletta reopened.</p>" == article["html"]
    assert article["published_at"] == "2026-11-03T08:00:00+00:00"
    assert article["authors"] == ["Ana Borg"]


def test_atom_entries_map_to_articles():
    [article] = parse_document(ATOM, "desk.atom")
    assert article["url"] == "https://desk.example/bridge"
    assert article["published_at"] == "2026-11-02T10:00:00+01:00"
    assert article["authors"] == ["Rui Lopes"]


def test_json_object_array_and_ndjson():
    assert len(list(parse_document(b'{"url": "u", "title": "t"}', "a.json"))) == 1
    assert len(list(parse_document(b'[{"title": "a"}, {"title": "b"}]', "a.json"))) == 2
    assert len(list(parse_document(b'{"title": "a"}\n{"title": "b"}\n', "a.ndjson"))) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"title": "a"}\n{"title": \n', "line 2"),
        (b"[1, 2", "line 1"),
        (b"<html><body/></html>", "neither an RSS nor an Atom"),
        (b"<rss><channel>", "not well-formed"),
        (b"title,url\n", "not JSON, NDJSON, RSS or Atom"),
    ],
)
def test_bad_documents_say_where(data, message):
    with pytest.raises(FeedError, match=message):
        list(parse_document(data, "f"))


def test_directories_yield_article_files_only(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.ndjson").write_text("{}")
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in files_under(tmp_path)] == ["a.json", "b.ndjson"]

"""shared.feeds: every feed format a user may have, mapped onto ArticleIn's fields."""

import json

import pytest

from services.ingest.decode import Candidate, decode_article
from shared.feeds import FeedError, files_under, parse_document

RSS20 = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Wire</title>
<language>en-GB</language>
<item><title>Harbour reopens</title><link>https://wire.example/harbour</link>
<description>&lt;p&gt;Short.&lt;/p&gt;</description>
<content:encoded><![CDATA[<p>The harbour in Valletta reopened.</p>]]></content:encoded>
<pubDate>Tue, 03 Nov 2026 08:00:00 +0100</pubDate><dc:creator>Ana Borg</dc:creator></item>
<item><title>Only a guid</title><guid>https://wire.example/guid-is-the-link</guid>
<description>Text.</description></item>
<item><title>A guid that is no permalink</title>
<guid isPermaLink="false">https://wire.example/not-a-permalink</guid></item>
<item><title>Nothing to link to</title><description>Orphan.</description></item>
</channel></rss>"""

RSS090 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
<channel><title>Old wire</title><link>https://old.example/</link><description>d</description></channel>
<item><title>Tram line opens</title><link>https://old.example/tram</link></item>
</rdf:RDF>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://rdf.example/"><title>RDF desk</title><link>https://rdf.example/</link>
<description>d</description></channel>
<item rdf:about="https://rdf.example/ferry"><title>Ferry resumes</title>
<description>The ferry resumed.</description><dc:date>2026-11-02T07:30:00+01:00</dc:date>
<dc:creator>Rui Lopes</dc:creator></item>
</rdf:RDF>"""

RSS091 = b"""<?xml version="1.0"?>
<rss version="0.91"><channel><title>t</title><link>https://n.example/</link><description>d</description>
<language>fr</language>
<item><title>Le port rouvre</title><link>https://n.example/port</link><description>Texte.</description></item>
</channel></rss>"""

ATOM10 = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Desk</title><id>urn:x</id>
<entry><title type="html">Bridge &lt;em&gt;opens&lt;/em&gt;</title>
<link rel="enclosure" href="https://desk.example/bridge.mp3"/>
<link rel="alternate" href="https://desk.example/bridge"/>
<id>tag:desk.example,2026:1</id>
<summary>Short.</summary>
<content type="html">&lt;p&gt;A bridge opened in Porto.&lt;/p&gt;</content>
<published>2026-11-02T10:00:00+01:00</published><updated>2026-11-03T10:00:00Z</updated>
<author><name>Rui Lopes</name></author><author><name>Ana Borg</name></author>
<contributor><name>Rui Lopes</name></contributor></entry>
<entry><title>Plain</title><id>https://desk.example/plain</id><content type="text">Just words.</content>
<updated>2026-11-04T09:00:00Z</updated></entry>
<entry><title>Podcast</title><id>tag:desk.example,2026:3</id>
<link rel="enclosure" href="https://desk.example/episode.mp3"/></entry>
</feed>"""

ATOM03 = b"""<?xml version="1.0"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old desk</title>
<entry><title>Dam inspected</title><link rel="alternate" type="text/html" href="https://old.example/dam"/>
<issued>2026-11-01T12:00:00+02:00</issued><modified>2026-11-01T13:00:00Z</modified>
<author><name>Eva Novak</name></author>
<content type="text/html" mode="escaped">&lt;p&gt;Engineers inspected the dam.&lt;/p&gt;</content></entry>
</feed>"""

JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON desk",
    "language": "pt-PT",
    "items": [
        {"id": "1", "url": "https://json.example/tram", "title": "Tram", "content_html": "<p>Tram.</p>",
         "date_published": "2026-11-02T10:00:00+01:00", "authors": [{"name": "Rui Lopes"}]},
        {"id": "https://json.example/by-id", "title": "By id", "content_text": "Words."},
        {"id": "3", "title": "No URL", "content_text": "Lost."},
    ],
}).encode()


def articles(document):
    return [json.loads(item.body) for item in document.items]


def test_rss_20_link_content_date_author_language():
    document = parse_document(RSS20, "wire.xml")
    assert document.kind == "RSS 2.0"
    first, by_guid = articles(document)
    assert first == {
        "url": "https://wire.example/harbour",
        "title": "Harbour reopens",
        "html": "<p>The harbour in Valletta reopened.</p>",  # content:encoded beats description
        "published_at": "2026-11-03T07:00:00+00:00",
        "authors": ["Ana Borg"],
        "language": "en",
    }
    assert by_guid["url"] == "https://wire.example/guid-is-the-link"  # a guid is a permalink by default


def test_items_without_a_url_are_reported_in_words_and_the_rest_go_on():
    document = parse_document(RSS20, "wire.xml")
    assert [item.where for item in document.items] == ["item 1", "item 2"]
    assert document.refused == [
        "item 3 has no link, and its guid 'https://wire.example/not-a-permalink' is marked isPermaLink=\"false\"",
        "item 4 has no link or permalink guid",
    ]


def test_rss_090_and_091():
    [tram] = articles(parse_document(RSS090, "old.rdf"))
    assert tram["url"] == "https://old.example/tram"
    document = parse_document(RSS091, "n.xml")
    assert document.kind.startswith("RSS 0.91")
    [port] = articles(document)
    assert (port["url"], port["language"]) == ("https://n.example/port", "fr")


def test_rss_10_item_uri_is_its_link():
    document = parse_document(RSS10, "rdf.rdf")
    assert document.kind == "RSS 1.0"
    [ferry] = articles(document)
    assert ferry["url"] == "https://rdf.example/ferry"
    assert ferry["published_at"] == "2026-11-02T06:30:00+00:00"
    assert ferry["authors"] == ["Rui Lopes"]


def test_atom_10_alternate_link_html_title_dates_and_authors():
    document = parse_document(ATOM10, "desk.atom")
    assert document.kind == "Atom 1.0"
    bridge, plain = articles(document)
    assert bridge["url"] == "https://desk.example/bridge"
    assert bridge["title"] == "Bridge opens"  # an HTML title as text
    assert bridge["html"] == "<p>A bridge opened in Porto.</p>"
    assert bridge["published_at"] == "2026-11-02T09:00:00+00:00"  # published beats updated
    assert bridge["authors"] == ["Rui Lopes", "Ana Borg"]
    assert plain == {"url": "https://desk.example/plain", "title": "Plain", "text": "Just words.",
                     "published_at": "2026-11-04T09:00:00+00:00"}
    assert document.refused == ["item 3 has only an enclosure (a media file), no link to a page"]


def test_atom_03():
    document = parse_document(ATOM03, "old.atom")
    assert document.kind == "Atom 0.3"
    [dam] = articles(document)
    assert dam["url"] == "https://old.example/dam"
    assert dam["published_at"] == "2026-11-01T10:00:00+00:00"
    assert dam["authors"] == ["Eva Novak"]
    assert "inspected the dam" in dam["html"]


def test_json_feed():
    document = parse_document(JSON_FEED, "desk.json")
    assert document.kind == "JSON Feed 1.1"
    tram, by_id = articles(document)
    assert tram == {"url": "https://json.example/tram", "title": "Tram", "html": "<p>Tram.</p>",
                    "published_at": "2026-11-02T10:00:00+01:00", "authors": ["Rui Lopes"], "language": "pt"}
    assert by_id["url"] == "https://json.example/by-id" and by_id["text"] == "Words."
    assert document.refused == ["item 3 has no url, external_url or URL id"]


@pytest.mark.parametrize("feed", [RSS20, RSS090, RSS10, RSS091, ATOM10, ATOM03, JSON_FEED])
def test_every_mapped_item_is_a_valid_article(feed):
    for item in parse_document(feed, "f").items:
        assert isinstance(decode_article(item.body), Candidate), item


def _rss(title: str, encoding: str) -> bytes:
    return (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>t</title>'
            f"<item><title>{title}</title><link>https://enc.example/a</link></item></channel></rss>")


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (_rss("Café in Zürich", "iso-8859-1").encode("iso-8859-1"), ""),
        (_rss("Café in Zürich", "windows-1252").encode("cp1252"), ""),
        (_rss("Café in Zürich", "utf-16").encode("utf-16"), ""),  # with its byte order mark
        (b"\xef\xbb\xbf" + _rss("Café in Zürich", "utf-8").encode(), ""),
        # the HTTP header's charset wins over a missing declaration (RFC 3023)
        (_rss("Café in Zürich", "x").replace(' encoding="x"', "").encode("iso-8859-1"), "text/xml; charset=iso-8859-1"),
    ],
)
def test_encodings(data, declared):
    [article] = articles(parse_document(data, "enc.xml", content_type=declared))
    assert article["title"] == "Café in Zürich"


def test_relative_links_resolve_against_where_the_feed_was_fetched():
    feed = b'<rss version="2.0"><channel><item><title>t</title><link>/a/b</link></item></channel></rss>'
    [article] = articles(parse_document(feed, "u", location="https://site.example/feeds/rss"))
    assert article["url"] == "https://site.example/a/b"
    assert parse_document(feed, "file.xml").refused == [
        "item 1 has a link that is not an absolute http(s) URL: '/a/b'"
    ]


def test_ill_formed_xml_is_read_leniently_with_a_warning():
    broken = b'<rss version="2.0"><channel><item><title>A & B</title><link>https://x.example/a</link></item>'
    document = parse_document(broken, "broken.xml")
    assert [a["url"] for a in articles(document)] == ["https://x.example/a"]
    assert document.warnings and "not well-formed XML" in document.warnings[0]


@pytest.mark.parametrize(
    ("data", "warning"),
    [
        (b"", "the file is empty"),
        (b"  \n", "the file is empty"),
        (b'<?xml version="1.0"?><!-- nothing -->', "it holds no articles"),
        (b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', "it holds no articles"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": []}', "it holds no articles"),
        (b"[]", "it holds no articles"),
    ],
)
def test_empty_and_itemless_documents_are_warnings(data, warning):
    document = parse_document(data, "f.xml")
    assert document.items == [] and document.warnings == [warning]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[1, 2", "not valid JSON"),
        (b"<html><body><p>a page</p></body></html>", "not JSON, NDJSON, RSS, Atom or JSON Feed"),
        (b"title,url\n", "not JSON, NDJSON, RSS, Atom or JSON Feed"),
    ],
)
def test_documents_in_no_known_format_say_so(data, message):
    with pytest.raises(FeedError, match=message):
        parse_document(data, "f")


def test_ndjson_lines_go_as_they_are_for_the_server_to_judge():
    data = b'{"title": "a"}\n\n{"title": \n{"title": "c"}\n'
    document = parse_document(data, "a.ndjson")
    assert [(i.where, i.body) for i in document.items] == [
        ("line 1", b'{"title": "a"}'), ("line 3", b'{"title":'), ("line 4", b'{"title": "c"}'),
    ]
    # without the suffix, lines of objects that are not one JSON document are NDJSON too
    assert len(parse_document(data, "a.json").items) == 3


def test_json_array_elements_become_one_line_each():
    document = parse_document(b'[{"title":\n "a"}, {"title": "b"}]', "a.json")
    assert [(i.where, i.body) for i in document.items] == [("item 1", b'{"title": "a"}'), ("item 2", b'{"title": "b"}')]
    [one] = parse_document(b'{\n"title": "a"\n}', "a.json").items
    assert one.body == b'{"title": "a"}'


def test_directories_yield_article_files_only(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.ndjson").write_text("{}")
    (tmp_path / "sub" / "c.rdf").write_text("{}")
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in files_under(tmp_path)] == ["a.json", "b.ndjson", "c.rdf"]

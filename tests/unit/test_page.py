"""What a page says about itself fills what its producer left out (services/ingest/page.py)."""

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from services.ingest.html_text import MAX_ELEMENTS
from services.ingest.normalise import NotAnArticle, normalise
from services.ingest.page import (
    PageFacts,
    page_facts,
    page_reading,
    plain_reading,
    read_page,
    with_page_metadata,
)
from shared.schemas import ArticleIn

BODY = ("<p>The ferry between Valletta and Gozo resumed on Monday after a storm kept boats in port "
        "for two days, the operator said. Crossings will run every hour until the weekend.</p>")

JSON_LD = f"""<!doctype html><html lang="en-GB"><head><title>Ferry resumes | Harbour News</title>
<link rel="canonical" href="https://harbour.example/2025/11/ferry">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Ferry resumes between Valletta and Gozo",
 "datePublished": "2025-11-02T07:30:00+01:00", "dateModified": "2025-11-02T09:00:00+01:00",
 "author": [{{"@type": "Person", "name": "Ana Borg"}}, {{"@type": "Person", "name": "Rui Lopes"}}]}}</script>
</head><body><article><h1>Ferry resumes</h1>{BODY}</article></body></html>"""

OPEN_GRAPH = f"""<html><head><meta property="og:title" content="Bridge opens in Porto">
<meta property="og:url" content="https://porto.example/bridge">
<meta property="article:published_time" content="2025-11-03T10:15:00Z">
<meta property="og:locale" content="pt_PT"><meta name="author" content="Rui Lopes">
</head><body><article>{BODY}</article></body></html>"""

META = f"""<html><head><title>Dam inspected</title><meta name="date" content="2025-11-01">
<meta name="author" content="Eva Novak"><meta http-equiv="Content-Language" content="cs">
</head><body><article>{BODY}</article></body></html>"""

BARE = f"<html><body><article>{BODY}</article></body></html>"


def _article(**fields) -> ArticleIn:
    return msgspec.convert({"url": "https://harbour.example/2025/11/ferry?utm_source=rss", **fields}, ArticleIn)


def test_json_ld_gives_title_date_with_offset_authors_language_and_canonical_url():
    facts = read_page(JSON_LD)
    assert facts.title == "Ferry resumes between Valletta and Gozo"
    assert facts.published_at == datetime(2025, 11, 2, 7, 30, tzinfo=timezone(timedelta(hours=1)))
    assert facts.authors == ["Ana Borg", "Rui Lopes"]
    assert facts.language == "en"
    assert facts.canonical_url == "https://harbour.example/2025/11/ferry"


def test_open_graph():
    facts = read_page(OPEN_GRAPH)
    assert (facts.title, facts.authors, facts.language) == ("Bridge opens in Porto", ["Rui Lopes"], "pt")
    assert facts.published_at == datetime(2025, 11, 3, 10, 15, tzinfo=UTC)
    assert facts.canonical_url == "https://porto.example/bridge"


def test_meta_tags_and_a_day_without_a_time():
    facts = read_page(META)
    assert (facts.title, facts.authors, facts.language) == ("Dam inspected", ["Eva Novak"], "cs")
    assert facts.published_at == datetime(2025, 11, 1, tzinfo=UTC)  # the day, at 00:00 UTC


def test_a_large_page_of_few_elements_still_says_what_it_is():
    # News pages carry megabytes of inline script (CNN's: 2.5 million characters).
    script = "<script>var state = " + '{"k": 1234567890},' * 150_000 + "null;</script>"
    page = JSON_LD.replace("</head>", script + "</head>")
    assert len(page) > 2_500_000
    facts = page_facts(page)
    assert (facts.title, facts.authors) == ("Ferry resumes between Valletta and Gozo", ["Ana Borg", "Rui Lopes"])


def test_a_page_read_as_plain_text_keeps_its_title():
    reading = plain_reading(JSON_LD)
    assert reading.facts.title == "Ferry resumes | Harbour News"
    assert "resumed on Monday" in reading.text and "NewsArticle" not in reading.text
    assert plain_reading(BARE).facts.title is None
    assert plain_reading("").text == ""


def test_a_page_over_the_element_budget_gives_its_plain_text_and_title_alone():
    page = JSON_LD.replace("<article>", "<article>" + "<span>Gozo</span>" * MAX_ELEMENTS)
    reading = page_reading(page)
    assert reading.facts == PageFacts(title="Ferry resumes | Harbour News")  # no date, no authors
    assert "resumed on Monday" in reading.text


def test_a_page_without_metadata_says_nothing():
    facts = read_page(BARE)
    assert (facts.published_at, facts.authors, facts.language, facts.canonical_url) == (None, [], None, None)


def test_the_page_fills_what_the_producer_left_out_and_meta_says_which():
    filled = with_page_metadata(_article(title="Ferry back", html=JSON_LD))
    assert filled.title == "Ferry back"  # the producer's
    assert filled.published_at == datetime(2025, 11, 2, 6, 30, tzinfo=UTC)
    assert filled.authors == ["Ana Borg", "Rui Lopes"]
    assert filled.language == "en"
    # the page's canonical URL is the producer's without tracking: nothing new to record
    assert filled.meta == {"from_page": "published_at,authors,language"}


def test_the_producer_wins_field_by_field():
    sent = _article(title="Ferry back", html=OPEN_GRAPH, published_at="2025-11-05T00:00:00Z",
                    authors=["Desk"], meta={"feed": "harbour"})
    filled = with_page_metadata(sent)
    assert filled.published_at == datetime(2025, 11, 5, tzinfo=UTC) and filled.authors == ["Desk"]
    assert filled.language == "pt"
    assert filled.meta == {"feed": "harbour", "canonical_url": "https://porto.example/bridge",
                           "from_page": "language,canonical_url"}


def test_a_page_title_fills_a_missing_title():
    filled = with_page_metadata(_article(html=META))
    assert filled.title == "Dam inspected"
    assert filled.meta["from_page"] == "title,published_at,authors,language"


def test_no_title_anywhere_is_refused_in_words():
    with pytest.raises(NotAnArticle) as refused:
        with_page_metadata(_article(html=BARE))
    assert (refused.value.field, refused.value.reason) == ("$.title", "is missing, and the page has no title either")


def test_a_title_may_be_left_out_only_with_html():
    with pytest.raises(msgspec.ValidationError, match="`title` is required"):
        _article(text="Words.")


def test_nothing_is_read_when_the_producer_sent_everything():
    sent = _article(title="T", html=JSON_LD, published_at="2025-11-05T00:00:00Z", authors=["A"], language="mt")
    assert with_page_metadata(sent) is sent


def test_text_articles_are_left_alone():
    sent = _article(title="T", text="Words.")
    assert with_page_metadata(sent) is sent


def test_normalise_publishes_what_the_page_said():
    raw = normalise(_article(html=JSON_LD), datetime(2025, 11, 3, tzinfo=UTC), 100_000)
    assert raw.title == "Ferry resumes between Valletta and Gozo"
    assert raw.published_at == datetime(2025, 11, 2, 6, 30, tzinfo=UTC)
    assert raw.authors == ["Ana Borg", "Rui Lopes"] and raw.language == "en"
    assert raw.meta == {"from_page": "title,published_at,authors,language"}
    assert "resumed on Monday" in raw.text

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.ingest.normalise import (
    NotAnArticle,
    article_id,
    canonical_url,
    clean_text,
    content_hash,
    detect_language,
    html_to_text,
    normalise,
)
from shared.schemas import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, ArticleIn
from shared.settings import Settings

RECEIVED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
MAX_CHARS = Settings().enrich_max_chars

HARBOUR = (
    "The harbour council voted on Tuesday to approve the new budget for the old docks, "
    "after months of debate among residents, fishermen and shopkeepers. The mayor said "
    "the first repairs would start in the spring."
)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("HTTPS://News.Example.COM/World/Story", "https://news.example.com/World/Story"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://example.com/a?utm_source=x&utm_medium=y&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?fbclid=abc&gclid=def", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/%7euser/%2f", "https://example.com/~user/%2F"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://bücher.example/a", "https://xn--bcher-kva.example/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_canonical_url(given, canonical):
    assert canonical_url(given) == canonical


def test_canonical_url_keeps_what_names_the_article():
    assert canonical_url("https://example.com/story?id=1") != canonical_url(
        "https://example.com/story?id=2"
    )
    assert canonical_url("https://example.com/Story") != canonical_url("https://example.com/story")


def test_canonical_url_is_idempotent():
    url = "HTTPS://Example.com:443/a/../b?utm_campaign=z&q=%7e#top"
    assert canonical_url(canonical_url(url)) == canonical_url(url)


def test_canonical_url_refuses_a_bad_port():
    with pytest.raises(NotAnArticle) as caught:
        canonical_url("https://example.com:99999/a")
    assert caught.value.field == "$.url"


def test_article_id_is_32_hex_digits_and_stable():
    first = article_id("https://example.com/a")
    assert len(first) == 32 and int(first, 16) >= 0
    assert first == article_id("https://example.com/a")
    assert first != article_id("https://example.com/b")


def test_content_hash_changes_with_title_or_text():
    base = content_hash("Title", "Text")
    assert base == content_hash("Title", "Text")
    assert base != content_hash("Title!", "Text")
    assert base != content_hash("Title", "Text.")
    assert content_hash("ab", "c") != content_hash("a", "bc")


def test_clean_text_gives_one_spelling():
    assert clean_text("  Cafe\u0301 \r\nline two  \r\n\n") == "Café\nline two"


def test_html_to_text_keeps_the_article_and_drops_the_page_around_it():
    page = (
        "<html><head><title>Budget</title><script>var tracker = 1;</script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav>"
        f"<article><h1>Harbour budget approved</h1><p>{HARBOUR}</p>"
        "<p>Work on the north pier is expected to take two years &amp; cost more.</p></article>"
        "<footer>Copyright The Harbour Gazette. All rights reserved.</footer></body></html>"
    )
    text = html_to_text(page)
    assert "approve the new budget" in text
    assert "two years & cost more" in text
    assert "tracker" not in text
    assert "All rights reserved" not in text
    assert "<" not in text


def test_html_to_text_reads_a_small_fragment():
    assert html_to_text("<p>Flood warning for the <b>river</b> valley.</p>") == (
        "Flood warning for the river valley."
    )


def test_html_to_text_refuses_html_without_text():
    with pytest.raises(NotAnArticle) as caught:
        html_to_text("<div><script>x = 1</script></div>")
    assert caught.value.field == "$.html"


@pytest.mark.parametrize(
    ("title", "text", "language"),
    [
        ("Harbour budget approved", HARBOUR, "en"),
        (
            "Le conseil approuve le budget du port",
            (
                "Le conseil municipal a voté mardi pour approuver le nouveau budget du vieux "
                "port, après des mois de débat entre habitants, pêcheurs et commerçants."
            ),
            "fr",
        ),
        (
            "Stadtrat beschließt Haushalt für den Hafen",
            (
                "Der Stadtrat hat am Dienstag den neuen Haushalt für den alten Hafen "
                "beschlossen, nach monatelanger Debatte zwischen Anwohnern und Händlern."
            ),
            "de",
        ),
    ],
)
def test_detect_language(title, text, language):
    assert detect_language(title, text) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("מועצת העיר אישרה ביום שלישי את התקציב החדש של הנמל הישן לאחר חודשים של ויכוחים", "he"),
        ("市议会周二批准了旧港口的新预算，此前居民和渔民争论了几个月。", "zh"),
        ("Городской совет во вторник утвердил новый бюджет старого порта.", "ru"),
    ],
)
def test_detect_language_gives_iso_639_1_codes(text, language):
    assert detect_language("", text) == language


@pytest.mark.parametrize("text", ["ok", "\ud800 lone surrogate"])
def test_detect_language_answers_a_two_letter_code_even_when_unsure(text):
    assert re.fullmatch(r"[a-z]{2}", detect_language("", text))


def test_text_without_words_has_an_undetermined_language():
    assert detect_language("", "1234 5678") == "und"


def _article(**fields) -> ArticleIn:
    fields.setdefault("url", "https://News.example.com/harbour?utm_source=feed#top")
    fields.setdefault("title", "Harbour budget approved")
    if "html" not in fields:
        fields.setdefault("text", HARBOUR)
    return ArticleIn(**fields)


def test_normalise_fills_every_field():
    raw = normalise(_article(), RECEIVED, MAX_CHARS)
    assert raw.canonical_url == "https://news.example.com/harbour"
    assert raw.id == article_id(raw.canonical_url)
    assert raw.url == "https://News.example.com/harbour?utm_source=feed#top"
    assert raw.source == "news.example.com"
    assert raw.language == "en"
    assert raw.text == HARBOUR
    assert raw.received_at == RECEIVED
    assert raw.content_hash == content_hash(raw.title, raw.text)
    assert raw.published_at is None


def test_normalise_keeps_what_upstream_said():
    published = datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    raw = normalise(
        _article(source="Harbour Gazette", language="fr", published_at=published,
                 authors=["A. Writer"], meta={"section": "local"}),
        RECEIVED,
        MAX_CHARS,
    )
    assert raw.source == "Harbour Gazette"
    assert raw.language == "fr"  # given, not detected
    assert raw.published_at == published and raw.published_at.tzinfo == UTC
    assert raw.authors == ["A. Writer"] and raw.meta == {"section": "local"}


def test_same_article_from_two_urls_has_one_id():
    a = normalise(_article(url="https://news.example.com/harbour?utm_medium=email"), RECEIVED, MAX_CHARS)
    b = normalise(_article(url="HTTPS://news.example.com:443/harbour#comments"), RECEIVED, MAX_CHARS)
    assert a.id == b.id and a.content_hash == b.content_hash


def test_html_article_is_reduced_to_text():
    raw = normalise(_article(html=f"<article><p>{HARBOUR}</p></article>"), RECEIVED, MAX_CHARS)
    assert raw.text == HARBOUR


def test_whitespace_only_changes_are_not_an_update():
    a = normalise(_article(text=HARBOUR), RECEIVED, MAX_CHARS)
    b = normalise(_article(text=f"  {HARBOUR}  \r\n"), RECEIVED, MAX_CHARS)
    assert a.content_hash == b.content_hash


def test_blank_title_is_refused():
    with pytest.raises(NotAnArticle) as caught:
        normalise(_article(title="   "), RECEIVED, MAX_CHARS)
    assert caught.value.field == "$.title"


@pytest.mark.parametrize("url", ["http://[::1/x", "https://[news.example.com]/a"])
def test_a_url_python_cannot_split_is_refused(url):
    with pytest.raises(NotAnArticle) as caught:
        canonical_url(url)
    assert caught.value.field == "$.url"
    assert caught.value.reason.startswith("is not a valid URL")


@pytest.mark.parametrize(
    "published",
    [
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC: cannot even be converted
        "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC
        "9999-12-31T23:59:59+00:00",
        "1677-12-31T23:59:59+00:00",
        "2262-01-01T00:00:00+00:00",
    ],
)
def test_a_date_the_store_cannot_keep_is_refused(published):
    with pytest.raises(NotAnArticle) as caught:
        normalise(_article(published_at=datetime.fromisoformat(published)), RECEIVED, MAX_CHARS)
    assert caught.value.field == "$.published_at"
    assert "1678-01-01 and 2261-12-31" in caught.value.reason


def test_the_edges_of_the_date_window_are_taken():
    for edge in (EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, LATEST_TIMESTAMP.astimezone(timezone(timedelta(hours=-5)))):
        assert normalise(_article(published_at=edge), RECEIVED, MAX_CHARS).published_at == edge


def test_a_text_longer_than_enrichment_takes_is_refused():
    assert normalise(_article(text="x" * 100), RECEIVED, 100).text == "x" * 100
    with pytest.raises(NotAnArticle) as caught:
        normalise(_article(text="x" * 101), RECEIVED, 100)
    assert (caught.value.field, caught.value.reason) == ("$.text", "holds 101 characters of text; the limit is 100")


def test_the_limit_applies_to_the_text_extracted_from_html():
    page = "<article>" + "<p>The harbour council met again.</p>" * 20 + "</article>"
    with pytest.raises(NotAnArticle) as caught:
        normalise(_article(html=page), RECEIVED, 100)
    assert caught.value.field == "$.html"
    assert "after HTML extraction; the limit is 100" in caught.value.reason

"""What an HTML page says about itself, for the fields its producer left out. Pure.

trafilatura reads the page's metadata (JSON-LD, OpenGraph, <meta>, <link rel=canonical>;
dates through htmldate from those sources and the URL, never guessed from the text) and
the page's declared language (``<html lang>``, ``content-language``, ``og:locale``). The
producer's values always win; the fields taken from the page are named, comma-separated,
in the article's ``meta["from_page"]``.

The page's title fills a missing title (an article sent with ``html`` may leave ``title``
out); the page's canonical URL is recorded as ``meta["canonical_url"]`` but does not
re-key the article: pages that point their canonical link at the home page or a section
would otherwise merge different articles into one id, and one would overwrite the other.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec
from lxml.html import HtmlElement

from shared.schemas import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, ArticleIn

FROM_PAGE = "from_page"
CANONICAL_URL = "canonical_url"

# htmldate reads dates from the page's metadata and its URL only (extensive_search off:
# a date found in running text is as likely the date of what the story is about), and
# keeps the time and offset when the page gives them.
DATE_CONFIG = {"original_date": True, "extensive_search": False, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}
MAX_AUTHORS = 50
MAX_AUTHOR_CHARS = 200
MAX_META_CHARS = 1024
LANGUAGE_TAG = re.compile(r"^([A-Za-z]{2})(?:[-_][A-Za-z0-9]+)*$")
HTTP_URL = re.compile(r"^https?://[^\s/?#@]+", re.IGNORECASE)
LANGUAGE_SOURCES = (
    "/html/@lang",
    "/html/@xml:lang",
    "//meta[translate(@http-equiv, 'CONTENT-LANGUAGE', 'content-language')='content-language']/@content",
    "//meta[@property='og:locale']/@content",
)


class PageFacts(msgspec.Struct, frozen=True):
    """The fields a page's metadata gives; None (or empty) where it gives nothing usable."""

    title: str | None = None
    published_at: datetime | None = None
    authors: list[str] = []
    language: str | None = None
    canonical_url: str | None = None


class PageReading(msgspec.Struct, frozen=True):
    """What one page gives: its article text and its metadata."""

    text: str
    facts: PageFacts = PageFacts()


def page_reading(html: str) -> PageReading:
    """The text and metadata of ``html``, each within its size budget (run by the
    extraction workers, which keep the time budget); a page over the element budget gives
    its ``<title>`` alone."""
    from services.ingest.html_text import parse_page, text_of

    root = parse_page(html)
    if root is None:
        return PageReading(text="")
    title = _title(root)  # before text_of: reading plain text drops parts of the tree
    text, within_budget = text_of(html, root)
    return PageReading(text=text, facts=read_page(html) if within_budget else PageFacts(title=title))


def page_facts(html: str) -> PageFacts:
    """The page's metadata; none from a page over html_text's element budget, whose
    reading (htmldate, trafilatura's metadata) grows with its elements like its text's
    does (60,000 unclosed tags: 4 s). Size alone is cheap: 4 MB of inline script or
    JSON-LD in a few elements, 0.3 to 0.9 s; the worker's time budget bounds the rest."""
    from services.ingest.html_text import within_element_budget

    return read_page(html) if within_element_budget(html) else PageFacts()


def plain_reading(html: str) -> PageReading:
    """What a page gives without trafilatura, in time linear in its size: its plain text
    and its ``<title>`` (an article posted without a title still has one)."""
    from services.ingest.html_text import parse_page, plain_text

    root = parse_page(html)
    if root is None:
        return PageReading(text="")
    title = _title(root)
    return PageReading(text=plain_text(root), facts=PageFacts(title=title))


def _title(root: HtmlElement) -> str | None:
    return _text(root.findtext(".//title"))


def with_page_metadata(article: ArticleIn, facts: PageFacts | None = None) -> ArticleIn:
    """``article`` with what its page says (``facts``, read here when not given) filling
    the fields the producer did not send.

    Raises NotAnArticle when the title is missing and the page has none either.
    """
    if article.html is None or not _missing(article):
        return article
    from services.ingest.normalise import NotAnArticle, canonical_url  # it imports this module

    facts = facts if facts is not None else page_facts(article.html)
    taken = {
        name: value
        for name, value in msgspec.structs.asdict(facts).items()
        if value and name != CANONICAL_URL and not getattr(article, name)
    }
    if article.title is None and "title" not in taken:
        raise NotAnArticle("$.title", "is missing, and the page has no title either")
    meta = dict(article.meta)
    page_url = facts.canonical_url
    if page_url and CANONICAL_URL not in meta and canonical_url(page_url) != canonical_url(article.url):
        meta[CANONICAL_URL] = facts.canonical_url
        taken[CANONICAL_URL] = facts.canonical_url
    if taken:
        meta[FROM_PAGE] = ",".join(taken)
    return msgspec.structs.replace(article, **{k: v for k, v in taken.items() if k != CANONICAL_URL}, meta=meta)


def _missing(article: ArticleIn) -> bool:
    return not (article.title and article.published_at and article.authors and article.language)


def read_page(html: str) -> PageFacts:
    """The page's own title, date, authors, language and canonical URL."""
    from trafilatura import extract_metadata
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return PageFacts()
    found = extract_metadata(tree, default_url=None, date_config=dict(DATE_CONFIG))
    return PageFacts(
        title=_text(found.title),
        published_at=_instant(found.date),
        authors=_authors(found.author),
        language=_language(tree),
        canonical_url=_url(found.url),
    )


def _text(value: str | None) -> str | None:
    return " ".join(value.split())[:1000] or None if value else None


def _instant(value: str | None) -> datetime | None:
    """htmldate's date; a page that gives only the day is dated at 00:00 UTC that day."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when if EARLIEST_TIMESTAMP <= when <= LATEST_TIMESTAMP else None


def _authors(value: str | None) -> list[str]:
    names = (" ".join(name.split()) for name in (value or "").split(";"))
    return list(dict.fromkeys(n for n in names if n and len(n) <= MAX_AUTHOR_CHARS))[:MAX_AUTHORS]


def _language(tree: HtmlElement) -> str | None:
    for source in LANGUAGE_SOURCES:
        for value in tree.xpath(source):
            if match := LANGUAGE_TAG.match(str(value).strip()):
                return match.group(1).lower()
    return None


def _url(value: str | None) -> str | None:
    ok = value and HTTP_URL.match(value) and len(value) <= MAX_META_CHARS
    return value if ok else None

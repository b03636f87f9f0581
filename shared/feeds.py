"""Turn documents (JSON, NDJSON, RSS, Atom, CDF, JSON Feed) into articles for ingest.

What `dateline ingest` reads from files and URLs, and what the feed poller reads from the
feeds it follows. Pure: bytes in, a :class:`Document` out. Feeds are read by feedparser (every RSS and Atom
version, encodings, ill-formed XML, sanitised HTML); JSON Feed, which feedparser 6.0 does not
read, by the few fields of its spec. Validation stays the ingest service's job: this only
maps each format onto ArticleIn's names, so the server's per-article report is the single
source of truth about what is wrong. The one thing refused here is an item with no URL,
because only the feed can say why ("item 3 has no link or permalink guid").
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

Article = dict[str, Any]

FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".cdf"}
JSON_SUFFIXES = {".json"}
NDJSON_SUFFIXES = {".ndjson", ".jsonl"}
KNOWN_SUFFIXES = FEED_SUFFIXES | JSON_SUFFIXES | NDJSON_SUFFIXES

JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/(\d+(?:\.\d+)?)")
HTTP_URL = re.compile(r"^https?://[^\s/?#@]+", re.IGNORECASE)
LANGUAGE_TAG = re.compile(r"^([A-Za-z]{2})(?:[-_][A-Za-z0-9]+)*$")
BOM = b"\xef\xbb\xbf"
RDF_VERSIONS = {"rss090", "rss10"}
FEED_ROOTS = {"rss", "rdf:rdf", "feed", "channel"}  # a feed without items is still a feed

_encode = msgspec.json.Encoder().encode


class FeedError(ValueError):
    """A document that is none of the formats we read; the message says which file and why."""


class Item(msgspec.Struct, frozen=True):
    """One article for ingest: where it is in its document ("item 3", "line 7") and its JSON."""

    where: str
    body: bytes


class Document(msgspec.Struct):
    """What one file or URL holds: its format, the articles to send, and what was set aside."""

    name: str
    kind: str  # "RSS 2.0", "Atom 1.0", "JSON Feed 1.1", "JSON", "NDJSON"
    items: list[Item] = []
    refused: list[str] = []  # items that cannot be sent, in words ("item 3 has no link …")
    warnings: list[str] = []  # the document as a whole (empty, ill-formed but read)


def files_under(path: Path) -> list[Path]:
    """The file itself, or every readable article file below a directory, sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in KNOWN_SUFFIXES)
    return [path]


def parse_document(data: bytes, name: str, *, content_type: str = "", location: str = "") -> Document:
    """The articles in one document, by its content (the suffix only tells NDJSON from JSON).

    ``content_type`` and ``location`` are the HTTP headers of a fetched feed: its declared
    encoding, and the base against which relative links are resolved.
    """
    head = data.removeprefix(BOM).lstrip()[:1]
    if not head:
        return Document(name, "empty", warnings=["the file is empty"])
    if name.lower().endswith(tuple(NDJSON_SUFFIXES)):
        return _ndjson(data, name)
    if head in (b"{", b"["):
        return _json(data.removeprefix(BOM), name)
    return parse_feed(data, name, content_type=content_type, location=location)


# -- JSON, NDJSON, JSON Feed -----------------------------------------------------------


def _json(data: bytes, name: str) -> Document:
    try:
        value = msgspec.json.decode(data, type=list[msgspec.Raw] | dict[str, msgspec.Raw])
    except msgspec.DecodeError as exc:
        if data.lstrip().startswith(b"{") and data.strip().count(b"\n"):
            return _ndjson(data, name)  # one object per line without the .ndjson suffix
        raise FeedError(f"{name}: not valid JSON ({exc})") from None
    if isinstance(value, list):
        items = [Item(f"item {n}", _one_line(raw)) for n, raw in enumerate(value, start=1)]
        return _with_warnings(Document(name, "JSON", items))
    if version := JSON_FEED_VERSION.match(_string(value.get("version"))):
        return _json_feed(value, name, f"JSON Feed {version.group(1)}")
    return Document(name, "JSON", [Item("the article", _one_line(msgspec.json.encode(value)))])


def _ndjson(data: bytes, name: str) -> Document:
    """Every non-blank line as it is: the server judges each one, as it does over HTTP."""
    lines = data.removeprefix(BOM).splitlines()
    items = [Item(f"line {n}", line.strip()) for n, line in enumerate(lines, start=1) if line.strip()]
    return _with_warnings(Document(name, "NDJSON", items))


def _one_line(raw: bytes | msgspec.Raw) -> bytes:
    return msgspec.json.format(bytes(raw), indent=0)  # NDJSON: no newline inside an article


def _string(raw: msgspec.Raw | None) -> str:
    try:
        value = msgspec.json.decode(raw) if raw is not None else ""
    except msgspec.DecodeError:
        return ""
    return value if isinstance(value, str) else ""


class JsonFeedAuthor(msgspec.Struct):
    name: str = ""


class JsonFeedItem(msgspec.Struct):
    """The fields of a JSON Feed item (https://www.jsonfeed.org/version/1.1/) we use."""

    id: Any = None
    url: str | None = None
    external_url: str | None = None
    title: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    date_published: str | None = None
    date_modified: str | None = None
    authors: list[JsonFeedAuthor] = []
    author: JsonFeedAuthor | None = None  # version 1.0
    language: str | None = None


def _json_feed(value: dict[str, msgspec.Raw], name: str, kind: str) -> Document:
    document = Document(name, kind)
    language = _language(_string(value.get("language")))
    raw_items = value.get("items")
    try:
        entries = msgspec.json.decode(raw_items, type=list[msgspec.Raw]) if raw_items else []
    except msgspec.ValidationError:
        raise FeedError(f"{name}: {kind} whose `items` is not a list") from None
    for number, raw in enumerate(entries, start=1):
        where = f"item {number}"
        try:
            entry = msgspec.json.decode(raw, type=JsonFeedItem)
        except msgspec.ValidationError as exc:
            document.refused.append(f"{where} is not a JSON Feed item ({exc})")
            continue
        url = _first_http_url(entry.url, entry.external_url, entry.id if isinstance(entry.id, str) else None)
        if url is None:
            document.refused.append(f"{where} has no url, external_url or URL id")
            continue
        article: Article = {"url": url, "title": (entry.title or "").strip()}
        article |= _body(entry.content_html, "html") or _body(entry.content_text, "text") or _body(entry.summary, "text") or {"text": ""}
        if published := entry.date_published or entry.date_modified:
            article["published_at"] = published
        authors = [a.name for a in [*entry.authors, *([entry.author] if entry.author else [])]]
        _add_optional(article, authors=_names(authors), language=_language(entry.language or "") or language)
        document.items.append(Item(where, _encode(article)))
    return _with_warnings(document)


def _body(value: str | None, field: str) -> Article | None:
    return {field: value} if value and value.strip() else None


# -- RSS, Atom, CDF (feedparser) -------------------------------------------------------


def parse_feed(data: bytes, name: str, *, content_type: str = "", location: str = "") -> Document:
    import feedparser  # ~0.1 s to import: only when a feed is read

    headers = {k: v for k, v in (("content-type", content_type), ("content-location", location)) if v}
    # A stream, never the bytes: feedparser opens a string that looks like a URL or a path.
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    version = parsed.get("version", "")
    root = _root_element(data)
    if root is None:
        return _with_warnings(Document(name, "XML without elements"))
    if not version and root == "channel":
        version = "cdf"  # feedparser 6 reads CDF but does not name it
    if not version and not parsed.entries and root not in FEED_ROOTS:
        problem = f" ({_xml_problem(parsed)})" if parsed.get("bozo") else ""
        raise FeedError(f"{name}: not JSON, NDJSON, RSS, Atom or JSON Feed{problem}")
    document = Document(name, feedparser.api.SUPPORTED_VERSIONS.get(version, "feed of unknown version"))
    if parsed.get("bozo") and parsed.entries:
        document.warnings.append(f"not well-formed XML ({_xml_problem(parsed)}); read leniently")
    language = _language(parsed.feed.get("language", ""))
    rdf = version in RDF_VERSIONS
    for number, entry in enumerate(parsed.entries, start=1):
        article = _feed_entry(entry, language, rdf)
        if isinstance(article, str):
            document.refused.append(f"item {number} {article}")
        else:
            document.items.append(Item(f"item {number}", _encode(article)))
    return _with_warnings(document)


def _feed_entry(entry, feed_language: str, rdf: bool) -> Article | str:
    """One feed entry as an article, or why it cannot be one (completing "item N …")."""
    # An RDF item's rdf:about is its URI, "identical to its <link>" (RSS 1.0, 5.5).
    url = _first_http_url(entry.get("link"), entry.get("id") if rdf else None)
    if url is None:
        return _why_no_url(entry)
    article: Article = {"url": url, "title": _title(entry)}
    content, detail = _content(entry)
    article["text" if detail.get("type") == "text/plain" else "html"] = content
    language = _language(detail.get("language") or "") or feed_language
    _add_optional(article, published_at=_date(entry), authors=_entry_authors(entry), language=language)
    return article


def _why_no_url(entry) -> str:
    link, guid = entry.get("link"), entry.get("id")
    if any(other.get("rel") == "enclosure" for other in entry.get("links") or []):
        return "has only an enclosure (a media file), no link to a page"
    if link and entry.get("guidislink"):  # feedparser took the guid or id for the link
        return f"has no link, and its guid or id {link[:100]!r} is not an http(s) URL"
    if link:
        return f"has a link that is not an absolute http(s) URL: {link[:100]!r}"
    if guid and HTTP_URL.match(guid):
        return f"has no link, and its guid {guid[:100]!r} is marked isPermaLink=\"false\""
    return "has no link or permalink guid"


def _title(entry) -> str:
    title = entry.get("title") or ""
    if entry.get("title_detail", {}).get("type") in ("text/html", "application/xhtml+xml"):
        title = _html_text(title)
    return " ".join(title.split())


def _html_text(fragment: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]*>", " ", fragment))


def _content(entry) -> tuple[str, dict]:
    """The fullest body the entry has: content (HTML preferred), else the summary."""
    contents = sorted(entry.get("content") or [], key=lambda c: c.get("type") != "text/html")
    for detail in [*contents, entry.get("summary_detail") or {}]:
        if detail.get("value", "").strip():
            return detail["value"], detail
    return "", {"type": "text/plain"}  # a headline with its link: kept, with no text


def _date(entry) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        if parsed := entry.get(key):
            try:  # feedparser gives UTC as a time.struct_time
                return datetime(*parsed[:6], tzinfo=UTC).isoformat()
            except ValueError:
                continue
    return None


def _entry_authors(entry) -> list[str]:
    people = [*(entry.get("authors") or []), *(entry.get("contributors") or [])]
    names = [p.get("name") or p.get("email") or "" for p in people]
    if not any(names) and entry.get("author"):
        names = [entry["author"]]
    return _names(names)


# -- shared steps ----------------------------------------------------------------------


def _first_http_url(*candidates: str | None) -> str | None:
    return next((c.strip() for c in candidates if c and HTTP_URL.match(c.strip())), None)


def _language(tag: str) -> str | None:
    """ISO 639-1 from a language tag (``en-US`` -> ``en``), or None when it has none."""
    match = LANGUAGE_TAG.match(tag.strip())
    return match.group(1).lower() if match else None


def _names(names: list[str]) -> list[str]:
    return list(dict.fromkeys(" ".join(n.split())[:200] for n in names if n and n.strip()))[:50]


def _add_optional(article: Article, **fields: Any) -> None:
    article.update({key: value for key, value in fields.items() if value})


def _with_warnings(document: Document) -> Document:
    if not document.items and not document.refused:
        document.warnings.append("it holds no articles")
    return document


_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.DOTALL)
_ELEMENT = re.compile(rb"\s*<([A-Za-z_][\w:.-]*)")


def _root_element(data: bytes) -> str | None:
    """The document's first element's name in lower case; "" when it starts with something
    else, None when there is nothing but an XML prolog and comments."""
    position, data = 0, data.removeprefix(BOM)
    while prolog := _PROLOG.match(data, position):
        position = prolog.end()
    if not data[position:].strip():
        return None
    element = _ELEMENT.match(data, position)
    return element.group(1).decode("ascii").lower() if element else ""


def _xml_problem(parsed) -> str:
    exc = parsed.get("bozo_exception")
    line = getattr(exc, "getLineNumber", lambda: None)()
    text = getattr(exc, "getMessage", lambda: str(exc))()
    return f"line {line}: {text}" if line else str(text)

"""Turn files a user has (JSON, NDJSON, RSS, Atom) into article objects for the ingest API.

Pure: bytes in, plain JSON-ready dicts out. Validation is the ingest service's job; this
only maps each format's fields onto ArticleIn's names, so the server's per-article
report stays the single source of truth about what is wrong.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

Article = dict[str, Any]

FEED_SUFFIXES = {".xml", ".rss", ".atom"}
JSON_SUFFIXES = {".json"}
NDJSON_SUFFIXES = {".ndjson", ".jsonl"}
KNOWN_SUFFIXES = FEED_SUFFIXES | JSON_SUFFIXES | NDJSON_SUFFIXES

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


class FeedError(ValueError):
    """A document that is none of the formats we read; the message says where."""


def files_under(path: Path) -> list[Path]:
    """The file itself, or every readable article file below a directory, sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in KNOWN_SUFFIXES)
    return [path]


def parse_document(data: bytes, name: str) -> Iterator[Article]:
    """Articles in one document, by its content (the suffix is only a hint)."""
    head = data.lstrip()[:1]
    if head == b"<":
        yield from parse_feed(data, name)
    elif head == b"[" or (head == b"{" and not _looks_like_ndjson(data)):
        yield from _parse_json(data, name)
    elif head == b"{":
        yield from _parse_ndjson(data, name)
    elif head:
        raise FeedError(f"{name}: not JSON, NDJSON, RSS or Atom (starts with {data[:20]!r})")


def _looks_like_ndjson(data: bytes) -> bool:
    lines = [line for line in data.strip().splitlines() if line.strip()]
    return len(lines) > 1 and all(line.lstrip().startswith(b"{") for line in lines[:2])


def _parse_json(data: bytes, name: str) -> Iterator[Article]:
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        raise FeedError(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    yield from value if isinstance(value, list) else [value]


def _parse_ndjson(data: bytes, name: str) -> Iterator[Article]:
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            raise FeedError(f"{name}: invalid JSON on line {number}: {exc.msg}") from None


def parse_feed(data: bytes, name: str) -> Iterator[Article]:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(f"{name}: not well-formed XML: {exc}") from None
    if root.tag == f"{ATOM}feed":
        yield from (_atom_entry(entry) for entry in root.iter(f"{ATOM}entry"))
    elif root.tag in {"rss", "rdf:RDF"} or root.find("channel") is not None:
        yield from (_rss_item(item) for item in root.iter("item"))
    else:
        raise FeedError(f"{name}: XML root <{root.tag}> is neither an RSS nor an Atom feed")


def _rss_item(item: ET.Element) -> Article:
    body = item.findtext(CONTENT) or item.findtext("description") or ""
    article: Article = {"url": (item.findtext("link") or "").strip(), "title": _text(item, "title"), "html": body}
    published = item.findtext("pubDate")
    if published:
        article["published_at"] = _rfc822_to_rfc3339(published)
    authors = [a.text.strip() for a in item.findall(DC_CREATOR) + item.findall("author") if a.text]
    if authors:
        article["authors"] = authors
    return article


def _atom_entry(entry: ET.Element) -> Article:
    link = next(
        (el.get("href", "") for el in entry.findall(f"{ATOM}link") if el.get("rel", "alternate") == "alternate"),
        "",
    )
    body = entry.findtext(f"{ATOM}content") or entry.findtext(f"{ATOM}summary") or ""
    article: Article = {"url": link.strip(), "title": _text(entry, f"{ATOM}title"), "html": body}
    published = entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated")
    if published:
        article["published_at"] = published.strip()
    authors = [n.strip() for n in (a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")) if n]
    if authors:
        article["authors"] = authors
    return article


def _text(element: ET.Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def _rfc822_to_rfc3339(value: str) -> str:
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return value  # let ingest say what is wrong with it
    # RFC 822's "-0000" means "UTC, offset unknown"; Python returns it naive.
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()

"""Request bodies -> articles: one JSON object, a JSON array, or NDJSON. Pure.

Each article is validated on its own, so one bad article (or one bad NDJSON line) is
reported with its position and field while the others go ahead. Only a body that cannot
be split into articles at all fails as a whole (:class:`MalformedBody`).
"""

from __future__ import annotations

import codecs
import enum
import re

import msgspec
from msgspec import Struct

from shared.schemas import ArticleIn


class BodyFormat(enum.Enum):
    JSON = "application/json"
    NDJSON = "application/x-ndjson"


MEDIA_TYPES = {
    "application/json": BodyFormat.JSON,
    "application/x-ndjson": BodyFormat.NDJSON,
    "application/ndjson": BodyFormat.NDJSON,
    "application/jsonl": BodyFormat.NDJSON,
}


# The charsets a body may declare (`; charset=...`), by Python's codec name. JSON is UTF-8
# (RFC 8259), which is what we answer with and ask for; but a producer that labels its
# bytes honestly (a Windows tool sending windows-1252, say) expects them read as labelled,
# not refused or, worse, misread: so a body in one of these is transcoded to UTF-8 first.
CHARSETS = {
    "utf-8", "ascii", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
    *(f"iso8859-{n}" for n in (*range(1, 12), *range(13, 17))),
    *(f"cp{n}" for n in range(1250, 1259)),
}
CHARSETS_NAMED = "utf-8 (the default), us-ascii, utf-16, utf-32, iso-8859-1 to -16, windows-1250 to -1258"
UTF8_BOM = codecs.BOM_UTF8


class UnsupportedMediaType(ValueError):
    pass


class MalformedBody(ValueError):
    """The body is not JSON (or not an article or array of them) at all. ``field`` is the
    JSON path where it goes wrong, when that can be told."""

    def __init__(self, reason: str, line: int | None = None, field: str = "$") -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.field = field


class TooManyArticles(ValueError):
    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} articles in one request; the limit is {limit}")
        self.count = count
        self.limit = limit


class Candidate(Struct, frozen=True):
    """A valid article at ``index`` (0-based; for NDJSON the line is index + 1)."""

    index: int
    article: ArticleIn


class Rejection(Struct, frozen=True):
    """An article that will not be published, and why. ``field`` is a JSON path in it."""

    index: int
    field: str
    reason: str
    malformed: bool = False  # not even JSON (as opposed to JSON that is not an article)
    url: str | None = None  # the article's `url`, when there is one to tell who sent it


Decoded = Candidate | Rejection

_article_decoder = msgspec.json.Decoder(ArticleIn)
_top_decoder = msgspec.json.Decoder(ArticleIn | list[msgspec.Raw])


def body_format(content_type: str | None) -> BodyFormat:
    """The format named by a Content-Type header (parameters such as charset ignored)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        return MEDIA_TYPES[media_type]
    except KeyError:
        accepted = ", ".join(MEDIA_TYPES)
        named = f"`{media_type}`" if media_type else "no Content-Type"
        raise UnsupportedMediaType(f"{named} is not accepted; send one of: {accepted}") from None


def body_charset(content_type: str | None) -> str:
    """The codec of the charset a Content-Type declares (UTF-8 when it declares none).
    Raises UnsupportedMediaType for a charset outside :data:`CHARSETS`."""
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            label = value.strip().strip('"')
            try:
                codec = codecs.lookup(label).name
            except LookupError:
                codec = None
            if codec not in CHARSETS:
                raise UnsupportedMediaType(
                    f"charset `{label}` is not accepted; send UTF-8, or one of: {CHARSETS_NAMED}"
                )
            return codec
    return "utf-8"


def as_utf8(body: bytes, charset: str) -> bytes:
    """The body in UTF-8, as the JSON decoder reads it. Raises MalformedBody when the bytes
    are not in ``charset`` after all."""
    if charset == "utf-8":
        # RFC 8259 lets a parser ignore a byte order mark; editors on Windows write one.
        return body.removeprefix(UTF8_BOM)
    try:
        return body.decode(charset).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(
            f"is not {charset} as its Content-Type says: 0x{body[exc.start]:02x}, {exc.reason} "
            f"(byte {exc.start})"
        ) from None


def decode_articles(body: bytes, fmt: BodyFormat, max_articles: int) -> list[Decoded]:
    """Every article of the body, in order, valid or rejected. Raises MalformedBody,
    TooManyArticles."""
    decoded = _decode_ndjson(body, max_articles) if fmt is BodyFormat.NDJSON else _decode_json(body, max_articles)
    if not decoded:
        raise MalformedBody("the body holds no articles")
    return decoded


def decode_article(data: bytes | str, index: int = 0) -> Decoded:
    """One article's JSON, validated."""
    try:
        return Candidate(index, _article_decoder.decode(data))
    except msgspec.ValidationError as exc:
        return _malformed(data, index) or rejection(index, exc, _url_in(data))
    except msgspec.DecodeError as exc:
        return Rejection(index, "$", _malformed_reason(exc), malformed=True)
    except UnicodeDecodeError as exc:
        return _not_utf8(data, exc, index)  # type: ignore[arg-type] - str data cannot be
    except RecursionError:
        return Rejection(index, "$", TOO_DEEP, malformed=True)


def _decode_json(body: bytes, max_articles: int) -> list[Decoded]:
    try:
        top = _top_decoder.decode(body)
    except msgspec.ValidationError as exc:
        if malformed := _malformed(body, 0):
            raise MalformedBody(malformed.reason, _line_of_error(body, malformed.reason), malformed.field) from None
        return [rejection(0, exc, _url_in(body))]
    except msgspec.DecodeError as exc:
        raise MalformedBody(_malformed_reason(exc), _line_of_error(body, str(exc))) from None
    except UnicodeDecodeError as exc:
        bad = _not_utf8(body, exc, 0)
        raise MalformedBody(bad.reason, _line_of_error(body, bad.reason), bad.field) from None
    except RecursionError:
        raise MalformedBody(TOO_DEEP) from None
    if isinstance(top, ArticleIn):
        return [Candidate(0, top)]
    if len(top) > max_articles:
        raise TooManyArticles(len(top), max_articles)
    return [decode_article(item, index) for index, item in enumerate(top)]


def _decode_ndjson(body: bytes, max_articles: int) -> list[Decoded]:
    lines = body.split(b"\n")
    numbered = [(index, line) for index, line in enumerate(lines) if line.strip()]
    if len(numbered) > max_articles:
        raise TooManyArticles(len(numbered), max_articles)
    return [decode_article(line, index) for index, line in numbered]


def _malformed(data: bytes | str, index: int) -> Rejection | None:
    """Typed decoding stops at the first invalid field, which may come before a syntax
    error or a byte that is not UTF-8: on that (rare) path, check that the JSON is well
    formed at all."""
    try:
        msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        return Rejection(index, "$", _malformed_reason(exc), malformed=True)
    except UnicodeDecodeError as exc:
        return _not_utf8(data, exc, index)  # type: ignore[arg-type] - str data cannot be
    except RecursionError:  # well formed as far as anyone will look: the invalid field stands
        return None
    return None


# msgspec decodes nested values recursively and stops at Python's recursion limit (about
# 1,000 levels): deeper JSON is refused as a whole, it cannot be an article anyway.
TOO_DEEP = "JSON is nested too deeply (an article is an object of strings, lists and maps)"
_MARK = "\ue000"  # a private-use character: marks the bad byte to find the field holding it


def _not_utf8(data: bytes | msgspec.Raw, exc: UnicodeDecodeError, index: int) -> Rejection:
    """Where the article stops being UTF-8 (msgspec's error says neither where nor what)."""
    data = bytes(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as found:
        exc = found
    offset = exc.start
    reason = (
        f"is not UTF-8: 0x{data[offset]:02x}, {exc.reason} (byte {offset}); "
        "send UTF-8 or name the charset in the Content-Type"
    )
    return Rejection(index, _field_at(data, offset, exc.end), reason, malformed=True)


def _field_at(data: bytes, start: int, end: int) -> str:
    """The JSON path of the string holding bytes ``start:end``, or ``$`` (error path only)."""
    marked = (data[:start] + _MARK.encode() + data[end:]).decode("utf-8", errors="replace")
    try:
        return _path_of_mark(msgspec.json.decode(marked), "$") or "$"
    except (msgspec.DecodeError, RecursionError):
        return "$"


def _path_of_mark(node: object, path: str) -> str | None:
    if isinstance(node, str):
        return path if _MARK in node else None
    if isinstance(node, list):
        items = ((f"{path}[{i}]", item) for i, item in enumerate(node))
    elif isinstance(node, dict):
        items = ((f"{path}.{key}", value) for key, value in node.items())
        if any(_MARK in key for key in node):
            return path
    else:
        return None
    return next((found for sub, item in items if (found := _path_of_mark(item, sub))), None)


def _malformed_reason(exc: msgspec.DecodeError) -> str:
    reason = str(exc)
    return reason if reason.startswith("JSON is malformed") else f"JSON is malformed: {reason}"


_BYTE = re.compile(r"\(byte (\d+)\)")


def _line_of_error(body: bytes, reason: str) -> int | None:
    if found := _BYTE.search(reason):
        return body.count(b"\n", 0, int(found.group(1))) + 1
    if "truncated" in reason:
        return body.rstrip().count(b"\n") + 1
    return None


# -- msgspec's validation messages -> (field, reason) ----------------------------------

_AT = re.compile(r"^(?P<reason>.*?)(?: - at (?P<key>`key` in )?`(?P<path>[^`]*)`)?$", re.DOTALL)
_ABOUT_FIELD = re.compile(r"^`(?P<name>\w+)` (?P<rest>.+)$", re.DOTALL)
_NAMED_FIELD = re.compile(r"^Object (?P<what>missing required|contains unknown) field `(?P<name>[^`]*)`$")
_FRIENDLY_PATTERNS = {
    "url": "must be an absolute http(s) URL",
    "language": "must be an ISO 639-1 code in lower case, such as `en`",
}


class _Addressed(Struct):
    url: object = None


def _url_in(data: bytes | str) -> str | None:
    """The `url` of an invalid article, if it has a string one (for the logs)."""
    try:
        url = msgspec.json.decode(data, type=_Addressed).url
    except (msgspec.ValidationError, RecursionError):  # not an object at all, or too deep
        return None
    return url if isinstance(url, str) else None


def rejection(index: int, exc: msgspec.ValidationError, url: str | None = None) -> Rejection:
    """The field and reason of a validation error, e.g. ``$.title``, ``is required``."""
    parsed = _AT.match(str(exc))
    reason, path = parsed.group("reason"), parsed.group("path") or "$"
    if path == "$" and (about := _ABOUT_FIELD.match(reason)):  # ArticleIn.__post_init__'s
        path, reason = f"$.{about.group('name')}", about.group("rest")
    if parsed.group("key"):  # msgspec says "at `key` in `$.meta`": a key, not a value, is bad
        reason = f"has a key that is invalid: {reason[0].lower()}{reason[1:]}"
    named = _NAMED_FIELD.match(reason)
    if named:
        path = f"{path}.{named.group('name')}"
        reason = "is required" if named.group("what") == "missing required" else "is not an article field"
    elif "matching regex" in reason:
        reason = _FRIENDLY_PATTERNS.get(path.rsplit(".", 1)[-1], reason)
    return Rejection(index, path, reason, url=url)

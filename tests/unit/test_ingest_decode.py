import msgspec
import pytest

from services.ingest.decode import (
    BodyFormat,
    Candidate,
    MalformedBody,
    Rejection,
    TooManyArticles,
    UnsupportedMediaType,
    as_utf8,
    body_charset,
    body_format,
    decode_article,
    decode_articles,
)

GOOD = {"url": "https://news.example.com/a", "title": "Harbour budget", "text": "Approved."}


def _json(value) -> bytes:
    return msgspec.json.encode(value)


def what(decoded) -> tuple:
    """A rejection's position, field and reason."""
    return (decoded.index, decoded.field, decoded.reason)


def _ndjson(*lines) -> bytes:
    return b"\n".join(line if isinstance(line, bytes) else _json(line) for line in lines) + b"\n"


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        ("application/json", BodyFormat.JSON),
        ("Application/JSON; charset=utf-8", BodyFormat.JSON),
        ("application/x-ndjson", BodyFormat.NDJSON),
        ("application/jsonl", BodyFormat.NDJSON),
    ],
)
def test_body_format(header, fmt):
    assert body_format(header) is fmt


@pytest.mark.parametrize("header", ["text/plain", "application/xml", "", None])
def test_other_media_types_are_refused_by_name(header):
    with pytest.raises(UnsupportedMediaType, match="application/x-ndjson"):
        body_format(header)


def test_one_json_article():
    [decoded] = decode_articles(_json(GOOD), BodyFormat.JSON, 10)
    assert isinstance(decoded, Candidate) and decoded.article.title == "Harbour budget"


def test_a_json_array_is_validated_article_by_article():
    body = _json([GOOD, {**GOOD, "title": ""}, 7, {**GOOD, "colour": "red"}])
    decoded = decode_articles(body, BodyFormat.JSON, 10)
    assert isinstance(decoded[0], Candidate)
    assert what(decoded[1]) == (1, "$.title", "Expected `str` of length >= 1")
    assert what(decoded[2]) == (2, "$", "Expected `object`, got `int`")
    assert what(decoded[3]) == (3, "$.colour", "is not an article field")


@pytest.mark.parametrize(
    ("article", "field", "reason"),
    [
        ({"title": "T", "text": "x"}, "$.url", "is required"),
        ({**GOOD, "url": "ftp://news.example.com/a"}, "$.url", "must be an absolute http(s) URL"),
        ({**GOOD, "url": "https://"}, "$.url", "Expected `str` of length >= 10"),
        ({**GOOD, "html": "<p>x</p>"}, "$", "exactly one of `text` or `html` is required"),
        ({**GOOD, "language": "English"}, "$.language", "must be an ISO 639-1 code in lower case, such as `en`"),
        ({**GOOD, "published_at": "2026-11-24T10:00:00"}, "$.published_at",
         "Expected `datetime` with a timezone component"),
        ({**GOOD, "published_at": "yesterday"}, "$.published_at", "Invalid RFC3339 encoded datetime"),
        ({**GOOD, "authors": ["A", 3]}, "$.authors[1]", "Expected `str`, got `int`"),
        ({**GOOD, "meta": {"k": 1}}, "$.meta[...]", "Expected `str`, got `int`"),
    ],
)
def test_a_single_invalid_article_names_the_field(article, field, reason):
    [decoded] = decode_articles(_json(article), BodyFormat.JSON, 10)
    assert what(decoded) == (0, field, reason)


def test_a_saved_news_page_of_megabytes_is_taken_and_the_limit_named_past_it():
    page = {"url": GOOD["url"], "html": "<p>" + "x" * 2_999_993 + "</p>"}  # 3 million characters
    [decoded] = decode_articles(_json(page), BodyFormat.JSON, 10)
    assert isinstance(decoded, Candidate)
    [decoded] = decode_articles(_json({**page, "html": "x" * 5_000_001}), BodyFormat.JSON, 10)
    assert what(decoded) == (0, "$.html", "Expected `str` of length <= 5000000")


def test_a_json_value_that_is_not_an_article_is_rejected():
    [decoded] = decode_articles(b'"breaking news"', BodyFormat.JSON, 10)
    assert decoded.field == "$" and "got `str`" in decoded.reason


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (b'{"url": "https://news.example.com/a",\n "title" "x"}', 2),
        (b'{"url": ', 1),
        (b'{"unknown": 1, ', 1),  # an invalid field first must not hide the syntax error
        (b"\xff", 1),
        (b'[{"url": "https://news.example.com/a"},\n\n {"title"', 3),
    ],
)
def test_malformed_json_fails_the_whole_body_with_its_line(body, line):
    with pytest.raises(MalformedBody) as caught:
        decode_articles(body, BodyFormat.JSON, 10)
    assert caught.value.reason.startswith("JSON is malformed")
    assert caught.value.line == line


@pytest.mark.parametrize(
    ("body", "fmt", "reason"),
    [
        (b"[]", BodyFormat.JSON, "the body holds no articles"),
        (b"", BodyFormat.JSON, "JSON is malformed: Input data was truncated"),
        (b"", BodyFormat.NDJSON, "the body holds no articles"),
        (b"\n \n", BodyFormat.NDJSON, "the body holds no articles"),
    ],
)
def test_an_empty_body_is_malformed(body, fmt, reason):
    with pytest.raises(MalformedBody) as caught:
        decode_articles(body, fmt, 10)
    assert caught.value.reason == reason


def test_ndjson_lines_are_independent_and_keep_their_line_numbers():
    body = _ndjson(GOOD, b"", b'{"url": broken', {**GOOD, "title": 5}, GOOD)
    decoded = decode_articles(body, BodyFormat.NDJSON, 10)
    assert [d.index for d in decoded] == [0, 2, 3, 4]  # line = index + 1; blank line 2 skipped
    assert isinstance(decoded[0], Candidate) and isinstance(decoded[3], Candidate)
    assert decoded[1].malformed and decoded[1].field == "$"
    assert what(decoded[2]) == (3, "$.title", "Expected `str | null`, got `int`")


def test_ndjson_accepts_crlf_line_ends():
    decoded = decode_articles(_json(GOOD) + b"\r\n" + _json(GOOD) + b"\r\n", BodyFormat.NDJSON, 10)
    assert all(isinstance(d, Candidate) for d in decoded)


@pytest.mark.parametrize("fmt", list(BodyFormat))
def test_too_many_articles(fmt):
    body = _json([GOOD] * 4) if fmt is BodyFormat.JSON else _ndjson(*[GOOD] * 4)
    assert len(decode_articles(body, fmt, 4)) == 4
    with pytest.raises(TooManyArticles) as caught:
        decode_articles(body, fmt, 3)
    assert (caught.value.count, caught.value.limit) == (4, 3)


def test_decode_article_for_stream_entries():
    assert isinstance(decode_article(_json(GOOD)), Candidate)
    assert decode_article(b"{not json").malformed
    assert decode_article(_json({**GOOD, "url": 1}), 4) == Rejection(4, "$.url", "Expected `str`, got `int`")


def test_a_rejection_keeps_the_url_to_tell_who_sent_it():
    assert decode_article(_json({**GOOD, "title": ""})).url == GOOD["url"]
    assert decode_article(_json({**GOOD, "url": "ftp://x.example.org/a"})).url == "ftp://x.example.org/a"
    assert decode_article(_json({"title": ""})).url is None
    assert decode_article(b"[1]").url is None


# -- hostile bodies: bytes that are not UTF-8, foreign charsets, deep nesting ------------


def _deep(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b"\xff\xfe", "0xff, invalid start byte"),
        (b"\xc0\xaf", "0xc0, invalid start byte"),  # an overlong "/"
        (b"\xed\xa0\x80", "0xed, invalid continuation byte"),  # a UTF-16 surrogate
        (b"caf\xe9 au lait", "0xe9, invalid continuation byte"),  # latin-1, unlabelled
    ],
)
def test_bytes_that_are_not_utf8_fail_the_body_naming_field_and_line(bad, reason):
    body = b'{"url": "https://news.example.com/a",\n "title": "' + bad + b'", "text": "x"}'
    with pytest.raises(MalformedBody) as caught:
        decode_articles(body, BodyFormat.JSON, 10)
    assert (caught.value.field, caught.value.line) == ("$.title", 2)
    assert caught.value.reason.startswith(f"is not UTF-8: {reason}")


def test_a_line_that_is_not_utf8_is_rejected_alone():
    body = _ndjson(GOOD, b'{"url": "https://news.example.com/b", "title": "T", "text": "x\xc0\xaf"}', GOOD)
    first, bad, third = decode_articles(body, BodyFormat.NDJSON, 10)
    assert isinstance(first, Candidate) and isinstance(third, Candidate)
    assert (bad.index, bad.field, bad.malformed) == (1, "$.text", True)
    assert bad.reason.startswith("is not UTF-8")


def test_an_array_element_that_is_not_utf8_is_rejected_alone():
    body = b"[" + _json(GOOD) + b', {"url": "https://news.example.com/b", "title": "T", "text": "x", "authors": ["\xff"]}]'
    first, bad = decode_articles(body, BodyFormat.JSON, 10)
    assert isinstance(first, Candidate)
    assert (bad.index, bad.field, bad.malformed) == (1, "$.authors[0]", True)


@pytest.mark.parametrize(
    ("header", "codec"),
    [
        ("application/json", "utf-8"),
        ("application/json; charset=UTF-8", "utf-8"),
        ("application/json; charset=latin-1", "iso8859-1"),
        ('application/x-ndjson; charset="windows-1252"', "cp1252"),
        ("application/json; charset=utf-16", "utf-16"),
    ],
)
def test_a_declared_charset_is_honoured(header, codec):
    assert body_charset(header) == codec


@pytest.mark.parametrize("charset", ["rot13", "base64", "unicode_escape", "klingon"])
def test_a_charset_that_is_not_a_known_text_encoding_is_refused_naming_the_accepted(charset):
    with pytest.raises(UnsupportedMediaType, match="not accepted; send UTF-8, or one of: utf-8"):
        body_charset(f"application/json; charset={charset}")


def test_a_latin1_body_is_read_as_latin1():
    body = '{"url": "https://news.example.com/a", "title": "Café", "text": "Crème brûlée"}'.encode("latin-1")
    [decoded] = decode_articles(as_utf8(body, "iso8859-1"), BodyFormat.JSON, 10)
    assert (decoded.article.title, decoded.article.text) == ("Café", "Crème brûlée")


def test_a_utf8_byte_order_mark_is_ignored():
    [decoded] = decode_articles(as_utf8(b"\xef\xbb\xbf" + _json(GOOD), "utf-8"), BodyFormat.JSON, 10)
    assert isinstance(decoded, Candidate)


def test_bytes_that_are_not_in_the_declared_charset_fail_the_body():
    with pytest.raises(MalformedBody, match="is not utf-16 as its Content-Type says"):
        as_utf8(b'{"a":1}', "utf-16")  # an odd number of bytes


def test_json_nested_10000_deep_fails_the_body():
    with pytest.raises(MalformedBody) as caught:
        decode_articles(_deep(10_000).encode(), BodyFormat.JSON, 10)
    assert caught.value.field == "$" and "nested too deeply" in caught.value.reason


def test_deep_nesting_inside_an_article_names_the_field():
    body = _json(GOOD)[:-1] + b', "meta": ' + _deep(10_000).encode() + b"}"
    [decoded] = decode_articles(body, BodyFormat.JSON, 10)
    assert what(decoded) == (0, "$.meta", "Expected `object`, got `array`")
    deep_object = '{"a": ' * 10_000 + "1" + "}" * 10_000
    [decoded] = decode_articles(_json(GOOD)[:-1] + b', "meta": ' + deep_object.encode() + b"}", BodyFormat.JSON, 10)
    assert what(decoded) == (0, "$.meta[...]", "Expected `str`, got `object`")


def test_a_deeply_nested_ndjson_line_is_rejected_alone():
    body = _ndjson(GOOD, _deep(10_000).encode(), _json(GOOD)[:-1] + b', "x": ' + _deep(10_000).encode() + b"}")
    good, deep, unknown = decode_articles(body, BodyFormat.NDJSON, 10)
    assert isinstance(good, Candidate)
    assert what(deep) == (1, "$", "Expected `object`, got `array`")
    assert what(unknown) == (2, "$.x", "is not an article field")


@pytest.mark.parametrize("key", ["", "k" * 65])
def test_a_bad_meta_key_is_named_as_meta(key):
    body = msgspec.json.encode(
        {"url": "https://news.example/a", "title": "t", "text": "x", "meta": {key: "v"}}
    )
    rejected = decode_article(body)
    assert isinstance(rejected, Rejection)
    assert rejected.field == "$.meta" and "key" in rejected.reason

import msgspec
import pytest

from services.ingest.decode import (
    BodyFormat,
    Candidate,
    MalformedBody,
    Rejection,
    TooManyArticles,
    UnsupportedMediaType,
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

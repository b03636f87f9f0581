"""Ingest's rejection reasons, said in words for the person running `dateline ingest`."""

import msgspec
import pytest

from dateline.rejections import in_words
from services.ingest.decode import Rejection, decode_article

GOOD = {"url": "https://desk.example/a", "title": "A title", "text": "Words."}


@pytest.mark.parametrize(
    ("article", "words"),
    [
        ({**GOOD, "url": "https://"}, "url is too short to be a web address"),
        ({**GOOD, "url": "ftp://desk.example/a"}, "url must be an absolute http(s) URL"),
        ({**GOOD, "title": ""}, "title is empty"),
        ({**GOOD, "title": "x" * 1001}, "title is too long (at most 1,000 characters)"),
        ({**GOOD, "title": 3}, "title should be text, not a number"),
        ({k: v for k, v in GOOD.items() if k != "title"}, "title is required (it may be left out only with `html`)"),
        ({**GOOD, "html": "<p>x</p>"}, "exactly one of `text` or `html` is required"),
        ({**GOOD, "published_at": "2026-11-02T07:30:00"}, "published_at needs a UTC offset (e.g. 2026-11-02T07:30:00+01:00)"),
        ({**GOOD, "published_at": "yesterday"}, "published_at is not a date and time in RFC 3339 (e.g. 2026-11-02T07:30:00Z)"),
        ({**GOOD, "authors": ["A", 3]}, "authors[1] should be text, not a number"),
        ({**GOOD, "authors": ["A"] * 51}, "authors is too long (at most 50 entries)"),
        ({**GOOD, "colour": "red"}, "colour is not an article field"),
        ({**GOOD, "language": "English"}, "language must be an ISO 639-1 code in lower case, such as `en`"),
    ],
)
def test_every_rejection_of_the_schema_reads_as_words(article, words):
    rejected = decode_article(msgspec.json.encode(article))
    assert isinstance(rejected, Rejection)
    assert in_words(rejected.field, rejected.reason) == words


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (b'{"title": ', "not valid JSON: it ends before the article does"),
        (b'{"title": x}', "not valid JSON: an unexpected character at position 11"),
        (b'{"title": 1,}', "not valid JSON: trailing comma in object at position 13"),
    ],
)
def test_malformed_json_says_so_and_where(line, words):
    rejected = decode_article(line)
    assert in_words(rejected.field, rejected.reason) == words


def test_an_array_where_an_article_belongs():
    rejected = decode_article(b"[1]")
    assert in_words(rejected.field, rejected.reason) == "the article should be an object, not a list"

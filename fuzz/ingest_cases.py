"""Hostile bodies for POST /v1/articles: encodings, nesting, URLs, dates, sizes, types, HTML.

Each article gets its own URL (its id derives from it), so no case updates another's
article, except the few that aim at the article accepted before the fuzz on purpose:
those must be refused and leave it as it was.
"""

from __future__ import annotations

import gzip
import json

from fuzz.case import (
    EITHER,
    NDJSON,
    REFUSED,
    Case,
    Expect,
    Stage,
    post_articles,
    post_built,
    refused,
)
from fuzz.wire import RawRequest, request_bytes

TEXT = (
    "Dockers in Lisbon returned to work on Monday after the port authority agreed to hire "
    "forty more crane operators, ending a strike that had left container ships waiting "
    "off the Tagus estuary for nine days."
)
TITLE = "Lisbon dockers end nine-day strike"
DEEP = 10_000


def article(slug: str, **fields: object) -> dict:
    """A valid article at its own URL; a field given as ``...`` is left out."""
    base: dict = {"url": f"https://fuzz.example.org/news/{slug}", "title": TITLE, "text": TEXT}
    base.update(fields)
    return {key: value for key, value in base.items() if value is not ...}


def nested_array(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def with_raw(slug: str, field: str, raw_json: str) -> bytes:
    """An article whose ``field`` holds ``raw_json`` exactly as written (not re-encoded)."""
    body = json.dumps(article(slug, **{field: "@@@"}))
    return body.replace('"@@@"', raw_json).encode()


def with_raw_bytes(slug: str, field: str, raw: bytes) -> bytes:
    """An article whose string ``field`` holds ``raw`` bytes (which may not be UTF-8)."""
    return json.dumps(article(slug, **{field: "@@@"})).encode().replace(b"@@@", raw)


def _case(name: str, body: bytes | str | dict | list, expect: Expect = REFUSED, **kw) -> Case:
    return Case(name=name, service="ingest", build=post_articles(body, **kw), expect=expect)


def encoding_cases() -> list[Case]:
    latin1 = json.dumps(article("latin1", title="Lisboa: greve no porto de São Bento"), ensure_ascii=False)
    return [
        _case("bytes that are not UTF-8 (latin-1 é)", with_raw_bytes("not-utf8", "title", b"Caf\xe9 strike"), refused()),
        _case("bytes 0xff 0xfe in the text", with_raw_bytes("ff-fe", "text", b"\xff\xfe\xfd"), refused()),
        _case("overlong UTF-8 of '/' (C0 AF)", with_raw_bytes("overlong-slash", "title", b"a\xc0\xafb"), refused()),
        _case("overlong UTF-8 of NUL (C0 80)", with_raw_bytes("overlong-nul", "title", b"a\xc0\x80b"), refused()),
        _case("overlong 3-byte UTF-8 (E0 80 AF)", with_raw_bytes("overlong-3", "text", b"\xe0\x80\xaf"), refused()),
        _case("UTF-8 encoded surrogate (ED A0 80)", with_raw_bytes("cesu", "title", b"\xed\xa0\x80"), refused()),
        _case("truncated UTF-8 sequence at the end", with_raw_bytes("truncated", "text", b"Lisbon \xe2\x82"), refused()),
        _case("code point above U+10FFFF (F4 90 80 80)", with_raw_bytes("above-max", "text", b"\xf4\x90\x80\x80"), refused()),
        _case("lone surrogate escape \\ud800 in the title", with_raw("lone-surrogate", "title", '"a\\ud800b"'), EITHER),
        _case("NUL and control escapes in the title", article("controls", title="a\u0000b\u0007c\u001b"), EITHER),
        _case("charset=latin-1 body", latin1.encode("latin-1"), EITHER, content_type="application/json; charset=latin-1"),
        _case("charset=latin-1, ASCII body", article("latin1-ascii"), EITHER, content_type="application/json; charset=latin-1"),
        _case("charset=utf-16 body", json.dumps(article("utf16")).encode("utf-16"), EITHER, content_type="application/json; charset=utf-16"),
        _case("UTF-8 byte order mark before the JSON", b"\xef\xbb\xbf" + json.dumps(article("bom")).encode(), EITHER),
        _case("charset=nonsense", article("charset-nonsense"), EITHER, content_type="application/json; charset=klingon"),
        _case("gzip body with Content-Encoding: gzip", gzip.compress(json.dumps(article("gzip")).encode()), EITHER, **{"Content-Encoding": "gzip"}),
    ]


def nesting_cases() -> list[Case]:
    valid_line = json.dumps(article("ndjson-before-deep"))
    return [
        _case("JSON arrays nested 10,000 deep", nested_array(DEEP), refused()),
        _case("JSON objects nested 10,000 deep", nested_object(DEEP), refused()),
        _case("arrays nested 10,000 deep inside meta", with_raw("deep-meta", "meta", '{"k":' + nested_array(DEEP) + "}"), refused()),
        _case("objects nested 10,000 deep as meta", with_raw("deep-meta-obj", "meta", nested_object(DEEP)), refused()),
        _case("arrays nested 10,000 deep as authors", with_raw("deep-authors", "authors", nested_array(DEEP)), refused()),
        _case("arrays nested 10,000 deep as the title", with_raw("deep-title", "title", nested_array(DEEP)), refused()),
        _case("an NDJSON line nested 10,000 deep", nested_array(DEEP), refused(line=1), content_type=NDJSON),
        _case("NDJSON: a valid line, then one nested 10,000 deep", f"{valid_line}\n{nested_object(DEEP)}\n", EITHER, content_type=NDJSON),
        _case("a JSON array: a valid article, then one nested 10,000 deep", f"[{json.dumps(article('array-before-deep'))},{nested_array(DEEP)}]", EITHER),
        _case("JSON arrays nested 100,000 deep", nested_array(100_000), refused()),
        _case("objects nested 100 deep inside meta", with_raw("meta-100", "meta", '{"k":' + nested_object(100) + "}"), refused("meta")),
        _case("unclosed nesting, 10,000 open brackets", "[" * DEEP, refused()),
    ]


def url_cases() -> list[Case]:
    urls = [
        ("URL http://[::1/x (unclosed IPv6 bracket)", "http://[::1/x", REFUSED),
        ("URL http://[zzzz]/x (not an IPv6 address)", "http://[zzzz]/x", REFUSED),
        ("URL javascript:alert(1)", "javascript:alert(document.cookie)//", REFUSED),
        ("URL data: scheme", "data:text/html,<script>alert(1)</script>", REFUSED),
        ("URL file:///etc/passwd", "file:///etc/passwd", REFUSED),
        ("URL ftp:// scheme", "ftp://files.example.org/news.txt", REFUSED),
        ("URL of 2,100 characters", "https://fuzz.example.org/" + "a" * 2075, REFUSED),
        ("URL of 100,000 characters", "https://fuzz.example.org/" + "a" * 100_000, REFUSED),
        ("URL of 2,048 characters (the limit)", "https://fuzz.example.org/" + "b" * 2023, EITHER),
        ("URL with an IDN host (bücher.example)", "https://bücher.example/artikel/1", EITHER),
        ("URL with a punycode host", "https://xn--bcher-kva.example/artikel/2", EITHER),
        ("URL with an IDN host that fails IDNA (xn--)", "https://xn--.example/a", EITHER),
        ("URL with an emoji host", "https://\U0001f4f0.example/a", EITHER),
        ("URL with userinfo", "https://reporter:secret@fuzz.example.org/news/userinfo", EITHER),
        ("URL with port 99999", "https://fuzz.example.org:99999/news/port", REFUSED),
        ("URL with port 65536", "https://fuzz.example.org:65536/news/port", REFUSED),
        ("URL with port -1", "https://fuzz.example.org:-1/news/port", REFUSED),
        ("URL with a non-numeric port", "https://fuzz.example.org:http/news/port", REFUSED),
        ("URL with port 0", "https://fuzz.example.org:0/news/port-0", EITHER),
        ("URL with an IPv6 host and port", "http://[::1]:8080/news/ipv6", EITHER),
        ("URL with 256.256.256.256 as host", "http://256.256.256.256/news", EITHER),
        ("URL with CR LF and a header after it", "https://fuzz.example.org/a\r\nSet-Cookie: x=1", REFUSED),
        ("URL with a NUL character", "https://fuzz.example.org/nul\u0000x", EITHER),
        ("URL with broken percent escapes", "https://fuzz.example.org/%zz%/%", EITHER),
        ("URL with 500 query parameters", "https://fuzz.example.org/q?" + "&".join(f"p{n}=1" for n in range(300)), EITHER),
        ("URL in upper case", "HTTPS://FUZZ.EXAMPLE.ORG/NEWS/UPPER", EITHER),
        ("URL https:// and nothing more", "https://", REFUSED),
        ("URL with a backslash host", "https:\\\\fuzz.example.org\\a", REFUSED),
        ("URL that is relative", "/news/relative", REFUSED),
        ("URL with a dot-segment escape", "https://fuzz.example.org/../../../etc/passwd", EITHER),
        ("URL with a host of 300 labels", "https://" + "a." * 300 + "example/x", EITHER),
        ("URL with a trailing-dot host", "https://fuzz.example.org./news/dot", EITHER),
        ("URL with a host of only dots", "https://.../x", EITHER),
        ("URL with an RTL override character", "https://fuzz.example.org/\u202egnp.exe", EITHER),
    ]
    cases = []
    for n, (name, url, expect) in enumerate(urls):
        if expect is REFUSED:
            expect = refused("url")
        cases.append(_case(name, article(f"url-{n}", url=url), expect))
    return cases


def date_cases() -> list[Case]:
    dates = [
        ("published_at 0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00+05:00", refused("published_at")),
        ("published_at 9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59-05:00", refused("published_at")),
        ("published_at 9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", EITHER),
        ("published_at 0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", EITHER),
        ("published_at 1677-09-21T00:12:43Z (store's first day)", "1677-09-21T00:12:43Z", EITHER),
        ("published_at 2262-04-12T00:00:00Z (after the store's last)", "2262-04-12T00:00:00Z", EITHER),
        ("published_at 1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", EITHER),
        ("published_at 1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z", EITHER),
        ("published_at with no UTC offset", "2024-05-01T12:00:00", refused("published_at")),
        ("published_at 2024-02-30", "2024-02-30T00:00:00Z", refused("published_at")),
        ("published_at offset +24:00", "2024-05-01T12:00:00+24:00", refused("published_at")),
        ("published_at a leap second", "2016-12-31T23:59:60Z", EITHER),
        ("published_at with nanoseconds", "2024-05-01T12:00:00.123456789Z", EITHER),
        ("published_at a date only", "2024-05-01", EITHER),
        ("published_at 'yesterday'", "yesterday", refused("published_at")),
        ("published_at year 10000", "10000-01-01T00:00:00Z", refused("published_at")),
        ("published_at negative year", "-0001-01-01T00:00:00Z", refused("published_at")),
        ("published_at empty string", "", refused("published_at")),
    ]
    return [_case(name, article(f"date-{n}", published_at=value), expect) for n, (name, value, expect) in enumerate(dates)]


def size_cases() -> list[Case]:
    two_mb = ("Lisbon port news. " * 111_112)[:2_000_000]
    return [
        _case("text of 2,000,000 characters (the documented limit)", article("text-2mb", text=two_mb), EITHER),
        _case("text of 2,000,001 characters", article("text-2mb-plus", text=two_mb + "x"), refused("text")),
        _case("empty title", article("title-empty", title=""), refused("title")),
        _case("title of spaces only", article("title-spaces", title="   "), EITHER),
        _case("title of 1,001 characters", article("title-1001", title="t" * 1001), refused("title")),
        _case("title of 1,000,000 characters", article("title-1m", title="t" * 1_000_000), refused("title")),
        _case("empty text", article("text-empty", text=""), EITHER),
        _case("text of whitespace only", article("text-ws", text=" \n\t " * 100), EITHER),
        _case("both text and html", article("both", html="<p>Lisbon</p>"), refused()),
        _case("neither text nor html", article("neither", text=...), refused()),
        _case("51 authors (limit 50)", article("authors-51", authors=[f"Reporter {n}" for n in range(51)]), refused("authors")),
        _case("an author of 201 characters", article("author-201", authors=["a" * 201]), refused("authors")),
        _case("33 meta keys (limit 32)", article("meta-33", meta={f"k{n}": "v" for n in range(33)}), refused("meta")),
        _case("a meta key of 65 characters", article("meta-key-65", meta={"k" * 65: "v"}), refused("meta")),
        _case("a meta value of 1,025 characters", article("meta-value-1025", meta={"k": "v" * 1025}), refused("meta")),
        _case("source of 201 characters", article("source-201", source="s" * 201), refused("source")),
    ]


def html_cases() -> list[Case]:
    def html(slug: str, markup: str, expect: Expect = EITHER, name: str | None = None) -> Case:
        return _case(name or f"html: {slug}", article(slug, text=..., html=markup), expect)

    return [
        html("lisbon-116kb", "<div><p>Lisbon port</p></div>" * 4_000, name="HTML of 116 kB repeated <div><p>Lisbon port</p></div>"),
        html("lisbon-1.9mb", "<div><p>Lisbon port</p></div>" * 65_500, name="HTML of 1.9 MB repeated <div><p>Lisbon port</p></div>"),
        html("divs-10k-deep", "<div>" * DEEP + "Lisbon port" + "</div>" * DEEP, name="HTML of divs nested 10,000 deep"),
        html("unclosed-200k", "<p><b><i>" * 20_000, name="HTML of 60,000 unclosed tags"),
        html("script-only", "<script>var port = 'Lisbon';</script>", refused("html"), name="HTML with only a script"),
        html("empty", "", refused("html"), name="empty HTML"),
        html("comment-bomb", "<!--" + "-" * 500_000, name="HTML of an unterminated 500 kB comment"),
        html("entities", "<p>" + "&amp;" * 200_000 + "</p>", name="HTML of 200,000 entities"),
        html("table-5k", "<table>" + "<tr><td>Lisbon</td><td>port</td></tr>" * 5_000 + "</table>", name="HTML table of 5,000 rows"),
    ]


def type_cases() -> list[Case]:
    wrong: dict[str, list[object]] = {
        "url": [123, None, [], {}, True],
        "title": [123, None, [], {}, False],
        "text": [123, [], {"p": "x"}, True],
        "html": [123, ["<p>x</p>"]],
        "published_at": [1714564800, [], True, {"date": "2024-05-01"}],
        "source": [123, "", []],
        "language": [123, "english", "EN", "", "xx-YY"],
        "authors": ["Ana Duval", [123], [""], [{"name": "x"}], None],
        "meta": [[], "x", {"k": 1}, {"k": None}, {"": "v"}, {"k": {"n": "v"}}],
    }
    cases = []
    for field, values in wrong.items():
        for n, value in enumerate(values):
            body = article(f"type-{field}-{n}", **{field: value})
            if field == "html":  # html instead of text, else the 'exactly one' rule speaks first
                body.pop("text")
            cases.append(_case(f"{field} = {json.dumps(value)[:40]}", body, refused(field)))
    return cases + [
        _case("top level: a string", '"an article"', refused()),
        _case("top level: a number", "42", refused()),
        _case("top level: null", "null", refused()),
        _case("top level: true", "true", refused()),
        _case("top level: an empty object", "{}", refused()),
        _case("top level: an empty array", "[]", refused()),
        _case("top level: an array of numbers", "[1, 2, 3]", refused()),
        _case("top level: a number too large for a double", "1e999999", refused()),
        _case("top level: an integer of 10,000 digits", "9" * 10_000, refused()),
        _case("JSON with a trailing comma", '{"url": "https://fuzz.example.org/x", "title": "t",}', refused()),
        _case("JSON with two documents", json.dumps(article("two-docs")) * 2, refused()),
        _case("JSON with NaN", '{"url": NaN}', refused()),
        _case("JSON truncated mid-string", json.dumps(article("truncated"))[:60], refused()),
        _case("an unknown field", article("unknown-field", priority=1), refused("priority")),
        _case("a __proto__ field", article("proto", __proto__={"admin": True}), refused("__proto__")),
        _case("a field named with 10,000 characters", article("long-key", **{"k" * 10_000: 1}), refused()),
        _case("a duplicated key (title twice)", json.dumps(article("dup-key")).replace('"title"', '"title": "first", "title"', 1), EITHER),
        _case("empty body", b"", refused()),
        _case("a body of 1 MB of spaces", b" " * 1_000_000, refused()),
        _case("a body of NUL bytes", b"\x00" * 1000, refused()),
    ]


def batch_cases() -> list[Case]:
    def over_limit(stage: Stage) -> list:
        return [article(f"batch-{n}") for n in range(stage.max_articles + 1)]

    def ndjson_over_limit(stage: Stage) -> bytes:
        return b"\n".join(json.dumps(a).encode() for a in over_limit(stage))

    def tiny_over_limit(stage: Stage) -> bytes:
        return b"[" + b",".join([b"{}"] * (stage.max_articles + 1)) + b"]"

    def invalid_at_limit(stage: Stage) -> bytes:
        return b"[" + b",".join([b"{}"] * stage.max_articles) + b"]"

    return [
        Case(name="an array one article over the per-request limit", service="ingest",
             build=post_built(over_limit), expect=refused(status=413)),
        Case(name="NDJSON one line over the per-request limit", service="ingest",
             build=post_built(ndjson_over_limit, NDJSON), expect=refused(status=413)),
        Case(name="an array of empty objects over the limit", service="ingest",
             build=post_built(tiny_over_limit), expect=refused(status=413)),
        Case(name="an array of invalid articles at the limit", service="ingest",
             build=post_built(invalid_at_limit), expect=refused()),
        _case("NDJSON: a valid line, then a line that is not JSON", f"{json.dumps(article('ndjson-ok'))}\n{{not json\n", EITHER, content_type=NDJSON),
        _case("NDJSON: only bad lines", "{bad\n[1]\n", refused(line=1), content_type=NDJSON),
        _case("NDJSON: blank lines only", "\n\n\n", refused(), content_type=NDJSON),
        _case("NDJSON: a line with a raw CR in a string", json.dumps(article("ndjson-cr")).replace(TITLE, "a\rb") + "\n", EITHER, content_type=NDJSON),
        _case("NDJSON: 10,000 empty lines and one article", "\n" * 10_000 + json.dumps(article("ndjson-sparse")), EITHER, content_type=NDJSON),
        _case("NDJSON: a JSON array on a line", json.dumps([article("ndjson-array")]) + "\n", refused(line=1), content_type=NDJSON),
    ]


def known_article_cases() -> list[Case]:
    """Refused requests that name the article accepted before the fuzz: it must stay as it was."""

    def known(change: dict) -> object:
        return lambda stage: {**stage.known, **change}

    def known_raw(replace: bytes) -> object:
        return lambda stage: json.dumps({**stage.known, "title": "@@@"}).encode().replace(b'"@@@"', replace)

    return [
        Case(name="the known article's URL, title a number", service="ingest",
             build=post_built(known({"title": 7})), expect=refused("title")),
        Case(name="the known article's URL, an unknown field", service="ingest",
             build=post_built(known({"rank": "first"})), expect=refused("rank")),
        Case(name="the known article's URL, published_at 9999-12-31T23:59:59-05:00", service="ingest",
             build=post_built(known({"published_at": "9999-12-31T23:59:59-05:00"})), expect=refused("published_at")),
        Case(name="the known article's URL, title not UTF-8", service="ingest",
             build=post_built(known_raw(b'"Caf\xe9"')), expect=refused()),
        Case(name="the known article's URL, title nested 10,000 deep", service="ingest",
             build=post_built(known_raw(nested_array(DEEP).encode())), expect=refused()),
    ]


def transfer_cases() -> list[Case]:
    """How the body arrives: over the size limit, chunked, slow, lying about its length."""

    def over_size_limit(stage: Stage) -> RawRequest:
        body = b'{"url": "https://fuzz.example.org/big", "title": "big", "text": "' + b"a" * stage.max_body_bytes + b'"}'
        return _post(stage, body)

    def chunked(chunks: list[bytes], terminator: bytes = b"0\r\n\r\n") -> object:
        def build(stage: Stage) -> RawRequest:
            body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + terminator
            return _post(stage, body, {"Transfer-Encoding": "chunked"}, length=None)
        return build

    def lying(length: str | None, body: bytes, **extra: str) -> object:
        return lambda stage: _post(stage, body, extra, length=length)

    def slow(declared: int, sent: bytes) -> object:
        # fewer bytes than declared, then silence: the server waits for the rest
        return lambda stage: _post(stage, sent, length=str(declared))

    valid = json.dumps(article("chunked")).encode()
    over = b"a" * 1024 * 1024
    return [
        Case(name="a body over the size limit", service="ingest", build=over_size_limit, expect=refused(status=413)),
        Case(name="Content-Length over the size limit, body never sent", service="ingest",
             build=slow(1 << 30, b""), expect=refused(status=413)),
        Case(name="a slow body: Content-Length 1,000, 10 bytes, then silence", service="ingest",
             build=slow(1000, b'{"url": "h'), expect=Expect(statuses=(400, 408, 413), cut_off=True)),
        Case(name="a slow body: headers only, then silence", service="ingest",
             build=slow(500, b""), expect=Expect(statuses=(400, 408), cut_off=True)),
        Case(name="chunked body of one valid article", service="ingest", build=chunked([valid[:50], valid[50:]]), expect=EITHER),
        Case(name="chunked body with a bad chunk size", service="ingest",
             build=lambda stage: _post(stage, b"zz\r\nabc\r\n0\r\n\r\n", {"Transfer-Encoding": "chunked"}, length=None),
             expect=refused()),
        Case(name="chunked body over the size limit", service="ingest",
             build=lambda stage: chunked([over] * (stage.max_body_bytes // len(over) + 1))(stage),
             expect=refused(status=413)),
        Case(name="Content-Length and Transfer-Encoding both", service="ingest",
             build=lying("5", b"5\r\nhello\r\n0\r\n\r\n", **{"Transfer-Encoding": "chunked"}), expect=Expect(statuses=(400, 413, 415, 422))),
        Case(name="Content-Length -1", service="ingest", build=lying("-1", b"{}"), expect=refused()),
        Case(name="Content-Length not a number", service="ingest", build=lying("ten", b"{}"), expect=refused()),
        Case(name="Content-Length of 30 digits", service="ingest", build=lying("9" * 30, b"{}"), expect=refused()),
        Case(name="two different Content-Length headers", service="ingest",
             build=lambda stage: RawRequest(
                 head=_post(stage, b"{}").head.replace(b"\r\n\r\n", b"\r\nContent-Length: 7\r\n\r\n"),
                 body=b"{}", method="POST"),
             expect=refused()),
    ]


def _post(stage: Stage, body: bytes, extra: dict | None = None, length: str | None = "") -> RawRequest:
    """A POST with the key and JSON type; ``length`` "" means the body's own, None none at all."""
    headers = {"Authorization": f"Bearer {stage.api_key}", "Content-Type": "application/json", **(extra or {})}
    if length == "":
        head = request_bytes("POST", "/v1/articles", headers, body)
    else:
        head = request_bytes("POST", "/v1/articles", {**headers, "Content-Length": length}, content_length=0)
    return RawRequest(head=head, body=body, method="POST")


def ingest_cases() -> list[Case]:
    # the known article's cases first (while the rest of the fuzz has not touched ingest),
    # the slow and heavy ones last, so one that holds a thread cannot slow the others down
    return [
        *known_article_cases(), *encoding_cases(), *nesting_cases(), *url_cases(), *date_cases(),
        *type_cases(), *batch_cases(), *size_cases(), *transfer_cases(), *html_cases(),
    ]

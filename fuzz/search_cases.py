"""Hostile requests for the search API: dates, forged and garbage cursors, geo, sizes, query
syntax, repeated parameters, article ids, methods."""

from __future__ import annotations

import base64
from urllib.parse import quote

import msgspec

from fuzz import cursors
from fuzz.case import EITHER, OK, REFUSED, Case, Expect, Stage, get, refused, search
from fuzz.wire import RawRequest, request_bytes

# The queries whose real next_cursor the forgeries start from (see fuzz.session).
PAGED_QUERIES = {"newest": {"sort": "newest"}, "relevance": {"q": "Lisbon"}}


def _case(name: str, query: str | dict | list, expect: Expect = REFUSED) -> Case:
    return Case(name=name, service="search", build=search(query), expect=expect)


def date_cases() -> list[Case]:
    return [
        _case("to=9999-12-31", {"to": "9999-12-31"}, refused("to")),
        _case("from=0001-01-01T00:00:00+14:00", {"from": "0001-01-01T00:00:00+14:00"}, refused("from")),
        _case("from=0001-01-01", {"from": "0001-01-01"}, EITHER),
        _case("to=9999-12-31T23:59:59Z", {"to": "9999-12-31T23:59:59Z"}, EITHER),
        _case("to=9999-12-31T23:59:59-05:00", {"to": "9999-12-31T23:59:59-05:00"}, EITHER),
        _case("from=1677-09-21 (the store's first day)", {"from": "1677-09-21"}, EITHER),
        _case("to=2262-04-12 (after the store's last day)", {"to": "2262-04-12"}, EITHER),
        _case("from=1970-01-01T00:00:00Z", {"from": "1970-01-01T00:00:00Z"}, OK),
        _case("from after to", {"from": "2024-05-02", "to": "2024-05-01"}, refused("from")),
        _case("from=2024-13-01", {"from": "2024-13-01"}, refused("from")),
        _case("from=2024-05-01T25:00:00Z", {"from": "2024-05-01T25:00:00Z"}, refused("from")),
        _case("from without a UTC offset", {"from": "2024-05-01T12:00:00"}, refused("from")),
        _case("from=-0001-01-01", {"from": "-0001-01-01"}, refused("from")),
        _case("from=99999-01-01", {"from": "99999-01-01"}, refused("from")),
        _case("from=NaN", {"from": "NaN"}, refused("from")),
        _case("from of 10,000 characters", {"from": "2" * 10_000}, refused("from")),
        _case("to=2024-05-01T00:00:00+23:59", {"to": "2024-05-01T00:00:00+23:59"}, EITHER),
        _case("histogram=day over 1678..2261", {"from": "1678-01-01", "to": "2261-12-31", "histogram": "day"}, EITHER),
    ]


def _forged(name: str, paged: str, sort_key: object, offset: object, seq: object = 1) -> Case:
    query = PAGED_QUERIES[paged]

    def build(stage: Stage) -> RawRequest:
        fingerprint = cursors.fingerprint_of(stage.cursors.get(paged), query)
        cursor = cursors.forged(fingerprint, sort_key, offset, seq)
        return search({**query, "cursor": cursor})(stage)

    return Case(name=f"forged cursor ({paged}): {name}", service="search", build=build, expect=refused("cursor"))


def _with_real(name: str, paged: str, change: dict, expect: Expect) -> Case:
    """A request that reuses a real cursor of ``paged`` with other parameters."""

    def build(stage: Stage) -> RawRequest:
        return search({**PAGED_QUERIES[paged], "cursor": stage.cursors.get(paged, ""), **change})(stage)

    return Case(name=name, service="search", build=build, expect=expect)


def cursor_cases() -> list[Case]:
    i64_min, i64_max, u64_max = cursors.I64_MIN, cursors.I64_MAX, cursors.U64_MAX
    forgeries = []
    for paged in PAGED_QUERIES:
        forgeries += [
            _forged("offset -5", paged, None if paged == "relevance" else 1, -5),
            _forged("offset -2^63", paged, None if paged == "relevance" else 1, i64_min),
            _forged("offset 2^63-1", paged, None if paged == "relevance" else 1, i64_max),
            _forged("offset 2^64-1", paged, None, u64_max),
            _forged("sort key 2^64-1", paged, u64_max, 0),
            _forged("sort key -2^63", paged, i64_min, 0),
            _forged("seq ceiling -1", paged, 1, 0, -1),
            _forged("seq ceiling 2^64-1", paged, 1, 0, u64_max),
            _forged("offset a float", paged, None, 1.5),
            _forged("offset a string", paged, None, "ten"),
            _forged("sort key a list", paged, [1, 2], 0),
        ]
    garbage = [
        ("garbage cursor '!!!'", "!!!"),
        ("garbage cursor 'AAAA'", "AAAA"),
        ("cursor of base64 random bytes", base64.urlsafe_b64encode(bytes(range(256))).decode()),
        ("cursor of msgpack nil", cursors.encode(None)),
        ("cursor of msgpack [[], 0]", cursors.encode([[], 0])),
        ("cursor with a fingerprint of 2^64-1", cursors.encode([[None, 10, 1], cursors.U64_MAX])),
        ("cursor of a 10,000-element msgpack array", cursors.encode(list(range(10_000)))),
        ("cursor of msgpack nested 10,000 deep", base64.urlsafe_b64encode(b"\x91" * 10_000 + b"\xc0").decode()),
        ("cursor of msgpack claiming 4 GB of string", base64.urlsafe_b64encode(b"\xdb\xff\xff\xff\xff").decode()),
        ("cursor of 10 KB", "A" * 10_240),
        ("cursor with padding", cursors.encode([[None, 10, 1], 0]) + "=="),
        ("cursor with non-ASCII characters", "Lisbõa☃"),
        ("cursor of msgpack ext type", base64.urlsafe_b64encode(msgspec.msgpack.encode(msgspec.msgpack.Ext(1, b"x"))).decode()),
    ]
    return [
        *forgeries,
        *(_case(name, {"cursor": value}, refused("cursor")) for name, value in garbage),
        _with_real("a real cursor (newest)", "newest", {}, OK),
        _with_real("a real cursor with another size", "newest", {"size": "5"}, OK),
        _with_real("a real cursor for another query", "newest", {"q": "harbour"}, refused("cursor")),
        _with_real("a real cursor with size=100", "relevance", {"size": "100"}, EITHER),
    ]


def geo_cases() -> list[Case]:
    boxes = [
        ("bbox longitude 200", "0,0,200,10"), ("bbox longitude -181", "-181,0,10,10"),
        ("bbox latitude -91", "0,-91,10,10"), ("bbox three numbers", "1,2,3"),
        ("bbox five numbers", "1,2,3,4,5"), ("bbox of words", "a,b,c,d"),
        ("bbox of NaN", "nan,nan,nan,nan"), ("bbox of inf", "-inf,-inf,inf,inf"),
        ("bbox of 1e309", "1e309,0,1e309,10"), ("bbox min_lat above max_lat", "0,10,10,0"),
        ("bbox of empty parts", ",,,"), ("bbox of 10,000 commas", "," * 10_000),
    ]
    nears = [
        ("near radius 0", "0,0,0"), ("near radius -1", "0,0,-1"), ("near radius 10^9", "0,0,1e9"),
        ("near latitude 91", "91,0,10"), ("near longitude 181", "0,181,10"), ("near NaN", "nan,0,10"),
        ("near radius inf", "0,0,inf"), ("near two numbers", "0,0"), ("near of words", "lisbon,port,10"),
    ]
    return [
        *(_case(name, {"bbox": value}, refused("bbox")) for name, value in boxes),
        *(_case(name, {"near": value}, refused("near")) for name, value in nears),
        _case("near and bbox both", {"near": "38.7,-9.1,10", "bbox": "-10,38,-9,39"}, refused()),
        _case("bbox of the whole world", {"bbox": "-180,-90,180,90"}, OK),
        _case("bbox across the antimeridian", {"bbox": "170,-20,-170,20"}, OK),
        _case("near the pole with the largest radius", {"near": "90,0,5000"}, OK),
        _case("focus_only=maybe", {"focus_only": "maybe", "bbox": "-10,38,-9,39"}, refused("focus_only")),
        _case("focus_only without a shape", {"focus_only": "true"}, refused("focus_only")),
    ]


def parameter_cases() -> list[Case]:
    return [
        _case("size=-1", {"size": "-1"}, refused("size")),
        _case("size=10^9", {"size": "1000000000"}, refused("size")),
        _case("size of 30 digits", {"size": "9" * 30}, refused("size")),
        _case("size=1.5", {"size": "1.5"}, refused("size")),
        _case("size=abc", {"size": "abc"}, refused("size")),
        _case("size=0", {"size": "0"}, OK),
        _case("facet_size=0", {"facets": "entities", "facet_size": "0"}, refused("facet_size")),
        _case("facet_size=10^9", {"facets": "entities", "facet_size": "1000000000"}, refused("facet_size")),
        _case("an unknown facet", {"facets": "secrets"}, refused("facets")),
        _case("a facet named 1,000 times", {"facets": ",".join(["entities"] * 1000)}, OK),
        _case("sort=random", {"sort": "random"}, refused("sort")),
        _case("histogram=year", {"histogram": "year"}, refused("histogram")),
        _case("country=XXX", {"country": "XXX"}, refused("country")),
        _case("language=english", {"language": "english"}, refused("language")),
        _case("place=99999999999999999999999 (over 64 bits)", {"place": "9" * 23}, EITHER),
        _case("place=² (a digit Python cannot int())", {"place": "²"}, EITHER),
        _case("place=-1", {"place": "-1"}, EITHER),
        _case("entity of 10 KB", {"entity": "PERSON:" + "a" * 10_240}, EITHER),
        _case("source of 10 KB", {"source": "s" * 10_240}, EITHER),
        _case("an unknown parameter", {"admin": "true"}, EITHER),
        _case("1,000 entity parameters", [("entity", f"E{n}") for n in range(1000)], EITHER),
        _case("size twice", [("size", "1"), ("size", "2")], EITHER),
        _case("sort twice", [("sort", "newest"), ("sort", "oldest")], EITHER),
        _case("q twice", [("q", "Lisbon"), ("q", "port")], EITHER),
        _case("cursor twice", [("cursor", "AAAA"), ("cursor", "BBBB")], refused()),
        _case("from twice", [("from", "2024-01-01"), ("from", "9999-12-31")], EITHER),
        _case("a parameter name of 10 KB", {"p" * 10_240: "1"}, EITHER),
        _case("percent-encoded invalid UTF-8 in q", "q=%ff%fe%c0%af", EITHER),
        _case("percent-encoded NUL in q", "q=Lisbon%00port", EITHER),
        _case("a bare % in the query string", "q=100%", EITHER),
    ]


def query_syntax_cases() -> list[Case]:
    queries = [
        ("q of 10 KB of words", "Lisbon port " * 854),
        ("q of one 10 KB word", "a" * 10_240),
        ("q of 10 KB of '('", "(" * 10_240),
        ("q nested 5,000 parentheses deep", "(" * 5_000 + "Lisbon" + ")" * 5_000),
        ("q of 2,000 NOTs", "NOT " * 2_000 + "Lisbon"),
        ("q of 2,000 ANDs", "Lisbon AND " * 2_000 + "port"),
        ("q of 5,000 '+'", "+" * 5_000 + "Lisbon"),
        ("q of 2,500 quoted phrases", '"a b" ' * 2_500),
        ("q an unbalanced quote", '"Lisbon port'),
        ("q a lone '*'", "*"),
        ("q 'title:' and nothing", "title:"),
        ("q an unknown field", "secret:Lisbon"),
        ("q a range on text", "text:[a TO z]"),
        ("q a range on a date field", "published_at:[* TO *]"),
        ("q a fuzzy term with distance 99", "Lisbon~99"),
        ("q a boost of 1e308", "Lisbon^1e308"),
        ("q a regex", "/.*/"),
        ("q a lone backslash", "\\"),
        ("q of control characters", "\x01\x02\x1b[31m"),
        ("q of 10 KB of emoji", "\U0001f4f0" * 2_500),
        ("q of 10 KB of combining marks", "a" + "\u0301" * 5_000),
        ("q 'entity:' 1,000 times", "entity:x " * 1_000),
        ("q a phrase with slop 10^9", '"Lisbon port"~1000000000'),
        ("q AND OR NOT only", "AND OR NOT"),
        ("q of 10,000 colons", ":" * 10_000),
    ]
    return [_case(name, {"q": value}, EITHER) for name, value in queries]


def article_cases() -> list[Case]:
    return [
        Case(name="article id not hex", service="search", build=get("/v1/articles/not-an-id"), expect=refused(status=400)),
        Case(name="article id of 10 KB", service="search", build=get("/v1/articles/" + "a" * 10_240), expect=refused()),
        Case(name="article id in upper-case hex", service="search", build=get("/v1/articles/" + "A" * 32), expect=refused()),
        Case(name="article id unknown", service="search", build=get("/v1/articles/" + "0" * 32), expect=refused(status=404)),
        Case(name="article id with a path escape", service="search", build=get("/v1/articles/..%2F..%2Fetc%2Fpasswd"), expect=refused()),
        Case(name="article id percent-encoded NUL", service="search", build=get("/v1/articles/%00"), expect=refused()),
        Case(name="article id of raw UTF-8", service="search", build=get("/v1/articles/ã".encode()), expect=refused()),
        Case(name="an unknown path", service="search", build=get("/v1/nothing-here"), expect=refused(status=404)),
        Case(name="a path of 10 KB", service="search", build=get("/" + "x" * 10_240), expect=refused(status=404)),
    ]


def method_cases() -> list[Case]:
    def call(method: str, target: str) -> Case:
        build = lambda _stage: RawRequest(head=request_bytes(method, target, {}), method=method)
        return Case(name=f"{method} {target}", service="search", build=build, expect=refused(status=405))

    return [
        call("POST", "/v1/search"), call("PUT", "/v1/search"), call("DELETE", "/v1/search"),
        call("PATCH", "/v1/stats"), call("DELETE", "/v1/articles/" + "0" * 32),
        call("PUT", "/v1/articles/" + "0" * 32), call("POST", "/v1/stats"), call("TRACE", "/v1/search"),
    ]


def raw_query_cases() -> list[Case]:
    return [
        Case(name="raw UTF-8 in the query string", service="search",
             build=get("/v1/search?q=Lisboã".encode()), expect=refused(status=400)),
        Case(name="raw latin-1 byte in the query string", service="search",
             build=get(b"/v1/search?q=Lisbo\xe3"), expect=refused(status=400)),
        Case(name="a space in the query string", service="search",
             build=lambda _s: RawRequest(head=b"GET /v1/search?q=Lisbon port HTTP/1.1\r\nHost: x\r\n\r\n"),
             expect=refused(status=400)),
        Case(name="a query string of 100 KB", service="search",
             build=search({"q": "Lisbon " * 14_630}), expect=Expect(statuses=(200, 400, 414, 431), may_accept=True)),
        Case(name=f"an encoded query string (q={quote('Lisboã')})", service="search",
             build=search({"q": "Lisboã"}), expect=OK),
    ]


def search_cases() -> list[Case]:
    return [
        *date_cases(), *cursor_cases(), *geo_cases(), *parameter_cases(), *query_syntax_cases(),
        *article_cases(), *method_cases(), *raw_query_cases(),
    ]

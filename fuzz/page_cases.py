"""Hostile requests for the search page (``/``, ``/results``, ``/hits/{id}``,
``/articles/{id}``, ``/static/``).

What a page route refuses it refuses as the page: an HTML page (or, for the fragments its
script fetches, an HTML fragment) with a 4xx status that says what is wrong, for a person
(``html=True``). What never reaches a page route (an unknown path, a wrong method, a
request uvicorn cannot parse, a file that is not one of the page's assets) is refused in
the JSON ErrorBody like any other request.
"""

from __future__ import annotations

from collections.abc import Callable

from fuzz.case import OK, Case, Expect, Stage, get, get_query, refused
from fuzz.search_cases import PAGED_QUERIES
from fuzz.wire import RawRequest, request_bytes

PAGE = refused(html=True)
PAGE_EITHER = Expect(may_accept=True, html=True)
UNROUTED = refused(status=404)  # the router's own 404: JSON
MISSING = refused(status=404, html=True)  # a page route found no such article: its 404 page


def _page(name: str, query: str | dict | list, expect: Expect = PAGE, path: str = "/") -> Case:
    return Case(name=f"page {path}: {name}", service="search", build=get_query(path, query), expect=expect)


def _path(name: str, target: str | bytes, expect: Expect) -> Case:
    return Case(name=f"page: {name}", service="search", build=get(target), expect=expect)


def _by_id(prefix: str) -> tuple[Callable[..., Case], Case]:
    """Cases for a page route under ``prefix`` taking an article id: a maker of one per id
    (a missing article's 404 page unless told), and the case of the known article."""

    def case(name: str, article_id: str | bytes, expect: Expect = MISSING) -> Case:
        target = prefix.encode() + article_id if isinstance(article_id, bytes) else prefix + article_id
        return _path(f"{prefix} {name}", target, expect)

    def known(stage: Stage) -> RawRequest:
        return get(f"{prefix}{stage.known_id}")(stage)

    return case, Case(name=f"page: {prefix} the known article", service="search", build=known, expect=OK)


def search_page_cases() -> list[Case]:
    return [
        _page("bbox three numbers", {"bbox": "1,2,3"}, refused("bbox", html=True)),
        _page("bbox of NaN", {"bbox": "nan,nan,nan,nan"}, refused("bbox", html=True)),
        _page("bbox of 10,000 commas", {"bbox": "," * 10_000}, refused("bbox", html=True)),
        _page("near latitude 91", {"near": "91,0,10"}, refused("near", html=True)),
        _page("near radius inf", {"near": "0,0,inf"}, refused("near", html=True)),
        _page("near and bbox both", {"near": "38.7,-9.1,10", "bbox": "-10,38,-9,39"}, PAGE),
        _page("from=2024-13-01", {"from": "2024-13-01"}, refused("from", html=True)),
        _page("from after to", {"from": "2024-05-02", "to": "2024-05-01"}, refused("from", html=True)),
        _page("from of 10,000 characters", {"from": "2" * 10_000}, refused("from", html=True)),
        _page("garbage cursor", {"cursor": "!!!"}, refused("cursor", html=True)),
        _page("cursor of 10 KB", {"cursor": "A" * 10_240}, refused("cursor", html=True)),
        _page("q of 10 KB", {"q": "a" * 10_240}, refused("q", html=True)),
        # longer than uvicorn reads a request target: refused before any route, in JSON
        _page("q of 100 KB", {"q": "Lisbon " * 14_630}, Expect(statuses=(400, 414, 431))),
        _page("q an unbalanced quote", {"q": '"Lisbon port'}, PAGE_EITHER),
        _page("q of unbalanced parentheses", {"q": "((Lisbon"}, PAGE_EITHER),
        _page("q nested 5,000 parentheses deep", {"q": "(" * 5_000 + "Lisbon" + ")" * 5_000}, PAGE_EITHER),
        _page("q with a NUL", "q=Lisbon%00port", PAGE_EITHER),
        _page("q of percent-encoded invalid UTF-8", "q=%ff%fe%c0%af", PAGE_EITHER),
        _page("q of control characters and markup", {"q": "\x01\x1b[31m<script>alert(1)</script>"}, PAGE_EITHER),
        _page("raw UTF-8 in the query string", "q=Lisboã", refused(status=400)),  # uvicorn's 400: JSON
        _page("an unknown facet (the page picks its own)", {"facets": "secrets"}, OK),
        _page("facet_size=10^9 (the page picks its own)", {"facet_size": "1000000000"}, OK),
        _page("size=10^9 (the page picks its own)", {"size": "1000000000"}, OK),
        _page("sort=random", {"sort": "random"}, refused("sort", html=True)),
        _page("country=XXX", {"country": "XXX"}, refused("country", html=True)),
        _page("focus_only=maybe", {"focus_only": "maybe"}, OK),
        _page("1,000 entity filters", [("entity", f"ORG:E{n}") for n in range(1_000)], refused("filters", html=True)),
        _page("50 entity filters", [("entity", f"ORG:E{n}") for n in range(50)], OK),
        _page("an entity of 10 KB", {"entity": "PERSON:" + "a" * 10_240}, PAGE_EITHER),
        _page("a parameter name of 10 KB", {"p" * 10_240: "1"}, OK),
    ]


def _real_more(name: str, paged: str, change: dict, expect: Expect) -> Case:
    """``/results`` after a real cursor of ``paged`` (the API's: the page shares its cursors)."""

    def build(stage: Stage) -> RawRequest:
        query = {**PAGED_QUERIES[paged], "cursor": stage.cursors.get(paged, ""), **change}
        return get_query("/results", query)(stage)

    return Case(name=f"page /results: {name}", service="search", build=build, expect=expect)


def fragment_cases() -> list[Case]:
    hit, known_hit = _by_id("/hits/")
    return [
        _page("no cursor", {}, refused("cursor", html=True), path="/results"),
        _page("an empty cursor", {"cursor": ""}, refused("cursor", html=True), path="/results"),
        _page("garbage cursor", {"cursor": "!!!"}, refused("cursor", html=True), path="/results"),
        _page("cursor of 10 KB", {"cursor": "A" * 10_240}, refused("cursor", html=True), path="/results"),
        _page("bad bbox with a cursor", {"cursor": "AAAA", "bbox": "1,2"}, PAGE, path="/results"),
        _page("1,000 entity filters", [("cursor", "AAAA")] + [("entity", f"E{n}") for n in range(1_000)],
              refused("filters", html=True), path="/results"),
        _real_more("a real cursor", "newest", {}, OK),
        _real_more("a real cursor for another query", "newest", {"q": "harbour"}, refused("cursor", html=True)),
        hit("not hex", "not-an-id"), hit("unknown", "0" * 32), hit("of 10 KB", "a" * 10_240),
        hit("percent-encoded NUL", "%00"), hit("upper-case hex", "A" * 32),
        hit("with a path escape", "..%2F..%2Fetc%2Fpasswd", UNROUTED),
        hit("of raw UTF-8", "ã".encode(), refused(status=400)),
        known_hit,
    ]


def article_page_cases() -> list[Case]:
    article, known = _by_id("/articles/")
    return [
        article("not hex", "not-an-id"), article("unknown", "0" * 32), article("of 10 KB", "a" * 10_240),
        article("percent-encoded NUL", "%00"), article("upper-case hex", "A" * 32),
        article("with markup", "%3Cscript%3Ealert(1)%3Cscript%3E"),
        article("with a path escape", "..%2F..%2Fetc%2Fpasswd", UNROUTED),
        article("of raw UTF-8", "ã".encode(), refused(status=400)),
        known,
    ]


def static_cases() -> list[Case]:
    def asset(name: str, target: str | bytes, expect: Expect = UNROUTED) -> Case:
        return _path(f"/static/ {name}", target, expect)

    return [
        asset("its stylesheet", "/static/page.css", OK),
        asset("percent-encoded NUL", "/static/%00"), asset("a NUL in a name", "/static/page%00.css"),
        asset("a name of 10 KB", "/static/" + "a" * 10_240),
        asset("5,000 directories deep", "/static/" + "a/" * 5_000 + "page.css"),
        asset("an encoded path escape", "/static/..%2F..%2Froutes.py"),
        asset("a dot-dot path escape", "/static/../web/routes.py"),
        asset("an encoded dot-dot", "/static/%2e%2e/%2e%2e/routes.py"),
        asset("the directory itself", "/static/"), asset("an unknown file", "/static/nothing.css"),
        asset("a backslash escape", "/static/..%5C..%5Croutes.py"),
        asset("percent-encoded invalid UTF-8", "/static/%ff%fe"),
    ]


def method_cases() -> list[Case]:
    def call(method: str, target: str) -> Case:
        build = lambda _stage: RawRequest(head=request_bytes(method, target, {}), method=method)
        return Case(name=f"page: {method} {target}", service="search", build=build, expect=refused(status=405))

    return [call("POST", "/"), call("DELETE", "/articles/" + "0" * 32), call("PUT", "/static/page.css"),
            call("POST", "/results")]


def page_cases() -> list[Case]:
    return [*search_page_cases(), *fragment_cases(), *article_page_cases(), *static_cases(), *method_cases()]

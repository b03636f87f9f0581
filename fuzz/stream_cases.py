"""Hostile requests for the live stream (``GET /v1/stream``): Last-Event-ID and the search's
parameters. A stream that opens is judged by its head (``stream=True``): it never ends.

Many streams at once and a client that never reads are not one request and its answer:
tests/integration/test_stream_hostile.py holds those.
"""

from __future__ import annotations

import time

from fuzz.case import Case, Expect, get_query, refused
from fuzz.wire import RawRequest, request_bytes

STREAM = "/v1/stream"
OPENS = Expect(statuses=(200,))
LAST = "Last-Event-ID"


def _case(name: str, query: str | dict, expect: Expect, **headers: str) -> Case:
    return Case(name=f"stream: {name}", service="search", build=get_query(STREAM, query, stream=True, **headers),
                expect=expect)


def _resume(name: str, last_event_id: str, expect: Expect) -> Case:
    return _case(f"Last-Event-ID {name}", {"q": "Lisbon"}, expect, **{LAST: last_event_id})


def last_event_id_cases() -> list[Case]:
    a_year_ago_us = (time.time_ns() // 1000) - 365 * 86_400 * 1_000_000
    bad = refused(LAST, status=400)

    def raw_header(name: str, value: bytes) -> Case:
        head = request_bytes("GET", f"{STREAM}?q=Lisbon", {}).replace(
            b"\r\n\r\n", b"\r\nLast-Event-ID: " + value + b"\r\n\r\n")
        return Case(name=f"stream: Last-Event-ID {name}", service="search",
                    build=lambda _s: RawRequest(head=head, stream=True), expect=bad)

    return [
        _resume("of words", "yesterday", bad),
        _resume("negative", "-1", bad),
        _resume("a float", "1.5", bad),
        _resume("hex", "0x10", bad),
        _resume("of 10 KB of digits", "9" * 10_240, bad),
        _resume("2^64 (20 digits)", str(2**64), bad),
        _resume("with a space inside", "12 34", bad),
        _resume("far in the future (19 digits)", "9" * 19, OPENS),  # ready, then expired
        _resume("0", "0", OPENS),
        _resume("a year ago (another generation's, or older than the window)", str(a_year_ago_us), OPENS),
        _resume("empty", "", OPENS),
        raw_header("of non-ASCII bytes", b"\xff\xfe\xc3\xa3"),
        raw_header("of UTF-8 digits", "١٢٣".encode()),
        _case("last_event_id of words", {"q": "Lisbon", "last_event_id": "soon"}, bad),
        _case("last_event_id of 10 KB", {"q": "Lisbon", "last_event_id": "1" * 10_240}, bad),
    ]


def parameter_cases() -> list[Case]:
    return [
        _case("bbox three numbers", {"bbox": "1,2,3"}, refused("bbox", status=400)),
        _case("near latitude 91", {"near": "91,0,10"}, refused("near", status=400)),
        _case("from=2024-13-01", {"from": "2024-13-01"}, refused("from", status=400)),
        _case("country=XXX", {"country": "XXX"}, refused("country", status=400)),
        _case("q of 10 KB", {"q": "a" * 10_240}, refused("q", status=400)),
        _case("q nested 5,000 deep", {"q": "(" * 5_000 + "x" + ")" * 5_000}, refused("q", status=400)),
        _case("q an unbalanced quote", {"q": '"Lisbon port'}, Expect(statuses=(200, 400))),
        _case("a garbage cursor (ignored)", {"q": "Lisbon", "cursor": "!!!"}, OPENS),
        _case("facet_size=10^9", {"q": "Lisbon", "facet_size": "1000000000"}, Expect(statuses=(200, 400))),
        _case("1,000 entity filters", "&".join(f"entity=E{n}" for n in range(1_000)), Expect(statuses=(200, 400))),
        _case("raw UTF-8 in the query string", "q=Lisboã", refused(status=400)),
        _case("no parameters: everything new", {}, OPENS),
    ]


def method_cases() -> list[Case]:
    def call(method: str) -> Case:
        build = lambda _stage: RawRequest(head=request_bytes(method, STREAM, {}), method=method)
        return Case(name=f"{method} {STREAM}", service="search", build=build, expect=refused(status=405))

    return [call("POST"), call("DELETE")]


def stream_cases() -> list[Case]:
    return [*last_event_id_cases(), *parameter_cases(), *method_cases()]

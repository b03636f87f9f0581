"""Hostile requests for the export (``/v1/export``, ``/v1/export/facets``,
``/v1/export/timeline``): formats, the search's parameters, sizes, methods.

A download that stops midway or a client that stops reading is not one request and its
answer: tests/integration/test_export_hostile.py holds those.
"""

from __future__ import annotations

from fuzz.case import EITHER, OK, Case, Expect, get_query, refused
from fuzz.wire import RawRequest, request_bytes

EXPORT, FACETS, TIMELINE = "/v1/export", "/v1/export/facets", "/v1/export/timeline"


def _case(path: str, name: str, query: str | dict | list, expect: Expect) -> Case:
    return Case(name=f"{path}: {name}", service="search", build=get_query(path, query), expect=expect)


def format_cases() -> list[Case]:
    return [
        _case(EXPORT, "format=xml", {"format": "xml"}, refused("format", status=400)),
        _case(EXPORT, "format=CSV", {"format": "CSV"}, refused("format", status=400)),
        _case(EXPORT, "format empty", {"format": ""}, EITHER),
        _case(EXPORT, "format of 10 KB", {"format": "n" * 10_240}, refused("format", status=400)),
        _case(EXPORT, "format with a NUL", "format=csv%00", refused("format", status=400)),
        _case(EXPORT, "format twice", [("format", "csv"), ("format", "ndjson")], EITHER),
        _case(EXPORT, "format=ndjson", {"format": "ndjson", "q": "Lisbon"}, OK),
        _case(EXPORT, "format=csv", {"format": "csv"}, OK),
        _case(EXPORT, "a bad format and a bad bbox: both named", {"format": "xml", "bbox": "1,2"},
              refused("bbox", status=400)),
    ]


def parameter_cases() -> list[Case]:
    cases = []
    for path in (EXPORT, FACETS, TIMELINE):
        cases += [
            _case(path, "bbox three numbers", {"bbox": "1,2,3"}, refused("bbox", status=400)),
            _case(path, "near of NaN", {"near": "nan,0,10"}, refused("near", status=400)),
            _case(path, "from=2024-13-01", {"from": "2024-13-01"}, refused("from", status=400)),
            _case(path, "from after to", {"from": "2024-05-02", "to": "2024-05-01"}, refused("from", status=400)),
            _case(path, "q of 10 KB", {"q": "a" * 10_240}, refused("q", status=400)),
            _case(path, "q unbalanced", {"q": '"Lisbon (port'}, EITHER),
            _case(path, "q nested 5,000 deep", {"q": "(" * 5_000 + "x" + ")" * 5_000}, refused("q", status=400)),
            _case(path, "country=XXX", {"country": "XXX"}, refused("country", status=400)),
            _case(path, "1,000 entity filters", [("entity", f"E{n}") for n in range(1_000)], EITHER),
            _case(path, "a garbage cursor (ignored)", {"cursor": "!!!"}, OK),
            _case(path, "percent-encoded invalid UTF-8 in q", "q=%ff%fe%c0%af", EITHER),
            _case(path, "raw UTF-8 in the query string", "q=Lisboã", refused(status=400)),
        ]
    return cases + [
        _case(EXPORT, "sort=random", {"sort": "random"}, refused("sort", status=400)),
        _case(EXPORT, "sort=relevance (exported newest first)", {"sort": "relevance", "q": "Lisbon"}, OK),
        _case(EXPORT, "size=10^9 (ignored)", {"size": "1000000000"}, EITHER),
        _case(FACETS, "an unknown facet", {"facets": "secrets"}, refused("facets", status=400)),
        _case(FACETS, "facet_size=0", {"facet_size": "0"}, refused("facet_size", status=400)),
        _case(FACETS, "facet_size=10^9", {"facet_size": "1000000000"}, refused("facet_size", status=400)),
        _case(FACETS, "facet_size of 30 digits", {"facet_size": "9" * 30}, refused("facet_size", status=400)),
        _case(FACETS, "a facet named 1,000 times", {"facets": ",".join(["entities"] * 1_000)}, OK),
        _case(TIMELINE, "histogram=year", {"histogram": "year"}, refused("histogram", status=400)),
        _case(TIMELINE, "histogram=day over 1678..2261",
              {"from": "1678-01-01", "to": "2261-12-31", "histogram": "day"}, EITHER),
    ]


def method_cases() -> list[Case]:
    def call(method: str, target: str) -> Case:
        build = lambda _stage: RawRequest(head=request_bytes(method, target, {}), method=method)
        return Case(name=f"{method} {target}", service="search", build=build, expect=refused(status=405))

    return [call("POST", EXPORT), call("DELETE", EXPORT), call("PUT", FACETS), call("POST", TIMELINE)]


def export_cases() -> list[Case]:
    return [*format_cases(), *parameter_cases(), *method_cases()]

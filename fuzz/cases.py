"""Every fuzz case, in the order they are sent.

Search first (its API, the page, the export, the live stream), then the HTTP-level cases, then ingest's (whose heaviest, the HTML and slow
bodies, come last: on a stack without budgets they hold a thread for minutes).
"""

from __future__ import annotations

from fuzz.case import Case
from fuzz.export_cases import export_cases
from fuzz.http_cases import http_cases
from fuzz.ingest_cases import ingest_cases
from fuzz.page_cases import page_cases
from fuzz.search_cases import search_cases
from fuzz.stream_cases import stream_cases


def all_cases() -> list[Case]:
    cases = [
        *search_cases(), *page_cases(), *export_cases(), *stream_cases(), *http_cases(), *ingest_cases(),
    ]
    names = [case.name for case in cases]
    duplicated = {name for name in names if names.count(name) > 1}
    assert not duplicated, f"case names must be unique: {duplicated}"
    return cases

"""Property-based testing against both published OpenAPI documents with schemathesis, all
checks, a bounded number of examples per operation (`make fuzz FUZZ_ARGS=--long` runs it
for minutes). Runs before the hostile cases: their check that the known article is
byte-identical covers what schemathesis sent too."""

from __future__ import annotations

import pytest

from fuzz import openapi
from fuzz.stack import FuzzStack


@pytest.mark.parametrize("service", ["ingest", "search"])
def test_schemathesis_finds_nothing(stack: FuzzStack, prepared, service: str) -> None:
    target = stack.target
    document = openapi.documents(target.ingest_url, target.search_url)[service]
    run = openapi.schemathesis(service, document, target.api_key)
    assert run.passed, run.output[-6000:]

"""One stack for the fuzz tests: its own redis-server, ingest, an enrich worker and index,
with the known article posted and searchable before the first case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fuzz.judge import Verdict
from fuzz.session import Prepared, prepare
from fuzz.stack import FuzzStack, fuzz_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory) -> Iterator[FuzzStack]:
    with fuzz_stack(tmp_path_factory.mktemp("fuzz-data")) as running:
        yield running


@pytest.fixture(scope="package")
def prepared(stack: FuzzStack) -> Prepared:
    return prepare(stack.target)


@pytest.fixture(scope="package")
def verdicts() -> list[Verdict]:
    """Every case's verdict, for the checks that come after all of them."""
    return []

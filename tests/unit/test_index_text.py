"""Query text parsed once for a standing query: the tree it keeps for matching in Python is
the parser's tree of the very text the index parses (rewritten, or given `*` to exclude from)."""

from __future__ import annotations

import pytest
import tantivy

from services.index.domain import BadQuery
from services.index.tantivy_store.schema import open_index
from services.index.tantivy_store.text import _prepared, parsed_text

TEXTS = [
    "harbour",
    "harbour strike OR drought",
    '"harbour strike" -lyon',
    "harbour AND NOT lyon",
    '"ports AND NOT docks" AND NOT lyon',
    "-drought",
    "-a -b",
    '-"a b"',
    "(harbour OR storm) -paris",
    'title:"harbour strike" OR entity:"ana duval"',
    "*",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return open_index(tmp_path_factory.mktemp("text"))


@pytest.mark.parametrize("text", TEXTS)
def test_the_tree_is_the_parsers_of_the_text_the_index_parses(index, text):
    prepared, _ = _prepared(text)
    assert parsed_text(index, text).tree == tantivy.parse_query(prepared)


def test_exclusions_alone_get_everything_to_exclude_from(index):
    assert _prepared("-drought")[0] == "* -drought"
    assert parsed_text(index, "-drought").tree["clauses"][0] == (None, {"type": "all"})


@pytest.mark.parametrize("text", ["", "   ", None])
def test_no_text_is_no_query(index, text):
    assert parsed_text(index, text) is None


@pytest.mark.parametrize("text", ['harbour "strike', "source:wire", "harbour AND"])
def test_bad_text_is_a_bad_query(index, text):
    with pytest.raises(BadQuery):
        parsed_text(index, text)

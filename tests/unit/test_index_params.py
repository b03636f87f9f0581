"""The search lane reads parameters from the route's one declaration, by Litestar's rules."""

from __future__ import annotations

from services.index.params import _WIRE_NAMES, params_of_query
from services.index.query import SearchParams


def test_every_declared_parameter_is_read_by_its_name_in_the_query_string():
    query = (b"q=a&entity=e1&entity=e2&place=p&country=c&source=s&language=l&from=f&to=t&near=n&bbox=b"
             b"&focus_only=true&sort=newest&size=5&cursor=x&facets=people&facet_size=3&histogram=day")
    assert params_of_query(query) == SearchParams(
        q="a", entity=["e1", "e2"], place=["p"], country=["c"], source=["s"], language=["l"],
        published_from="f", published_to="t", near="n", bbox="b", focus_only="true", sort="newest",
        size="5", cursor="x", facets=["people"], facet_size="3", histogram="day",
    )


def test_the_declaration_names_every_field_of_the_parameters():
    declared = {field for field, _ in _WIRE_NAMES.values()}
    assert declared == set(SearchParams.__struct_fields__)


def test_decoding_follows_litestars_rules():
    assert params_of_query(b"q=a+b%20c&q=last") == SearchParams(q="last")  # the last single value
    assert params_of_query(b"q=%FF%C3&entity=%E2%82") == SearchParams(q="\ufffd\ufffd", entity=["\ufffd"])
    assert params_of_query(b"q&size=&&=x&published_from=1&Q=2") == SearchParams(q="", size="")
    assert params_of_query(b"") == SearchParams()

"""Search parameters -> a store request, and a clear error for every malformed one."""

from datetime import UTC, datetime

import pytest

from services.index.cursors import CursorSeal
from services.index.domain import After, EntityFilter, PlaceFilter
from services.index.geo import Box, Circle
from services.index.query import InvalidParameters, SearchParams, parse_search

SEAL = CursorSeal(b"test key")


def parse(params: SearchParams):
    return parse_search(params, SEAL)


def test_defaults_search_everything_by_relevance():
    request = parse(SearchParams())
    assert (request.match.text, request.sort, request.size, request.after) == (None, "relevance", 10, None)


def test_filters_are_normalised():
    request = parse(SearchParams(
        q="  flood relief ", entity=["PERSON:Ana Brnabić", "Red Cross"], place=["Lyon", "2988507"],
        country=["fr"], language=["EN"], source=["wire.example"],
        published_from="2026-03-01", published_to="2026-03-31T12:00:00+02:00",
    ))
    m = request.match
    assert m.text == "flood relief"
    assert m.entities == (EntityFilter("Ana Brnabić", "PERSON"), EntityFilter("Red Cross"))
    assert m.places == (PlaceFilter(name="Lyon"), PlaceFilter(geonames_id=2988507))
    assert (m.countries, m.languages, m.sources) == (("FR",), ("en",), ("wire.example",))
    assert m.published_from == datetime(2026, 3, 1, tzinfo=UTC)
    assert m.published_to.isoformat() == "2026-03-31T12:00:00+02:00"


def test_a_calendar_day_as_upper_bound_includes_the_whole_day():
    request = parse(SearchParams(published_to="2026-03-31"))
    assert request.match.published_to == datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_geo_shapes():
    near = parse(SearchParams(near="48.85,2.35,25", focus_only="true")).match.geo
    assert near.shape == Circle(48.85, 2.35, 25.0) and near.focus_only
    box = parse(SearchParams(bbox="170,-20,-170,0")).match.geo  # across the antimeridian
    assert box.shape == Box(170.0, -20.0, -170.0, 0.0) and not box.focus_only


def test_facets_histogram_sort_size():
    request = parse(SearchParams(facets=["people,places", "people", "countries"], histogram="week",
                                        sort="newest", size="0", facet_size="5"))
    assert request.facets == ("people", "places", "countries")
    assert (request.histogram, request.sort, request.size, request.facet_size) == ("week", "newest", 0, 5)


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        (SearchParams(country=["France"]), "country", "ISO 3166-1"),
        (SearchParams(language=["eng"]), "language", "ISO 639-1"),
        (SearchParams(published_from="last week"), "from", "not a date"),
        (SearchParams(published_to="2026-03-01T10:00:00"), "to", "no UTC offset"),
        (SearchParams(published_from="2026-04-01", published_to="2026-03-01"), "from", "after `to`"),
        (SearchParams(near="48.8,2.3"), "near", "3 numbers"),
        (SearchParams(near="48.8,2.3,far"), "near", "numbers"),
        (SearchParams(near="91,2.3,10"), "near", "latitude 91"),
        (SearchParams(near="48.8,2.3,0"), "near", "radius_km"),
        (SearchParams(near="48.8,2.3,20000"), "near", "at most 5000"),
        (SearchParams(bbox="1,2,3"), "bbox", "4 numbers"),
        (SearchParams(bbox="-190,10,20,30"), "bbox", "longitude -190"),
        (SearchParams(bbox="10,40,20,30"), "bbox", "min_lat 40 is above max_lat 30"),
        (SearchParams(bbox="1,2,3,4", near="1,2,3"), "near", "not both"),
        (SearchParams(focus_only="true"), "focus_only", "needs `near` or `bbox`"),
        (SearchParams(focus_only="maybe", near="1,2,3"), "focus_only", "true or false"),
        (SearchParams(sort="popular"), "sort", "relevance, newest, oldest"),
        (SearchParams(size="ten"), "size", "whole number"),
        (SearchParams(size="1000"), "size", "outside 0..100"),
        (SearchParams(facet_size="0"), "facet_size", "outside 1..100"),
        (SearchParams(facets=["people,colours"]), "facets", "'colours' is not one of"),
        (SearchParams(histogram="hour"), "histogram", "day, week, month"),
        (SearchParams(cursor="not-a-cursor"), "cursor", "not a cursor"),
    ],
)
def test_malformed_parameters_are_named_with_the_reason(params, field, says):
    with pytest.raises(InvalidParameters) as caught:
        parse(params)
    [error] = caught.value.errors
    assert error.field == field
    assert says in error.reason


def test_every_bad_parameter_is_reported_at_once():
    with pytest.raises(InvalidParameters) as caught:
        parse(SearchParams(size="x", sort="y", country=["zzz"]))
    assert {e.field for e in caught.value.errors} == {"size", "sort", "country"}


def test_a_cursor_comes_back_for_the_same_query_only():
    first = parse(SearchParams(q="flood", sort="newest", size="5"))
    cursor = SEAL.issue(After(sort_key=123, offset=0, seq_ceiling=9), first)
    again = parse(SearchParams(q="flood", sort="newest", size="20", cursor=cursor))
    assert again.after == After(sort_key=123, offset=0, seq_ceiling=9)
    with pytest.raises(InvalidParameters, match="different query"):
        parse(SearchParams(q="drought", sort="newest", cursor=cursor))


def test_relevance_paging_is_bounded():
    first = parse(SearchParams(q="flood"))
    cursor = SEAL.issue(After(sort_key=None, offset=9_995, seq_ceiling=9), first)
    with pytest.raises(InvalidParameters, match="sort=newest"):
        parse(SearchParams(q="flood", cursor=cursor))


@pytest.mark.parametrize(
    ("q", "says"),
    [
        ("(" * 10_000, "characters long"),  # crashed the index process in the parser
        ("(" * 21 + "port" + ")" * 21, "nests parentheses"),
        ("NOT port " * 150, "terms and operators"),
    ],
)
def test_a_query_text_past_what_a_person_writes_is_refused(q, says):
    with pytest.raises(InvalidParameters) as refused:
        parse(SearchParams(q=q))
    assert refused.value.errors[0].field == "q" and says in refused.value.errors[0].reason


def test_a_place_is_an_id_only_in_ascii_digits_a_geonames_id_can_have():
    assert parse(SearchParams(place=["2990969"])).match.places == (PlaceFilter(geonames_id=2990969),)
    assert parse(SearchParams(place=["²"])).match.places == (PlaceFilter(name="²"),)
    assert parse(SearchParams(place=["-42"])).match.places == (PlaceFilter(geonames_id=-42),)
    assert parse(SearchParams(place=["-"])).match.places == (PlaceFilter(name="-"),)
    assert parse(SearchParams(place=["9" * 30])).match.places == (PlaceFilter(name="9" * 30),)

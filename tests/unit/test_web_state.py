"""The search page's URL is its state (services/index/web/state.py)."""

from urllib.parse import parse_qs, urlsplit

from services.index.web.state import PageState


def _state(url: str) -> PageState:
    return PageState.from_query(parse_qs(urlsplit(url).query, keep_blank_values=True))


def test_a_url_round_trips_with_every_filter():
    url = (
        "/?q=flood+port&entity=PERSON%3AAna+Duval&entity=ORG%3ARed+Cross&place=2988507&country=FR"
        "&source=wire.example&language=en&from=2026-01-01&to=2026-02-01&bbox=-10%2C40%2C10%2C50"
        "&focus_only=true&sort=newest"
    )
    state = _state(url)
    assert state.entity == ("PERSON:Ana Duval", "ORG:Red Cross")
    assert (state.since, state.until, state.focus_only, state.sort) == (
        "2026-01-01",
        "2026-02-01",
        True,
        "newest",
    )
    assert state.url() == url
    assert _state(state.url()) == state


def test_a_form_submission_drops_empty_fields_and_repeats():
    state = _state("/?q=&from=&to=&sort=&entity=Ana&entity=Ana&entity=+")
    assert state == PageState(entity=("Ana",))
    assert state.url() == "/?entity=Ana"
    assert PageState().url() == "/" and PageState().is_empty()


def test_links_add_and_remove_one_filter_value():
    state = PageState(q="flood", place=("Lyon",), since="2026-01-01", focus_only=True)
    assert _state(state.url_adding("place", "2988507")).place == ("Lyon", "2988507")
    assert state.url_adding("place", "Lyon") == state.url()  # already there: the same search
    assert state.without("place", "Lyon").place == ()
    assert state.without("from").since == ""
    assert state.without("focus_only").focus_only is False
    assert (
        state.url("/v1/export", format="csv")
        == "/v1/export?q=flood&place=Lyon&from=2026-01-01&focus_only=true&format=csv"
    )


def test_the_search_api_gets_the_same_parameters():
    params = PageState(
        q="flood", country=("FR",), until="2026-02-01", focus_only=True
    ).search_params(size="20")
    assert (params.q, params.country, params.published_to, params.focus_only, params.size) == (
        "flood",
        ["FR"],
        "2026-02-01",
        "true",
        "20",
    )
    assert params.published_from is None and params.sort is None

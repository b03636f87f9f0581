"""The search page over HTTP on a real index: what it shows, its links, and its refusals.

The browser drives it in tests/e2e/test_page_browser.py; here each route's answer is read
as HTML, quickly, without a browser.
"""

from __future__ import annotations

import re
from html import unescape

import msgspec
import pytest
from litestar.testing import TestClient

from services.index.api import search_app
from services.index.cursors import CursorSeal
from services.index.query import SearchParams, parse_search
from services.index.tantivy_store import ArticleStore
from services.index.web.landing import LandingCache
from shared.schemas import Entity, ErrorBody, Span
from shared.settings import Settings
from tests.factories import BERLIN, LYON, NAIROBI, PARIS, SUVA, place, story

HOSTILE = '<script>alert("x")</script>'
FLOOD = "Heavy rain flooded the river banks in Lyon."


def _spanned(article):
    """Story 1 as enrichment finds it: its mentions with their spans."""
    text = article.text

    def at(name: str) -> list[Span]:
        return [Span("text", text.index(name), text.index(name) + len(name))]

    lyon = place(
        "Lyon",
        geonames_id=LYON.geonames_id,
        lat=LYON.lat,
        lon=LYON.lon,
        country_code="FR",
        confidence=0.9,
        spans=at("Lyon"),
    )
    return msgspec.structs.replace(
        article,
        places=[lyon],
        focus=lyon,
        entities=[
            Entity(text="Red Cross", label="ORG", count=1, spans=at("Red Cross")),
            Entity(text="Ana Duval", label="PERSON", count=1, spans=at("Ana Duval")),
        ],
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("page")
    writer = ArticleStore(root / "index", writable=True)
    # fmt: off
    writer.upsert([
        _spanned(story(1, "Flooding closes roads in Lyon", f"{FLOOD} Ana Duval of the Red Cross said.", day=0)),
        story(2, "Berlin senate passes budget", "The senate in Berlin passed the city budget.",
              places=[BERLIN], focus=BERLIN, entities=[("ORG", "Berlin Senate")], day=1, language="de"),
        story(3, "Drought worries farmers", "Farmers near Nairobi fear a long drought.",
              places=[NAIROBI], focus=NAIROBI, entities=[("ORG", "Red Cross")], day=8, source="Kenya.example"),
        story(4, f"Storm reaches Suva {HOSTILE}", f"A storm reached Suva. {HOSTILE} Ana Duval reported from Paris.",
              places=[SUVA, PARIS], focus=SUVA, entities=[("PERSON", "Ana Duval")], day=35),
        *[story(10 + n, f"Council meeting {n}", "The council met about the budget.", day=n) for n in range(25)],
    ])
    # fmt: on
    writer.commit()
    yield root
    writer.close()


def _client(root, **settings) -> TestClient:
    return TestClient(
        search_app(ArticleStore(root / "index"), Settings(data_dir=str(root), **settings))
    )


@pytest.fixture(scope="module")
def client(index):
    with _client(index) as http:
        yield http


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def links(html: str, css_class: str) -> dict[str, str]:
    """Text -> href of the links with ``css_class``."""
    found = re.findall(
        rf'<a class="{css_class}"[^>]*href="([^"]+)"[^>]*>(.*?)</a>', html, re.DOTALL
    )
    return {
        " ".join(re.sub(r"<[^>]+>", " ", unescape(text)).split()): unescape(href)
        for href, text in found
    }


def test_the_first_page_shows_hits_facets_timeline_and_map(client):
    html = page(client, "/")
    assert "29 articles" in html
    assert html.count('<li class="hit"') == 20 and "More results" in html
    for heading in (
        "People",
        "Organisations",
        "Places",
        "Countries",
        "Sources",
        "Languages",
        "Timeline",
        "Map",
    ):
        assert f">{heading}<" in html or f">{heading} <" in html
    assert "Germany (DE)" in html  # countries by name
    assert html.count('class="point') == 5  # Lyon, Berlin, Nairobi, Suva, Paris
    assert 'class="bar"' in html and "articles per day" in html
    assert 'href="/static/world.svg#land"' in html


def test_facets_narrow_and_chips_remove(client):
    html = page(client, "/?q=budget")
    people = dict(re.findall(r'<a href="([^"]+)"><span class="label"[^>]*>([^<]+)</span>', html))
    narrowed = unescape(next(href for href, label in people.items() if label == "Berlin Senate"))
    assert narrowed == "/?q=budget&entity=ORG%3ABerlin+Senate"
    html = page(client, narrowed)
    assert "1 article<" in html and "Berlin senate passes budget" in html
    chips = links(html, "chip k-org")
    assert list(chips.values()) == ["/?q=budget"]


def test_a_place_filter_is_named_on_its_chip_and_the_map_links_to_places(client):
    html = page(client, f"/?place={PARIS.geonames_id}")
    assert "Paris" in links(html, "chip k-place").popitem()[0]
    point_links = re.findall(r'<a href="([^"]+)" class="point" data-place="(\d+)"', html)
    assert {place_id for _, place_id in point_links} == {
        str(SUVA.geonames_id),
        str(PARIS.geonames_id),
    }


def test_the_bbox_filter_is_drawn_and_the_map_zooms_to_it(client):
    html = page(client, "/?bbox=-10,40,20,55")
    assert '<rect class="bbox"' in html
    assert list(links(html, "chip k-bbox")) == ["bbox 10°W to 20°E, 40°N to 55°N ×"]
    # Lyon, Berlin, Paris, and Suva: the story from Suva mentions Paris
    assert html.count('class="point') == 4
    view = [
        float(v) for v in re.search(r'<svg class="world" viewBox="([^"]+)"', html).group(1).split()
    ]
    assert view[2] < 200  # zoomed in, not the whole world


def test_bad_input_is_a_400_page_naming_each_problem(client):
    html = page(client, "/?q=(flood&from=yesterday", 400)
    assert "The search could not run" in html and "from:" in html
    html = page(client, "/?q=title:flood)", 400)
    assert "query:" in html


def test_a_page_of_too_many_filters_is_a_short_400_page(client):
    # each chip and facet link repeats the whole URL: 1,000 filters made a 16 MB page
    many = "&".join(f"entity=ORG:E{n}" for n in range(1_000))
    html = page(client, f"/?{many}", 400)
    assert "a page takes at most" in html and len(html) < 200_000
    assert "a page takes at most" in page(client, f"/results?cursor=x&{many}", 400)
    assert page(client, "/?" + "&".join(f"entity=ORG:E{n}" for n in range(50)))


@pytest.mark.parametrize("url", ["/results", "/results?cursor="])
def test_more_results_without_a_cursor_is_the_fragments_400(client, url):
    assert "cursor: required" in page(client, url, 400)


@pytest.mark.parametrize("path", ["/static/%00", "/static/a%00.css", "/static/" + "a" * 5_000,
                                  "/static/..%2Froutes.py", "/static/", "/static/nothing.css"])
def test_only_the_pages_assets_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert msgspec.json.decode(response.content, type=ErrorBody).error == "not_found"


def test_the_pages_assets_are_served(client):
    for name in ("page.css", "page.js", "world.svg", "icon.svg"):
        assert client.get(f"/static/{name}").status_code == 200


def test_more_results_come_as_a_fragment_with_the_next_link(client):
    first = page(client, "/?sort=oldest")
    more = unescape(re.search(r'data-fragment="([^"]+)"', first).group(1))
    assert more.startswith("/results?sort=oldest&cursor=")
    fragment = page(client, more)
    assert (
        fragment.lstrip().startswith('<li class="hit"') and fragment.count('<li class="hit"') == 9
    )
    assert "More results" not in fragment
    assert "Storm reaches Suva" in fragment  # the last, day 35
    page(client, "/results?cursor=forged", 400)
    # without JavaScript, the link leads to the whole page of the next hits
    whole = page(client, unescape(re.search(r'class="more button" href="([^"]+)"', first).group(1)))
    assert (
        whole.count('<li class="hit"') == 9
        and "Storm reaches Suva" in whole
        and "29 articles" in whole
    )


def test_the_article_view_marks_mentions_and_lists_places(client):
    html = page(client, f"/articles/{1:032x}")
    marks = links(html, "mark k-person")
    assert marks == {"Ana Duval": "/?entity=PERSON%3AAna+Duval"}
    assert links(html, "mark k-org") == {"Red Cross": "/?entity=ORG%3ARed+Cross"}
    assert links(html, "mark k-place") == {"Lyon": f"/?place={LYON.geonames_id}"}
    assert "45.764, 4.836" in html and "0.90" in html and "focus" in html
    page(client, f"/articles/{999:032x}", 404)
    page(client, "/articles/not-an-id", 404)


def test_article_text_is_escaped_everywhere(client):
    assert HOSTILE not in page(client, "/?q=storm")
    assert HOSTILE not in page(client, f"/articles/{4:032x}")
    assert HOSTILE not in page(client, f"/hits/{4:032x}")


def test_one_hit_for_a_followed_search(client):
    fragment = page(client, f"/hits/{3:032x}?q=drought")
    assert fragment.count('<li class="hit"') == 1 and 'data-id="' + f"{3:032x}" in fragment
    assert "Red Cross" in fragment and "&amp;entity=ORG%3ARed+Cross" in fragment
    page(client, f"/hits/{999:032x}", 404)


def test_the_page_offers_export_and_follow_only_where_the_api_has_them(client):
    html = page(client, "/")
    paths = {route.path for route in client.app.routes}
    assert ("/v1/export" in paths) == ('href="/v1/export?format=csv"' in html)
    assert ("/v1/export/facets" in paths) == ('href="/v1/export/facets?' in html)
    assert ("/v1/export/timeline" in paths) == ('href="/v1/export/timeline?histogram=day"' in html)
    assert ("/v1/stream" in paths) == ('data-stream="/v1/stream"' in html)


def test_with_search_keys_the_page_needs_one_but_its_files_do_not(index):
    with _client(index, search_keys=("k",)) as http:
        assert http.get("/").status_code == 401
        assert http.get("/", headers={"Authorization": "Bearer k"}).status_code == 200
        for path in (
            "/static/page.css",
            "/static/page.js",
            "/static/world.svg",
            "/docs",
            "/docs/assets/swagger-ui.css",
        ):
            assert http.get(path).status_code == 200, path


def test_the_api_docs_load_nothing_from_elsewhere(client):
    html = page(client, "/docs")
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == [
        "/docs/assets/swagger-ui.css",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui-standalone-preset.js",
    ]
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert page(client, "/docs/swagger") == html


def test_an_operators_tile_server_goes_under_the_shapes(index):
    tiles = "https://tiles.example/{z}/{x}/{y}.png"
    with _client(index, map_tiles=tiles, map_tiles_attribution="© Tile makers") as http:
        html = page(http, "/")
    assert (
        '<image href="https://tiles.example/2/0/0.png" x="0.0" y="0.0" width="250.0" height="250.0"/>'
        in html
    )
    assert '<use class="land over-tiles"' in html and "tiles: © Tile makers" in html


def test_the_landing_page_is_searched_once_per_commit(tmp_path):
    writer = ArticleStore(tmp_path / "index", writable=True)
    writer.upsert([story(1, "Flooding in Lyon", places=[LYON], focus=LYON)])
    writer.commit()
    reader = ArticleStore(tmp_path / "index")
    landing, runs = LandingCache(reader), []

    def search():
        runs.append(1)
        return reader.search(parse_search(SearchParams(facets=["countries"]), CursorSeal(b"k")))

    first = landing.result(search)
    assert landing.result(search) is first and len(runs) == 1
    writer.upsert([story(2, "Storm in Suva", places=[SUVA], focus=SUVA)])
    writer.commit()
    fresh = landing.result(search)
    assert len(runs) == 2 and fresh.total == 2
    assert {b.key for b in fresh.facets["countries"]} == {"FR", "FJ"}
    with _client(tmp_path) as http:  # the page itself: a commit shows at once
        assert "2 articles" in page(http, "/") and "2 articles" in page(http, "/")
        writer.upsert([story(3, "Drought near Nairobi", places=[NAIROBI], focus=NAIROBI)])
        writer.commit()
        assert "3 articles" in page(http, "/")
    writer.close()

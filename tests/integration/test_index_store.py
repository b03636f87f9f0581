"""The article store on a real Tantivy index: upserts, filters, geo, paging, facets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from services.index import generations
from services.index.domain import (
    After,
    BadQuery,
    EntityFilter,
    GeoFilter,
    Match,
    PlaceFilter,
    SearchRequest,
)
from services.index.geo import Box, Circle
from services.index.port import ArticleSearch, ArticleSink
from services.index.tantivy_store import ArticleStore, IndexBusy
from shared.schemas import EnrichedArticle
from tests.factories import BERLIN, DAY0, LYON, NAIROBI, PARIS, SUVA, place, story


def ids(result) -> list[int]:
    return [int(hit.article.id, 16) for hit in result.hits]


def search(store: ArticleStore, **match) -> list[int]:
    request_fields = {k: match.pop(k) for k in list(match) if k in ("sort", "size", "after", "facets", "histogram")}
    return sorted(ids(store.search(SearchRequest(match=Match(**match), size=50, **request_fields))))


@pytest.fixture
def store(tmp_path: Path) -> ArticleStore:
    writer = ArticleStore(tmp_path / "index", writable=True)
    yield writer
    writer.close()


def put(store: ArticleStore, *articles: EnrichedArticle):
    report = store.upsert(articles)
    store.commit()
    return report


# -- upserts ---------------------------------------------------------------------------------


def test_get_returns_the_stored_article_unchanged(store):
    original = story(1, places=[PARIS, LYON], focus=PARIS, entities=[("PERSON", "Ana Duval")])
    put(store, original)
    assert store.get(original.id) == original
    assert store.get(f"{99:032x}") is None


def test_upsert_is_idempotent(store):
    put(store, story(1))
    put(store, story(1), story(1))
    assert store.stats().documents == 1
    assert search(store, text="council") == [1]


def test_an_older_version_never_overwrites_a_newer_one(store):
    newer = story(1, title="Council approves budget", received_at=DAY0 + timedelta(hours=5), content_hash="v2")
    older = story(1, title="Council meets", received_at=DAY0 + timedelta(hours=1), content_hash="v1")
    put(store, newer)
    report = put(store, older)
    assert report.stale == [newer.id] and report.written == []
    assert store.get(newer.id).title == "Council approves budget"
    assert store.stats().documents == 1


def test_within_one_batch_the_newest_version_wins(store):
    newer = story(1, title="Second edition", received_at=DAY0 + timedelta(hours=5), content_hash="v2")
    older = story(1, title="First edition", received_at=DAY0 + timedelta(hours=1), content_hash="v1")
    put(store, newer, older)
    assert store.get(newer.id).title == "Second edition"
    assert search(store, text="first") == []


def test_a_newer_version_replaces_the_old_one(store):
    put(store, story(1, title="Council meets"))
    put(store, story(1, title="Council adjourns", received_at=DAY0 + timedelta(days=1), content_hash="v2"))
    assert search(store, text="meets") == []
    assert search(store, text="adjourns") == [1]


def test_delete(store):
    put(store, story(1), story(2))
    store.delete(f"{1:032x}")
    store.commit()
    assert search(store) == [2]


def test_a_reader_sees_a_commit_at_its_next_request(store, tmp_path):
    reader = ArticleStore(tmp_path / "index")
    assert search(reader) == []
    put(store, story(1))
    assert search(reader) == [1]
    with pytest.raises(PermissionError):
        reader.upsert([story(2)])


def test_the_commit_stamp_moves_with_each_commit_and_switch_and_reloads_nothing(store, tmp_path):
    reader = ArticleStore(tmp_path / "index")
    before = reader.commit_stamp()
    put(store, story(1))
    committed = reader.commit_stamp()
    assert committed != before and reader.commit_stamp() == committed
    assert reader._live.opened.committed != committed.split(b"\n", 1)[1]  # read, not reloaded
    assert search(reader) == [1]  # a request after it sees that commit
    assert reader.commit_stamp() == committed

    generation = generations.fresh(tmp_path / "index")
    rebuilt = ArticleStore(generation, writable=True, follow=False)
    put(rebuilt, story(1))
    rebuilt.close()
    generations.switch(tmp_path / "index", generation)
    assert reader.commit_stamp().startswith(generation.name.encode() + b"\n")


# -- text ------------------------------------------------------------------------------------


@pytest.fixture
def newsroom(store):
    put(
        store,
        story(1, "Flooding closes roads in Lyon", "Heavy rain flooded the river banks in Lyon.",
              places=[LYON], focus=LYON, entities=[("ORG", "Red Cross"), ("PERSON", "Ana Duval")], day=0),
        story(2, "Berlin senate passes budget", "The senate in Berlin passed the city budget after a long debate.",
              places=[BERLIN], focus=BERLIN, entities=[("ORG", "Berlin Senate")], day=1, language="de"),
        story(3, "Drought worries farmers", "Farmers near Nairobi fear a long drought; the Red Cross sends water.",
              places=[NAIROBI], focus=NAIROBI, entities=[("ORG", "Red Cross")], day=8, source="Kenya.example"),
        story(4, "Storm reaches Suva", "A storm reached Suva and closed the port. Ana Duval reported from Paris.",
              places=[SUVA, PARIS], focus=SUVA, entities=[("PERSON", "Ana Duval")], day=35),
        story(5, "Lyon and Berlin sign a partnership", "The mayors of Lyon and Berlin signed a partnership.",
              places=[LYON, BERLIN], focus=None, entities=[], day=40),
    )
    return store


def test_all_terms_are_required_and_stemmed(newsroom):
    assert search(newsroom, text="flooded roads") == [1]  # "flooding"/"flooded" share a stem
    assert search(newsroom, text="budget senate") == [2]


def test_phrases_boolean_operators_and_field_prefixes(newsroom):
    assert search(newsroom, text='"long drought"') == [3]
    assert search(newsroom, text='"drought long"') == []
    assert search(newsroom, text="drought OR storm") == [3, 4]
    assert search(newsroom, text="lyon AND NOT flooding") == [5]
    assert search(newsroom, text="lyon -flooding") == [5]
    assert search(newsroom, text="title:storm") == [4]
    assert search(newsroom, text="title:paris") == []
    assert search(newsroom, text='entity:"red cross"') == [1, 3]
    assert search(newsroom, text="place:suva") == [4]


def test_query_syntax_errors_say_where(newsroom):
    with pytest.raises(BadQuery) as caught:
        newsroom.search(SearchRequest(match=Match(text='storm "suva')))
    assert caught.value.position == 6 and "character 6: this quote is never closed" in caught.value.reason
    with pytest.raises(BadQuery, match="unknown field prefix colour:"):
        newsroom.search(SearchRequest(match=Match(text="colour:red")))


def test_hits_carry_a_highlighted_snippet_and_a_score(newsroom):
    [hit] = newsroom.search(SearchRequest(match=Match(text="drought"))).hits
    assert "<b>drought</b>" in hit.snippet
    assert hit.score > 0


# -- filters ---------------------------------------------------------------------------------


def test_entity_filters_by_text_and_label(newsroom):
    assert search(newsroom, entities=(EntityFilter("red cross"),)) == [1, 3]
    assert search(newsroom, entities=(EntityFilter("Ana Duval", "PERSON"),)) == [1, 4]
    assert search(newsroom, entities=(EntityFilter("Ana Duval", "ORG"),)) == []
    assert search(newsroom, entities=(EntityFilter("Red Cross"), EntityFilter("Ana Duval"))) == [1]


def test_place_country_source_language_and_dates(newsroom):
    assert search(newsroom, places=(PlaceFilter(name="berlin"),)) == [2, 5]
    assert search(newsroom, places=(PlaceFilter(geonames_id=2198148),)) == [4]
    assert search(newsroom, countries=("FR",)) == [1, 4, 5]
    assert search(newsroom, countries=("KE", "FJ")) == [3, 4]
    assert search(newsroom, sources=("kenya.example",)) == [3]
    assert search(newsroom, languages=("de",)) == [2]
    assert search(newsroom, published_from=DAY0 + timedelta(days=1), published_to=DAY0 + timedelta(days=8)) == [2, 3]


# -- geo -------------------------------------------------------------------------------------


def test_bbox_matches_an_article_with_a_place_inside_only(newsroom):
    france = Box(-5.0, 42.0, 8.5, 51.0)
    assert search(newsroom, geo=GeoFilter(france)) == [1, 4, 5]  # Lyon, Paris (with Suva), Lyon


def test_several_places_never_combine_into_a_false_hit(store):
    # Lyon's longitude and Berlin's latitude are both inside this box; neither city is.
    put(store, story(1, places=[LYON, BERLIN]))
    assert search(store, geo=GeoFilter(Box(4.0, 51.0, 6.0, 54.0))) == []
    assert search(store, geo=GeoFilter(Box(4.0, 45.0, 6.0, 46.0))) == [1]


def test_places_just_inside_and_just_outside_a_box_edge(store):
    edge = 10.0
    inside = place("In", geonames_id=1, lat=50.0, lon=edge - 0.001)
    outside = place("Out", geonames_id=2, lat=50.0, lon=edge + 0.001)
    put(store, story(1, places=[inside]), story(2, places=[outside]))
    assert search(store, geo=GeoFilter(Box(0.0, 45.0, edge, 55.0))) == [1]


KM_PER_DEGREE_OF_LATITUDE = 6371.0088 * 3.141592653589793 / 180


@pytest.mark.parametrize("shape, outside, inside, deep", [
    (Box(0.0, 45.0, 10.0, 55.0), (50.0, 10.001), (50.0, 9.999), (50.0, 5.0)),
    (Circle(50.0, 0.0, 300.0), (50.0 + 300.1 / KM_PER_DEGREE_OF_LATITUDE, 0.0),
     (50.0 + 299.9 / KM_PER_DEGREE_OF_LATITUDE, 0.0), (50.0, 0.0)),
])
def test_a_busy_place_just_across_the_edge_still_gives_exact_matches(store, shape, outside, inside, deep):
    # A thousand articles at one place a hair across the edge, in a border cell however
    # fine: the place is checked once, the articles inside still all match.
    busy = place("Busy", geonames_id=3, lat=outside[0], lon=outside[1])
    near = place("Near", geonames_id=4, lat=inside[0], lon=inside[1])
    centre = place("Centre", geonames_id=5, lat=deep[0], lon=deep[1])
    put(store, *(story(n, places=[busy]) for n in range(1, 1101)))
    put(store, *(story(n, places=[busy, near]) for n in range(5001, 5004)))
    put(store, story(6001, places=[busy, centre]), story(6002, places=[centre, near]))
    result = store.search(SearchRequest(match=Match(geo=GeoFilter(shape)), size=50))
    assert sorted(ids(result)) == [5001, 5002, 5003, 6001, 6002]
    assert result.total == 5  # an article both inside and on the edge counts once


EDGE_PLACES = [  # on the lines where coverings split: the antimeridian, the poles, cell edges
    (90.0, 0.0), (-90.0, 45.0), (89.99, 179.99), (0.0, 180.0), (0.0, -180.0), (10.0, 179.999),
    (10.0, -179.999), (45.0, 5.625), (45.0, 5.625 - 1e-9), (0.0, 0.0), (-18.1416, 178.4419),
]
EDGE_SHAPES = [
    Box(170.0, -25.0, -170.0, 15.0),  # across the antimeridian
    Box(179.999, 0.0, -179.999, 20.0),  # a thin one across it, edges on the places
    Box(0.0, 0.0, 5.625, 45.0),  # edges on places that lie on cell edges
    Box(5.625, 45.0, 6.0, 46.0),
    Box(-180.0, 89.0, 180.0, 90.0),  # a polar cap
    Box(-180.0, -90.0, 180.0, 90.0),  # the whole world
    Circle(90.0, 0.0, 10.0),  # at the north pole
    Circle(-90.0, 100.0, 1.0),
    Circle(89.0, -179.0, 200.0),  # over the pole and the antimeridian
    Circle(0.0, 180.0, 0.001),  # on a place, on the antimeridian
    Circle(-18.1416, 178.4419, 0.001),
    Circle(10.0, 180.0, 12.0),  # reaching places on both sides of the antimeridian
]


@pytest.mark.parametrize("shape", EDGE_SHAPES)
def test_geo_matches_agree_with_checking_every_place_on_edge_cases(store, shape):
    spots = [place(f"P{n}", geonames_id=n, lat=lat, lon=lon) for n, (lat, lon) in enumerate(EDGE_PLACES, 1)]
    put(store, *(story(n, places=[spot], focus=spot) for n, spot in enumerate(spots, 1)))
    expected = [n for n, point in enumerate(EDGE_PLACES, 1) if shape.contains(*point)]
    assert search(store, geo=GeoFilter(shape)) == expected
    assert search(store, geo=GeoFilter(shape, focus_only=True)) == expected


def test_geo_matches_agree_with_checking_every_place_on_random_shapes(store):
    rng = random.Random(11)
    shapes = [_random_shape(rng) for _ in range(40)]
    points = [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(150)]
    for shape in shapes[:10]:  # places on and a hair either side of the shapes' edges
        box = shape.bounds() if isinstance(shape, Circle) else shape
        for lat, lon in ((box.min_lat, box.min_lon), (box.max_lat, box.max_lon)):
            points += [(lat, lon), (lat, lon + 1e-7), (min(90.0, lat + 1e-7), lon - 1e-7)]
    points = [(lat, (lon + 180) % 360 - 180) for lat, lon in points]
    articles = [[rng.randrange(len(points)) for _ in range(rng.randint(1, 3))] for _ in range(300)]
    put(store, *(story(n, places=[place(f"P{i}", geonames_id=i + 1, lat=points[i][0], lon=points[i][1])
                                  for i in spots]) for n, spots in enumerate(articles, 1)))  # fmt: skip
    matched = 0
    for shape in shapes:
        expected = [n for n, spots in enumerate(articles, 1) if any(shape.contains(*points[i]) for i in spots)]
        assert sorted(ids(store.search(SearchRequest(match=Match(geo=GeoFilter(shape)), size=300)))) == expected
        matched += bool(expected)
    assert matched >= 10  # the shapes are not all empty


def _random_shape(rng: random.Random) -> Box | Circle:
    lat, lon = rng.uniform(-85, 85), rng.uniform(-180, 180)
    if rng.random() < 0.5:
        return Circle(lat, lon, rng.choice([1.0, 50.0, 500.0, 3000.0]))
    width, height = rng.choice([0.01, 1.0, 10.0, 60.0]), rng.choice([0.01, 1.0, 10.0, 40.0])
    west = lon - width / 2
    east = lon + width / 2
    return Box((west + 180) % 360 - 180, max(-90.0, lat - height / 2), (east + 180) % 360 - 180, min(90.0, lat + height / 2))


def test_near_is_an_exact_radius(newsroom):
    assert search(newsroom, geo=GeoFilter(Circle(48.8566, 2.3522, 10.0))) == [4]
    # Lyon is ~392 km from Paris.
    assert search(newsroom, geo=GeoFilter(Circle(48.8566, 2.3522, 380.0))) == [4]
    assert search(newsroom, geo=GeoFilter(Circle(48.8566, 2.3522, 400.0))) == [1, 4, 5]


def test_focus_only_matches_the_story_place_only(newsroom):
    assert search(newsroom, geo=GeoFilter(Circle(48.8566, 2.3522, 10.0), focus_only=True)) == []
    assert search(newsroom, geo=GeoFilter(Circle(-18.14, 178.44, 10.0), focus_only=True)) == [4]


def test_bbox_across_the_antimeridian(newsroom):
    assert search(newsroom, geo=GeoFilter(Box(175.0, -25.0, -175.0, -10.0))) == [4]


def test_geo_combines_with_text(newsroom):
    france = Box(-5.0, 42.0, 8.5, 51.0)
    assert search(newsroom, text="partnership", geo=GeoFilter(france)) == [5]


# -- order and paging ------------------------------------------------------------------------


def test_newest_and_oldest(newsroom):
    assert ids(newsroom.search(SearchRequest(sort="newest", size=3))) == [5, 4, 3]
    assert ids(newsroom.search(SearchRequest(sort="oldest", size=3))) == [1, 2, 3]


def test_cursor_paging_is_stable_while_articles_arrive(store):
    put(store, *(story(n, day=n) for n in range(1, 8)))
    pages, after = [], None
    while True:
        page = store.search(SearchRequest(sort="newest", size=3, after=after))
        pages.append(ids(page))
        assert page.total == 7  # the whole match, on every page
        if page.next is None:
            break
        after = page.next
        # news keeps coming: a newer article and one dated inside the pages still to come
        put(store, story(100 + len(pages), day=50), story(200 + len(pages), day=2))
    assert pages == [[7, 6, 5], [4, 3, 2], [1]]


def test_relevance_paging_covers_every_hit_once(store):
    put(store, *(story(n, text=f"storm {'storm ' * n}report") for n in range(1, 8)))
    seen, after = [], None
    while True:
        page = store.search(SearchRequest(match=Match(text="storm"), size=3, after=after))
        seen += ids(page)
        if page.next is None:
            break
        after = page.next
        put(store, story(100 + len(seen), text="storm storm storm storm storm storm storm storm storm"))
    assert sorted(seen) == list(range(1, 8))


def test_size_zero_gives_the_count_and_aggregations_only(newsroom):
    result = newsroom.search(SearchRequest(size=0, facets=("countries",)))
    assert (result.total, result.hits) == (5, [])
    assert result.facets["countries"]


# -- facets and histogram --------------------------------------------------------------------


def test_facets_count_over_the_whole_match(newsroom):
    result = newsroom.search(SearchRequest(
        size=1, facets=("entities", "people", "organizations", "places", "countries", "sources", "languages"),
    ))
    facets = {name: {b.key: b.count for b in buckets} for name, buckets in result.facets.items()}
    assert facets["entities"] == {"ORG:Red Cross": 2, "PERSON:Ana Duval": 2, "ORG:Berlin Senate": 1}
    assert facets["people"] == {"Ana Duval": 2}
    assert facets["organizations"] == {"Red Cross": 2, "Berlin Senate": 1}
    assert facets["places"] == {"Lyon": 2, "Berlin": 2, "Nairobi": 1, "Suva": 1, "Paris": 1}
    assert facets["countries"] == {"FR": 3, "DE": 2, "KE": 1, "FJ": 1}
    assert facets["sources"] == {"Wire.example": 4, "Kenya.example": 1}
    assert facets["languages"] == {"en": 4, "de": 1}


def test_points_facet_keys_each_place_with_its_coordinates(newsroom):
    result = newsroom.search(SearchRequest(match=Match(text="lyon"), facets=("points",)))
    assert {b.key: b.count for b in result.facets["points"]} == {
        "2996944|45.7640|4.8357|Lyon": 2, "2950159|52.5200|13.4050|Berlin": 1,
    }


def test_facets_follow_the_query(newsroom):
    result = newsroom.search(SearchRequest(match=Match(text="lyon"), facets=("places",)))
    assert {b.key: b.count for b in result.facets["places"]} == {"Lyon": 2, "Berlin": 1}


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("day", {"2026-03-02": 1, "2026-03-03": 1, "2026-03-10": 1, "2026-04-06": 1, "2026-04-11": 1}),
        ("week", {"2026-03-02": 2, "2026-03-09": 1, "2026-04-06": 2}),  # weeks start on Monday
        ("month", {"2026-03-01": 3, "2026-04-01": 2}),
    ],
)
def test_histogram(newsroom, interval, expected):
    result = newsroom.search(SearchRequest(size=0, histogram=interval))
    assert {b.start.date().isoformat(): b.count for b in result.histogram} == expected
    # each bucket starts at midnight UTC, a time zone attached (the API writes it with "Z")
    assert {(b.start.tzinfo, b.start.time()) for b in result.histogram} == {(UTC, datetime.min.time())}


def test_articles_lists_every_stored_article_for_a_reindex(newsroom):
    listed = list(newsroom.articles(batch=2))
    assert sorted(int(c.article.id, 16) for c in listed) == [1, 2, 3, 4, 5]
    assert [c.seq for c in listed] == sorted(c.seq for c in listed)


def test_an_after_from_another_sort_is_harmless(newsroom):
    result = newsroom.search(SearchRequest(sort="oldest", size=2, after=After(sort_key=None, offset=0, seq_ceiling=2**62)))
    assert ids(result) == [1, 2]


def test_exclusions_only_exclude_from_everything(newsroom):
    assert search(newsroom, text="NOT lyon") == [2, 3, 4]
    assert search(newsroom, text="-lyon -storm") == [2, 3]
    assert search(newsroom, text='lyon AND NOT "flooded the river"') == [5]


def test_an_article_the_index_cannot_hold_is_rejected_alone(store):
    far_future = msgspec.structs.replace(story(2), published_at=datetime(2999, 1, 1, tzinfo=UTC))
    report = put(store, story(1), far_future)
    assert report.written == [story(1).id]
    assert [r.id for r in report.rejected] == [far_future.id]
    assert "out of range" in report.rejected[0].reason  # Tantivy's dates end in 2262
    assert search(store) == [1]


def test_an_article_with_many_places_matches_on_any_of_them(store):
    far = [place(f"Far{i}", geonames_id=10 + i, lat=-40.0 - i, lon=-60.0 - i) for i in range(9)]
    put(store, story(1, places=[*far, LYON]), story(2, places=far))
    assert search(store, geo=GeoFilter(Box(4.5, 45.5, 5.0, 46.0))) == [1]
    assert search(store, geo=GeoFilter(Circle(45.764, 4.8357, 1.0))) == [1]


def test_snippets_are_escaped_html_with_only_our_highlights(store):
    put(store, story(1, text="Crowds shouted <script>alert(1)</script> as the flood & rain hit town."))
    [hit] = store.search(SearchRequest(match=Match(text="flood"))).hits
    assert "&lt;script&gt;" in hit.snippet and "<script>" not in hit.snippet
    assert "<b>flood</b>" in hit.snippet and "&amp;" in hit.snippet
    [lead] = store.search(SearchRequest()).hits
    assert lead.snippet.startswith("Crowds shouted &lt;script&gt;")


def test_one_writer_per_index(store, tmp_path):
    with pytest.raises(IndexBusy, match="one writer per index"):
        ArticleStore(tmp_path / "index", writable=True)


# -- the rest of the read port: facets and histogram alone, whole matches, changes, commits ------


def test_the_store_offers_both_ports(store):
    assert isinstance(store, ArticleSearch)
    assert isinstance(store, ArticleSink)


def test_facets_and_histogram_alone_agree_with_search(newsroom):
    match = Match(text="lyon")
    both = newsroom.search(SearchRequest(match=match, size=0, facets=("places", "countries"), histogram="week"))
    assert newsroom.facets(match, ("places", "countries")) == both.facets
    assert newsroom.histogram(match, "week") == both.histogram

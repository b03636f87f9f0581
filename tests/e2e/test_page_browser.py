"""The search page as a person uses it: a real headless Chromium on the running system.

Articles go in through ingest and come out enriched and indexed; the browser then searches,
clicks a facet, drags over the timeline, draws a box on the map, opens an article,
downloads an export and follows a search. Each page is saved as a screenshot at desktop
and phone width in test-output/screenshots/. Skipped where Debian's `chromium` is absent
(`apt-get install chromium`; .ci/run installs it).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dateline.samples import sample_articles
from shared.settings import Settings
from tests.e2e.driving import poll, post, search

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
ARTICLES = 120
SUFFIX = "?from=page-e2e"  # URLs of their own: other e2e tests post the same samples

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed"
)


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: apt-get install chromium (Debian's) to run the browser tests"
        )
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(system) -> str:
    """The search page's address, once the sample articles are searchable there."""
    before = system.search.get("/v1/stats").json()["documents"]
    articles = [dict(a, url=a["url"] + SUFFIX) for a in sample_articles(ARTICLES)]
    assert post(system, articles)["accepted"] == ARTICLES
    poll(
        lambda: system.search.get("/v1/stats").json()["documents"] >= before + ARTICLES,
        timeout_s=240,
    )
    return f"http://{system.settings.search_host}:{system.settings.search_port}"


@pytest.fixture
def page(chromium):
    """A desktop-sized tab that fails the test on any script error or request to elsewhere."""
    context = chromium.new_context(viewport=DESKTOP, accept_downloads=True)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    context.route(
        re.compile(r"^(?!http://(127\.0\.0\.1|localhost)[:/]).*"),
        lambda route: (
            problems.append(f"request to elsewhere: {route.request.url}"),
            route.abort(),
        ),
    )
    tab.problems = problems
    yield tab
    context.close()
    assert not problems, problems


def screenshots(tab, name: str) -> None:
    """The page as it is now, at desktop and at phone width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}-desktop.png"))
    tab.set_viewport_size(PHONE)
    tab.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    tab.set_viewport_size(DESKTOP)


def query(tab) -> dict[str, list[str]]:
    return parse_qs(urlsplit(tab.url).query)


def total(tab) -> int:
    return int(tab.locator("#results-heading").inner_text().split()[0].replace(",", ""))


def drag(tab, start: tuple[float, float], end: tuple[float, float]) -> None:
    tab.mouse.move(*start)
    tab.mouse.down()
    tab.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=5)
    tab.mouse.move(*end, steps=5)
    with tab.expect_navigation():
        tab.mouse.up()


def test_search_then_narrow_by_a_facet(site, page):
    page.goto(site + "/")
    everything = total(page)
    assert everything >= ARTICLES
    page.fill("#q", "flood")
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert urlsplit(page.url).query == "q=flood"  # the form's empty fields stay out of the URL
    floods = total(page)
    assert 0 < floods < everything
    assert page.locator(".hit .snippet b").count() > 0  # the query's words are highlighted
    screenshots(page, "search")

    person = page.locator(".facet", has_text="People").locator("a").first
    name = person.locator(".label").inner_text()
    count = int(person.locator(".count").inner_text())
    with page.expect_navigation():
        person.click()
    assert query(page)["entity"] == [f"PERSON:{name}"]
    assert total(page) == count
    chip = page.locator(".chip", has_text=name)
    assert chip.is_visible()
    with page.expect_navigation():
        chip.click()  # removing the chip widens the search again
    assert "entity" not in query(page) and total(page) == floods


def test_more_results_and_the_sort(site, page):
    page.goto(site + "/?sort=newest")
    assert page.locator(".hit").count() == 20
    page.click("a.more")
    page.wait_for_function("document.querySelectorAll('.hit').length > 20")
    dates = page.locator(".hit time").evaluate_all(
        "times => times.map(t => t.getAttribute('datetime'))"
    )
    seconds = [d[:19] for d in dates]  # date order is by the second (then a stable tie-break)
    assert seconds == sorted(seconds, reverse=True)
    with page.expect_navigation():
        page.select_option("select[name=sort]", "oldest")
    assert query(page)["sort"] == ["oldest"]


def test_drag_over_the_timeline_sets_the_dates(site, page):
    page.goto(site + "/")
    everything = total(page)
    bars = page.locator("[data-timeline]").bounding_box()
    y = bars["y"] + bars["height"] / 2
    drag(page, (bars["x"] + bars["width"] * 0.25, y), (bars["x"] + bars["width"] * 0.6, y))
    params = query(page)
    since, until = params["from"][0], params["to"][0]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", since) and since < until
    assert 0 < total(page) < everything
    assert page.locator(".chip.k-from").is_visible() and page.locator(".chip.k-to").is_visible()
    assert page.input_value("input[name=from]") == since


def test_a_box_drawn_on_the_map_and_a_click_on_a_place(site, page, system):
    page.goto(site + "/")
    everything = total(page)
    # Europe: 12°W 35°N to 30°E 60°N, found on the screen through the map's own transform
    corners = page.evaluate("""() => {
        const svg = document.querySelector("svg[data-bbox-url]");
        const at = (lon, lat) => {
            const x = (lon + 180) / 360 * 1000;
            const y = (1 - Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360)) / Math.PI) / 2 * 1000;
            const p = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
            return [p.x, p.y];
        };
        return [at(-12, 60), at(30, 35)];
    }""")
    drag(page, tuple(corners[0]), tuple(corners[1]))
    west, south, east, north = (float(v) for v in query(page)["bbox"][0].split(","))
    assert (west, south, east, north) == pytest.approx(
        (-12, 35, 30, 60), abs=0.6
    )  # the pointer lands within a pixel
    boxed = total(page)
    assert 0 < boxed < everything
    assert boxed == search(system, size=0, bbox=query(page)["bbox"][0])["total"]
    assert page.locator("svg rect.bbox").count() == 1
    screenshots(page, "map-box")

    point = page.locator("svg a.point").first
    place_id = point.get_attribute("data-place")
    with page.expect_navigation():
        point.dispatch_event("click")
    assert query(page)["place"] == [place_id]
    assert total(page) <= boxed


def tab_to_map(tab) -> None:
    for _ in range(400):  # on through the form, the hits (each with its links) and the facets
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.matches('svg[data-bbox-url]')"):
            return
    where = tab.evaluate("""() => [document.querySelector('svg[data-bbox-url]').tabIndex,
        document.activeElement.outerHTML.slice(0, 120)]""")
    raise AssertionError(f"Tab never reached the map (its tabIndex, where focus is: {where})")


def test_a_box_set_from_the_keyboard(site, page, system):
    page.goto(site + "/")
    everything = total(page)
    tab_to_map(page)
    drawn = page.locator("svg rect.drag")
    assert drawn.count() == 1  # focus shows the box: the middle of the world
    middle = [float(drawn.get_attribute(a)) for a in ("x", "y", "width", "height")]
    assert "Enter searches inside it" in page.locator("#map-status").inner_text()
    for key in ("+", "+", "ArrowRight", "ArrowRight", "Shift+ArrowUp"):
        page.keyboard.press(key)
    x, y, width, height = (float(drawn.get_attribute(a)) for a in ("x", "y", "width", "height"))
    assert width == pytest.approx(middle[2] * 0.64) and height == pytest.approx(middle[3] * 0.64)
    assert x + width / 2 > middle[0] + middle[2] / 2  # moved east
    assert y + height / 2 < middle[1] + middle[3] / 2  # and north
    screenshots(page, "map-keyboard")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    west, south, east, north = (float(v) for v in query(page)["bbox"][0].split(","))
    assert -180 < west < east < 180 and -85 < south < north < 85
    assert west > -90 and east > 0 and north > 0  # a box of the northern half, east of the middle
    assert total(page) == search(system, size=0, bbox=query(page)["bbox"][0])["total"] < everything
    # focused again, the box starts from the search's own, and Escape drops it
    tab_to_map(page)
    assert float(page.locator("svg rect.drag").get_attribute("width")) == pytest.approx(
        float(page.locator("svg rect.bbox").get_attribute("width"))
    )
    page.keyboard.press("Escape")
    assert page.locator("svg rect.drag").count() == 0


def test_open_an_article_and_search_from_its_places(site, page):
    page.goto(site + "/?q=flood")
    with page.expect_navigation():
        page.locator(".hit a.annotated").first.click()
    assert re.search(r"/articles/[0-9a-f]{32}$", page.url)
    assert page.locator(".text .mark.k-place").count() > 0
    assert page.locator(".text .mark.k-person").count() > 0
    assert page.locator("table.places tbody tr").count() > 0
    assert page.locator("svg.world.small a.point").count() > 0
    screenshots(page, "article")
    back = page.locator("a[data-back]")
    assert back.get_attribute("href").startswith("/?q=flood")
    place = page.locator(".text .mark.k-place").first
    with page.expect_navigation():
        place.click()
    assert list(query(page)) == ["place"]
    assert total(page) >= 1


def test_keyboard_reaches_the_search_and_the_facets(site, page):
    page.goto(site + "/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("port")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for _ in range(40):  # on through the form and the chips to a facet
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('.facet')"):
            break
    assert page.evaluate("!!document.activeElement.closest('.facet')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert len(query(page)) == 2


def downloaded(tab, link) -> list[list[str]]:
    with tab.expect_download() as download:
        link.click()
    return list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))


def test_download_the_match_its_facets_and_its_timeline(site, page):
    page.goto(site + "/?q=flood")
    link = page.locator(".export a", has_text="CSV")
    if not link.count():
        pytest.skip("this index service has no /v1/export yet: the page offers no download")
    rows = downloaded(page, link)
    assert rows[0][0] == "id" and len(rows) == total(page) + 1
    facets = downloaded(page, page.locator("a.download", has_text="Facets as CSV"))
    assert facets[0] == ["facet", "key", "count"] and {row[0] for row in facets[1:]} >= {
        "people",
        "places",
    }
    timeline = downloaded(page, page.locator("a.download", has_text="Timeline as CSV"))
    assert timeline[0] == ["start", "count"] and sum(int(row[1]) for row in timeline[1:]) == total(
        page
    )


def test_follow_a_search_and_see_a_new_article_arrive(site, page, system):
    page.goto(site + "/?q=ferry")
    follow = page.locator("button.follow")
    if not follow.count():
        pytest.skip("this index service has no /v1/stream yet: the page offers no follow")
    follow.click()
    page.wait_for_function("document.querySelector('.live').textContent.startsWith('Following')")
    title = "Ferry crossings resume after the storm"
    post(
        system,
        [
            {
                "url": "https://harbour.example/ferry-followed",
                "title": title,
                "text": "The ferry between two islands resumed on Monday, the operator said.",
            }
        ],
    )
    page.locator(".hit.new", has_text=title).wait_for(timeout=60_000)
    assert page.locator(".results > .empty").count() == 0
    screenshots(page, "follow")


def test_the_api_docs_work_offline_on_both_services(chromium, site, system):
    settings: Settings = system.settings
    for name, base in (
        ("search", site),
        ("ingest", f"http://{settings.ingest_host}:{settings.ingest_port}"),
    ):
        context = chromium.new_context(viewport=DESKTOP)
        elsewhere: list[str] = []
        context.route(
            re.compile(r"^(?!http://(127\.0\.0\.1|localhost)[:/]).*"),
            lambda route, seen=elsewhere: (seen.append(route.request.url), route.abort()),
        )
        tab = context.new_page()
        tab.goto(base + "/docs")
        tab.locator(".swagger-ui .info .title").wait_for()
        assert tab.locator(".swagger-ui .opblock").count() > 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"docs-{name}-desktop.png"))
        context.close()
        assert not elsewhere, elsewhere

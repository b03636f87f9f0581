"""HTML to article text at a cost bounded by the page (services/ingest/html_text.py)."""

from __future__ import annotations

import pytest

from services.ingest.html_text import FULL_ELEMENTS, MAX_ELEMENTS, page_text, plain_text
from services.ingest.normalise import html_to_text

# The shape that made trafilatura's backup extractor quadratic: 1.9 MB of short blocks.
LISBON = "<div><p>Lisbon port</p></div>" * 65_000


@pytest.mark.timeout(60)  # it ran for minutes
def test_a_page_of_many_short_blocks_is_read_without_trafilatura():
    text = html_to_text(LISBON)
    assert text.split("\n") == ["Lisbon port"] * 65_000


def test_plain_text_keeps_blocks_apart_and_drops_what_is_not_text():
    page = (
        "<html><head><style>p {}</style><script>var x;</script></head><body>"
        "<nav><a href='/'>Home</a></nav><header>Gazette</header>"
        "<h1>Ferry resumes</h1><p>The ferry <b>resumed</b> on Monday.</p><ul><li>Valletta</li><li>Gozo</li></ul>"
        "<aside>Related</aside><footer>All rights reserved</footer></body></html>"
    )
    lines = [line.strip() for line in plain_text(page).split("\n") if line.strip()]
    assert lines == ["Ferry resumes", "The ferry resumed on Monday.", "Valletta", "Gozo"]


def test_a_page_over_the_element_budget_is_read_as_plain_text():
    page = "<p>Lisbon port</p>" * (MAX_ELEMENTS + 1)
    assert page_text(page) == plain_text(page)


def test_a_page_within_the_budget_goes_through_trafilatura():
    nav = "<nav>" + "<a href='/s'>Section</a>" * 50 + "</nav>"
    page = f"<html><body>{nav}<article><p>{'The harbour council voted on Tuesday. ' * 20}</p></article></body></html>"
    assert "Section" not in page_text(page)  # trafilatura drops the navigation
    assert "Section" not in page_text(page.replace("<p>", "<p>" * 1) + "<i></i>" * FULL_ELEMENTS)


def test_no_text_at_all_is_empty():
    assert page_text("") == "" and page_text("<div><script>x = 1</script></div>") == ""

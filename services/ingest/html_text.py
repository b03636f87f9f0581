"""A page's article text, at a cost bounded by the page's size. Pure.

trafilatura finds the main content of a page, but its cost is not linear in the page:
its backup extractor (justext) looks for each short paragraph's nearest long neighbour
by walking the paragraphs one by one, so a page of many short blocks costs the square of
their number (1.9 MB of ``<div><p>Lisbon port</p></div>`` ran for minutes; 4,000 list
items, 2.6 s). Without the backup extractor ("fast") trafilatura is linear, at about
0.1 ms an element. So the budget is in elements, the unit of that cost (measured with
``python -m bench.ingest_limits``):

- up to :data:`FULL_ELEMENTS`: trafilatura in full (under 1 s even for the worst shapes);
- up to :data:`MAX_ELEMENTS`: trafilatura fast (at most about 1 s);
- beyond: :func:`plain_text`, linear (the 1.9 MB page above in about 0.1 s).

The time budget that stops work no budget foresaw is kept by the worker processes of
:mod:`services.ingest.extraction`, which run :func:`page_text`.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import lxml.html

FULL_ELEMENTS = 2_000
MAX_ELEMENTS = 10_000

# Never text: dropped before the text is read. Navigation and page furniture too, for the
# plain-text reading of pages too large for trafilatura.
_NOT_TEXT = ("script", "style", "noscript", "template", "svg")
_FURNITURE = ("nav", "header", "footer", "aside", "form")
# Elements after which a reader sees a line break: their text must not run into the next.
_BLOCKS = (
    "p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "section", "article", "dd", "dt", "figcaption", "table", "ul", "ol",
)


def page_text(html: str) -> str:
    """The article text of ``html`` ("" when it has none), within the element budget."""
    root = parse_page(html)
    return "" if root is None else text_of(html, root)[0]


def text_of(html: str, root: lxml.html.HtmlElement) -> tuple[str, bool]:
    """:func:`page_text` of the page ``root`` was parsed from, and whether the page is within
    the element budget (whether its metadata is worth reading: services/ingest/page.py)."""
    elements = _count_elements(root, MAX_ELEMENTS + 1)
    if elements > MAX_ELEMENTS:
        return plain_text(root), False
    import trafilatura  # here: ingest's own process needs only plain_text

    extracted = trafilatura.extract(
        html, include_comments=False, include_tables=True, fast=elements > FULL_ELEMENTS
    )
    # Fragments too small for trafilatura to judge (a few paragraphs without a page
    # around them) are read as they are.
    return extracted or plain_text(root), True


def within_element_budget(html: str) -> bool:
    """Whether ``html`` has no more elements than trafilatura is given (MAX_ELEMENTS)."""
    root = parse_page(html)
    return root is not None and _count_elements(root, MAX_ELEMENTS + 1) <= MAX_ELEMENTS


def plain_text(page: str | lxml.html.HtmlElement) -> str:
    """The text of a page without scripts, styles and page furniture; linear in its size."""
    root = parse_page(page) if isinstance(page, str) else page
    if root is None:
        return ""
    for node in list(root.iter(*_NOT_TEXT, *_FURNITURE)):
        if node.getparent() is not None:
            node.drop_tree()
    for node in root.iter(*_BLOCKS):
        node.tail = "\n" + (node.tail or "")
    return "\n".join(line.strip() for line in root.text_content().split("\n") if line.strip())


def parse_page(html: str) -> lxml.html.HtmlElement | None:
    import lxml.html  # here: ingest's own process needs it only for the pages it falls back on
    from lxml.etree import ParserError

    try:
        return lxml.html.fromstring(html)
    except (ParserError, ValueError):
        return None


def _count_elements(root: lxml.html.HtmlElement, at_most: int) -> int:
    return sum(1 for _ in islice(root.iter(), at_most))

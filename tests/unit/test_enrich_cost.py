"""Enrichment cost grows with the text's length, not with its square.

Measured without a clock: the lines of enrichment code (services/enrich) Python runs for
a text and for one four times longer. spaCy's NER is compiled code and not counted; it
reads passages of bounded length, so it is linear by construction. A step that compares
every name found with every mention runs sixteen times the lines, not four.
(Timings: ``make bench-long``.)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from bench.long_text import long_news_text
from services.enrich import Enricher
from services.enrich.geotag import Geotagger
from services.enrich.mentions import Mention
from services.enrich.nlp import load_ner
from shared.schemas import RawArticle
from shared.settings import Settings
from tests.factories import raw_article

ROOT = Path(__file__).resolve().parents[2]
ENRICH_CODE = str(ROOT / "services" / "enrich")
GROWTH = 4
# Linear work grows 4x; what is not quite linear (sorting, a few more distinct names)
# gets a quarter more. Quadratic work grows 16x.
ALLOWED = GROWTH * 1.25


def lines_run(work: Callable[[], Any]) -> int:
    """How many lines of services/enrich Python executes while doing ``work``."""
    count = 0

    def count_lines(frame: FrameType, event: str, arg: object) -> Callable | None:
        nonlocal count
        count += 1
        return count_lines

    def enter(frame: FrameType, event: str, arg: object) -> Callable | None:
        return count_lines if frame.f_code.co_filename.startswith(ENRICH_CODE) else None

    before = sys.gettrace()
    sys.settrace(enter)
    try:
        work()
    finally:
        sys.settrace(before)
    return count


@pytest.fixture(scope="module")
def geotagger() -> Geotagger:
    return Geotagger.load(Settings(data_dir=str(ROOT / "data")))


@pytest.fixture(scope="module")
def enricher(geotagger: Geotagger) -> Enricher:
    return Enricher(load_ner(Settings().spacy_model), geotagger)


def long_article(chars: int, *, lines: bool = True) -> RawArticle:
    return raw_article(
        1, title="Floods and elections: a day of reports", text=long_news_text(chars, lines=lines)
    )


@pytest.mark.parametrize("lines", [True, False], ids=["paragraphs", "one line"])
def test_enriching_a_text_four_times_longer_is_four_times_the_work(enricher, lines):
    short, long = (long_article(n, lines=lines) for n in (12_000, 12_000 * GROWTH))
    enricher.enrich_batch([long_article(2_000)])  # caches warm, as in a running worker

    short_work = lines_run(lambda: enricher.enrich_batch([short]))
    long_work = lines_run(lambda: enricher.enrich_batch([long]))

    assert long_work < ALLOWED * short_work, (short_work, long_work)


def test_a_story_naming_four_times_the_places_is_four_times_the_geotagging(geotagger):
    towns = towns_in(geotagger, 1_200)
    geotagger.geotag("", *story_naming(towns[:20]))  # caches warm

    few = lines_run(lambda: geotagger.geotag("", *story_naming(towns[:300])))
    many = lines_run(lambda: geotagger.geotag("", *story_naming(towns)))

    assert many < ALLOWED * few, (few, many)


def towns_in(geotagger: Geotagger, count: int) -> list[str]:
    """Names of towns of 50,000 people or more, one word each, from the gazetteer: every
    one resolves, most with confidence, so each is an anchor for the others."""
    gazetteer = geotagger.gazetteer
    names: dict[str, None] = {}
    for row in range(gazetteer.meta.places):
        entry = gazetteer.entry(row)
        town = entry.feature_code.startswith("PPL") and entry.population >= 50_000
        if town and entry.name.isascii() and entry.name.isalpha():
            names[entry.name] = None
            if len(names) == count:
                return list(names)
    raise AssertionError(f"the gazetteer has fewer than {count} such towns")


def story_naming(towns: list[str]) -> tuple[str, list[Mention]]:
    text, mentions = "", []
    for town in towns:
        start = len(text) + len("Crews in ")
        text += f"Crews in {town} cleared the roads on Monday. "
        mentions.append(Mention("text", start, start + len(town), town, "GPE"))
    return text, mentions

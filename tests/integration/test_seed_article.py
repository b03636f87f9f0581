"""The reference article (../shared/data/seed/mosul-rferl.txt) through the real Enricher.

The file is a copy of the publisher's page, so it is read as a scraper that knows nothing
of the page would send it: the first line is the title ("Accessibility links", the page's
first line), the rest of the file is the text, with the real headline, a video player,
the story, the agency credits and the publisher's footer in it. That is the harder case:
the headline sits in the text and the page furniture must be recognised as such.

Expected findings are the data README's (people, organisations, places, approximate
coordinates, traps); the names are written here, the article's text is only read.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.enrich import Enricher
from shared.schemas import EnrichedArticle, Place
from shared.settings import Settings
from tests.factories import raw_article

pytestmark = pytest.mark.seed

ROOT = Path(__file__).resolve().parents[2]
PLACE_LABELS = {"GPE", "LOC", "FAC"}

PEOPLE = ["Abu Bakr al-Baghdadi", "Ravina Shamdasani", "Umm Ali"]
ORGANISATIONS = [
    "Islamic State", "Counterterrorism Service", "UN", "Reuters", "AP", "AFP", "dpa",
    "RFE/RL", "Radio Farda",
]  # fmt: skip
PLACES = [
    "Mosul", "Iraq", "Tigris", "Hammam al-Alil", "Tal Afar", "Gogjali", "Bazwaya",
    "Malayin", "Samah", "Khadra", "Karkukli", "Quds", "Karamah",
]  # fmt: skip
TRUE_COORDINATES = {"Mosul": (36.34, 43.13), "Tal Afar": (36.38, 42.45), "Iraq": None}


@pytest.fixture(scope="module")
def seed(shared_data: Path) -> EnrichedArticle:
    page = (shared_data / "seed" / "mosul-rferl.txt").read_text(encoding="utf-8")
    title, text = page.split("\n", 1)
    raw = raw_article(
        1,
        host="www.rferl.org",
        title=title,
        text=text,
        published_at=datetime(2016, 11, 4, tzinfo=UTC),
    )
    # The compiled gazetteer lives where `make demo` keeps it: compiled once, then reused.
    enricher = Enricher.load(Settings(data_dir=str(ROOT / "data")))
    [article] = list(enricher.enrich_many([raw]))
    return article


def entity_names(article: EnrichedArticle, labels: set[str]) -> set[str]:
    return {e.text for e in article.entities if e.label in labels}


def place(article: EnrichedArticle, name: str) -> Place:
    found = [p for p in article.places if p.name == name]
    assert found, f"{name} not among places: {[p.name for p in article.places]}"
    return found[0]


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def test_the_people_are_found(seed):
    assert set(PEOPLE) <= entity_names(seed, {"PERSON"})


def test_the_organisations_are_found_and_is_is_islamic_state(seed):
    organisations = entity_names(seed, {"ORG"})
    missing = [name for name in ORGANISATIONS if not any(name in org for org in organisations)]
    assert not missing, f"missing {missing}; organisations found: {sorted(organisations)}"
    [islamic_state] = [e for e in seed.entities if e.text == "Islamic State"]
    bare_is = [s for s in islamic_state.spans if seed.text[s.start : s.end] == "IS"]
    assert len(bare_is) >= 8  # every "IS" of the story


def test_the_places_are_found(seed):
    named = entity_names(seed, PLACE_LABELS) | {p.name for p in seed.places}
    missing = [name for name in PLACES if not any(name in found for found in named)]
    assert not missing, f"missing {missing}; places found: {sorted(named)}"


def test_mosul_tal_afar_and_iraq_are_resolved_within_15_km(seed):
    for name, coordinates in TRUE_COORDINATES.items():
        resolved = place(seed, name)
        if coordinates is None:  # a country: right when it is the country
            assert resolved.country_code == "IQ" and resolved.feature_code.startswith("PCL")
        else:
            assert km((resolved.lat, resolved.lon), coordinates) < 15, resolved


def test_quds_and_karamah_do_not_land_in_jerusalem_or_jordan(seed):
    for name in ("Quds", "Karamah"):
        for found in (p for p in seed.places if p.name == name):
            assert found.country_code not in {"IL", "PS", "JO"}, found


def test_the_focus_is_mosul(seed):
    assert seed.focus is not None and seed.focus.resolved_name == "Mosul"


def test_the_footer_and_the_video_player_give_neither_places_nor_entities(seed):
    assert not {"Russia", "Ukraine"} & {p.name for p in seed.places}
    assert not any(e.text in {"Russia", "Ukraine", "Russian"} for e in seed.entities)
    # the player's title, read by NER as an organisation, is boilerplate
    assert not any(e.text.startswith("Iraqi Forces") for e in seed.entities)


def test_every_span_points_at_its_entitys_text_in_the_article(seed):
    for entity in seed.entities:
        for span in entity.spans:
            field = seed.title if span.field == "title" else seed.text
            written = field[span.start : span.end]
            assert written and written[0].isalnum() and written[-1].isalnum(), (entity, span)

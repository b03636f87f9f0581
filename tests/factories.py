"""Builders of the contracts (shared/schemas.py) for tests.

Every field has a default, so a test names only the fields it depends on. Article ``n``
has the id ``f"{n:032x}"`` and a URL of its own: different numbers, different articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.schemas import EnrichedArticle, Entity, Place, RawArticle


def raw_article(n: int, *, host: str = "news.example", **overrides: Any) -> RawArticle:
    """Article ``n`` as ingest publishes it; ``host`` is its URL's host and its source."""
    return RawArticle(**(_article_fields(n, host) | overrides))


def enriched_article(n: int, *, host: str = "news.example", **overrides: Any) -> EnrichedArticle:
    """Article ``n`` as enrich publishes it, with nothing found in it unless told."""
    return EnrichedArticle(**(_article_fields(n, host) | overrides))


def _article_fields(n: int, host: str) -> dict[str, Any]:
    url = f"https://{host}/{n}"
    return {
        "id": f"{n:032x}",
        "url": url,
        "canonical_url": url,
        "source": host,
        "title": "Flooding in Basra closes the port",
        "text": "Officials said the water was rising.",
        "language": "en",
        "published_at": None,
        "received_at": datetime(2026, 11, 24, tzinfo=UTC),
        "content_hash": f"h{n}",
    }


def place(name: str, **overrides: Any) -> Place:
    """A mention resolved to a GeoNames entry of the same name, at 0°N 0°E unless told."""
    found = {"name": name, "geonames_id": 1, "resolved_name": name, "lat": 0.0, "lon": 0.0}
    return Place(**(found | overrides))


# -- a small newsroom, for the index tests ------------------------------------------------

PARIS = place("Paris", geonames_id=2988507, lat=48.8566, lon=2.3522,
              country_code="FR", admin1="11", confidence=0.9)  # fmt: skip
LYON = place("Lyon", geonames_id=2996944, lat=45.764, lon=4.8357,
             country_code="FR", admin1="84", confidence=0.9)  # fmt: skip
BERLIN = place("Berlin", geonames_id=2950159, lat=52.52, lon=13.405,
               country_code="DE", admin1="16", confidence=0.9)  # fmt: skip
NAIROBI = place("Nairobi", geonames_id=184745, lat=-1.2864, lon=36.8172,
                country_code="KE", admin1="30", confidence=0.9)  # fmt: skip
SUVA = place("Suva", geonames_id=2198148, lat=-18.1416, lon=178.4419,
             country_code="FJ", admin1="01", confidence=0.9)  # fmt: skip

DAY0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def story(
    n: int,
    title: str = "Council meets",
    text: str = "The council met on Tuesday to discuss the budget.",
    *,
    day: int = 0,
    entities: Sequence[tuple[str, str]] = (),
    **overrides: Any,
) -> EnrichedArticle:
    """Newsroom story ``n``: published ``day`` days after DAY0, received an hour later and
    enriched an hour after that. ``entities`` are (label, text) pairs."""
    published = DAY0 + timedelta(days=day)
    newsroom = {
        "source": "Wire.example",
        "title": title,
        "text": text,
        "published_at": published,
        "received_at": published + timedelta(hours=1),
        "content_hash": "v1",
        "entities": [Entity(text=t, label=label, count=1) for label, t in entities],
        "enriched_at": published + timedelta(hours=2),
        "model": "test-ner 1",
        "gazetteer": "test-gaz 1",
    }
    return enriched_article(n, host="wire.example", **(newsroom | overrides))

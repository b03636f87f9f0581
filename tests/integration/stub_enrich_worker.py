"""A real enrich worker process with a stand-in enrichment, for delivery tests.

``python -m tests.integration.stub_enrich_worker`` runs :class:`services.enrich.worker.Worker`
(settings from DATELINE_* as usual) with :class:`StubEnrichment` instead of the spaCy
model. Articles steer it through their ``meta``: ``delay_s`` (seconds of "NER" per
article, or per slice of a long one), ``hold`` (a file path: its "NER" lasts until the file
exists, as long as a test needs) and ``fail`` ("always": it cannot be enriched).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from services.enrich.worker import Worker
from shared.logging import configure_logging
from shared.schemas import EnrichedArticle, Entity, RawArticle, Span, enriched_from
from shared.settings import load_settings

_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")


def stub_enrich(raws: Sequence[RawArticle]) -> list[EnrichedArticle | Exception]:
    return [_one(raw) for raw in raws]


class StubEnrichment:
    """:func:`stub_enrich` (or ``enrich_batch``) behind the worker's Enrichment interface."""

    def __init__(
        self,
        enrich_batch: Callable[
            [Sequence[RawArticle]], Sequence[EnrichedArticle | Exception]
        ] = stub_enrich,
    ) -> None:
        self.enrich_batch = enrich_batch
        self.slices: list[str] = []  # article id of each slice done, in order

    def enrich_in_slices(
        self, raw: RawArticle, slice_chars: int
    ) -> Iterator[EnrichedArticle | None]:
        for _ in range(len(raw.text) // slice_chars):
            time.sleep(float(raw.meta.get("delay_s", 0)))
            self.slices.append(raw.id)
            yield None
        [result] = self.enrich_batch([raw])
        if isinstance(result, Exception):
            raise result
        yield result


def _one(raw: RawArticle) -> EnrichedArticle | Exception:
    time.sleep(float(raw.meta.get("delay_s", 0)))
    while "hold" in raw.meta and not Path(raw.meta["hold"]).exists():
        time.sleep(0.01)  # the stand-in's work, not a test's wait
    if raw.meta.get("fail") == "always":
        return ValueError(f"cannot enrich {raw.id}")
    found: dict[str, list[Span]] = {}
    for match in _CAPITALISED.finditer(raw.title):
        found.setdefault(match.group(), []).append(Span("title", match.start(), match.end()))
    entities = [Entity(text=t, label="MISC", count=len(s), spans=s) for t, s in found.items()]
    return enriched_from(raw, entities=entities, model=f"stub@{os.getpid()}")


def main() -> int:
    settings = load_settings()
    configure_logging("enrich", settings.log_level, "json")
    return asyncio.run(Worker(settings, load=lambda _settings: StubEnrichment()).service.serve())


if __name__ == "__main__":
    sys.exit(main())

"""The enrich service: a pure enrichment library (NER, entities, geotags) and its worker.

``from services.enrich import Enricher`` is the seam (see enricher.py). It is imported on
first use so that the worker's and the CLI's other imports of this package (the gazetteer
build, the health server) do not pay for loading spaCy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.enrich.enricher import Enricher

__all__ = ["Enricher"]


def __getattr__(name: str) -> object:
    if name == "Enricher":
        from services.enrich.enricher import Enricher

        return Enricher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

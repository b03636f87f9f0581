"""The enrich service: a pure enrichment library (NER, entities, geotags) and its worker.

``from services.enrich import Enricher`` is the seam (see enricher.py). It is imported on
first use so that the worker's and the CLI's other imports of this package (the gazetteer
build, the health server) do not pay for loading spaCy; and spaCy comes without its
command-line package (see :func:`_import_spacy`).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.enrich.enricher import Enricher

__all__ = ["Enricher"]


def __getattr__(name: str) -> object:
    if name == "Enricher":
        _import_spacy()
        from services.enrich.enricher import Enricher

        return Enricher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _import_spacy() -> None:
    """``import spacy`` without ``spacy.cli``, which it imports only for ``spacy.info``.

    The command line brings typer, weasel, requests and httpx: a third of spaCy's import
    time, 0.4 CPU-s of every enrich worker's start (measured with ``python -X importtime``).
    Stand-ins take its place while spaCy imports and are removed after, so an
    ``import spacy.cli`` later gets the real package; ``spacy.info`` imports it when called.
    """
    if "spacy" in sys.modules:
        return
    cli, info = types.ModuleType("spacy.cli"), types.ModuleType("spacy.cli.info")
    cli.__path__ = []  # a package, as far as the import of spacy.cli.info is concerned
    info.info = _spacy_info  # type: ignore[attr-defined]
    stand_ins = {"spacy.cli": cli, "spacy.cli.info": info}
    sys.modules.update(stand_ins)
    try:
        import spacy  # noqa: F401
    finally:
        for key, module in stand_ins.items():
            if sys.modules.get(key) is module:
                del sys.modules[key]


def _spacy_info(*args: object, **kwargs: object) -> object:
    from spacy.cli.info import info

    return info(*args, **kwargs)

"""Which NER pipeline reads an article, by its language; and what an article gets without one.

One spaCy pipeline per language that has one installed (``DATELINE_SPACY_MODEL`` and
``DATELINE_SPACY_MODELS``; each model says its own language). The first is loaded at
start, the others the first time an article in their language arrives: a worker that never
sees French never pays French's memory.

Without a pipeline for its language an article in a Latin script gets its places from its
capitalised names and the gazetteer's names in many languages (``places-only``); any other
gets nothing (``none``). ``EnrichedArticle.enrichment`` says which, so that an empty list of
entities is not read as "nobody was named".
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import lru_cache

from spacy.language import Language
from spacy.util import get_lang_class, get_model_meta

from services.enrich.nlp import load_ner, model_dir
from shared.logging import get_logger
from shared.schemas import EnrichmentKind

log = get_logger("dateline.enrich")

FULL: EnrichmentKind = "full"
PLACES_ONLY: EnrichmentKind = "places-only"
NOTHING: EnrichmentKind = "none"
# An article is in a Latin script when at least this share of its letters are Latin.
LATIN_SHARE = 0.8
_LATIN_LETTERS = ((0x41, 0x24F), (0x1E00, 0x1EFF))  # Basic Latin to Latin Extended-B, and more


class Pipelines:
    """The NER pipeline of each language, loaded on first use."""

    def __init__(self, first: Language, others: Iterable[str] = ()) -> None:
        self.first = first
        self._loaded: dict[str, Language] = {first.lang: first}
        self._names = {model_language(name): name for name in others}
        self._names.pop(first.lang, None)  # the first one reads its language

    @classmethod
    def load(cls, first: str, others: Iterable[str] = ()) -> Pipelines:
        return cls(load_ner(first), others)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._loaded) | frozenset(self._names)

    def for_language(self, language: str) -> Language | None:
        """The pipeline for ``language`` (ISO 639-1), loaded now if need be; None if none."""
        if language not in self._loaded and language in self._names:
            started = time.perf_counter()
            self._loaded[language] = load_ner(self._names[language])
            log.info(
                "enricher.language_loaded",
                language=language,
                model=self._names[language],
                seconds=round(time.perf_counter() - started, 2),
            )
        return self._loaded.get(language)


def model_language(name: str) -> str:
    """The language a model package or directory reads, from its meta.json (not loaded)."""
    return get_model_meta(model_dir(name))["lang"]


def enrichment_kind(language: str, pipelines: Pipelines, text: str) -> EnrichmentKind:
    if language in pipelines.languages:
        return FULL
    return PLACES_ONLY if is_latin_script(text) else NOTHING


def is_latin_script(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    latin = sum(any(low <= ord(c) <= high for low, high in _LATIN_LETTERS) for c in letters)
    return bool(letters) and latin >= LATIN_SHARE * len(letters)


@lru_cache(maxsize=64)
def function_words(language: str) -> frozenset[str]:
    """The language's stop words as spaCy lists them (for most languages, with or without
    a model); none for a language spaCy does not know."""
    try:
        return frozenset(get_lang_class(language).Defaults.stop_words)
    except Exception:  # noqa: BLE001 - spaCy raises ImportError or its own error for unknown codes
        return frozenset()

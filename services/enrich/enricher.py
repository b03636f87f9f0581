"""The Enricher: raw articles in, articles with entities and places out, a batch at a time.

The seam every caller uses (the worker, benchmarks, the geotagging evaluation)::

    enricher = Enricher.load()                    # NER model and gazetteer from settings
    enricher.enrich_many(raw_articles)            # lazy; one nlp.pipe per batch inside
    enricher.enrich_batch(raw_articles)           # one result per article: enriched or the error
    enricher.enrich_in_slices(raw_article, chars) # one long article, a bounded step at a time
    enricher.resolve(text, [(start, end), ...])   # gold spans -> places (delegates to geotagging)

For each article: boilerplate regions of the text -> passages (lines outside boilerplate,
lines in capitals to be read recased) -> NER over all passages of the batch at once, one
pass per language (:mod:`languages`; without a model for the language, the place names
among its capitalised words: :mod:`capitalised`) -> mentions in the original fields -> the
mentions NER missed -> entities -> geotagging of every mention -> the entities again, from
spans cut to the names they hold (:mod:`name_spans`), an organisation's name NER read as
two joined (:mod:`organisation_names`), labels NER got wrong corrected
(:mod:`entity_labels`) -> EnrichedArticle, with the bylines' writers among its authors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import ParamSpec, Protocol, TypeVar

import msgspec
from msgspec import Struct
from spacy.language import Language

from services.enrich.boilerplate import (
    Region,
    boilerplate_regions,
    title_boilerplate,
    title_separators,
    without_boilerplate,
)
from services.enrich.bylines import bylines, with_authors, without_bylines
from services.enrich.capitalised import place_name_mentions
from services.enrich.entities import (
    entities_of,
    mentions_in,
    relabelled_as_places,
    with_entity_labels,
)
from services.enrich.entity_labels import corrected_labels
from services.enrich.languages import (
    NOTHING,
    PLACES_ONLY,
    Pipelines,
    enrichment_kind,
    function_words,
)
from services.enrich.mentions import Mention
from services.enrich.missed_mentions import Article, Found, with_missed_mentions
from services.enrich.name_spans import named_parts
from services.enrich.nlp import load_ner, model_version
from services.enrich.organisation_names import joined_organisations
from services.enrich.passages import Passage, passages
from services.enrich.recase import recased_passages
from services.enrich.source_history import SourceHistories
from shared.logging import get_logger
from shared.schemas import (
    EnrichedArticle,
    EnrichmentKind,
    Entity,
    Place,
    RawArticle,
    enriched_from,
)
from shared.settings import Settings, load_settings

log = get_logger("dateline.enrich")
# Passages per spaCy batch: measured on GeoWebNews, 32 keeps a worker's peak memory near
# 240 MB where spaCy's default (1000) reaches 450 MB, at the same speed.
NER_BATCH_PASSAGES = 32
P = ParamSpec("P")
T = TypeVar("T")


class Geotagging(Protocol):
    """What the Enricher needs of the gazetteer side (services.enrich.geotag.Geotagger)."""

    version: str

    def geotag(
        self, title: str, text: str, mentions: Sequence[Mention], source: str = ""
    ) -> tuple[list[Place], Place | None]: ...

    def resolve(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Place | None]: ...

    def is_known(self, name: str) -> bool: ...

    def is_well_known(self, name: str) -> bool: ...

    def is_own_name(self, name: str) -> bool: ...

    def is_demonym(self, word: str) -> bool: ...

    def is_only_an_area(self, name: str) -> bool: ...


class Reading(Struct):
    """One article prepared for NER: what of its text is boilerplate, what NER reads, and
    which pipeline reads it (None: no NER model for its language)."""

    raw: RawArticle
    boilerplate: list[Region]
    title_boilerplate: list[Region]
    passages: list[Passage]
    nlp: Language | None
    kind: EnrichmentKind


class Enricher:
    def __init__(
        self,
        nlp: Language,
        geotagger: Geotagging,
        batch_size: int = 32,
        other_models: Iterable[str] = (),
    ) -> None:
        """``nlp`` reads its language; ``other_models`` (names or directories) are loaded
        the first time an article in their language comes."""
        self.nlp = nlp
        self.pipelines = Pipelines(nlp, other_models)
        self.geotagger = geotagger
        self.batch_size = batch_size
        self.model = model_version(nlp)
        self.gazetteer = geotagger.version

    @classmethod
    def load(
        cls, settings: Settings | None = None, history: SourceHistories | None = None
    ) -> Enricher:
        """The NER model (``spacy_model``) and the gazetteer (``gazetteer_dir``) from settings;
        ``history``: where the sources' usual places are kept (default: in memory)."""
        from services.enrich.geotag import Geotagger  # the gazetteer side of the package

        settings = settings or load_settings()
        return cls(
            load_ner(settings.spacy_model),
            Geotagger.load(settings, history),
            batch_size=settings.enrich_batch_size,
            other_models=settings.spacy_models,
        )

    def enrich_many(self, raws: Iterable[RawArticle]) -> Iterator[EnrichedArticle]:
        """Enriched articles, in order, reading ``raws`` a batch at a time.

        An article whose enrichment fails is logged (``article.enrich_failed``) and left
        out; its neighbours are not affected. Callers that must account for every article
        (the worker) use ``enrich_batch``.
        """
        raws = iter(raws)
        while batch := list(islice(raws, self.batch_size)):
            for raw, result in zip(batch, self.enrich_batch(batch), strict=True):
                if isinstance(result, Exception):
                    log.error("article.enrich_failed", article_id=raw.id, error=repr(result))
                else:
                    yield result

    def enrich_batch(self, raws: Sequence[RawArticle]) -> list[EnrichedArticle | Exception]:
        """One result per article, in order: the enriched article, or the exception that
        stopped it. One NER pass (``nlp.pipe``) over the whole batch."""
        enriched_at = datetime.now(UTC)
        readings = [_attempt(read, raw, self.pipelines) for raw in raws]
        results: list[EnrichedArticle | Exception] = []
        for reading, mentions in zip(readings, self._recognised(readings), strict=True):
            if isinstance(mentions, Exception):  # also when reading it failed
                results.append(mentions)
            else:
                results.append(_attempt(self._enriched, reading, mentions, enriched_at))
        return results

    def enrich_in_slices(
        self, raw: RawArticle, slice_chars: int
    ) -> Iterator[EnrichedArticle | None]:
        """One article enriched a bounded step at a time, so that a worker can do other
        work in between: yields None after reading it, after NER over each next
        ``slice_chars`` or so of its passages and after finding the mentions NER missed,
        then the enriched article (the one ``enrich_batch([raw])`` gives). Raises what
        stops it."""
        enriched_at = datetime.now(UTC)
        reading = read(raw, self.pipelines)
        yield None
        mentions: list[Mention] = []
        # Shortest first, as in a batch: the same mentions in the same order.
        for piece in _slices(sorted(reading.passages, key=lambda p: len(p.text)), slice_chars):
            mentions += self._mentions_in(reading, piece)
            yield None
        found = self._completed(reading, mentions)
        yield None
        yield self._placed(reading, found, enriched_at)

    def resolve(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Place | None]:
        """Geotag given character spans of ``text`` (evaluation on gold toponyms)."""
        return self.geotagger.resolve(text, spans)

    # -- steps -------------------------------------------------------------------------

    def _recognised(
        self, readings: Sequence[Reading | Exception]
    ) -> list[list[Mention] | Exception]:
        """NER mentions per article; if the batch's single pass fails, article by article,
        so that one article's failure stays its own."""
        try:
            return self._ner(readings)
        except Exception:  # noqa: BLE001 - retried article by article just below
            return [_attempt(self._ner_one, reading) for reading in readings]

    def _ner(self, readings: Sequence[Reading | Exception]) -> list[list[Mention] | Exception]:
        """One ``nlp.pipe`` per language over every passage of the batch in it, shortest
        first: NER's memory grows with the longest doc of each of its internal batches,
        and like-sized docs together waste the least. Articles no model reads get the
        place names among their capitalised words."""
        results: list[list[Mention] | Exception] = [
            reading if isinstance(reading, Exception) else [] for reading in readings
        ]
        by_pipeline: dict[Language, list[tuple[int, Passage]]] = {}
        for i, reading in enumerate(readings):
            if isinstance(reading, Reading) and reading.nlp is not None:
                by_pipeline.setdefault(reading.nlp, []).extend((i, p) for p in reading.passages)
            elif isinstance(reading, Reading):
                results[i] = self._mentions_in(reading, reading.passages)
        for nlp, found in by_pipeline.items():
            found.sort(key=lambda item: len(item[1].text))
            docs = nlp.pipe((p.for_ner for _, p in found), batch_size=NER_BATCH_PASSAGES)
            for (i, passage), doc in zip(found, docs, strict=True):
                results[i].extend(mentions_in(passage, doc))  # type: ignore[union-attr]
        return results

    def _mentions_in(self, reading: Reading, passages: Sequence[Passage]) -> list[Mention]:
        """The mentions in some of ``reading``'s passages."""
        if reading.nlp is None:
            words = function_words(reading.raw.language)
            return [m for p in passages for m in place_name_mentions(p, self.geotagger, words)]
        docs = reading.nlp.pipe((p.for_ner for p in passages), batch_size=NER_BATCH_PASSAGES)
        found = []
        for passage, doc in zip(passages, docs, strict=True):
            found += mentions_in(passage, doc)
        return found

    def _ner_one(self, reading: Reading | Exception) -> list[Mention] | Exception:
        return self._ner([reading])[0]

    def _enriched(
        self, reading: Reading, mentions: list[Mention], enriched_at: datetime
    ) -> EnrichedArticle:
        return self._placed(reading, self._completed(reading, mentions), enriched_at)

    def _completed(self, reading: Reading, mentions: list[Mention]) -> Found:
        """NER's mentions with the ones it missed (no NER, nothing missed: the place names
        were looked for at every capitalised word)."""
        if reading.nlp is None:
            return Found(sorted(mentions, key=lambda m: (m.field != "title", m.start)), {})
        raw = reading.raw
        article = Article(raw.title, raw.text, reading.boilerplate, reading.title_boilerplate)
        return with_missed_mentions(article, mentions)

    def _named_apart(
        self,
        raw: RawArticle,
        found: Found,
        entities: list[Entity],
        places: list[Place],
        story: tuple[str, str],
    ) -> list[Entity]:
        """The entities again from spans cut to the names they hold (:mod:`name_spans`),
        each mention first labelled as its entity was, places found: a piece ("Sopot" of
        "Farmers between Gdańsk and Sopot") takes the label its name has elsewhere; then
        an organisation's name NER read as two is one (:mod:`organisation_names`).
        After geotagging, which reads NER's own spans and labels and takes them apart
        itself; last, the labels NER got wrong are corrected (:mod:`entity_labels`)."""
        labelled = with_entity_labels(found.mentions, relabelled_as_places(entities, places, story=story))
        fields = {"title": raw.title, "text": raw.text}
        mentions = named_parts(labelled, fields, self.geotagger.is_known)
        mentions = joined_organisations(mentions, fields)
        entities = relabelled_as_places(entities_of(mentions, found.aliases), places, story=story)
        return corrected_labels(entities, places, self.geotagger)

    def _placed(self, reading: Reading, found: Found, enriched_at: datetime) -> EnrichedArticle:
        """The article with its entities, places and focus (places only, without NER), and
        its bylines' writers among its authors."""
        raw = reading.raw
        written_by = bylines(raw.text)
        entities = entities_of(found.mentions, found.aliases) if reading.nlp else []
        story = without_boilerplate(raw.text, reading.boilerplate)
        headline = without_boilerplate(raw.title, reading.title_boilerplate)
        places, focus = self.geotagger.geotag(
            headline, story, with_entity_labels(found.mentions, entities), source=raw.source
        )
        if entities:
            entities = self._named_apart(raw, found, entities, places, (headline, story))
        enriched = enriched_from(
            raw,
            entities=without_bylines(entities, written_by),
            places=places,
            focus=focus,
            enriched_at=enriched_at,
            model=model_version(reading.nlp) if reading.nlp else "",
            gazetteer=self.gazetteer,
            enrichment=reading.kind,
        )
        return msgspec.structs.replace(enriched, authors=with_authors(raw.authors, written_by))


def read(raw: RawArticle, pipelines: Pipelines) -> Reading:
    """The article prepared for NER: its boilerplate found, its passages cut (the title's
    also at its separators: "SOCCER - JAPAN WIN"), its lines in capitals to be read
    recased, the pipeline of its language chosen. An article no model reads is read for
    place names alone, and one not in a Latin script not at all: a model of another
    language finds names that are not there."""
    boilerplate = boilerplate_regions(raw.text, raw.source)
    in_title = title_boilerplate(raw.title, raw.source)
    kind = enrichment_kind(raw.language, pipelines, raw.text or raw.title)
    if kind == NOTHING:
        return Reading(raw, boilerplate, in_title, [], None, kind)
    found = passages("title", raw.title, sorted(in_title + title_separators(raw.title)))
    found += passages("text", raw.text, boilerplate)
    if kind == PLACES_ONLY:
        return Reading(raw, boilerplate, in_title, found, None, kind)
    found = recased_passages(found, (raw.title, raw.text), function_words(raw.language))
    return Reading(raw, boilerplate, in_title, found, pipelines.for_language(raw.language), kind)


def _slices(passages: Sequence[Passage], chars: int) -> Iterator[list[Passage]]:
    """Consecutive runs of ``passages`` of about ``chars`` characters each."""
    piece: list[Passage] = []
    size = 0
    for passage in passages:
        piece.append(passage)
        size += len(passage.text)
        if size >= chars:
            yield piece
            piece, size = [], 0
    if piece:
        yield piece


def _attempt(step: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | Exception:
    """``step(*args)``, or the exception it raised, as a value: one article's failure."""
    try:
        return step(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported per article by the caller
        return exc

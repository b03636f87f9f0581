"""The Enricher: raw articles in, articles with entities and places out, a batch at a time.

The seam every caller uses (the worker, benchmarks, the geotagging evaluation)::

    enricher = Enricher.load()                    # NER model and gazetteer from settings
    enricher.enrich_many(raw_articles)            # lazy; one nlp.pipe per batch inside
    enricher.enrich_batch(raw_articles)           # one result per article: enriched or the error
    enricher.enrich_in_slices(raw_article, chars) # one long article, a bounded step at a time
    enricher.resolve(text, [(start, end), ...])   # gold spans -> places (delegates to geotagging)

For each article: boilerplate regions of the text -> passages (lines outside boilerplate)
-> NER over all passages of the batch at once -> mentions in the original fields -> the
mentions NER missed -> entities -> geotagging of every mention -> EnrichedArticle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import ParamSpec, Protocol, TypeVar

from msgspec import Struct
from spacy.language import Language

from services.enrich.boilerplate import (
    Region,
    boilerplate_regions,
    title_boilerplate,
    title_separators,
    without_boilerplate,
)
from services.enrich.entities import (
    entities_of,
    mentions_in,
    relabelled_as_places,
    with_entity_labels,
)
from services.enrich.mentions import Mention
from services.enrich.missed_mentions import Article, Found, with_missed_mentions
from services.enrich.nlp import load_ner, model_version
from services.enrich.passages import Passage, passages
from services.enrich.recase import casing_of, recased_passages
from shared.logging import get_logger
from shared.schemas import EnrichedArticle, Place, RawArticle, enriched_from
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
        self, title: str, text: str, mentions: Sequence[Mention]
    ) -> tuple[list[Place], Place | None]: ...

    def resolve(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Place | None]: ...


class Reading(Struct):
    """One article prepared for NER: what of its text is boilerplate, what NER reads."""

    raw: RawArticle
    boilerplate: list[Region]
    title_boilerplate: list[Region]
    passages: list[Passage]


class Enricher:
    def __init__(self, nlp: Language, geotagger: Geotagging, batch_size: int = 32) -> None:
        self.nlp = nlp
        self.geotagger = geotagger
        self.batch_size = batch_size
        self.model = model_version(nlp)
        self.gazetteer = geotagger.version

    @classmethod
    def load(cls, settings: Settings | None = None) -> Enricher:
        """The NER model (``spacy_model``) and the gazetteer (``gazetteer_dir``) from settings."""
        from services.enrich.geotag import Geotagger  # the gazetteer side of the package

        settings = settings or load_settings()
        return cls(
            load_ner(settings.spacy_model),
            Geotagger.load(settings),
            batch_size=settings.enrich_batch_size,
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
        readings = [_attempt(read, raw, self.nlp) for raw in raws]
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
        reading = read(raw, self.nlp)
        yield None
        mentions: list[Mention] = []
        # Shortest first, as in a batch: the same mentions in the same order.
        for piece in _slices(sorted(reading.passages, key=lambda p: len(p.text)), slice_chars):
            mentions += self._mentions_in(piece)
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
        """One ``nlp.pipe`` over every passage of the batch, shortest first: NER's memory
        grows with the longest doc of each of its internal batches, and like-sized docs
        together waste the least."""
        found = [
            (i, passage)
            for i, reading in enumerate(readings)
            if isinstance(reading, Reading)
            for passage in reading.passages
        ]
        found.sort(key=lambda item: len(item[1].text))
        docs = self.nlp.pipe((p.for_ner for _, p in found), batch_size=NER_BATCH_PASSAGES)
        results: list[list[Mention] | Exception] = [
            reading if isinstance(reading, Exception) else [] for reading in readings
        ]
        for (i, passage), doc in zip(found, docs, strict=True):
            results[i].extend(mentions_in(passage, doc))
        return results

    def _mentions_in(self, passages: Sequence[Passage]) -> list[Mention]:
        docs = self.nlp.pipe((p.for_ner for p in passages), batch_size=NER_BATCH_PASSAGES)
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
        """NER's mentions with the ones it missed."""
        raw = reading.raw
        article = Article(raw.title, raw.text, reading.boilerplate, reading.title_boilerplate)
        return with_missed_mentions(article, mentions)

    def _placed(self, reading: Reading, found: Found, enriched_at: datetime) -> EnrichedArticle:
        """The article with its entities, places and focus."""
        raw = reading.raw
        entities = entities_of(found.mentions, found.aliases)
        story = without_boilerplate(raw.text, reading.boilerplate)
        headline = without_boilerplate(raw.title, reading.title_boilerplate)
        places, focus = self.geotagger.geotag(
            headline, story, with_entity_labels(found.mentions, entities)
        )
        return enriched_from(
            raw,
            entities=relabelled_as_places(entities, places),
            places=places,
            focus=focus,
            enriched_at=enriched_at,
            model=self.model,
            gazetteer=self.gazetteer,
        )


def read(raw: RawArticle, nlp: Language) -> Reading:
    """The article prepared for NER: its boilerplate found, its passages cut (the title's
    also at its separators: "SOCCER - JAPAN WIN"), its lines in capitals to be read
    recased. An article in another language than the model's gets no
    passages: an English model reading German finds names that are not there."""
    boilerplate = boilerplate_regions(raw.text, raw.source)
    in_title = title_boilerplate(raw.title, raw.source)
    if raw.language != nlp.lang:
        return Reading(raw, boilerplate, in_title, [])
    casing = casing_of((raw.title, raw.text), frozenset(nlp.Defaults.stop_words))
    return Reading(
        raw,
        boilerplate,
        in_title,
        recased_passages(
            passages("title", raw.title, sorted(in_title + title_separators(raw.title)))
            + passages("text", raw.text, boilerplate),
            casing,
        ),
    )


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

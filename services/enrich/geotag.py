"""Geotagging: an article's NER mentions -> its places and the place the story is about.

A pipeline of small steps: pick the mentions that name places
(:mod:`~services.enrich.place_mentions`), rank each name's readings in the gazetteer
(:mod:`~services.enrich.ranker`, with the source's history as a prior), merge mentions of
one place, choose the focus, and add the story to its source's history.

A Geotagger is handed where that history is kept (:mod:`~services.enrich.source_history`):
the enrich workers share it in Redis (:mod:`~services.enrich.source_history_store`); by
default it is this process's memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import msgspec

from services.enrich.evidence import WHOLE_AREAS
from services.enrich.gazetteer import Gazetteer, GazetteerEntry
from services.enrich.gazetteer_build import LOOSE, PRIMARY
from services.enrich.mentions import Mention
from services.enrich.place_mentions import EMBEDDED_LABELS, select_toponyms, toponyms_at
from services.enrich.ranker import RankerWeights, Resolution, rank
from services.enrich.source_history import SourceHistories, SourceHistory
from shared.schemas import Place, Span
from shared.settings import Settings

# After a demonym: a hyphen ("Turkish-backed"), or the next word (and, after "and" or "or",
# whether a capitalised one follows: "Korean and US flags").
_AFTER_DEMONYM = re.compile(r"(?P<joined>-\w|, [A-Z])|[ \t]+(?P<word>\w+)")
# Words that follow a demonym used as a noun ("many Chinese are", "a Nigerian who", "in
# Chinese by"), not one describing what comes next ("Kurdish and Arab fighters").
AFTER_A_NOUN = frozenset(
    """who whom whose which that is are was were has have had will would can could may
    might must should shall do does did be been say says said also still now then there
    here too in of to for on at from by with as the a an""".split()  # noqa: SIM905
)
# How much a mention says about where the story happens, by where it stands ...
TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 1.5  # the first fifth of the text
TAIL_WEIGHT = 0.3  # the last tenth: sign-offs, related links, footers
# ... and by what kind of place it names: a story happens in a town more than a country.
FOCUS_KIND_WEIGHT = {"PCLI": 0.6, "ADM1": 0.8, "CONT": 0.3}


class Geotagger:
    def __init__(
        self,
        gazetteer: Gazetteer,
        weights: RankerWeights | None = None,
        history: SourceHistories | None = None,
    ) -> None:
        self.gazetteer = gazetteer
        self.weights = weights or RankerWeights.load()
        self.history: SourceHistories = history if history is not None else SourceHistory()
        self.version = gazetteer.version

    @classmethod
    def load(cls, settings: Settings, history: SourceHistories | None = None) -> Geotagger:
        """The compiled gazetteer in ``settings.gazetteer_dir``, compiled first if absent."""
        return cls(Gazetteer.load(settings.gazetteer_dir), history=history)

    def geotag(
        self, title: str, text: str, mentions: Sequence[Mention], source: str = ""
    ) -> tuple[list[Place], Place | None]:
        """The article's places (one per distinct place, every span merged) and its focus.
        ``source``: the publisher, whose earlier stories' places are a prior."""
        toponyms = select_toponyms(text, mentions, self, title)
        prior = self.history.prior(source)
        resolutions = rank(text, toponyms, self.gazetteer, self.weights, prior)
        self.history.record(source, [(r.entry, r.confidence) for r in resolutions if r.entry])
        # "Iraqi forces" is about Iraq: demonyms join their country's spans (GeoWebNews
        # counts them as toponyms too) but never make a story's focus.
        modifiers = (as_modifier(r, title, text) for r in resolutions if r.entry)
        places = merged_places(r for r in modifiers if r.toponym.spans and not self._people(r))
        return places, focus_place(places, resolutions, len(text))

    def resolve(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Place | None]:
        """One answer per given span (e.g. gold toponyms), the whole text as context."""
        resolutions = rank(
            text, toponyms_at(text, spans), self.gazetteer, self.weights, none_allowed=False
        )
        by_span = {(s.start, s.end): r for r in resolutions for s in r.toponym.spans}
        answers: list[Place | None] = []
        for start, end in spans:
            found = _resolution_covering(by_span, start, end)
            answers.append(
                _place(found, [Span("text", start, end)]) if found and found.entry else None
            )
        return answers

    def is_demonym(self, word: str) -> bool:
        return self.gazetteer.demonym(word) is not None

    def is_continental(self, word: str) -> bool:
        entry = self.gazetteer.demonym(word)
        return entry is not None and entry.feature_code == "CONT"

    def is_known(self, name: str) -> bool:
        return bool(self.gazetteer.candidates(name)) or self.is_demonym(name)

    def is_well_known(self, name: str) -> bool:
        """A country or continent by any of its names ("UAE"), or a state or big city by its own."""
        return any(
            (c.quality > LOOSE and c.entry.feature_code in WHOLE_AREAS)
            or (c.quality == PRIMARY and (c.entry.is_area or c.entry.is_major))
            for c in self.gazetteer.candidates(name)
        )

    def is_only_an_area(self, name: str) -> bool:
        """A country or state is called exactly so, and no town is ("Tamil Nadu", not
        "Bac Ninh", a province and its city)."""
        own = [c.entry for c in self.gazetteer.candidates(name) if c.quality == PRIMARY]
        return any(e.is_area for e in own) and not any(
            e.feature_code.startswith("PPL") for e in own
        )

    def is_own_name(self, name: str) -> bool:
        """A place is called exactly so (not by an alternate or a loosened spelling)."""
        return any(c.quality == PRIMARY for c in self.gazetteer.candidates(name))

    def _people(self, resolution: Resolution) -> bool:
        """ "Mexicans" are people: they tell where the story is but are not a place in it."""
        name = resolution.toponym.name
        return resolution.via_demonym and name.endswith("s") and self.is_demonym(name[:-1])


def as_modifier(resolution: Resolution, title: str, text: str) -> Resolution:
    """A demonym with only the spans where it modifies what follows ("Kurdish fighters",
    "Turkish-backed"), not where it names people or a language ("an American;", "many
    Chinese are", "printed in Chinese,"): GeoWebNews counts the first as toponyms only."""
    if not (resolution.via_demonym and resolution.toponym.demonym):
        return resolution  # "the UK", "the U.S.": a country's name, whatever reads it
    spans = [
        s for s in resolution.toponym.spans
        if _modifies(title if s.field == "title" else text, s.end)
    ]  # fmt: skip
    toponym = msgspec.structs.replace(resolution.toponym, spans=spans)
    return msgspec.structs.replace(resolution, toponym=toponym)


def _modifies(text: str, end: int) -> bool:
    """The word written right after ``end`` is what a demonym there describes (not a word
    that follows a noun: "who", "are", "in"), a hyphened compound, or another name after a
    comma ("German, Irish and other immigrants")."""
    after = _AFTER_DEMONYM.match(text, end)
    if after is None:
        return False
    if after.group("joined"):
        return True
    return after.group("word").casefold() not in AFTER_A_NOUN


def _resolution_covering(
    by_span: dict[tuple[int, int], Resolution], start: int, end: int
) -> Resolution | None:
    # A possessive ("Iraq's") is cut off the toponym's span: match on the start too.
    exact = by_span.get((start, end))
    if exact is not None:
        return exact
    return next((r for (s, e), r in by_span.items() if s == start and e <= end), None)


def merged_places(resolutions: Iterable[Resolution]) -> list[Place]:
    """One Place per GeoNames entry: "Tal Afar" and "Tall Afar" are one place."""
    by_id: dict[int, list[Resolution]] = {}
    for resolution in resolutions:
        by_id.setdefault(resolution.entry.geonames_id, []).append(resolution)
    places = []
    for group in by_id.values():
        named = [r for r in group if not r.via_demonym] or group
        most_written = max(named, key=lambda r: len(r.toponym.spans))
        spans = sorted(
            (s for r in group for s in r.toponym.spans), key=lambda s: (s.field != "title", s.start)
        )
        best = max(group, key=lambda r: r.confidence)
        places.append(_place(best, spans, name=most_written.toponym.name))
    return places


def _place(resolution: Resolution, spans: list[Span], name: str | None = None) -> Place:
    entry: GazetteerEntry = resolution.entry  # type: ignore[assignment]
    return Place(
        name=name or resolution.toponym.name,
        geonames_id=entry.geonames_id,
        resolved_name=entry.name,
        lat=entry.lat,
        lon=entry.lon,
        country_code=entry.country_code or None,
        admin1=entry.admin1,
        feature_code=entry.feature_code,
        population=entry.population,
        confidence=resolution.confidence,
        spans=spans,
    )


def focus_place(
    places: list[Place], resolutions: Sequence[Resolution], text_length: int
) -> Place | None:
    """Where the story happens: its dateline's place, else the place written most
    prominently (the title and the lead count more, the tail of the page little)."""
    for resolution in resolutions:
        if resolution.toponym.dateline and resolution.entry and not resolution.via_demonym:
            return next(p for p in places if p.geonames_id == resolution.entry.geonames_id)
    # Demonyms and names inside organisations' names say little about where it happens.
    demonym_spans = {
        s for r in resolutions
        if r.via_demonym or r.toponym.label in EMBEDDED_LABELS
        for s in r.toponym.spans
    }  # fmt: skip
    named = [p for p in places if any(s not in demonym_spans for s in p.spans)]
    if not named:
        return None
    return max(named, key=lambda p: _prominence(p, demonym_spans, text_length))


def _prominence(place: Place, demonym_spans: set[Span], text_length: int) -> float:
    weight = sum(_span_weight(s, text_length) for s in place.spans if s not in demonym_spans)
    kind = FOCUS_KIND_WEIGHT.get(place.feature_code or "", 1.0)
    return weight * kind * (0.5 + 0.5 * place.confidence)


def _span_weight(span: Span, text_length: int) -> float:
    if span.field == "title":
        return TITLE_WEIGHT
    if span.start < 0.2 * text_length:
        return LEAD_WEIGHT
    if span.start > 0.9 * text_length:
        return TAIL_WEIGHT
    return 1.0

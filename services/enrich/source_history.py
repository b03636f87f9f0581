"""Where each source's stories usually are, learned from its own enriched history.

A local paper's "Georgia" is the state and its "Paris" the town next door: no other name
in the story may say so, but the paper's earlier stories do. For every source (the
article's publisher) this keeps how many of its stories placed something in each
country and each first-level division, and hands the ranker those shares as a prior:
"dailyherald.com: 61 % of 40 stories in Illinois, US". Only places resolved with
confidence count, each once per story.

Memory is bounded: the most recently seen ``MAX_SOURCES`` sources, at most
``MAX_REGIONS`` regions each; counts are halved every ``HALF_LIFE_STORIES`` stories of a
source, so that a paper that changes beat is followed. :class:`SourceHistory` keeps it in
memory (the evaluation replays a corpus with it); the enrich workers keep it in Redis
(:mod:`services.enrich.source_history_store`), where every worker and restart share it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from msgspec import Struct

if TYPE_CHECKING:
    from services.enrich.gazetteer import GazetteerEntry

MAX_SOURCES = 2_000
MAX_REGIONS = 64
HALF_LIFE_STORIES = 400
RECORD_CONFIDENCE = 0.5  # places less sure than this are not evidence of the source's beat
SMOOTHING = 3.0  # stories: a source's first few stories say little

Region = tuple[str, str | None]  # (country code, admin1 name or None for the country)


class SourcePrior(Struct):
    """One source's history: its stories, and how many placed something in each region."""

    stories: float = 0.0
    regions: dict[Region, float] = {}

    def state_share(self, entry: GazetteerEntry) -> float:
        """The smoothed share of the source's stories in the entry's first-level division."""
        if entry.admin1 is None:
            return 0.0
        return self.regions.get((entry.country_code, entry.admin1), 0.0) / (
            self.stories + SMOOTHING
        )

    def country_share(self, entry: GazetteerEntry) -> float:
        return self.regions.get((entry.country_code, None), 0.0) / (self.stories + SMOOTHING)

    def explain(self, source: str, top: int = 3) -> str:
        """ "dailyherald.com: 61 % of 40 stories in Illinois, US; ..." """
        if not self.stories:
            return f"{source}: no history"
        shares = sorted(self.regions.items(), key=lambda kv: -kv[1])[:top]
        parts = [
            f"{count / self.stories:.0%} in {admin1 + ', ' if admin1 else ''}{country}"
            for (country, admin1), count in shares
        ]
        return f"{source}: {round(self.stories)} stories; " + "; ".join(parts)


NO_HISTORY = SourcePrior()


class SourceHistories(Protocol):
    """Where the geotagger reads a source's prior and adds each story to it."""

    def prior(self, source: str) -> SourcePrior: ...

    def record(self, source: str, places: Iterable[tuple[GazetteerEntry, float]]) -> None: ...


def regions_of(places: Iterable[tuple[GazetteerEntry, float]]) -> set[Region]:
    """The countries and first-level divisions a story's places (with the confidence in
    each) count for: each once, and only places resolved with confidence."""
    regions: set[Region] = set()
    for entry, confidence in places:
        if confidence >= RECORD_CONFIDENCE and entry.country_code:
            regions.add((entry.country_code, None))
            if entry.admin1 is not None:
                regions.add((entry.country_code, entry.admin1))
    return regions


class SourceHistory:
    """Every source's history in this process's memory."""

    def __init__(self, max_sources: int = MAX_SOURCES) -> None:
        self._max_sources = max_sources
        self._sources: OrderedDict[str, SourcePrior] = OrderedDict()

    def prior(self, source: str) -> SourcePrior:
        known = self._sources.get(source)
        if known is None:
            return NO_HISTORY
        self._sources.move_to_end(source)
        return known

    def record(self, source: str, places: Iterable[tuple[GazetteerEntry, float]]) -> None:
        """One more story of ``source``, with its places and the confidence in each."""
        if not source:
            return
        history = self._history(source)
        history.stories += 1
        for region in regions_of(places):
            history.regions[region] = history.regions.get(region, 0.0) + 1
        if history.stories >= HALF_LIFE_STORIES:
            _halve(history)
        if len(history.regions) > MAX_REGIONS:
            kept = sorted(history.regions.items(), key=lambda kv: -kv[1])[:MAX_REGIONS]
            history.regions = dict(kept)

    def __len__(self) -> int:
        return len(self._sources)

    def _history(self, source: str) -> SourcePrior:
        history = self._sources.get(source)
        if history is None:
            history = self._sources[source] = SourcePrior(regions={})
            if len(self._sources) > self._max_sources:
                self._sources.popitem(last=False)
        self._sources.move_to_end(source)
        return history


def _halve(history: SourcePrior) -> None:
    history.stories /= 2
    history.regions = {region: count / 2 for region, count in history.regions.items()}

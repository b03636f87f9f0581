"""Each source's history (:mod:`services.enrich.source_history`) in Redis, shared by every
enrich worker and kept across restarts.

One small hash per source, ``dateline:source:{source}``: ``stories`` -> how many of its
stories were counted, and ``US`` or ``US/Illinois`` -> how many of them placed something
in that country or first-level division (halved every ``HALF_LIFE_STORIES`` stories, at most
``MAX_REGIONS`` regions; a source unheard of for ``IDLE_DAYS`` is forgotten). A story adds
to it in one atomic script; ``redis-cli hgetall dateline:source:dailyherald.com`` reads it.

Priors are read through a cache of ``CACHE_S`` seconds: a batch of one source's stories
reads its hash once. When Redis cannot be reached the story is geotagged without its
source's history and a warning logged: the prior is a hint, not a reason to fail.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import redis
from redis.exceptions import RedisError

from services.enrich.source_history import (
    HALF_LIFE_STORIES,
    MAX_REGIONS,
    MAX_SOURCES,
    NO_HISTORY,
    Region,
    SourcePrior,
    regions_of,
)
from shared.logging import get_logger
from shared.runtime import blocking_redis_client

if TYPE_CHECKING:
    from services.enrich.gazetteer import GazetteerEntry
    from shared.settings import Settings

log = get_logger("dateline.enrich")

KEY_PREFIX = "dateline:source:"
STORIES = "stories"
CACHE_S = 10.0
IDLE_DAYS = 180
REDIS_TIMEOUT_S = 2.0

# KEYS[1]: the source's hash; ARGV: half-life, max regions, seconds kept, then the regions.
_RECORD = """
local key = KEYS[1]
local stories = tonumber(redis.call('HINCRBYFLOAT', key, 'stories', 1))
for i = 4, #ARGV do redis.call('HINCRBYFLOAT', key, ARGV[i], 1) end
local all = redis.call('HGETALL', key)
if stories >= tonumber(ARGV[1]) then
  for i = 1, #all, 2 do
    all[i + 1] = tostring(tonumber(all[i + 1]) / 2)
    redis.call('HSET', key, all[i], all[i + 1])
  end
end
local regions = {}
for i = 1, #all, 2 do
  if all[i] ~= 'stories' then table.insert(regions, {all[i], tonumber(all[i + 1])}) end
end
if #regions > tonumber(ARGV[2]) then
  table.sort(regions, function(a, b) return a[2] < b[2] end)
  for i = 1, #regions - tonumber(ARGV[2]) do redis.call('HDEL', key, regions[i][1]) end
end
redis.call('EXPIRE', key, ARGV[3])
"""


def source_key(source: str) -> str:
    return f"{KEY_PREFIX}{source}"


def region_field(region: Region) -> str:
    country, admin1 = region
    return country if admin1 is None else f"{country}/{admin1}"


def prior_of(fields: dict[bytes, bytes]) -> SourcePrior:
    """A source's hash, read back."""
    stories, regions = 0.0, {}
    for name, value in fields.items():
        field, count = name.decode(), float(value)
        if field == STORIES:
            stories = count
        else:
            country, _, admin1 = field.partition("/")
            regions[country, admin1 or None] = count
    return SourcePrior(stories=stories, regions=regions) if stories else NO_HISTORY


def read_prior(client: redis.Redis, source: str) -> SourcePrior:
    """One source's history as Redis holds it now (what `dateline source NAME` shows)."""
    return prior_of(client.hgetall(source_key(source)))


class StoredSourceHistory:
    """:class:`~services.enrich.source_history.SourceHistories` kept in Redis."""

    def __init__(
        self,
        client: redis.Redis,
        cache_s: float = CACHE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._record = client.register_script(_RECORD)
        self._cache_s = cache_s
        self._clock = clock
        self._cached: OrderedDict[str, tuple[float, SourcePrior]] = OrderedDict()

    @classmethod
    def connect(cls, settings: Settings) -> StoredSourceHistory:
        # A Redis that hangs costs a story its prior, not the batch its turn.
        return cls(blocking_redis_client(settings, timeout_s=REDIS_TIMEOUT_S))

    def prior(self, source: str) -> SourcePrior:
        if not source:
            return NO_HISTORY
        now = self._clock()
        cached = self._cached.get(source)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            prior = read_prior(self._client, source)
        except RedisError as exc:
            log.warning("source_history.unavailable", source=source, error=repr(exc))
            return NO_HISTORY
        self._cached[source] = (now + self._cache_s, prior)
        self._cached.move_to_end(source)
        if len(self._cached) > MAX_SOURCES:
            self._cached.popitem(last=False)
        return prior

    def record(self, source: str, places: Iterable[tuple[GazetteerEntry, float]]) -> None:
        """One more story of ``source``, with its places and the confidence in each."""
        if not source:
            return
        fields = sorted(region_field(region) for region in regions_of(places))
        try:
            self._record(
                keys=[source_key(source)],
                args=[HALF_LIFE_STORIES, MAX_REGIONS, IDLE_DAYS * 86_400, *fields],
            )
        except RedisError as exc:
            log.warning("source_history.unavailable", source=source, error=repr(exc))

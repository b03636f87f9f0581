"""Token buckets, one per caller: how many requests a search client may make, and when.

Each bucket holds up to ``burst`` tokens and gains ``rate`` a second; a request takes one.
An empty bucket says how long until the next token (the 429's ``Retry-After``). Pure: the
clock is passed in. Buckets of callers not seen for a while are forgotten (least recently
used first) so a flood of addresses cannot grow memory without end; a forgotten caller
starts again with a full bucket, which is what it would have by then anyway.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBuckets:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 100_000,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"a token bucket needs rate > 0 and burst >= 1 (got {rate}, {burst})")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._max_callers = max_callers
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # caller -> (tokens, at)

    def take(self, caller: str) -> float:
        """Take a token for ``caller``: 0.0 when it may go ahead, else the seconds to wait."""
        now = self._clock()
        tokens, at = self._buckets.pop(caller, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[caller] = (tokens, now)  # most recently seen last
        if len(self._buckets) > self._max_callers:
            self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)

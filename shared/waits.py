"""Waiting for an :class:`asyncio.Event` with a deadline, the one way every loop does it.

Only the wait on the event is given the deadline, never the work around it: a timeout
that lands inside a Redis command can be lost on Python 3.11 (see
:class:`shared.consumer.ClaimKeeper`), one that lands on ``Event.wait`` cannot.
"""

from __future__ import annotations

import asyncio
import contextlib


async def set_within(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set or ``seconds`` have passed; whether it is set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    return event.is_set()

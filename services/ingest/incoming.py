"""The second entry of ingest: articles that upstream producers XADD to dateline:incoming.

The format, for producers that are not Dateline (any Redis client, redis-cli)::

    XADD dateline:incoming * article '{"url": "https://...", "title": "...", "text": "..."}'

One field, ``article``, holding one ArticleIn as JSON. The ``ingest`` consumer group reads
it through the shared consumer stage; each article is judged exactly as a POST would judge
it. A valid article is published to dateline:raw (or recognised as a duplicate) and acked;
an invalid one goes to dateline:dlq with the field and reason, since no retry can fix it.
"""

from __future__ import annotations

import asyncio

from services.ingest.backlog import RETRY_AFTER_SECONDS, Backlog
from services.ingest.decode import decode_article
from services.ingest.intake import Intake
from services.ingest.publish import BacklogFull
from shared.consumer import BatchHandler, Delivery, Failure, waiting_on_purpose
from shared.logging import get_logger

log = get_logger("dateline.ingest")

REASON = "invalid_article"


def incoming_handler(intake: Intake, backlog: Backlog) -> BatchHandler:
    async def take_incoming(deliveries: list[Delivery]) -> list[Failure]:
        # Each entry is admitted on its own (one order each, published together): those
        # the backlog has no room for wait, pending (safe), until enrichment catches up.
        # Failing them instead would count towards dead-lettering.
        waiting, failures = list(deliveries), []
        while True:
            await _wait_for_room(backlog)
            outcomes = await asyncio.gather(*(_take_one(intake, d) for d in waiting))
            failures += [o for o in outcomes if isinstance(o, Failure)]
            waiting = [d for d, o in zip(waiting, outcomes, strict=True) if o is _NO_ROOM]
            if not waiting:
                return failures
            await _wait_on_purpose()  # the figure _wait_for_room reads lags

    return take_incoming


_NO_ROOM = object()


async def _take_one(intake: Intake, delivery: Delivery) -> Failure | object | None:
    try:
        [result] = await intake.take([decode_article(delivery.body)], via="incoming", origins=[delivery.entry_id])
    except BacklogFull:
        return _NO_ROOM
    if result.status != "rejected":
        return None
    return Failure(entry_id=delivery.entry_id, reason=REASON, error=f"{result.field}: {result.reason}", permanent=True)


async def _wait_for_room(backlog: Backlog) -> None:
    # A pull consumer pushes back by not pulling.
    if not await backlog.full():
        return
    log.warning("incoming.paused", backlog=await backlog.size(), limit=backlog.limit)
    while await backlog.full():
        await _wait_on_purpose()
    log.info("incoming.resumed", backlog=await backlog.size())


async def _wait_on_purpose() -> None:
    # For as long as enrichment is behind, however long: the stage must not take the
    # batch for stuck (its claims are kept, the process is not restarted for it).
    waiting_on_purpose()
    await asyncio.sleep(RETRY_AFTER_SECONDS)

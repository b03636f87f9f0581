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
from shared.consumer import BatchHandler, Delivery, Failure
from shared.logging import get_logger

log = get_logger("dateline.ingest")

REASON = "invalid_article"


def incoming_handler(intake: Intake, backlog: Backlog) -> BatchHandler:
    async def take_incoming(deliveries: list[Delivery]) -> list[Failure]:
        await _wait_for_room(backlog)
        decoded = [decode_article(d.body, index) for index, d in enumerate(deliveries)]
        results = await intake.take(decoded, via="incoming", origins=[d.entry_id for d in deliveries])
        return [
            Failure(
                entry_id=deliveries[r.index].entry_id,
                reason=REASON,
                error=f"{r.field}: {r.reason}",
                permanent=True,
            )
            for r in results
            if r.status == "rejected"
        ]

    return take_incoming


async def _wait_for_room(backlog: Backlog) -> None:
    # A pull consumer pushes back by not pulling: the batch stays pending (safe) until
    # enrichment catches up. Failing it instead would count towards dead-lettering.
    if not await backlog.exceeded():
        return
    log.warning("incoming.paused", backlog=await backlog.size(), limit=backlog.limit)
    while await backlog.exceeded():
        await asyncio.sleep(RETRY_AFTER_SECONDS)
    log.info("incoming.resumed", backlog=await backlog.size())

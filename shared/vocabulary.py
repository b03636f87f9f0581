"""The one vocabulary of Dateline's logs and dead letters, each name defined here once.

Every log event a process emits is a key of :data:`EVENTS` with what it means (the README's
table is this one); tests/unit/test_vocabulary.py fails on a name used in the code that is
not here, and on a name here that nothing uses. Lifecycle events of every process are one
family, ``service.*``, told apart by the ``service`` field every line carries; the
supervisor's events about its children carry the child's ``name``.

Dead-letter reasons are the :data:`DeadLetterReason` type of
:attr:`shared.schemas.DeadLetter.reason`: a short, stable code per cause, so a DLQ can be
counted and replayed by reason.
"""

from __future__ import annotations

from typing import Literal, get_args

DeadLetterReason = Literal[
    "invalid_article",  # the payload is not the message the stage reads (a bad producer)
    "text_too_long",  # over DATELINE_ENRICH_MAX_CHARS (ingest refuses these first)
    "enrich_failed",  # enrichment raised for this article, delivery after delivery
    "store_rejected",  # the search store refused the document
    "missing_field",  # the stream entry has no body field
    "delivery_limit",  # delivered DATELINE_MAX_DELIVERIES times without being settled
    "handler_error",  # the stage's handler raised for the whole batch, every time
]
DEAD_LETTER_REASONS: frozenset[str] = frozenset(get_args(DeadLetterReason))

EVENTS: dict[str, str] = {
    # -- a process's own life (every service) --
    "service.started": "the process is serving (its stage reads, its HTTP port answers)",
    "service.stopping": "SIGTERM received, or a stage is stuck: finishing the in-flight batches",
    "service.stopped": "the process stopped cleanly; carries its stage's counts",
    "service.stage_stopped": "the stream readers stopped under the process (their group is gone?)",
    "service.stage_restarting": "the stream readers start again in-process after in_s (Redis away, or back empty)",
    "service.stage_started": "the stream readers read again after a restart in-process",
    "service.stage_stuck": "a batch held its stage past DATELINE_CLAIM_KEEP_MAX_S (a hung handler; stage, running_s, entry_ids): the process stops and exits 1 (forced after exit_within_s) for its supervisor to restart it",
    "service.crashed": "an unexpected exception ended the process (traceback attached); exit 1",
    "service.refused_config": "the process will not start like this (the reason says what to set); exit 2",
    "enricher.loaded": "the NER model and gazetteer are loaded (seconds)",
    "enricher.language_loaded": "the NER model of another language was loaded on its first article (language, model, seconds)",
    "source_history.unavailable": "Redis did not answer for a source's history: the story is geotagged without its prior (source, error)",
    # -- the supervisor (`dateline up`) about its children (name=) --
    "service.spawned": "the supervisor started a child process",
    "service.exited": "a child exited; restart_in_s says when it comes back",
    "service.failed_config": "a child refused its configuration (exit 2): left down, with its reason",
    "service.start_failed": "a child could not be started at all",
    "supervisor.gave_up": "every child is down for good",
    "supervisor.stopped": "the supervisor stopped its children",
    # -- articles, one line each with article_id and entry_id --
    "article.accepted": "ingest published a new article",
    "article.updated": "ingest published a changed article again",
    "article.duplicate": "ingest saw the same article with the same content: not published",
    "article.rejected": "ingest refused an article (field, reason)",
    "article.enriched": "enrich published an article with its entities and places",
    "article.set_aside": "a long article was moved to the long lane (dateline:raw:long)",
    "article.enrich_failed": "enriching one article raised; it is retried or dead-lettered",
    "article.indexed": "the index committed an article",
    "article.stale": "an older version arrived after a newer one: not indexed",
    # -- stream entries and batches --
    "entry.failed": "an entry failed and will be retried",
    "entry.dead_lettered": "an entry went to dateline:dlq with its reason",
    "batch.failed": "a whole batch raised in its handler",
    "batch.abandoned": "at a stop, a batch outlived DATELINE_GRACEFUL_TIMEOUT_S: cancelled, left pending for another consumer",
    "batch.claim_kept": "a busy worker renewed its claim on entries it is still working on",
    "batch.claim_keep_failed": "renewing a claim failed (Redis away); the entries may be reclaimed",
    "batch.claim_released": "a batch held its entries past DATELINE_CLAIM_KEEP_MAX_S (stuck?): let go, another consumer may claim and redo them",
    "batch.entries_gone": "a batch that waited for its turn found entries no longer pending to it (claimed by another consumer, named in owners, or settled): left to them, not handled",
    "stream.trimmed": "a stream was trimmed below what every group has read",
    "incoming.paused": "ingest stopped reading dateline:incoming: enrichment is behind",
    "incoming.resumed": "ingest reads dateline:incoming again",
    "redis.unavailable": "a Redis call failed; the request got 503 or the work waits",
    # -- HTTP --
    "http.failed": "a request raised: 500 with the request_id, traceback attached",
    "http.rejected": "uvicorn could not parse a request: JSON 400",
    "html.timed_out": "a page ran out of its time budget: read as plain text, worker replaced",
    "html.no_worker": "no extraction worker was free in time: the page was read as plain text",
    "html.extraction_failed": "an extraction worker died or the page broke it: plain text",
    "html.worker_failed": "an extraction worker could not be started",
    # -- the index --
    "index.reindexed": "a reindex finished and the new generation serves",
    "index.reindex_failed": "a reindex failed; the old generation keeps serving",
    "index.schema_changed": "the index was built by an older schema: reindexing before serving",
    "export.finished": "an export ended (rows, format, complete: false when the client left first)",
    "export.failed": "an export broke off after its first bytes (traceback attached); the download is cut short",
    "stream.opened": "an event stream opened (caller, position; expired: Last-Event-ID was too old)",
    "stream.closed": "an event stream ended (events sent, seconds open)",
    "stream.cut_off": "a stream's client took no write for DATELINE_STREAM_STALL_S: its connection is dropped "
    "(caller, position it resumes from, events waiting, stalled_s)",
    "stream.match_failed": "checking the open streams against a commit raised; the next tick tries again",
    # -- gazetteer and feeds --
    "gazetteer.compiling": "no compiled gazetteer (or an outdated one): compiling",
    "gazetteer.compiled": "the gazetteer was compiled (seconds)",
    "gazetteer.built": "a gazetteer was built from GeoNames data (places, keys)",
    "feed.polled": "the poller fetched a feed (status, new items)",
    "feed.moved": "a feed answered with a permanent redirect: its URL was updated",
    "feed.failed": "fetching or reading a feed failed; it backs off",
}

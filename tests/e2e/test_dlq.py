"""A poison article lands in the DLQ; after its cause is removed, `dlq replay` brings it to the index."""

from __future__ import annotations

import json
import os
import signal

import redis

from dateline.stack import readiness_urls, wait_until_ready
from shared.streams import RAW, entry_fields
from tests.e2e.driving import poll, run
from tests.factories import raw_article


def test_dead_letter_replayed_after_the_cause_is_removed(system):
    # Ingest refuses a text longer than enrichment takes, so a poison gets in only when the
    # workers' limit is lowered after ingest took the article: one such, put on dateline:raw.
    long_read = raw_article(0x11B0A, title="A very long read on Lisbon",
                            text="Lisbon's trams climb the hills of Alfama. " * 600)  # 25,200 characters
    redis.Redis.from_url(system.settings.redis_url).xadd(RAW, entry_fields(long_read))
    result = {"id": long_read.id}

    [letter] = poll(lambda: _dead_letters(system))
    assert letter["letter"]["reason"] == "text_too_long" and letter["letter"]["stage"] == "enrich"
    assert "1 dead letters" in run(system, "dlq", "list").output

    # The cause: DATELINE_ENRICH_MAX_CHARS=20000. Raise it and restart the workers.
    system.stack.supervisor.env["DATELINE_ENRICH_MAX_CHARS"] = "100000"
    for name in ("enrich-0", "enrich-1"):
        child = system.child(name)
        restarts = child.restarts
        os.kill(child.process.pid, signal.SIGTERM)
        poll(lambda c=child, r=restarts: c.restarts > r and c.restart_at is None)
    workers = {n: u for n, u in readiness_urls(system.settings, 2).items() if n.startswith("enrich")}
    assert wait_until_ready(workers, timeout_s=120) == {}

    replayed = run(system, "dlq", "replay", "--all")
    assert replayed.exit_code == 0 and "1 replayed" in replayed.output, replayed.output
    poll(lambda: system.search.get(f"/v1/articles/{result['id']}").status_code == 200)
    assert _dead_letters(system) == []


def _dead_letters(system) -> list[dict]:
    listed = run(system, "dlq", "list", "--json")
    assert listed.exit_code == 0, listed.output
    return [json.loads(line) for line in listed.stdout.splitlines()]

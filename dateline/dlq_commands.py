"""`dateline dlq list|replay|drop`: the operator's view of what stages gave up on."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime

import msgspec
import redis.asyncio as aioredis
from rich.console import Console
from rich.table import Table

from shared import dlq
from shared.settings import Settings


def _run(settings: Settings, operation):
    async def with_client():
        client = aioredis.Redis.from_url(settings.redis_url)
        try:
            return await operation(client)
        finally:
            await client.aclose()

    return asyncio.run(with_client())


def _age(when: datetime) -> str:
    seconds = int((datetime.now(UTC) - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def list_command(console: Console, settings: Settings, limit: int, as_json: bool) -> None:
    async def fetch(client):
        return await dlq.count_dead_letters(client), await dlq.list_dead_letters(client, limit)

    total, entries = _run(settings, fetch)
    if as_json:
        for entry in entries:
            sys.stdout.write(msgspec.json.encode(entry).decode() + "\n")
        return
    table = Table("id", "stage", "reason", "attempts", "age", "stream", "error")
    for entry in entries:
        letter = entry.letter
        table.add_row(entry.dlq_id, letter.stage, letter.reason, str(letter.attempts),
                      _age(letter.failed_at), letter.stream, letter.error[:80])
    console.print(table)
    console.print(f"{total} dead letters" + (f" (showing {len(entries)})" if total > len(entries) else ""))


def replay_command(console: Console, settings: Settings, ids: list[str], replay_all: bool) -> None:
    try:
        replayed = _run(settings, lambda client: dlq.replay(client, None if replay_all else ids))
    except dlq.DeadLetterError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise SystemExit(1) from None
    for item in replayed:
        console.print(f"replayed {item.dlq_id} -> {item.stream} {item.entry_id}")
    console.print(f"{len(replayed)} replayed")


def drop_command(console: Console, settings: Settings, ids: list[str], drop_all: bool) -> None:
    dropped = _run(settings, lambda client: dlq.drop(client, None if drop_all else ids))
    console.print(f"{dropped} dropped")

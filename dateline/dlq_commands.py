"""`dateline dlq list|replay|drop`: the operator's view of what stages gave up on."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import msgspec
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dateline.with_redis import run_with_redis
from shared import dlq
from shared.settings import Settings

ERROR_CHARS = 100  # a few lines in an 80-column terminal; --wide and --json show it whole
WIDE = 10_000


def _age(when: datetime) -> str:
    seconds = int((datetime.now(UTC) - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def list_command(console: Console, settings: Settings, limit: int, as_json: bool, wide: bool = False) -> None:
    async def fetch(client):
        return await dlq.count_dead_letters(client), await dlq.list_dead_letters(client, limit)

    total, entries = run_with_redis(settings, fetch)
    if as_json:
        for entry in entries:
            sys.stdout.write(msgspec.json.encode(entry).decode() + "\n")
        return
    table = dead_letter_table(entries, wide)
    if wide:  # as wide as the table is, whatever the terminal: for a pager or a wide window
        Console(file=console.file, width=WIDE, color_system=console.color_system).print(table)
    else:
        console.print(table)
    console.print(f"{total} dead letters" + (f" (showing {len(entries)})" if total > len(entries) else ""))


def dead_letter_table(entries: list[dlq.DeadLetterEntry], wide: bool) -> Table:
    """Ids whole on any terminal (`replay --id` needs them); the error wraps, or with
    ``wide`` every column is on one line in full."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", no_wrap=True, overflow="ignore")
    table.add_column("stage", no_wrap=True)
    table.add_column("reason", no_wrap=wide, overflow="fold")
    table.add_column("tries", no_wrap=True, justify="right")
    table.add_column("age", no_wrap=True, justify="right")
    if wide:
        table.add_column("stream", no_wrap=True)
    table.add_column("error", no_wrap=wide, overflow="fold", ratio=1)
    for entry in entries:
        letter = entry.letter
        error = letter.error if wide or len(letter.error) <= ERROR_CHARS else letter.error[:ERROR_CHARS] + "…"
        stream = [letter.stream] if wide else []
        table.add_row(entry.dlq_id, letter.stage, letter.reason, str(letter.attempts),
                      _age(letter.failed_at), *stream, Text(error))
    return table


def replay_command(console: Console, settings: Settings, ids: list[str], replay_all: bool) -> None:
    try:
        replayed = run_with_redis(settings, lambda client: dlq.replay(client, None if replay_all else ids))
    except dlq.DeadLetterError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise SystemExit(1) from None
    for item in replayed:
        console.print(f"replayed {item.dlq_id} -> {item.stream} {item.entry_id}")
    console.print(f"{len(replayed)} replayed")


def drop_command(console: Console, settings: Settings, ids: list[str], drop_all: bool) -> None:
    dropped = run_with_redis(settings, lambda client: dlq.drop(client, None if drop_all else ids))
    console.print(f"{dropped} dropped")

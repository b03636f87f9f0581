"""What the CLI prints for a person: whole ids in 80 columns, snippets as text."""

import io
from datetime import UTC, datetime, timedelta

import msgspec
from rich.console import Console

from dateline.dlq_commands import dead_letter_table
from dateline.render import render_search
from dateline.status import (
    ConsumerStatus,
    FeedsStatus,
    GroupStatus,
    IndexStatus,
    PollerStatus,
    Status,
    StreamStatus,
    render_status,
)
from shared.dlq import DeadLetterEntry
from shared.schemas import DeadLetter, SearchResponse

ERROR = ("Text of 1,200,000 characters is longer than DATELINE_ENRICH_MAX_CHARS=1000000 allows; "
         "raise it, restart the workers and replay")


def _entries() -> list[DeadLetterEntry]:
    return [
        DeadLetterEntry(dlq_id=f"1764690123456-{n}", letter=DeadLetter(
            stage="enrich", reason="text_too_long", error=ERROR, attempts=3, stream="dateline:raw",
            entry_id="1-0", payload="{}", failed_at=datetime.now(UTC) - timedelta(hours=n)))
        for n in (0, 12)
    ]


def _printed(renderable, width: int) -> str:
    console = Console(file=io.StringIO(), width=width)
    console.print(renderable)
    return console.file.getvalue()


def test_dead_letter_ids_stay_whole_in_80_columns():
    shown = _printed(dead_letter_table(_entries(), wide=False), 80)
    assert max(len(line) for line in shown.splitlines()) <= 80
    assert "1764690123456-0" in shown and "1764690123456-12" in shown
    assert "text_too_long" in shown


def test_wide_puts_each_dead_letter_on_one_line_in_full():
    shown = _printed(dead_letter_table(_entries(), wide=True), 10_000)
    [line] = [row for row in shown.splitlines() if "1764690123456-12" in row]
    assert "dateline:raw" in line and ERROR in line


def test_snippets_and_titles_are_text_not_html_or_markup():
    hit = {"id": "0" * 32, "title": "[Update] Ferry resumes", "url": "https://x.example/a",
           "source": "x.example", "published_at": None, "score": 1.0, "entities": [], "places": [],
           "focus": None,
           "snippet": "Smith &amp; Sons said the <b>ferry</b> &quot;will run&quot; from\nMonday &lt;3"}
    result = msgspec.convert({"total": 1, "took_ms": 1.0, "hits": [hit]}, SearchResponse)
    console = Console(file=io.StringIO(), width=120)
    render_search(console, result)
    shown = console.file.getvalue()
    assert 'Smith & Sons said the ferry "will run" from Monday <3' in shown
    assert "[Update] Ferry resumes" in shown


def test_status_names_stay_whole_in_80_columns():
    consumers = [ConsumerStatus(name=f"worker-host-{n}-123456", pending=1, idle_s=2.0) for n in range(3)]
    status = Status(streams=[
        StreamStatus(name="dateline:incoming", length=123456, added_last_minute=10_000,
                     groups=[GroupStatus(name="ingest", lag=12, pending=3, consumers=consumers)]),
    ], dlq_size=0, index=IndexStatus(documents=5, last_commit="2026-12-02T10:00:00Z"),
        feeds=FeedsStatus(followed=2, failing=1),
        poller=PollerStatus(url="http://127.0.0.1:8000", ready=False, problem="redis: ConnectionError"))
    shown = _printed(render_status(None, status), 80)
    assert max(len(line) for line in shown.splitlines()) <= 80
    assert "dateline:incoming" in shown
    assert all(f"worker-host-{n}-123456" in shown for n in range(3))
    assert "poller: not ready at http://127.0.0.1:8000: redis: ConnectionError" in shown

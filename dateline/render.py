"""Search results for a person at a terminal."""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table

from shared.schemas import SearchResponse

TAG = re.compile(r"</?b>")


def render_search(console: Console, result: SearchResponse) -> None:
    console.print(f"[bold]{result.total}[/] articles ({result.took_ms:.1f} ms)")
    for hit in result.hits:
        when = hit.published_at.date().isoformat() if hit.published_at else "undated"
        focus = f" — {hit.focus.resolved_name}" if hit.focus else ""
        console.print(f"\n[bold]{hit.title}[/]  [dim]{hit.source} · {when}{focus}[/]")
        console.print(f"  [blue]{hit.url}[/]")
        if hit.snippet:
            console.print("  " + TAG.sub("", hit.snippet).replace("\n", " "), highlight=False)
        people = [e.text for e in hit.entities if e.label == "PERSON"][:5]
        if people:
            console.print(f"  [dim]people:[/] {', '.join(people)}")
    for name, buckets in result.facets.items():
        table = Table(name, "articles")
        for bucket in buckets:
            table.add_row(bucket.key, str(bucket.count))
        console.print(table)
    if result.histogram:
        table = Table("from", "articles")
        for bucket in result.histogram:
            table.add_row(bucket.start.date().isoformat(), str(bucket.count))
        console.print(table)
    if result.next_cursor:
        console.print(f"[dim]more: --cursor {result.next_cursor}[/]")

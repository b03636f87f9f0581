"""Search results for a person at a terminal."""

from __future__ import annotations

import html
import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared.schemas import SearchResponse

HIGHLIGHT = re.compile(r"<b>(.*?)</b>", re.DOTALL)


def snippet_text(snippet: str) -> Text:
    """The API's HTML snippet (escaped text, matches in <b>) as text, the matches in bold."""
    text = Text()
    position = 0
    for match in HIGHLIGHT.finditer(snippet):
        text.append(_plain(snippet[position : match.start()]))
        text.append(_plain(match.group(1)), style="bold")
        position = match.end()
    text.append(_plain(snippet[position:]))
    return text


def _plain(fragment: str) -> str:
    return html.unescape(fragment).replace("\n", " ")  # a snippet is one paragraph on screen


def render_search(console: Console, result: SearchResponse) -> None:
    console.print(f"[bold]{result.total}[/] articles ({result.took_ms:.1f} ms)")
    for hit in result.hits:
        when = hit.published_at.date().isoformat() if hit.published_at else "undated"
        focus = f" — {hit.focus.resolved_name}" if hit.focus else ""
        # titles are text, not markup: "[Update] …" must print as written
        console.print(Text.assemble("\n", (hit.title, "bold"), "  ", (f"{hit.source} · {when}{focus}", "dim")))
        console.print(Text.assemble("  ", (hit.url, "blue")), soft_wrap=True)
        if hit.snippet:
            console.print(Text("  ") + snippet_text(hit.snippet), highlight=False)
        people = [e.text for e in hit.entities if e.label == "PERSON"][:5]
        if people:
            console.print(Text.assemble("  ", ("people: ", "dim"), ", ".join(people)))
    for name, buckets in result.facets.items():
        table = Table(name, "articles")
        for bucket in buckets:
            table.add_row(Text(bucket.key), str(bucket.count))
        console.print(table)
    if result.histogram:
        table = Table("from", "articles")
        for bucket in result.histogram:
            table.add_row(bucket.start.date().isoformat(), str(bucket.count))
        console.print(table)
    if result.next_cursor:
        console.print(f"[dim]more: --cursor {result.next_cursor}[/]")

"""`dateline gazetteer build` and `dateline reindex`: maintenance of the derived data."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from shared.settings import Settings


def gazetteer_command(console: Console, settings: Settings, source: Path | None) -> None:
    from services.enrich.gazetteer_build import build_gazetteer

    if source is not None and not source.is_dir():
        console.print(f"[red]error:[/] --from {source}: not a directory")
        raise SystemExit(2)
    started = time.perf_counter()
    try:
        meta = build_gazetteer(settings.gazetteer_dir, source)
    except (FileNotFoundError, ValueError) as exc:  # no places file; a malformed line (file:line)
        console.print(f"[red]error:[/] {exc}")
        raise SystemExit(1) from None
    console.print(
        f"gazetteer {meta.version}: {meta.places:,} places, {meta.keys:,} names "
        f"in {settings.gazetteer_dir} ({time.perf_counter() - started:.1f} s)"
    )


def reindex_command(console: Console, settings: Settings) -> None:
    """Ask the running index service to rebuild (search stays up); rebuild here if it is down."""
    import httpx
    import msgspec

    from dateline.stack import search_headers, search_url
    from services.index.reindex import ReindexStatus

    base = search_url(settings)
    admin = search_headers(settings, admin=True)
    try:
        started = httpx.post(f"{base}/v1/reindex", headers=admin, timeout=10)
    except httpx.ConnectError:
        _reindex_here(console, settings)
        return
    if started.status_code not in (202, 409):
        console.print(f"[red]error:[/] {started.status_code} {started.text}")
        raise SystemExit(1)
    status = ReindexStatus()
    with console.status("reindexing…") as spinner:
        while status.state not in ("done", "failed"):
            time.sleep(0.5)  # progress refresh for a person, not a wait for a test
            status = msgspec.json.decode(httpx.get(f"{base}/v1/reindex", headers=admin, timeout=10).content, type=ReindexStatus)
            spinner.update(f"reindexing… {status.copied:,} articles copied")
    if status.state == "failed":
        console.print(f"[red]reindex failed:[/] {status.error}")
        raise SystemExit(1)
    console.print(f"reindexed {status.copied:,} articles into {status.generation} in {status.seconds:.1f} s")


def _reindex_here(console: Console, settings: Settings) -> None:
    from services.index.reindex import IndexBusy, reindex

    try:
        stats = reindex(settings)
    except IndexBusy as exc:
        console.print(f"[red]error:[/] {exc}")
        raise SystemExit(1) from None
    console.print(f"reindexed {stats.documents:,} articles into {stats.generation} (search service was down)")

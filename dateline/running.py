"""`dateline up` and `dateline demo`: the stack in the foreground until Ctrl-C.

Once every service is ready the stack says where it is, first (the URLs and the key), and
leaves that in the data directory for the CLI in other terminals (dateline.state).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from dateline import stack
from dateline.state import remove_state, write_state
from dateline.terminal import err, out, progress_bar
from shared.settings import Settings
from shared.streams import ENRICH_GROUP, ENRICHED, INDEX_GROUP, RAW, unfinished

# The checkout's launcher, written out whole: a second terminal opens elsewhere.
LAUNCHER = Path(__file__).resolve().parents[1] / "bin" / "dateline"


class NotReady(RuntimeError):
    """A service did not answer /readyz before the deadline; the message names it."""


def run_stack(settings: Settings, workers: int, api_key: str,
              after_ready: Callable[[stack.Stack], None] | None = None,
              log_dir: Path | None = None, extra_env: dict[str, str] | None = None) -> None:
    if busy := stack.ports_in_use(settings, workers):
        raise NotReady("; ".join(busy))
    system = stack.Stack(settings, workers, log_dir=log_dir, extra_env=extra_env)
    stop_requested = False

    def request_stop(*_: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    system.start()
    try:
        missing = stack.wait_until_ready(stack.readiness_urls(settings, workers), supervisor=system.supervisor)
        if missing:
            raise NotReady(f"not ready: {_reasons(missing)}" + (f" (logs in {log_dir})" if log_dir else ""))
        write_state(settings, system.redis_url, api_key)
        print_where(settings, system.redis_url, api_key)
        if after_ready:
            after_ready(system)
        out().print("Ctrl-C stops everything.")
        system.supervisor.run_until(lambda: stop_requested)
        if system.supervisor.all_failed():
            raise NotReady(f"every service is down for good: {_reasons(system.supervisor.failures())}")
    finally:
        remove_state(settings)
        out().print("stopping…")
        system.stop()


def _reasons(why_by_service: dict[str, str]) -> str:
    return "; ".join(f"{name}: {why}" for name, why in why_by_service.items())


def print_where(settings: Settings, redis_url: str, api_key: str) -> None:
    search, ingest = stack.search_url(settings), stack.ingest_url(settings)
    lines = [
        f"[green]Dateline is up:[/] open {search}/ in a browser to search",
        f"  search page            {search}/",
        f"  search API             {search}/v1/search?q=…  (docs: {search}/docs)",
        f"  ingest                 POST {ingest}/v1/articles",
        f"  API key                {api_key or '(none: ingest is open)'}",
        f"  Redis                  {redis_url}",
        f"  from another terminal: {LAUNCHER} status | search QUERY | ingest FILE | feeds add URL | dlq list",
    ]
    for line in lines:  # soft wrap keeps long URLs whole for copy and paste
        out().print(line, soft_wrap=True, highlight=False)


def demo(settings: Settings, workers: int) -> None:
    """`up`, then the sample articles, then searches to try."""
    from dateline.ingest_command import Run, send
    from dateline.samples import sample_articles
    from shared.feeds import Document, Item

    key = settings.api_key or (settings.api_keys[0] if settings.api_keys else "demo-key")
    keys = ",".join(dict.fromkeys([*settings.api_keys, key]))

    def load_samples(system: stack.Stack) -> None:
        items = [Item(f"sample {n}", msgspec.json.encode(a)) for n, a in enumerate(sample_articles(), 1)]
        run = Run(err())
        send(run, [Document("samples", "JSON", items)], stack.ingest_url(settings), key, 100, progress_bar)
        wait_until_searchable(system.redis_url, run.tally.accepted + run.tally.updated)
        print_try_this(settings)

    run_stack(settings, workers, key, load_samples, log_dir=settings.data_path / "logs",
              extra_env={"DATELINE_API_KEYS": keys})


def wait_until_searchable(redis_url: str, count: int, timeout_s: float = 300.0) -> None:
    """Show enrichment and indexing catching up: until no group has entries left to do."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    deadline = time.monotonic() + timeout_s
    try:
        with progress_bar() as progress:
            task = progress.add_task("enriching and indexing", total=count)
            while time.monotonic() < deadline:
                left = _outstanding(client, RAW, ENRICH_GROUP) + _outstanding(client, ENRICHED, INDEX_GROUP)
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
        "\nTry:",
        f"  {base}/?q=flood   (in a browser: the search page)",
        f"  {LAUNCHER} search 'election' --facets entities",
        f"  {LAUNCHER} status",
        f"  curl '{base}/v1/search?q=flood&facets=places,people,organizations&size=3'",
        f"  curl '{base}/v1/search?near=45.76,4.83,150&sort=newest'   # within 150 km of Lyon",
        f"  curl '{base}/v1/search?q=port&facets=countries,sources&histogram=week'",
    ]
    for line in lines:
        out().print(line, soft_wrap=True, highlight=False)

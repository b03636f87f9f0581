"""`dateline up` in one terminal, the CLI in another with nothing exported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from dateline.cli import app
from dateline.stack import free_ports
from tests.e2e.driving import poll
from tests.integration.feed_server import answer, feed_server, rss

ROOT = Path(__file__).resolve().parents[2]
STACK_WITHOUT_WORKERS = """
from dateline.running import run_stack
from shared.settings import load_settings
run_stack(load_settings(), 0, "terminal-key")
"""


def test_the_running_stack_says_where_it_is_and_the_cli_finds_it(tmp_path):
    ports = free_ports()
    ingest_port, search_port = ports["DATELINE_INGEST_PORT"], ports["DATELINE_SEARCH_PORT"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")} | ports | {
        "DATELINE_DATA_DIR": str(tmp_path), "DATELINE_API_KEYS": "terminal-key",
        "DATELINE_LOG_FORMAT": "json", "COLUMNS": "200", "DATELINE_POLL_ALLOW_PRIVATE": "true",
    }
    # what `dateline up` runs, without enrich workers: the CLI talks to ingest, index and Redis
    stack = subprocess.Popen(
        [sys.executable, "-c", STACK_WITHOUT_WORKERS],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    state = tmp_path / "stack.json"
    try:
        poll(state.exists, timeout_s=120)
        second_terminal = {"DATELINE_DATA_DIR": str(tmp_path), "COLUMNS": "80"}
        status = CliRunner().invoke(app, ["status", "--json"], env=second_terminal)
        assert status.exit_code == 0, status.output
        shown = json.loads(status.stdout)
        assert shown["index"]["documents"] == 0
        # the file is written once every service answers /readyz, the poller's included
        assert shown["poller"]["ready"] is True, shown["poller"]
        feed = tmp_path / "one.ndjson"
        feed.write_text('{"url": "https://terminal.example/a", "title": "Pier reopens", "text": "Boats."}\n')
        pushed = CliRunner().invoke(app, ["ingest", str(feed)], env=second_terminal)
        assert pushed.exit_code == 0 and "1 accepted" in pushed.output, pushed.output  # the key came from the file

        # the poller under `up` follows a feed added from here; its item goes through ingest
        with feed_server({"/rss": answer(200, rss(("Ferry resumes", "https://terminal.example/ferry")))}) as site:
            added = CliRunner().invoke(app, ["feeds", "add", site.url("/rss")], env=second_terminal)
            assert added.exit_code == 0, added.output
            poll(lambda: _raw_length(second_terminal) == 2, timeout_s=60)
        listed = CliRunner().invoke(app, ["feeds", "list"], env=second_terminal)
        assert "ok" in listed.output and "1 items/day" in listed.output, listed.output
    finally:
        stack.send_signal(signal.SIGTERM)
        printed, _ = stack.communicate(timeout=60)
    head = printed.split("Ctrl-C")[0]
    assert f"http://127.0.0.1:{ingest_port}/v1/articles" in head and "terminal-key" in head
    assert f"http://127.0.0.1:{search_port}/v1/search" in head
    assert f"from another terminal: {ROOT / 'bin' / 'dateline'} status" in head  # whole: it opens elsewhere
    assert not state.exists()  # removed when the stack stops


def _raw_length(env: dict[str, str]) -> int:
    status = json.loads(CliRunner().invoke(app, ["status", "--json"], env=env).stdout)
    return next(stream["length"] for stream in status["streams"] if stream["name"] == "dateline:raw")

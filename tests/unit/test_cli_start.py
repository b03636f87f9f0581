"""`dateline --help` and a command without a stack import nothing heavy (bench/cli.py times it)."""

import json
import subprocess
import sys

import pytest

HEAVY = ["redis", "httpx", "structlog", "rich.console", "feedparser", "trafilatura", "spacy", "tantivy",
         "litestar", "faststream"]
PROBE = f"""
import contextlib, json, sys
from dateline.cli import app
with contextlib.suppress(SystemExit):
    app(sys.argv[1:])
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [["--help"], ["ingest", "--help"], ["search", "--help"], ["status", "--help"],
                                  ["dlq", "list", "--help"], ["status"]])
def test_starting_imports_nothing_heavy(argv, tmp_path):
    env = {"DATELINE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], env=env, capture_output=True, text=True,
                          check=False, timeout=60)
    assert json.loads(done.stderr.strip().splitlines()[-1]) == [], done.stderr

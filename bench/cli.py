"""How long the `dateline` CLI takes to start: `--help` and each command.

    python -m bench.cli                     # make bench-cli
    python -m bench.cli --root ../old-checkout   # the same commands from another checkout

Runs each command ``--rounds`` times as a new process (what the ``dateline`` entry point
runs, importing ``dateline`` from ``--root``, with no stack running, so a command that needs one stops at the point where it
would talk to it: what is measured is the start) and prints the median wall time and the
median CPU time of the process, beside the baseline measured in the same run: a bare
``python -c pass``, ``import typer`` and a one-command typer app's ``--help`` (the least
any typer CLI costs). On a machine shared
with other work the CPU time is the steadier figure. Goal: every command under 1 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shared.redis_server import free_port

# the entry point's own code, importing `dateline` from --root (the working directory)
RUN_CLI = "import sys; from dateline.cli import app; sys.exit(app())"
# the least a typer CLI costs: typer 0.29 coerces parameters with pydantic, help is rich
MINIMAL_TYPER = "import typer\ndef main(n: int = 0):\n    pass\ntyper.run(main)"
COMMANDS = [
    ("--help",),
    ("ingest", "--help"),
    ("search", "--help"),
    ("status", "--help"),
    ("dlq", "list", "--help"),
    ("status",),  # no stack: "no running Dateline found"
    ("dlq", "list"),
    ("search", "ferry"),  # nothing on the search port: "cannot reach search"
    ("ingest", "{empty}"),  # a directory without article files
]


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(label: str, argv: list[str], cwd: Path, env: dict[str, str], rounds: int) -> None:
    walls, cpus = zip(*(_timed(argv, cwd, env) for _ in range(rounds)), strict=True)
    print(f"  {label:<28} {statistics.median(walls) * 1000:7.0f} ms wall {statistics.median(cpus) * 1000:7.0f} ms CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the checkout whose CLI to time")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        empty = Path(data) / "empty"
        empty.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
        env |= {"DATELINE_DATA_DIR": data, "DATELINE_INGEST_PORT": str(free_port()),
                "DATELINE_SEARCH_PORT": str(free_port()), "COLUMNS": "80"}
        python = [sys.executable]
        print(f"{args.root.resolve()}: median of {args.rounds} runs")
        measure("baseline: python -c pass", [*python, "-c", "pass"], args.root, env, args.rounds)
        measure("baseline: import typer", [*python, "-c", "import typer"], args.root, env, args.rounds)
        measure("baseline: 1-command typer --help", [*python, "-c", MINIMAL_TYPER, "--help"], args.root, env, args.rounds)
        for command in COMMANDS:
            argv = [a.replace("{empty}", str(empty)) for a in command]
            measure("dateline " + " ".join(command).replace("{empty}", "DIR"),
                    [*python, "-c", RUN_CLI, *argv], args.root, env, args.rounds)


if __name__ == "__main__":
    main()

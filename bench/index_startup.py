"""Start-to-ready of ``python -m services.index``: this tree against a baseline commit, in one run.

    python -m bench.index_startup --baseline 505961e [--command serve|search] [--rounds 7]

Each round spawns the service from the baseline's source (``git archive`` of the commit)
and from this tree, alternately, against one private Redis, and times spawn -> the first
``/readyz`` 200. It prints medians of the wall time and of the CPU seconds the process
used until then (utime + stime): on a busy machine the wall time mostly measures the
others, the CPU time much less so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from shared.redis_server import PrivateRedis, free_port

HERE = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, help="a commit to compare with (e.g. main)")
    parser.add_argument("--command", default="serve", choices=("serve", "search"))
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dateline-baseline-") as baseline, PrivateRedis() as redis:
        archive = subprocess.run(["git", "-C", str(HERE), "archive", args.baseline], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", baseline], input=archive.stdout, check=True)
        trees = {f"baseline {args.baseline}": Path(baseline), "this tree": HERE}
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                runs[name].append(start_to_ready(tree, args.command, redis.url))
    print(f"python -m services.index {args.command}: spawn -> /readyz 200, {args.rounds} rounds, "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, samples in runs.items():
        walls, cpus = [w for w, _ in samples], [c for _, c in samples]
        print(f"  {name:<24} wall median {statistics.median(walls):5.2f} s (min {min(walls):5.2f})   "
              f"CPU median {statistics.median(cpus):5.2f} s")


def start_to_ready(tree: Path, command: str, redis_url: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) from spawn to the first /readyz 200."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="dateline-startup-") as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
        env.update(DATELINE_REDIS_URL=redis_url, DATELINE_DATA_DIR=data, DATELINE_SEARCH_PORT=str(port),
                   DATELINE_LOG_LEVEL="WARNING", PYTHONPATH=str(tree))
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "services.index", command], env=env, cwd=tree)
        try:
            while not _ready(port):
                if process.poll() is not None:
                    raise SystemExit(f"the service exited with {process.returncode}")
                time.sleep(0.01)  # the probe's pace
            wall = time.perf_counter() - started
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return wall, (int(fields[11]) + int(fields[12])) / TICKS
        finally:
            process.terminate()
            process.wait(timeout=30)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


if __name__ == "__main__":
    main()

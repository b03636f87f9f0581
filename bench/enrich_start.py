"""How long an enrich worker takes to start: spawn of ``python -m services.enrich`` until
its /healthz answers (the process is up) and until /readyz answers 200 (model and
gazetteer loaded, stages reading), against a private Redis. The baseline in the same
run: a bare ``python -c pass`` and ``python -c "import spacy"`` of the same interpreter.

    python -m bench.enrich_start [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from shared.redis_server import PrivateRedis, free_port

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    args = _arguments()
    with PrivateRedis() as redis:
        up, ready = [], []
        for _ in range(args.runs):
            health, readiness = _start_once(redis.url)
            up.append(health)
            ready.append(readiness)
    bare = [_run(["-c", "pass"]) for _ in range(args.runs)]
    spacy = [_run(["-c", "import spacy"]) for _ in range(args.runs)]
    print(f"{args.runs} runs, medians (s); load average {os.getloadavg()[0]:.1f}")
    print(f"  python -m services.enrich: /healthz {statistics.median(up):.2f}, "
          f"/readyz 200 {statistics.median(ready):.2f} (max {max(ready):.2f})")
    print(f"  baseline: python -c pass {statistics.median(bare):.2f}, "
          f"import spacy {statistics.median(spacy):.2f}")


def _start_once(redis_url: str) -> tuple[float, float]:
    port = free_port()
    env = os.environ | {
        "DATELINE_REDIS_URL": redis_url,
        "DATELINE_ENRICH_METRICS_PORT": str(port),
        "DATELINE_GAZETTEER_PATH": str(ROOT / "data" / "gazetteer"),
        "DATELINE_LOG_LEVEL": "WARNING",
    }
    started = time.perf_counter()
    worker = subprocess.Popen(
        [sys.executable, "-m", "services.enrich"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        health = _until(f"http://127.0.0.1:{port}/healthz", started)
        ready = _until(f"http://127.0.0.1:{port}/readyz", started)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    return health, ready


def _until(url: str, started: float, timeout_s: float = 120) -> float:
    with httpx.Client(timeout=1.0) as http:
        while time.perf_counter() - started < timeout_s:
            try:
                if http.get(url).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.01)
    raise SystemExit(f"{url} did not answer 200 within {timeout_s} s")


def _run(arguments: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *arguments], check=True, cwd=ROOT)
    return time.perf_counter() - started


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args()


if __name__ == "__main__":
    main()

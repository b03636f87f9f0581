"""What ingest bounds, measured: start-to-ready, and the cost of reading HTML pages by shape.

    python -m bench.ingest_limits                 # make bench-ingest-limits
    python -m bench.ingest_limits --start 10      # start-to-ready only, 10 starts
    python -m bench.ingest_limits --start 0       # HTML shapes only

Start: ``python -m services.ingest`` (as `dateline up` and compose start it) from spawn to
the first ``/readyz`` 200, against a private Redis; the baseline, in the same run, is the
floor of the stack: a Litestar app with one route under uvicorn, spawned the same way.

HTML: :func:`services.ingest.html_text.page_text` (what ingest's extraction workers run)
against trafilatura in full on the whole page (what ingest ran before it had a budget),
on pages of one repeated block at growing sizes: the shapes whose cost in trafilatura is
the square of the number of blocks, and a news page. Medians over ``--rounds``; the
baseline is skipped where it would run for minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.ingest import cpu_seconds
from shared.redis_server import PrivateRedis, free_port

FLOOR_APP = """
import uvicorn
from litestar import Litestar, get

@get("/readyz", sync_to_thread=False)
def readyz() -> dict:
    return {"ready": True}

uvicorn.run(Litestar([readyz]), host="127.0.0.1", port={port}, log_level="warning")
"""


# -- start-to-ready ----------------------------------------------------------------------


def seconds_to_ready(command: list[str], port: int, env: dict[str, str], log: Path) -> tuple[float, float]:
    """Wall-clock seconds from spawn to the first /readyz 200, and the CPU seconds the
    process used meanwhile (what the wall clock would be on an idle machine, give or take
    the waits for Redis)."""
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        with httpx.Client(timeout=1) as client:
            while time.perf_counter() - started < 120:
                try:
                    if client.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                        return time.perf_counter() - started, cpu_seconds(process.pid)
                except httpx.HTTPError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError(f"{command} exited with {process.returncode}; see {log}")
                time.sleep(0.01)
        raise RuntimeError(f"{command} not ready in 120 s; see {log}")
    finally:
        process.terminate()
        process.wait()
        end_group(process.pid)


def end_group(group: int) -> None:
    """Kill what the service started (ingest's HTML workers warm up after it is ready) and
    wait for it to go, so that it does not eat into the next start's CPU."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_in_group(pid, group) for pid in _pids()):
        time.sleep(0.01)


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _in_group(pid: int, group: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and int(fields[2]) == group


def bench_start(rounds: int) -> None:
    log = Path(tempfile.mkdtemp(prefix="bench-start-")) / "services.log"
    ingest, floor = [], []
    with PrivateRedis() as redis_server:
        for _ in range(rounds):
            port = free_port()
            env = {**os.environ, "DATELINE_REDIS_URL": redis_server.url, "DATELINE_API_KEYS": "bench",
                   "DATELINE_INGEST_PORT": str(port), "DATELINE_LOG_LEVEL": "WARNING"}
            ingest.append(seconds_to_ready([sys.executable, "-m", "services.ingest"], port, env, log))
            port = free_port()
            floor.append(seconds_to_ready([sys.executable, "-c", FLOOR_APP.replace("{port}", str(port))],
                                          port, dict(os.environ), log))
    print(f"start-to-ready, median of {rounds} starts (load average {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} cores)")
    for name, runs in (("python -m services.ingest", ingest), ("baseline: Litestar + uvicorn", floor)):
        wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        print(f"  {name:30} {wall:5.2f} s wall, {cpu:5.2f} s CPU")


# -- HTML shapes ------------------------------------------------------------------------

SHAPES = {
    "div>p blocks": "<div><p>Lisbon port</p></div>",
    "list items": "<li>Lisbon port</li>",
    "table rows": "<table><tr><td>Lisbon port</td></tr></table>",
    "paragraphs": "<p>Lisbon port is busy with ships today.</p>",
}
# Beyond this many blocks the baseline is skipped: on the quadratic shapes it runs for minutes.
BASELINE_MAX_BLOCKS = 4_000


def news_page(paragraphs: int) -> str:
    nav = "<nav><ul>" + "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(60)) + "</ul></nav>"
    body = "".join(f"<p>{'The harbour council voted on Tuesday to approve the budget. ' * 6}</p>"
                   for _ in range(paragraphs))
    return (f"<html><head><script>{'var x = 1;' * 2000}</script></head><body>{nav}"
            f"<article><h1>Harbour</h1>{body}</article><footer>Copyright</footer></body></html>")


def median_seconds(run, rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def bench_html(rounds: int) -> None:
    import trafilatura

    from services.ingest.html_text import page_text

    def old(html: str) -> None:
        trafilatura.extract(html, include_comments=False, include_tables=True)

    page_text("<p>warm up</p>")
    old("<p>warm up</p>")
    print(f"\nHTML page -> text, median of {rounds} (page_text now | trafilatura in full, as before)")
    print(f"  {'shape':14} {'blocks':>7} {'kB':>6} {'now ms':>8} {'before ms':>10}")
    cases = [(name, unit * blocks, blocks) for name, unit in SHAPES.items()
             for blocks in (500, 1_000, 2_000, 4_000, 16_000, 65_000)]
    cases += [("news page", news_page(p), p) for p in (10, 40, 160)]
    for name, html, blocks in cases:
        now = median_seconds(lambda html=html: page_text(html), rounds)
        before = (f"{median_seconds(lambda html=html: old(html), rounds) * 1000:10.0f}"
                  if blocks <= BASELINE_MAX_BLOCKS else f"{'(skipped)':>10}")
        print(f"  {name:14} {blocks:7,} {len(html) // 1024:6,} {now * 1000:8.0f} {before}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--start", type=int, default=5, help="starts to time (0: none)")
    parser.add_argument("--rounds", type=int, default=3, help="timings per HTML case (0: no HTML)")
    args = parser.parse_args()
    if args.start:
        bench_start(args.start)
    if args.rounds:
        bench_html(args.rounds)


if __name__ == "__main__":
    main()

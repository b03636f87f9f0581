"""Start-up benchmark: how long each service takes from spawn to ready, and what its imports cost.

    python -m bench.startup                 # make bench-startup
    python -m bench.startup --rounds 3

For each round, against one private Redis: spawn ``python -m services.ingest``,
``services.enrich`` and ``services.index`` one after the other and time from the spawn
until ``/readyz`` answers 200 (ingest on its port, index on the search port, enrich on
``DATELINE_ENRICH_METRICS_PORT``), then stop it. The baseline, in the same rounds, is a
bare interpreter start: ``python -c "import msgspec"`` from spawn to exit. Goal: every
service ready within 3 s (what a restart after a kill costs), on an idle machine.

Then ``python -X importtime`` of each service's main module, as many times as there are
rounds: the median total, and in that run the top-level packages whose modules cost the
most (own import time summed per package).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import msgspec

from shared.redis_server import PrivateRedis, free_port

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 3.0
BASELINE = "python -c 'import msgspec'"


class Service:
    """A service as the supervisor runs it, and the URL that says it is ready."""

    def __init__(self, name: str, port_variable: str, env: dict[str, str]):
        self.name = name
        self.module = f"services.{name}"
        self.port = free_port()
        self.env = {**env, port_variable: str(self.port)}

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/readyz"


def base_env(redis_url: str, data_dir: Path) -> dict[str, str]:
    gazetteer = Path(os.environ.get("DATELINE_GAZETTEER_PATH", ROOT / "data" / "gazetteer"))
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")},
        "DATELINE_REDIS_URL": redis_url,
        "DATELINE_DATA_DIR": str(data_dir),
        "DATELINE_GAZETTEER_PATH": str(gazetteer),
        "DATELINE_API_KEYS": "bench-key",
        "DATELINE_LOG_FORMAT": "json",
    }


def services(env: dict[str, str]) -> list[Service]:
    return [
        Service("ingest", "DATELINE_INGEST_PORT", env),
        Service("enrich", "DATELINE_ENRICH_METRICS_PORT", env),
        Service("index", "DATELINE_SEARCH_PORT", env),
    ]


class Start(msgspec.Struct):
    wall_s: float  # spawn to the first 200 from /readyz
    cpu_s: float  # CPU the process used by then: what the machine's other load changes little


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_ready(service: Service, log_dir: Path, timeout_s: float = 120.0) -> Start:
    """From spawn to the first 200 from /readyz; the process is stopped after."""
    with (log_dir / f"{service.name}.log").open("ab") as log:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", service.module], env=service.env,
                                   stdout=log, stderr=log)
    try:
        with httpx.Client(timeout=1.0) as http:
            while time.perf_counter() - started < timeout_s:
                if process.poll() is not None:
                    raise RuntimeError(f"{service.name} exited with {process.returncode}; see {log_dir}")
                try:
                    if http.get(service.ready_url).status_code == 200:
                        return Start(time.perf_counter() - started, cpu_seconds(process.pid))
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)  # the polling interval bounds the error of the figure
        raise RuntimeError(f"{service.name} not ready in {timeout_s} s; see {log_dir}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def interpreter_start() -> Start:
    started = time.perf_counter()
    before = os.times()
    subprocess.run([sys.executable, "-c", "import msgspec"], check=True)
    after = os.times()
    used = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return Start(time.perf_counter() - started, used)


class ImportCost:
    def __init__(self, total_s: float, by_package: list[tuple[str, float]]):
        self.total_s = total_s
        self.by_package = by_package


def import_cost(module: str, env: dict[str, str]) -> ImportCost:
    """``python -X importtime -c 'import MODULE'``: its cumulative time, and own time per top-level package."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                            env=env, capture_output=True, text=True, check=True)
    own: dict[str, float] = defaultdict(float)
    total_us = 0
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        own[name.strip().split(".")[0]] += int(self_us) / 1e6
        if name.strip() == module:
            total_us = int(cumulative_us)
    return ImportCost(total_us / 1e6, sorted(own.items(), key=lambda item: -item[1]))


def median_import_cost(module: str, env: dict[str, str], runs: int) -> ImportCost:
    """The run whose total is the median of ``runs``: one consistent breakdown, not a mix."""
    costs = sorted((import_cost(module, env) for _ in range(runs)), key=lambda cost: cost.total_s)
    return costs[len(costs) // 2]


def report(rounds: list[dict[str, Start]], imports: dict[str, ImportCost], top: int, load: tuple[float, float]) -> None:
    names = list(rounds[0])
    print(f"\nstart-up, spawn to /readyz 200 (the baseline: to exit), seconds, median of {len(rounds)} round(s):")
    print(f"{'':<30}{'median':>8}{'min':>8}{'max':>8}{'CPU-s':>8}{'goal':>8}")
    for name in names:
        values = [r[name].wall_s for r in rounds]
        cpu = statistics.median(r[name].cpu_s for r in rounds)
        verdict = "" if name == BASELINE else ("met" if statistics.median(values) <= GOAL_S else "missed")
        print(f"{name:<30}{statistics.median(values):>8.2f}{min(values):>8.2f}{max(values):>8.2f}"
              f"{cpu:>8.2f}{verdict:>8}")
    print("CPU-s: the CPU time the process had used when ready (median), which a busy machine changes little")
    print(f"\nimport time of each service's main module (python -X importtime), top {top} packages by own time:")
    for module, cost in imports.items():
        offenders = ", ".join(f"{package} {seconds:.2f}" for package, seconds in cost.by_package[:top])
        print(f"  {module}: {cost.total_s:.2f} s — {offenders}")
    print(f"\nmachine: {os.cpu_count()} cores, load average {load[0]:.2f} at the start, {load[1]:.2f} at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--top", type=int, default=6, help="packages listed per service's import time")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="dateline-bench-startup-"))
    with PrivateRedis(directory=workdir / "redis") as redis:
        env = base_env(redis.url, workdir / "data")
        under_test = services(env)
        rounds = []
        for round_no in range(args.rounds):
            figures = {BASELINE: interpreter_start()}
            for service in under_test:
                figures[f"python -m {service.module}"] = time_to_ready(service, workdir)
            rounds.append(figures)
            print(f"round {round_no + 1}/{args.rounds}: "
                  + ", ".join(f"{name} {start.wall_s:.2f} s" for name, start in figures.items()), file=sys.stderr)
        imports = {f"{s.module}.__main__": median_import_cost(f"{s.module}.__main__", env, args.rounds)
                   for s in under_test}
    report(rounds, imports, args.top, (load_before, os.getloadavg()[0]))


if __name__ == "__main__":
    main()

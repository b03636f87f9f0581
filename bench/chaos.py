"""Chaos benchmark: articles posted under load while every process and Redis are SIGKILLed.

    python -m bench.chaos                               # make chaos
    python -m bench.chaos --articles 500 --kills 5      # make chaos CHAOS_ARGS="--articles 500 --kills 5"

Runs the whole system as `dateline up` does (dateline.stack: a private Redis with its AOF,
ingest, ``--workers`` enrich workers and index, each restarted by the supervisor), then:

- posts ``--articles`` sample articles at ``--rate`` articles/s, in NDJSON requests of 1 to
  ``--batch`` articles; a request answered 429 or 503, or cut off, is sent again as a real
  producer would (after Retry-After, or 0.2 s): those articles were not accepted yet;
- meanwhile SIGKILLs ``--kills`` processes at random moments (every one of Redis, ingest,
  each enrich worker and index at least once when there are kills enough; a process still
  starting from an earlier kill is killed once it is ready), and times how long each takes
  to be ready again;
- polls search (GET /v1/search) and ingest (GET /healthz: it answers; GET /readyz: it
  would accept) every 50 ms, from before the first post until the end;
- waits until nothing is left to enrich or index, then asks the index for every accepted
  article by id.

Prints: accepted, lost (accepted but not searchable after the drain), duplicated (index
documents beyond the unique ids found), dead-lettered, time to drain, how long search and
ingest were unreachable (longest, total, and the kills in the 10 s before each outage), and the
goals: 0 lost, 0 duplicated, search unreachable 0 s through Redis restarts, ingest back
within 3 s of a kill. Exits 1 when an article was lost or duplicated or the drain timed out.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import msgspec
import redis

from dateline.samples import sample_articles
from dateline.stack import Stack, free_ports, ingest_url, readiness_urls, search_url, supervised
from shared.settings import Settings, load_settings
from shared.streams import DLQ, GROUPS, unfinished

ROOT = Path(__file__).resolve().parents[1]
KEY = "chaos-key"
POLL_S = 0.05
INGEST_BACK_GOAL_S = 3.0
CAUSE_WINDOW_S = 10.0  # an outage is put down to the kills this long before it began
ACCEPTED = ("accepted", "updated", "duplicate")  # a 202's verdicts that leave the article in the system


class Clock:
    """Seconds since the run began: every figure and event shares this origin."""

    def __init__(self) -> None:
        self.origin = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.origin


# -- what the run records ----------------------------------------------------------------


class Outage(msgspec.Struct):
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


class Kill(msgspec.Struct):
    at: float
    target: str
    pid: int
    back_after: float | None = None  # seconds until the target was ready again


class Posting(msgspec.Struct):
    accepted: set[str] = msgspec.field(default_factory=set)  # article ids
    rejected: int = 0
    retries: dict[str, int] = msgspec.field(default_factory=Counter)  # why a request was sent again
    last_accepted_at: float = 0.0


def outages(samples: list[tuple[float, bool]]) -> list[Outage]:
    """Runs of failed polls: from the first failure to the next success (or the last poll)."""
    found: list[Outage] = []
    down_since: float | None = None
    for at, up in samples:
        if not up and down_since is None:
            down_since = at
        elif up and down_since is not None:
            found.append(Outage(down_since, at))
            down_since = None
    if down_since is not None and samples:
        found.append(Outage(down_since, samples[-1][0]))
    return found


def kills_before(outage: Outage, kills: list[Kill]) -> list[Kill]:
    """The kills in the ``CAUSE_WINDOW_S`` before the outage began, newest first: what it may have followed."""
    return [k for k in reversed(kills) if outage.start - CAUSE_WINDOW_S <= k.at <= outage.start]


def cause(outage: Outage, kills: list[Kill]) -> str:
    before = kills_before(outage, kills)
    return ", ".join(f"{k.target} killed at {k.at:.1f} s" for k in before) or f"no kill in the {CAUSE_WINDOW_S:.0f} s before"


def after_redis_kill_alone(outage: Outage, kills: list[Kill], own_process: str) -> bool:
    """Whether a Redis kill, and not a kill of the monitored service's own process, preceded the outage."""
    targets = {k.target for k in kills_before(outage, kills)}
    return "redis" in targets and own_process not in targets


# -- probes ------------------------------------------------------------------------------


class Monitor:
    """Polls ``probe`` every 50 ms in a thread and records (time, up) samples."""

    def __init__(self, name: str, probe: Callable[[httpx.Client], bool], clock: Clock):
        self.name = name
        self.samples: list[tuple[float, bool]] = []
        self._probe = probe
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Monitor:
        self._thread.start()
        return self

    def _run(self) -> None:
        with httpx.Client(timeout=1.0) as http:
            while not self._stop.is_set():
                began = self._clock.now()
                up = _answers(self._probe, http)
                self.samples.append((self._clock.now(), up))  # when it was seen, as a client sees it
                self._stop.wait(max(0.0, began + POLL_S - self._clock.now()))

    def stop(self) -> list[Outage]:
        self._stop.set()
        self._thread.join()
        return outages(self.samples)


def _answers(probe: Callable[[httpx.Client], bool], http: httpx.Client) -> bool:
    try:
        return probe(http)
    except (httpx.HTTPError, redis.RedisError, OSError):
        return False


def http_ok(url: str) -> Callable[[httpx.Client], bool]:
    return lambda http: http.get(url).status_code == 200


def redis_answers(url: str) -> Callable[[httpx.Client], bool]:
    def ping(_http: httpx.Client) -> bool:
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            return bool(client.ping())
        finally:
            client.close()

    return ping


# -- the producer ------------------------------------------------------------------------


def post_all(base_url: str, articles: list[dict], rate: float, batch: int, clock: Clock,
             rng: random.Random) -> Posting:
    """Post every article at ``rate`` per second, in requests of 1..``batch``; resend what was refused."""
    posting = Posting()
    started = clock.now()
    with httpx.Client(base_url=base_url, timeout=30.0, headers={"Authorization": f"Bearer {KEY}",
                                                                 "Content-Type": "application/x-ndjson"}) as http:
        sent = 0
        while sent < len(articles):
            chunk = articles[sent : sent + rng.randint(1, batch)]
            _pace(clock, started + sent / rate)
            _post_until_taken(http, chunk, posting, clock)
            sent += len(chunk)
    return posting


def _pace(clock: Clock, due: float) -> None:
    if (ahead := due - clock.now()) > 0:
        time.sleep(ahead)  # the producer's schedule, not a wait for a result


def _post_until_taken(http: httpx.Client, chunk: list[dict], posting: Posting, clock: Clock) -> None:
    body = b"\n".join(msgspec.json.encode(article) for article in chunk)
    deadline = time.monotonic() + 300
    while True:
        if time.monotonic() > deadline:
            raise RuntimeError(f"ingest took no request for 300 s (requests sent again: {dict(posting.retries)})")
        try:
            response = http.post("/v1/articles", content=body)
        except httpx.HTTPError as exc:
            posting.retries[type(exc).__name__] += 1
            time.sleep(0.2)  # a producer's back-off: ingest is restarting
            continue
        if response.status_code in (429, 503):
            posting.retries[str(response.status_code)] += 1
            time.sleep(min(float(response.headers.get("Retry-After") or 0.2), 5.0))
            continue
        if response.status_code != 202:
            raise RuntimeError(f"ingest answered {response.status_code}: {response.text[:500]}")
        for result in response.json()["results"]:
            if result["status"] in ACCEPTED:
                posting.accepted.add(result["id"])
            else:
                posting.rejected += 1
        posting.last_accepted_at = clock.now()
        return


# -- the chaos ---------------------------------------------------------------------------


def kill_plan(targets: list[str], kills: int, window: tuple[float, float], rng: random.Random) -> list[tuple[float, str]]:
    """``kills`` (time, target) pairs in ``window``, in time order: every target at least once when there are kills enough."""
    chosen = rng.sample(targets, len(targets)) if kills >= len(targets) else rng.sample(targets, kills)
    chosen += [rng.choice(targets) for _ in range(kills - len(chosen))]
    rng.shuffle(chosen)
    times = sorted(rng.uniform(*window) for _ in range(kills))
    return list(zip(times, chosen, strict=True))


class Killer:
    """SIGKILLs the supervised processes on schedule and times how long each takes to be ready again."""

    def __init__(self, stack: Stack, ready_probes: dict[str, Callable[[httpx.Client], bool]], clock: Clock):
        self.stack = stack
        self.ready_probes = ready_probes
        self.clock = clock
        self.kills: list[Kill] = []
        self._watchers: list[threading.Thread] = []

    def run(self, plan: list[tuple[float, str]]) -> None:
        for at, target in plan:
            _pace(self.clock, at)
            self.kill(target)

    def kill(self, target: str) -> None:
        """Kill ``target`` once it is ready (a kill of a process still starting would blur the figures)."""
        child = next(c for c in self.stack.supervisor.children if c.name == target)
        if not self._wait_ready(child, self.ready_probes[target]):
            print(f"{target} not ready for 300 s: not killed", file=sys.stderr)
            return
        now = self.clock.now()
        for earlier in self.kills:  # seen ready: back from its last kill, however briefly
            if earlier.target == target and earlier.back_after is None:
                earlier.back_after = now - earlier.at
        kill = Kill(at=now, target=target, pid=child.process.pid)
        os.kill(kill.pid, signal.SIGKILL)
        self.kills.append(kill)
        watcher = threading.Thread(target=self._time_recovery, args=(kill,), daemon=True)
        watcher.start()
        self._watchers.append(watcher)

    @staticmethod
    def _wait_ready(child, probe: Callable[[httpx.Client], bool]) -> bool:
        with httpx.Client(timeout=1.0) as http:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                if child.running() and _answers(probe, http):
                    return True
                time.sleep(POLL_S)
        return False

    def _time_recovery(self, kill: Kill) -> None:
        probe = self.ready_probes[kill.target]
        child = next(c for c in self.stack.supervisor.children if c.name == kill.target)
        with httpx.Client(timeout=1.0) as http:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and kill.back_after is None:
                # the old process may still answer for a moment on its way down: wait for the new one
                if child.running() and child.process.pid != kill.pid and _answers(probe, http):
                    kill.back_after = self.clock.now() - kill.at
                time.sleep(POLL_S)

    def join(self) -> None:
        for watcher in self._watchers:
            watcher.join()


# -- the drain and the verdict -----------------------------------------------------------


def drain(redis_url: str, search: httpx.Client, expected: int, timeout_s: float, clock: Clock) -> float | None:
    """When every accepted article was indexed, or nothing was left to do; None at the deadline."""
    client = redis.Redis.from_url(redis_url, socket_timeout=2.0)
    deadline = time.monotonic() + timeout_s
    idle_since: float | None = None
    try:
        while time.monotonic() < deadline:
            left, documents = _progress(client, search)
            if documents is not None and documents >= expected and left == 0:
                return clock.now()
            # nothing left anywhere for a while, yet articles missing: they are lost, stop waiting
            idle_since = (idle_since or clock.now()) if left == 0 else None
            if idle_since is not None and clock.now() - idle_since > 5.0:
                return idle_since
            time.sleep(0.25)  # the drain's polling interval
        return None
    finally:
        client.close()


def _progress(client: redis.Redis, search: httpx.Client) -> tuple[int | None, int | None]:
    try:
        left = sum(unfinished(client.xinfo_groups(stream), client.xlen(stream), group)
                   for stream, groups in GROUPS.items() for group in groups)  # the long lane too
    except redis.RedisError:
        left = None
    try:
        documents = search.get("/v1/stats").json()["documents"]
    except (httpx.HTTPError, ValueError, KeyError):
        documents = None
    return left, documents


class Verdict(msgspec.Struct):
    found: int
    lost: list[str]
    documents: int
    dead_lettered: int

    @property
    def duplicated(self) -> int:
        return max(0, self.documents - self.found)


def verdict(search: httpx.Client, redis_url: str, accepted: set[str]) -> Verdict:
    lost = [article_id for article_id in sorted(accepted)
            if search.get(f"/v1/articles/{article_id}").status_code != 200]
    client = redis.Redis.from_url(redis_url)
    try:
        dead = client.xlen(DLQ)
    finally:
        client.close()
    return Verdict(found=len(accepted) - len(lost), lost=lost, documents=search.get("/v1/stats").json()["documents"],
                   dead_lettered=dead)


# -- the report --------------------------------------------------------------------------


def report(args, settings: Settings, posting: Posting, kills: list[Kill], downs: dict[str, list[Outage]],
           result: Verdict, drained: bool, drain_s: float, posting_s: float) -> None:
    print(f"\nchaos: {args.articles:,} articles posted over {posting_s:.0f} s in NDJSON requests of 1-{args.batch}, "
          f"{len(kills)} SIGKILLs, {args.workers} enrich workers, claim_idle_ms {settings.claim_idle_ms}, "
          f"Redis AOF fsync {settings.redis_fsync}, seed {args.seed}")
    print("\nkills (time since the first post; back = ready again):")
    for kill in kills:
        back = "not back" if kill.back_after is None else f"back after {kill.back_after:.1f} s"
        print(f"  {kill.at:7.1f} s  {kill.target:<10} {back}")
    retries = ", ".join(f"{why} {n}" for why, n in posting.retries.most_common()) or "none"
    print(f"\naccepted        {len(posting.accepted):,} unique articles ({posting.rejected} rejected; "
          f"requests sent again: {retries})")
    print(f"lost            {len(result.lost):,}" + (f"  e.g. {', '.join(result.lost[:5])}" if result.lost else ""))
    print(f"duplicated      {result.duplicated:,}  ({result.documents:,} documents in the index, "
          f"{result.found:,} accepted ids found)")
    print(f"dead-lettered   {result.dead_lettered:,}")
    print(f"time to drain   {drain_s:.1f} s from the last accepted post" + ("" if drained else " (TIMED OUT)"))
    print("\nunreachable (polled every 50 ms):")
    for name, found in downs.items():
        longest = max((o.seconds for o in found), default=0.0)
        total = sum(o.seconds for o in found)
        print(f"  {name:<34} longest {longest:5.1f} s, total {total:5.1f} s, {len(found)} outage(s)")
        for outage in found:
            print(f"      {outage.start:7.1f} s for {outage.seconds:5.1f} s  after {cause(outage, kills)}")
    goals(kills, downs, result, drained)
    print(f"\nmachine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end")


def goals(kills: list[Kill], downs: dict[str, list[Outage]], result: Verdict, drained: bool) -> None:
    search_during_redis = sum(o.seconds for o in downs["search"] if after_redis_kill_alone(o, kills, "index"))
    ingest_back = [k.back_after for k in kills if k.target == "ingest"]
    slowest = max((b if b is not None else float("inf") for b in ingest_back), default=0.0)
    checks = [
        ("0 lost", drained and not result.lost, f"{len(result.lost)}"),
        ("0 duplicated", result.duplicated == 0, f"{result.duplicated}"),
        ("search unreachable 0 s through Redis restarts", search_during_redis == 0, f"{search_during_redis:.1f} s"),
        (f"ingest back within {INGEST_BACK_GOAL_S:.0f} s of a kill", slowest <= INGEST_BACK_GOAL_S,
         f"slowest {slowest:.1f} s" if ingest_back else "ingest was not killed"),
    ]
    print("\ngoals:")
    for goal, met, figure in checks:
        print(f"  {'met   ' if met else 'MISSED'}  {goal}: {figure}")


# -- the run -----------------------------------------------------------------------------


def main() -> None:
    args = _arguments()
    rng = random.Random(args.seed)
    gazetteer = ROOT / "data" / "gazetteer"
    if not gazetteer.is_dir():
        raise SystemExit(f"no gazetteer at {gazetteer}: build it once with `dateline gazetteer build`")
    workdir = Path(tempfile.mkdtemp(prefix="dateline-chaos-"))
    env = {
        "DATELINE_DATA_DIR": str(workdir),
        "DATELINE_GAZETTEER_PATH": str(gazetteer),
        "DATELINE_API_KEYS": KEY,
        **free_ports(),
        "DATELINE_LOG_FORMAT": "json",
        **({"DATELINE_CLAIM_IDLE_MS": str(args.claim_idle_ms)} if args.claim_idle_ms else {}),
        **({"DATELINE_REDIS_FSYNC": args.fsync} if args.fsync else {}),
    }
    settings = load_settings(env)  # the private Redis of `dateline up`, whatever this shell points at
    with supervised(settings, args.workers, workdir / "logs", env, ready_timeout_s=300) as stack:
        print(f"ready; logs in {workdir / 'logs'}", file=sys.stderr)
        _run(args, settings, stack, rng)


def _run(args, settings: Settings, stack: Stack, rng: random.Random) -> None:
    clock = Clock()
    base, search_base = ingest_url(settings), search_url(settings)
    ready = {name: http_ok(url) for name, url in readiness_urls(settings, args.workers).items()}
    ready["redis"] = redis_answers(stack.redis_url)
    monitors = {
        "search": Monitor("search", http_ok(f"{search_base}/v1/search?size=1"), clock).start(),
        "ingest (answers /healthz)": Monitor("ingest", http_ok(f"{base}/healthz"), clock).start(),
        "ingest (accepts: /readyz)": Monitor("ingest-ready", http_ok(f"{base}/readyz"), clock).start(),
    }
    articles = [dict(a, url=f"{a['url']}-chaos-{n}") for n, a in enumerate(sample_articles(args.articles, seed=args.seed))]
    posting_s = args.articles / args.rate
    killer = Killer(stack, ready, clock)
    plan = kill_plan(list(ready), args.kills, (0.05 * posting_s, 0.95 * posting_s), rng)
    chaos = threading.Thread(target=killer.run, args=(plan,), daemon=True)
    chaos.start()
    posting = post_all(base, articles, args.rate, args.batch, clock, rng)
    print(f"posted: {len(posting.accepted):,} accepted at {clock.now():.1f} s; draining", file=sys.stderr)
    chaos.join()
    with httpx.Client(base_url=search_base, timeout=30.0) as search:
        drained_at = drain(stack.redis_url, search, len(posting.accepted), args.drain_timeout, clock)
        drained = drained_at is not None
        drain_s = (clock.now() if drained_at is None else drained_at) - posting.last_accepted_at
        killer.join()
        downs = {name: monitor.stop() for name, monitor in monitors.items()}
        result = verdict(search, stack.redis_url, posting.accepted)
    report(args, settings, posting, killer.kills, downs, result, drained, drain_s, posting.last_accepted_at)
    if result.lost or result.duplicated or not drained:
        raise SystemExit(1)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=9, help="SIGKILLs while posting")
    parser.add_argument("--rate", type=float, default=30.0, help="articles posted per second")
    parser.add_argument("--batch", type=int, default=20, help="most articles in one request")
    parser.add_argument("--workers", type=int, default=2, help="enrich worker processes")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--drain-timeout", type=float, default=600.0, help="seconds")
    parser.add_argument("--claim-idle-ms", type=int, default=0,
                        help="DATELINE_CLAIM_IDLE_MS for the run (default: the setting's)")
    parser.add_argument("--fsync", choices=("always", "everysec"), default="",
                        help="DATELINE_REDIS_FSYNC for the run (default: the setting's)")
    return parser.parse_args()


if __name__ == "__main__":
    main()

"""One fuzz session against a running stack: seed, send every case, check what was promised.

1. Post the known articles and wait until they are searchable; keep the stored bytes of
   the first (GET /v1/articles/{id}) and a real next_cursor per paged query.
2. Send each case and judge its answer (:mod:`fuzz.judge`).
3. Every article a case got accepted must become searchable (a 202 is a promise), unless
   it was dead-lettered, which is then the problem reported.
4. The known article must be byte-identical to what it was before the fuzz.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable, Iterator

import httpx
import msgspec
import redis
from msgspec import Struct

from fuzz.case import Case, Stage
from fuzz.ingest_cases import article
from fuzz.judge import Problem, Verdict, judge
from fuzz.search_cases import PAGED_QUERIES
from fuzz.wire import exchange
from shared.schemas import DeadLetter
from shared.streams import DATA_FIELD, DLQ

KNOWN = [
    article("known-article", title="Lisbon port reopens after the dockers' strike",
            published_at="2024-05-02T08:30:00Z", authors=["Ana Duval"], meta={"desk": "economy"}),
    article("known-companion", title="Lisbon ferries run on time again", published_at="2024-05-01T07:00:00Z"),
]


class Target(Struct, kw_only=True):
    """Where the stack under fuzz answers, and what it was configured with."""

    ingest_url: str
    search_url: str
    api_key: str
    redis_url: str
    max_body_bytes: int
    max_articles: int
    body_timeout_s: float | None = None

    def address(self, service: str) -> tuple[str, int]:
        url = httpx.URL(self.ingest_url if service == "ingest" else self.search_url)
        return url.host, url.port or 80


class Promise(Struct, kw_only=True):
    """Articles a case got accepted, and what became of them."""

    case: str
    article_id: str
    fate: str = "waiting"  # searchable | dead-lettered (reason) | not searchable after N s

    @property
    def kept(self) -> bool:
        return self.fate == "searchable"


class Prepared(Struct, kw_only=True):
    stage: Stage
    known_before: bytes


def prepare(target: Target, timeout_s: float = 120.0) -> Prepared:
    """Seed the known articles, wait until searchable, remember the first as stored."""
    with _clients(target) as (ingest, search):
        ids = []
        for body in KNOWN:
            response = ingest.post("/v1/articles", json=body)
            response.raise_for_status()
            ids.append(response.json()["results"][0]["id"])
        _wait_until(lambda: all(search.get(f"/v1/articles/{i}").status_code == 200 for i in ids),
                    timeout_s, "the known articles to become searchable")
        cursors = {name: search.get("/v1/search", params={**query, "size": "1"}).json().get("next_cursor")
                   for name, query in PAGED_QUERIES.items()}
        stage = Stage(
            api_key=target.api_key, known=KNOWN[0], known_id=ids[0],
            max_body_bytes=target.max_body_bytes, max_articles=target.max_articles,
            body_timeout_s=target.body_timeout_s, cursors={name: cursor for name, cursor in cursors.items() if cursor},
        )
        return Prepared(stage=stage, known_before=search.get(f"/v1/articles/{ids[0]}").content)


def run_case(
    target: Target, stage: Stage, case: Case, timeout_s: float = 10.0,
    restarts: Callable[[], int] | None = None,
) -> Verdict:
    """Send one case and judge the answer. ``restarts`` counts service restarts so far: a case
    after which it grew took a service down, which is reported as a crash."""
    before = restarts() if restarts else 0
    host, port = target.address(case.service)
    request = case.build(stage)
    budget_s = stage.budget_s(case)
    answer = exchange(host, port, request, timeout_s=max(timeout_s, budget_s + 5))
    verdict = judge(case, request, answer, budget_s)
    if answer.status is None:
        _wait_until_healthy(target, case.service)  # a crashed service is restarted meanwhile
    if restarts and restarts() > before:
        verdict.problems.append(Problem("crash", "the service died and was restarted"))
    return verdict


def run_cases(
    target: Target, stage: Stage, cases: Iterable[Case], timeout_s: float = 10.0,
    restarts: Callable[[], int] | None = None,
) -> Iterator[Verdict]:
    for case in cases:
        yield run_case(target, stage, case, timeout_s, restarts)


def keep_promises(target: Target, verdicts: Iterable[Verdict], timeout_s: float = 120.0) -> list[Promise]:
    """Wait until every accepted article is searchable or dead-lettered, or the deadline."""
    promises = [Promise(case=v.case, article_id=i) for v in verdicts for i in v.accepted]
    deadline = time.monotonic() + timeout_s
    waiting = list(promises)
    with _clients(target) as (_, search), redis.Redis.from_url(target.redis_url) as store:
        while waiting:
            dead = _dead_letters(store)
            for promise in waiting:
                if promise.article_id in dead:
                    promise.fate = f"dead-lettered ({dead[promise.article_id]})"
                elif search.get(f"/v1/articles/{promise.article_id}").status_code == 200:
                    promise.fate = "searchable"
            waiting = [p for p in waiting if p.fate == "waiting"]
            if waiting and time.monotonic() > deadline:
                for promise in waiting:
                    promise.fate = f"not searchable after {timeout_s:g} s"
                break
            if waiting:
                time.sleep(0.5)
    return promises


def known_after(target: Target, stage: Stage) -> bytes:
    with httpx.Client(base_url=target.search_url, timeout=30) as search:
        return search.get(f"/v1/articles/{stage.known_id}").content


def _dead_letters(store: redis.Redis) -> dict[str, str]:
    """Article id -> reason, for every dead letter whose payload names an article."""
    found = {}
    for _, fields in store.xrange(DLQ):
        letter = msgspec.json.decode(fields[DATA_FIELD.encode()], type=DeadLetter)
        try:
            article_id = json.loads(letter.payload).get("id")
        except (ValueError, AttributeError):
            continue
        if article_id:
            found[article_id] = f"{letter.stage}: {letter.reason}"
    return found


def _wait_until_healthy(target: Target, service: str, timeout_s: float = 90.0) -> None:
    url = (target.ingest_url if service == "ingest" else target.search_url) + "/healthz"

    def healthy() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    _wait_until(healthy, timeout_s, f"{service} to answer /healthz")


def _wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout_s:g} s for {what}")
        time.sleep(0.1)


@contextlib.contextmanager
def _clients(target: Target) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    headers = {"Authorization": f"Bearer {target.api_key}"}
    with (
        httpx.Client(base_url=target.ingest_url, headers=headers, timeout=60) as ingest,
        httpx.Client(base_url=target.search_url, timeout=30) as search,
    ):
        yield ingest, search

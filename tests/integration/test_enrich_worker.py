"""The enrich worker on a real redis-server, in-process and as real worker processes.

Most tests use a stand-in enrichment (tests/integration/stub_enrich_worker.py): the
model is not the point here, delivery is. One test runs the real Enricher.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import msgspec
import pytest

from services.enrich.desks import STEP_CHARS
from services.enrich.source_history_store import source_key
from services.enrich.worker import Worker, load_enricher
from shared.dlq import list_dead_letters, replay
from shared.runtime import STUCK_EXIT_CODE, STUCK_EXIT_MARGIN_S
from shared.schemas import EnrichedArticle, RawArticle
from shared.settings import Settings
from shared.streams import DATA_FIELD, ENRICHED, RAW, RAW_LONG, add_all, ensure_groups
from tests.conftest import ROOT
from tests.factories import raw_article
from tests.integration.polling import eventually
from tests.integration.stub_enrich_worker import StubEnrichment, stub_enrich


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def enriched(redis) -> list[EnrichedArticle]:
    entries = await redis.xrange(ENRICHED)
    return [msgspec.json.decode(f[DATA_FIELD.encode()], type=EnrichedArticle) for _, f in entries]


async def enriched_ids(redis) -> set[str]:
    return {a.id for a in await enriched(redis)}


async def pending(redis, consumer: str | None = None) -> int:
    if consumer is None:
        return (await redis.xpending(RAW, "enrich"))["pending"]
    rows = await redis.xpending_range(
        RAW, "enrich", min="-", max="+", count=1000, consumername=consumer
    )
    return len(rows)


def settings_for(redis_url: str, **overrides) -> Settings:
    base = Settings(
        redis_url=redis_url,
        enrich_metrics_port=free_port(),
        enrich_batch_size=8,
        max_deliveries=3,
        claim_idle_ms=1_000,
        retry_delay_ms=50,
        graceful_timeout_s=10,
    )
    return msgspec.structs.replace(base, **overrides)


@asynccontextmanager
async def worker_in_process(settings: Settings, load=lambda _s: StubEnrichment()):
    worker = Worker(settings, load=load)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop()
        assert await asyncio.wait_for(task, timeout=30) == 0


# -- in process ----------------------------------------------------------------------


async def test_articles_in_enriched_articles_out_and_the_worker_is_ready(redis, redis_url):
    settings = settings_for(redis_url)
    await ensure_groups(redis)
    await add_all(redis, RAW, [raw_article(n) for n in range(20)])
    async with worker_in_process(settings) as worker:
        await eventually(lambda: _has(redis, 20))
        base = f"http://127.0.0.1:{settings.enrich_metrics_port}"
        async with httpx.AsyncClient(base_url=base) as http:
            ready = await http.get("/readyz")
            metrics = (await http.get("/metrics")).text
    assert worker.stage.counts.done == 20  # stopping waited for the last batch's acks
    out = await enriched(redis)
    assert {a.id for a in out} == {raw_article(n).id for n in range(20)}
    basra = next(e for e in out[0].entities if e.text == "Basra")
    assert (
        basra.spans[0].field == "title"
        and out[0].title[basra.spans[0].start : basra.spans[0].end] == "Basra"
    )
    for a in out:  # every field of the raw article travels on
        raw = {f: getattr(a, f) for f in RawArticle.__struct_fields__}
        assert RawArticle(**raw) == raw_article(int(a.id, 16))
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert 'dateline_stage_entries_total{outcome="done",stage="enrich"}' in metrics
    assert "dateline_enrich_articles_total" in metrics and "dateline_stage_batch_seconds" in metrics
    assert await pending(redis) == 0


async def test_readiness_says_the_model_is_loading(redis, redis_url):
    settings = settings_for(redis_url)
    loaded = threading.Event()

    def held_load(_settings):
        loaded.wait(timeout=30)
        return StubEnrichment()

    base = f"http://127.0.0.1:{settings.enrich_metrics_port}"
    async with (
        worker_in_process(settings, load=held_load),
        httpx.AsyncClient(base_url=base) as http,
    ):
        answer = await eventually(lambda: _answer(http, "/readyz"))
        healthy = await http.get("/healthz")
        loaded.set()
        ready = await eventually(lambda: _answer(http, "/readyz", 200))
    assert answer.status_code == 503
    assert "loading" in answer.json()["failures"]["model"]
    assert healthy.status_code == 200 and ready.json()["ready"] is True


async def test_a_poison_article_is_dead_lettered_after_n_attempts_while_the_others_flow(
    redis, redis_url
):
    settings = settings_for(redis_url)
    await ensure_groups(redis)
    batch = [raw_article(n) for n in range(6)] + [raw_article(99, meta={"fail": "always"})]
    [*_, poison_entry] = await add_all(redis, RAW, batch)
    garbled_entry = (await redis.xadd(RAW, {DATA_FIELD: b'{"id": "not an article"}'})).decode()
    async with worker_in_process(settings) as worker:
        letters = await eventually(lambda: _letters(redis, 2))
    assert worker.stage.counts.done == 6
    by_entry = {e.letter.entry_id: e.letter for e in letters}
    assert by_entry[poison_entry].attempts == 3 and by_entry[poison_entry].reason == "enrich_failed"
    assert msgspec.json.decode(by_entry[poison_entry].payload, type=RawArticle) == raw_article(
        99, meta={"fail": "always"}
    )
    assert (
        by_entry[garbled_entry].attempts == 1
        and by_entry[garbled_entry].reason == "invalid_article"
    )
    assert "at `$.id`" in by_entry[garbled_entry].error
    assert await enriched_ids(redis) == {raw_article(n).id for n in range(6)}
    assert await pending(redis) == 0


async def test_a_replayed_dead_letter_flows_once_the_cause_is_fixed(redis, redis_url):
    settings = settings_for(redis_url, max_deliveries=1)
    await ensure_groups(redis)
    flaky = {"broken": True}

    def enrich(raws):
        return [
            ValueError("gazetteer missing") if flaky["broken"] else r for r in stub_enrich(raws)
        ]

    await add_all(redis, RAW, [raw_article(7)])
    async with worker_in_process(settings, load=lambda _s: StubEnrichment(enrich)):
        [letter] = await eventually(lambda: _letters(redis, 1))
        flaky["broken"] = False
        await replay(redis, [letter.dlq_id])
        await eventually(lambda: _has(redis, 1))
    assert await enriched_ids(redis) == {raw_article(7).id}
    assert await list_dead_letters(redis) == []


async def test_a_text_over_the_limit_is_dead_lettered_and_flows_after_the_limit_is_raised(
    redis, redis_url
):
    await ensure_groups(redis)
    long_read = raw_article(8, text="A long read about Lisbon. " * 400)
    await add_all(redis, RAW, [raw_article(9), long_read])
    async with worker_in_process(settings_for(redis_url, enrich_max_chars=5_000)):
        [letter] = await eventually(lambda: _letters(redis, 1))
        await eventually(lambda: _has(redis, 1))
    assert letter.letter.reason == "text_too_long" and letter.letter.attempts == 1
    assert "10,400 characters" in letter.letter.error
    async with worker_in_process(settings_for(redis_url, enrich_max_chars=20_000)):
        await replay(redis, [letter.dlq_id])
        await eventually(lambda: _has(redis, 2))
    assert await enriched_ids(redis) == {raw_article(9).id, long_read.id}


async def test_short_articles_pass_a_long_one_that_one_worker_enriches_in_slices(
    redis, redis_url
):
    await ensure_groups(redis)
    slices = 10  # of half a second each: five seconds of "NER"
    long_read = raw_article(
        50, text="A long read about Lisbon. " * (slices * STEP_CHARS // 26 + 1),
        meta={"delay_s": "0.5"},
    )  # fmt: skip
    stub = StubEnrichment()
    async with worker_in_process(settings_for(redis_url), load=lambda _s: stub) as worker:
        await add_all(redis, RAW, [long_read])
        await eventually(lambda: _sliced(stub, 1))  # it is in NER
        await add_all(redis, RAW, [raw_article(n) for n in range(20)])
        await eventually(lambda: _has(redis, 20))
        passed = long_read.id not in await enriched_ids(redis)
        await eventually(lambda: _has(redis, 21))
    assert passed  # the short ones, read later, were searchable before the long one
    assert stub.slices == [long_read.id] * slices
    out = await enriched(redis)
    assert [a.id for a in out].count(long_read.id) == 1 and out[-1].id == long_read.id
    raw = {f: getattr(out[-1], f) for f in RawArticle.__struct_fields__}
    assert RawArticle(**raw) == long_read  # set aside untouched
    assert worker.stage.counts.done == 21 and worker.long_stage.counts.done == 1
    assert await pending(redis) == 0 and (await redis.xpending(RAW_LONG, "enrich"))["pending"] == 0


async def test_a_batch_is_published_a_step_at_a_time(redis, redis_url):
    await ensure_groups(redis)
    # Two of these make a step of text; each takes half a second of "NER".
    features = [
        raw_article(n, text="A feature about Porto. " * (STEP_CHARS // 2 // 23 + 1),
                    meta={"delay_s": "0.5"})
        for n in range(8)
    ]  # fmt: skip
    async with worker_in_process(settings_for(redis_url, enrich_batch_size=8)) as worker:
        await add_all(redis, RAW, features)
        first = await eventually(lambda: enriched_ids(redis))
        await eventually(lambda: _has(redis, 8))
    assert len(first) == 2  # searchable while the six others were still in NER
    assert worker.stage.counts.batches == 1 and worker.stage.counts.done == 8


async def test_a_vanished_group_is_made_again_and_the_worker_goes_on_in_process(redis, redis_url):
    await ensure_groups(redis)
    async with worker_in_process(settings_for(redis_url)) as worker:
        await eventually(lambda: _running(worker))
        first = worker.stage.subscribers
        await redis.flushall()  # the streams and their groups are gone (a Redis back empty)
        await eventually(lambda: _restarted(worker, first))
        await add_all(redis, RAW, [raw_article(n) for n in range(5)])
        await eventually(lambda: _has(redis, 5))
    assert await enriched_ids(redis) == {raw_article(n).id for n in range(5)}


# -- real processes --------------------------------------------------------------------


class WorkerProcess:
    def __init__(self, settings: Settings, log_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
        env |= {
            "DATELINE_REDIS_URL": settings.redis_url,
            "DATELINE_ENRICH_METRICS_PORT": str(settings.enrich_metrics_port),
            "DATELINE_ENRICH_BATCH_SIZE": str(settings.enrich_batch_size),
            "DATELINE_CLAIM_IDLE_MS": str(settings.claim_idle_ms),
            "DATELINE_RETRY_DELAY_MS": str(settings.retry_delay_ms),
            "DATELINE_GRACEFUL_TIMEOUT_S": str(settings.graceful_timeout_s),
            "DATELINE_CLAIM_KEEP_MAX_S": str(settings.claim_keep_max_s),
        }
        self.log_path = log_path
        with log_path.open("wb") as log:  # a file, not a pipe: nothing to drain, readable any time
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.stub_enrich_worker"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.consumer = f"enrich-{socket.gethostname()}-{self.proc.pid}"

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    async def exit_code(self, timeout: float = 30) -> int:
        return await asyncio.wait_for(asyncio.to_thread(self.proc.wait), timeout)

    def log(self) -> str:
        return self.log_path.read_text()

    async def logged(self, event: str) -> bool:
        return f'"event":"{event}"' in self.log()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def processes(tmp_path):
    started: list[WorkerProcess] = []

    def start(settings: Settings) -> WorkerProcess:
        started.append(WorkerProcess(settings, tmp_path / f"worker-{len(started)}.log"))
        return started[-1]

    yield start
    for p in started:
        p.stop()


async def test_a_worker_killed_mid_batch_loses_nothing_another_finishes(
    redis, redis_url, processes
):
    settings = settings_for(redis_url, claim_idle_ms=1_500)
    await ensure_groups(redis)
    articles = [raw_article(n, meta={"delay_s": "0.1"}) for n in range(40)]
    await add_all(redis, RAW, articles)
    first = processes(settings)
    await eventually(lambda: _has(redis, 1), timeout=30)  # it is working
    await eventually(lambda: _holds(redis, first.consumer))  # and holds a batch
    first.signal(signal.SIGKILL)
    assert await first.exit_code() == -signal.SIGKILL
    orphaned = await pending(redis, first.consumer)
    assert orphaned > 0

    second = processes(settings_for(redis_url, claim_idle_ms=1_500))
    await eventually(lambda: _has(redis, 40), timeout=60)
    await eventually(lambda: _none_pending(redis))
    out = await enriched(redis)
    assert {a.id for a in out} == {a.id for a in articles}
    # A batch killed between publishing and acking is published again: same article id,
    # same content, so the indexer's upsert makes it one effect.
    copies = defaultdict(list)
    for a in out:
        copies[a.id].append(msgspec.structs.replace(a, enriched_at=None, model=""))
    assert all(len({msgspec.json.encode(c) for c in cs}) == 1 for cs in copies.values())
    assert len(out) - len(copies) <= settings.enrich_batch_size
    assert {a.model for a in out} >= {f"stub@{second.proc.pid}"}
    second.signal(signal.SIGTERM)
    assert await second.exit_code() == 0


async def test_sigterm_finishes_the_batch_in_flight_and_leaves_nothing_half_done(
    redis, redis_url, processes
):
    settings = settings_for(redis_url)
    await ensure_groups(redis)
    await add_all(redis, RAW, [raw_article(n, meta={"delay_s": "0.15"}) for n in range(40)])
    worker = processes(settings)
    await eventually(lambda: _has(redis, 1), timeout=30)
    await eventually(lambda: _holds(redis, worker.consumer))
    worker.signal(signal.SIGTERM)
    assert await worker.exit_code() == 0
    log = worker.log()
    assert '"event":"service.stopped"' in log
    done = await enriched_ids(redis)
    read = (await redis.xinfo_groups(RAW))[0]["entries-read"]
    # Everything it read was published and acked; nothing is pending; the rest waits unread.
    assert await pending(redis) == 0
    assert len(done) == read < 40
    assert len(done) % settings.enrich_batch_size == 0
    consumers = [c["name"].decode() for c in await redis.xinfo_consumers(RAW, "enrich")]
    assert worker.consumer not in consumers  # it held nothing, so it left the group


async def test_a_batch_outliving_the_grace_period_is_left_pending_for_another_worker(
    redis, redis_url, processes, tmp_path
):
    settings = settings_for(redis_url, graceful_timeout_s=1, claim_idle_ms=1_500)
    await ensure_groups(redis)
    release = tmp_path / "release"  # the batch's "NER" lasts until this file exists
    await add_all(redis, RAW, [raw_article(n, meta={"hold": str(release)}) for n in range(8)])
    slow = processes(settings)
    await eventually(lambda: _holds(redis, slow.consumer), timeout=30)
    slow.signal(signal.SIGTERM)
    await eventually(lambda: slow.logged("batch.abandoned"), timeout=30)  # the grace is over
    release.touch()  # its thread ends; the batch, cancelled, publishes nothing
    assert await slow.exit_code() == 0
    assert await enriched_ids(redis) == set()  # cut off before publishing: nothing half-done
    assert await pending(redis, slow.consumer) == 8  # given back, untouched

    second = processes(settings_for(redis_url, claim_idle_ms=1_500))
    await eventually(lambda: _has(redis, 8), timeout=60)
    await eventually(lambda: _none_pending(redis))
    second.signal(signal.SIGTERM)
    assert await second.exit_code() == 0


async def test_a_worker_hung_in_its_enrichment_thread_exits_1_and_another_finishes(
    redis, redis_url, processes, tmp_path
):
    # The thread cannot be cancelled, so the worker's graceful stop never ends: the exit
    # is forced, for its supervisor to start a fresh worker.
    settings = settings_for(redis_url, graceful_timeout_s=1, claim_keep_max_s=2.0)
    await ensure_groups(redis)
    release = tmp_path / "release"
    await add_all(redis, RAW, [raw_article(n, meta={"hold": str(release)}) for n in range(4)])
    hung = processes(settings)
    await eventually(lambda: _holds(redis, hung.consumer), timeout=30)
    started = time.monotonic()
    assert await hung.exit_code(timeout=30) == STUCK_EXIT_CODE == 1
    exited_s = time.monotonic() - started
    assert exited_s < settings.claim_keep_max_s + settings.graceful_timeout_s + STUCK_EXIT_MARGIN_S + 3
    assert await hung.logged("service.stage_stuck")
    assert await enriched_ids(redis) == set()

    release.touch()  # the cause is gone (a fresh process would not hang): nothing was lost
    second = processes(settings_for(redis_url, claim_idle_ms=1_000))
    await eventually(lambda: _has(redis, 4), timeout=60)
    await eventually(lambda: _none_pending(redis))
    second.signal(signal.SIGTERM)
    assert await second.exit_code() == 0


# -- the real model ------------------------------------------------------------------------


async def test_the_real_enricher_finds_people_and_places(redis, redis_url):
    if importlib.util.find_spec("services.enrich.geotag") is None:
        pytest.skip("services.enrich.geotag (the Geotagger) is not there yet")
    settings = settings_for(redis_url, gazetteer_path=str(ROOT / "data" / "gazetteer"))
    await ensure_groups(redis)
    story = raw_article(
        1,
        title="Mayor of Lyon meets Angela Merkel in Berlin",
        text="BERLIN — The mayor of Lyon, France, met Angela Merkel in Berlin on Monday.",
    )
    await add_all(redis, RAW, [story])
    async with worker_in_process(settings, load=load_enricher):
        [out] = await eventually(lambda: enriched(redis), timeout=120)
    assert any(e.label == "PERSON" and "Merkel" in e.text for e in out.entities)
    berlin = next(p for p in out.places if p.resolved_name == "Berlin")
    assert berlin.country_code == "DE" and abs(berlin.lat - 52.52) < 0.5
    assert out.model and out.gazetteer
    # the story is in its source's history, which every worker reads from Redis
    history = await redis.hgetall(source_key(story.source))
    assert float(history[b"stories"]) == 1 and float(history[b"DE"]) == 1


async def _running(worker: Worker) -> bool:
    return worker.stage.running


async def _restarted(worker: Worker, before: list) -> bool:
    return worker.stage.subscribers is not before and worker.stage.running


async def _answer(http: httpx.AsyncClient, path: str, status: int | None = None):
    try:
        response = await http.get(path)
    except httpx.TransportError:  # not listening yet
        return None
    return response if status is None or response.status_code == status else None


async def _has(redis, n: int) -> bool:
    return len(await enriched_ids(redis)) >= n


async def _sliced(stub: StubEnrichment, n: int) -> bool:
    return len(stub.slices) >= n


async def _holds(redis, consumer: str) -> bool:
    return await pending(redis, consumer) > 0


async def _none_pending(redis) -> bool:
    return await pending(redis) == 0


async def _letters(redis, n: int):
    letters = await list_dead_letters(redis)
    return letters if len(letters) >= n else None

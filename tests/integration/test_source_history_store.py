"""Each source's history kept in a real Redis: shared by every worker, kept across restarts,
the same as the in-memory history the evaluation replays, and shown by `dateline source`."""

from __future__ import annotations

import pytest
from redis import Redis
from typer.testing import CliRunner

from dateline.cli import app
from services.enrich.gazetteer import GazetteerEntry
from services.enrich.source_history import HALF_LIFE_STORIES, MAX_REGIONS, SourceHistory
from services.enrich.source_history_store import StoredSourceHistory, source_key

LEDGER = "ledger.example"


def entry(country: str, admin1: str | None, row: int = 1) -> GazetteerEntry:
    return GazetteerEntry(
        row=row, geonames_id=row, name="x", lat=0.0, lon=0.0, country_code=country,
        admin1=admin1, feature_code="PPL", population=1_000,
    )  # fmt: skip


@pytest.fixture
def client(redis_url: str) -> Redis:
    client = Redis.from_url(redis_url)
    client.flushall()
    return client


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record_stories(history, states: list[str]) -> None:
    for state in states:
        history.record(LEDGER, [(entry("US", state), 0.9), (entry("US", state), 0.8)])


def test_what_one_worker_records_another_and_a_restarted_one_read(client):
    record_stories(StoredSourceHistory(client), ["Georgia", "Georgia", "Georgia", "Alabama"])
    StoredSourceHistory(client).record(LEDGER, [(entry("US", "Texas"), 0.2)])  # too unsure
    prior = StoredSourceHistory(client).prior(LEDGER)  # another worker, or this one restarted
    assert prior.stories == 5
    assert prior.state_share(entry("US", "Georgia")) == pytest.approx(3 / (5 + 3))
    assert prior.state_share(entry("US", "Texas")) == 0.0
    assert prior.country_share(entry("US", None)) == pytest.approx(4 / (5 + 3))
    assert client.hget(source_key(LEDGER), "US/Georgia") == b"3"
    assert StoredSourceHistory(client).prior("unknown.example").stories == 0


def test_the_stored_history_is_the_one_the_evaluation_replays(client):
    """Halved at its half-life and bounded in regions exactly as in memory."""
    stored, memory = StoredSourceHistory(client, cache_s=0.0), SourceHistory()
    for n in range(HALF_LIFE_STORIES + 10):
        places = [(entry("US", f"State {n % 80}"), 1.0), (entry("CA", None), 1.0 if n % 3 else 0.1)]
        stored.record(LEDGER, places)
        memory.record(LEDGER, places)
    kept, expected = stored.prior(LEDGER), memory.prior(LEDGER)
    assert kept.stories == expected.stories < HALF_LIFE_STORIES
    assert len(kept.regions) <= MAX_REGIONS
    assert kept.regions[("US", None)] == expected.regions[("US", None)]
    assert kept.regions[("CA", None)] == pytest.approx(expected.regions[("CA", None)])


def test_a_prior_is_read_once_per_cache_period(client):
    clock = Clock()
    reader, writer = (
        StoredSourceHistory(client, cache_s=10.0, clock=clock),
        StoredSourceHistory(client),
    )
    record_stories(writer, ["Georgia"])
    assert reader.prior(LEDGER).stories == 1
    record_stories(writer, ["Georgia"])
    assert reader.prior(LEDGER).stories == 1  # cached
    clock.now = 10.5
    assert reader.prior(LEDGER).stories == 2


def test_without_redis_a_story_is_geotagged_without_its_prior():
    gone = StoredSourceHistory(Redis(port=1, socket_connect_timeout=0.5))
    gone.record(LEDGER, [(entry("US", "Georgia"), 0.9)])  # no exception
    assert gone.prior(LEDGER).stories == 0


def test_dateline_source_explains_a_sources_prior(client, redis_url):
    record_stories(StoredSourceHistory(client), ["Georgia", "Georgia", "Alabama", "Georgia"])
    shown = CliRunner().invoke(app, ["source", LEDGER], env={"DATELINE_REDIS_URL": redis_url})
    assert shown.exit_code == 0, shown.output
    assert "ledger.example: 4 stories" in shown.output and "75% in Georgia, US" in shown.output
    as_json = CliRunner().invoke(
        app, ["source", LEDGER, "--json"], env={"DATELINE_REDIS_URL": redis_url}
    )
    assert '"admin1":"Georgia","stories":3.0' in as_json.output

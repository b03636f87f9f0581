"""The chaos benchmark's arithmetic: outages from polls, what they followed, the kill plan."""

import random

from bench.chaos import Kill, Outage, after_redis_kill_alone, kill_plan, outages


def test_an_outage_runs_from_the_first_failed_poll_to_the_next_answer():
    samples = [(0.0, True), (0.05, False), (0.1, False), (0.15, True), (0.2, False)]
    assert outages(samples) == [Outage(0.05, 0.15), Outage(0.2, 0.2)]
    assert outages([(0.0, True), (0.05, True)]) == []


def test_a_search_outage_counts_against_redis_only_when_the_index_was_not_killed_too():
    redis, index = Kill(at=10.0, target="redis", pid=1), Kill(at=12.0, target="index", pid=2)
    assert after_redis_kill_alone(Outage(11.0, 20.0), [redis, index], "index")
    assert not after_redis_kill_alone(Outage(12.5, 20.0), [redis, index], "index")
    assert not after_redis_kill_alone(Outage(25.0, 26.0), [redis], "index")  # long after it


def test_every_process_is_killed_at_least_once_when_there_are_kills_enough():
    targets = ["redis", "ingest", "enrich-0", "enrich-1", "index"]
    plan = kill_plan(targets, 9, (1.0, 60.0), random.Random(3))
    times = [at for at, _ in plan]
    assert len(plan) == 9 and set(targets) <= {target for _, target in plan}
    assert times == sorted(times) and 1.0 <= times[0] and times[-1] <= 60.0

"""`dateline gazetteer build` and `dateline dlq` from the command line, on real files and Redis."""

from __future__ import annotations

from datetime import UTC, datetime

from redis import Redis
from typer.testing import CliRunner

from dateline.cli import app
from shared.schemas import DeadLetter
from shared.streams import DLQ, RAW, entry_fields


def run(*args: str, **env: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **env})  # no wrapped tables


def test_gazetteer_build_from_a_missing_directory_says_so(tmp_path):
    result = run("gazetteer", "build", "--from", str(tmp_path / "nowhere"), DATELINE_DATA_DIR=str(tmp_path))
    assert result.exit_code == 2
    assert "not a directory" in result.output


def test_gazetteer_build_from_a_directory_without_dump_files_names_what_is_missing(tmp_path):
    result = run("gazetteer", "build", "--from", str(tmp_path), DATELINE_DATA_DIR=str(tmp_path))
    assert result.exit_code == 1
    assert "error:" in result.output


def test_dlq_list_replay_and_drop(redis_url):
    redis = Redis.from_url(redis_url)
    redis.flushall()

    def letter(n: int) -> DeadLetter:
        return DeadLetter(stage="enrich", reason="enrich_failed", error=f"boom {n}", attempts=3, stream=RAW,
                          entry_id=f"1-{n}", payload=f'{{"n": {n}}}', failed_at=datetime.now(UTC))

    first = redis.xadd(DLQ, entry_fields(letter(1))).decode()
    redis.xadd(DLQ, entry_fields(letter(2)))
    listed = run("dlq", "list", DATELINE_REDIS_URL=redis_url)
    assert listed.exit_code == 0 and "2 dead letters" in listed.output and "enrich_failed" in listed.output

    replayed = run("dlq", "replay", "--id", first, DATELINE_REDIS_URL=redis_url)
    assert replayed.exit_code == 0 and "1 replayed" in replayed.output
    [(_, fields)] = redis.xrange(RAW)
    assert fields[b"__data__"] == b'{"n": 1}'

    unknown = run("dlq", "replay", "--id", "1-999", DATELINE_REDIS_URL=redis_url)
    assert unknown.exit_code == 1 and "1-999" in unknown.output
    assert run("dlq", "replay", DATELINE_REDIS_URL=redis_url).exit_code == 2  # say which

    dropped = run("dlq", "drop", "--all", DATELINE_REDIS_URL=redis_url)
    assert dropped.exit_code == 0 and "1 dropped" in dropped.output
    assert redis.xlen(DLQ) == 0

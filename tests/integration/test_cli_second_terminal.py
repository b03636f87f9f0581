"""A second terminal: nothing exported, the CLI finds the running stack through its file."""

from __future__ import annotations

from datetime import UTC, datetime

from redis import Redis
from typer.testing import CliRunner

from dateline.cli import app
from dateline.state import write_state
from shared.schemas import DeadLetter
from shared.settings import load_settings
from shared.streams import DLQ, RAW, entry_fields


def test_status_and_dlq_list_find_redis_through_the_stack_file(redis_url, tmp_path, env_clean):
    redis = Redis.from_url(redis_url)
    redis.flushall()
    letter = DeadLetter(stage="enrich", reason="enrich_failed", error="boom", attempts=3, stream=RAW,
                        entry_id="1-1", payload="{}", failed_at=datetime.now(UTC))
    dlq_id = redis.xadd(DLQ, entry_fields(letter)).decode()
    write_state(load_settings({"DATELINE_DATA_DIR": str(tmp_path)}), redis_url, "demo-key")
    env = {"DATELINE_DATA_DIR": str(tmp_path), "COLUMNS": "80"}

    listed = CliRunner().invoke(app, ["dlq", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert dlq_id in listed.output and "1 dead letters" in listed.output
    status = CliRunner().invoke(app, ["status", "--json"], env=env)
    assert status.exit_code == 0, status.output
    assert '"dlq_size":1' in status.stdout


def test_without_a_running_stack_the_cli_says_how_to_start_one(tmp_path, env_clean):
    result = CliRunner().invoke(app, ["dlq", "list"], env={"DATELINE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert "no running Dateline found" in result.output and "bin/dateline up" in result.output

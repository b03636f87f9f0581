"""The running stack's file: written by `up`, read by every other command (dateline.state)."""

import os
import stat
import subprocess
import sys

import msgspec

from dateline.state import read_state, remove_state, state_path, with_running_stack, write_state
from shared.settings import load_settings


def _settings(tmp_path, **env):
    return load_settings({"DATELINE_DATA_DIR": str(tmp_path), **env})


def test_the_cli_takes_what_the_environment_does_not_give(tmp_path):
    stack = _settings(tmp_path, DATELINE_INGEST_PORT="18001", DATELINE_SEARCH_PORT="18002")
    path = write_state(stack, "redis://127.0.0.1:16379/0", "demo-key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds the key

    env = {"DATELINE_DATA_DIR": str(tmp_path)}
    cli = with_running_stack(_settings(tmp_path), env)
    assert (cli.redis_url, cli.ingest_port, cli.search_port, cli.api_key) == (
        "redis://127.0.0.1:16379/0", 18001, 18002, "demo-key")


def test_the_environment_wins_field_by_field(tmp_path):
    write_state(_settings(tmp_path, DATELINE_SEARCH_PORT="18002"), "redis://127.0.0.1:16379/0", "demo-key")
    env = {"DATELINE_DATA_DIR": str(tmp_path), "DATELINE_SEARCH_PORT": "9999", "DATELINE_API_KEYS": "mine"}
    cli = with_running_stack(load_settings(env), env)
    assert cli.search_port == 9999 and cli.redis_url == "redis://127.0.0.1:16379/0"
    assert cli.api_key == "" and cli.api_keys == ("mine",)  # the CLI sends the first of these


def test_a_stack_that_is_gone_is_ignored(tmp_path):
    settings = _settings(tmp_path)
    write_state(settings, "redis://127.0.0.1:16379/0", "demo-key")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True)
    path = state_path(settings)
    state = msgspec.json.decode(path.read_bytes())
    path.write_bytes(msgspec.json.encode({**state, "pid": int(gone.stdout)}))
    assert read_state(path) is None
    assert with_running_stack(settings, {}).redis_url == ""


def test_remove_leaves_another_stacks_file(tmp_path):
    settings = _settings(tmp_path)
    write_state(settings, "redis://127.0.0.1:16379/0", "k")
    path = state_path(settings)
    state = msgspec.json.decode(path.read_bytes())
    path.write_bytes(msgspec.json.encode({**state, "pid": os.getppid()}))
    remove_state(settings)
    assert path.exists()
    path.write_bytes(msgspec.json.encode(state))
    remove_state(settings)
    assert not path.exists()

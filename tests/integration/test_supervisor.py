"""The supervisor with tiny real child processes (and a real redis-server): restarts, back-off, giving up."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
import redis
from structlog.testing import capture_logs

from dateline.running import NotReady, run_stack
from dateline.stack import free_ports, ports_in_use, private_redis, wait_until_ready
from dateline.supervisor import ServiceSpec, Supervisor, child_env
from shared.redis_server import PrivateRedis
from shared.settings import load_settings

# Exits 2 through the real start-up check, with its real message, as a service does.
REFUSES_ITS_CONFIG = "from shared.settings import settings_or_exit\nsettings_or_exit('tiny')\n"
RUNS = "import time\nwhile True: time.sleep(1)\n"
CRASHES = "import sys; sys.exit(3)\n"


def _poll(condition, supervisor, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervisor.tick()
        if condition():
            return True
        time.sleep(0.02)
    return False


def _supervisor(tmp_path: Path, scripts: dict[str, str], extra_env=None, **options) -> Supervisor:
    for name, code in scripts.items():
        (tmp_path / f"{name}.py").write_text(code)
    env = child_env("redis://127.0.0.1:1/0", {"PYTHONPATH": str(tmp_path), **(extra_env or {})})
    specs = [ServiceSpec(name, name) for name in scripts]
    return Supervisor(specs, env, log_dir=tmp_path / "logs", **options)


def _exits(logs, name):
    return [e for e in logs if e["event"] == "service.exited" and e["name"] == name]


def test_a_crash_loop_waits_longer_each_time_and_the_others_keep_running(tmp_path):
    supervisor = _supervisor(tmp_path, {"crasher": CRASHES, "sleeper": RUNS})
    supervisor.start()
    sleeper = supervisor.children[1]
    try:
        with capture_logs() as logs:
            assert _poll(lambda: len(_exits(logs, "crasher")) >= 3, supervisor)
        delays = [e["restart_in_s"] for e in _exits(logs, "crasher")]
        assert delays[:3] == [0.5, 1.0, 2.0]
        assert sleeper.running() and sleeper.restarts == 0
    finally:
        supervisor.stop(grace_s=5)
    assert not sleeper.running()


def test_after_a_healthy_run_a_killed_service_is_restarted_at_once_every_time(tmp_path):
    supervisor = _supervisor(tmp_path, {"sleeper": RUNS}, healthy_after_s=0.3)
    supervisor.start()
    (sleeper,) = supervisor.children
    try:
        with capture_logs() as logs:
            for kill in range(1, 4):
                pid = sleeper.process.pid
                assert _poll(lambda: time.monotonic() - sleeper.started_at > 0.3, supervisor)
                os.kill(pid, signal.SIGKILL)
                assert _poll(lambda: sleeper.running() and sleeper.process.pid != pid, supervisor)  # noqa: B023 - used at once
                assert sleeper.restarts == kill
        assert [e["restart_in_s"] for e in _exits(logs, "sleeper")] == [0.0, 0.0, 0.0]
        assert [e["exit_code"] for e in _exits(logs, "sleeper")] == [-signal.SIGKILL] * 3
    finally:
        supervisor.stop(grace_s=5)


def test_a_service_that_refuses_its_configuration_is_left_down_with_the_reason(tmp_path):
    bad = {"DATELINE_INGEST_PORT": "eighty"}
    supervisor = _supervisor(tmp_path, {"tiny": REFUSES_ITS_CONFIG, "sleeper": RUNS}, extra_env=bad)
    supervisor.start()
    tiny, sleeper = supervisor.children
    try:
        with capture_logs() as logs:
            assert _poll(lambda: tiny.failure is not None, supervisor)
            for _ in range(5):
                supervisor.tick()
        assert tiny.failure.startswith("tiny: DATELINE_INGEST_PORT='eighty' is invalid")
        assert tiny.restarts == 0 and tiny.restart_at is None
        (event,) = [e for e in logs if e["event"] == "service.failed_config"]
        assert event["name"] == "tiny" and event["exit_code"] == 2 and event["reason"] == tiny.failure
        assert not _exits(logs, "tiny")
        assert supervisor.failures() == {"tiny": tiny.failure}
        assert not supervisor.all_failed() and sleeper.running()
        # the message also reaches the service's log
        assert "DATELINE_INGEST_PORT='eighty'" in (tmp_path / "logs" / "tiny.log").read_text()
    finally:
        supervisor.stop(grace_s=5)


def test_a_refusal_logged_as_a_json_event_is_reported_by_its_reason(tmp_path):
    # what ingest does when it has no keys: an error event with a reason, then exit 2
    script = ("import json, sys\nprint(json.dumps({'reason': 'no API keys', 'event': 'tiny.refused',"
              " 'level': 'error'}), file=sys.stderr)\nsys.exit(2)\n")
    supervisor = _supervisor(tmp_path, {"tiny": script})
    supervisor.start()
    try:
        assert _poll(lambda: supervisor.failures(), supervisor)
    finally:
        supervisor.stop(grace_s=5)
    assert supervisor.failures() == {"tiny": "tiny.refused: no API keys"}


def test_when_every_service_is_down_for_good_supervision_ends(tmp_path):
    supervisor = _supervisor(tmp_path, {"tiny": REFUSES_ITS_CONFIG}, extra_env={"DATELINE_INGEST_PORT": "0"})
    supervisor.start()
    deadline = time.monotonic() + 15
    try:
        supervisor.run_until(lambda: time.monotonic() > deadline)
        assert supervisor.all_failed()
        assert "DATELINE_INGEST_PORT='0'" in supervisor.failures()["tiny"]
    finally:
        supervisor.stop(grace_s=5)


def test_waiting_for_readiness_stops_at_a_service_that_refused_its_configuration(tmp_path):
    supervisor = _supervisor(tmp_path, {"tiny": REFUSES_ITS_CONFIG}, extra_env={"DATELINE_SEARCH_PORT": "99999"})
    supervisor.start()
    try:
        # nothing listens on port 1: without the supervisor this would wait the whole minute
        missing = wait_until_ready({"tiny": "http://127.0.0.1:1/readyz"}, timeout_s=60, supervisor=supervisor)
    finally:
        supervisor.stop(grace_s=5)
    assert list(missing) == ["tiny"]
    assert missing["tiny"] == supervisor.failures()["tiny"]


def test_the_private_redis_is_restarted_with_its_data_after_a_kill(tmp_path):
    server = PrivateRedis(appendonly=True, directory=tmp_path / "redis")
    supervisor = _supervisor(tmp_path, {"sleeper": RUNS}, redis=server)
    supervisor.start()
    redis_child = supervisor.children[0]
    client = redis.Redis.from_url(server.url)
    try:
        client.set("accepted", "yes")  # a reply: the write is in the AOF (page cache at least)
        first_pid = redis_child.process.pid
        os.kill(first_pid, signal.SIGKILL)
        assert _poll(lambda: redis_child.running() and redis_child.process.pid != first_pid, supervisor)
        assert client.get("accepted") == b"yes"
        supervisor.stop(grace_s=5)
        assert not redis_child.running() and not supervisor.children[1].running()
    finally:
        client.close()
        supervisor.stop(grace_s=5)
        server.stop()


def test_the_private_redis_uses_the_configured_fsync_policy(tmp_path):
    for policy in ("always", "everysec"):
        settings = load_settings({"DATELINE_DATA_DIR": str(tmp_path / policy), "DATELINE_REDIS_FSYNC": policy})
        with private_redis(settings) as server:
            client = redis.Redis.from_url(server.url, decode_responses=True)
            assert client.config_get("appendfsync") == {"appendfsync": policy}
            assert client.config_get("appendonly") == {"appendonly": "yes"}
            client.close()
        assert (tmp_path / policy / "redis").is_dir()  # the data directory is kept


def test_up_refuses_at_once_a_port_another_program_listens_on(tmp_path):
    with socket.socket() as other:  # say, a web server on the poller's port
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        env = {**free_ports(), "DATELINE_POLLER_PORT": str(port), "DATELINE_DATA_DIR": str(tmp_path)}
        settings = load_settings(env)
        started = time.monotonic()
        with pytest.raises(NotReady, match=rf"poller's port {port} is taken .* \(set DATELINE_POLLER_PORT"):
            run_stack(settings, 1, "key")
        assert time.monotonic() - started < 5  # before anything started, not after up's deadline
    assert not (tmp_path / "redis").exists()
    assert ports_in_use(settings, 1) == []  # free again once the other program is gone

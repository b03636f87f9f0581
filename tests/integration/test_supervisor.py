import time

from dateline.supervisor import ServiceSpec, Supervisor, child_env


def _poll(condition, supervisor, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervisor.tick()
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_dying_service_is_restarted_and_stop_ends_the_rest(tmp_path):
    (tmp_path / "crasher.py").write_text("import sys; sys.exit(3)\n")
    (tmp_path / "sleeper.py").write_text("import time\nwhile True: time.sleep(1)\n")
    env = child_env("redis://127.0.0.1:1/0", {"PYTHONPATH": str(tmp_path)})
    supervisor = Supervisor([ServiceSpec("crasher", "crasher"), ServiceSpec("sleeper", "sleeper")], env)
    supervisor.start()
    crasher, sleeper = supervisor.children
    first_pid = crasher.process.pid
    try:
        assert _poll(lambda: crasher.restarts >= 1 and crasher.process.pid != first_pid, supervisor)
        assert crasher.backoff > 1.0  # the next restart waits longer
        assert sleeper.exited() is None and sleeper.restarts == 0
    finally:
        supervisor.stop(grace_s=5)
    assert sleeper.exited() is not None

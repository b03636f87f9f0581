"""Where the running stack is: its URLs, and a small file `dateline up` leaves in the data
directory.

`dateline up` and `dateline demo` write ``<DATELINE_DATA_DIR>/stack.json`` once every
service is ready (Redis URL, ports, the key ingest accepts; readable only by its owner)
and remove it when they stop. Every other command reads it for each setting the
environment does not give, so a second terminal needs nothing exported.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from shared.settings import PREFIX, Settings

FILE_NAME = "stack.json"
NOT_SETTINGS = ("pid", "started_at")  # the other fields of the file are settings by name


class StackState(msgspec.Struct, kw_only=True):
    """Named as the settings they stand for, so that merging is field by field."""

    redis_url: str
    ingest_host: str
    ingest_port: int
    search_host: str
    search_port: int
    poller_host: str = "127.0.0.1"  # absent from the files of stacks older than the poller's port
    poller_port: int = 8000
    poll_allow_private: bool = False
    api_key: str = ""
    pid: int
    started_at: datetime


def local_host(host: str) -> str:
    """Where a client on this machine reaches a service bound to ``host``."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def ingest_url(settings: Settings) -> str:
    return f"http://{local_host(settings.ingest_host)}:{settings.ingest_port}"


def search_url(settings: Settings) -> str:
    return f"http://{local_host(settings.search_host)}:{settings.search_port}"


def poller_url(settings: Settings) -> str:
    return f"http://{local_host(settings.poller_host)}:{settings.poller_port}"


def search_headers(settings: Settings, *, admin: bool = False) -> dict[str, str]:
    """The key the CLI sends to the search service: a search key (an admin key also
    searches), or an admin key for ``admin``; none when none is configured."""
    keys = settings.admin_keys if admin else (*settings.search_keys, *settings.admin_keys)
    return {"Authorization": f"Bearer {keys[0]}"} if keys else {}


def state_path(settings: Settings) -> Path:
    return settings.data_path / FILE_NAME


def write_state(settings: Settings, redis_url: str, api_key: str) -> Path:
    path = state_path(settings)
    state = StackState(
        redis_url=redis_url, ingest_host=settings.ingest_host, ingest_port=settings.ingest_port,
        search_host=settings.search_host, search_port=settings.search_port,
        poller_host=settings.poller_host, poller_port=settings.poller_port,
        poll_allow_private=settings.poll_allow_private, api_key=api_key,
        pid=os.getpid(), started_at=datetime.now(UTC),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds a key
    with os.fdopen(descriptor, "wb") as file:
        file.write(msgspec.json.encode(state))
    partial.replace(path)
    return path


def remove_state(settings: Settings) -> None:
    """Remove the file if this process wrote it (another stack may have replaced it)."""
    path = state_path(settings)
    try:
        if msgspec.json.decode(path.read_bytes(), type=StackState).pid == os.getpid():
            path.unlink()
    except (OSError, msgspec.DecodeError):
        pass


def read_state(path: Path) -> StackState | None:
    """The state of a stack that is still running, or None."""
    try:
        state = msgspec.json.decode(path.read_bytes(), type=StackState)
    except (OSError, msgspec.DecodeError):
        return None
    return state if _alive(state.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def with_running_stack(settings: Settings, environ: dict[str, str] | None = None) -> Settings:
    """``settings`` with each field the environment leaves unset taken from the stack file."""
    environ = os.environ if environ is None else environ
    state = read_state(state_path(settings))
    if state is None:
        return settings
    given = {key.removeprefix(PREFIX).lower() for key in environ if key.startswith(PREFIX)}
    if "api_keys" in given:
        given.add("api_key")  # the CLI's key defaults to the first of these
    fields = msgspec.structs.asdict(state)
    taken = {name: value for name, value in fields.items() if name not in given and name not in NOT_SETTINGS}
    return msgspec.structs.replace(settings, **taken)

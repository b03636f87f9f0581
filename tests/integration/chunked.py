"""A long response read off a raw socket one HTTP/1.1 chunk at a time: the server sends
each write of a response with no length as one chunk, so a chunk's size is a write's."""

from __future__ import annotations

import socket
from collections.abc import Iterator


class ChunkedResponse:
    def __init__(self, host: str, port: int, target: str, *, receive_buffer: int | None = None) -> None:
        self.socket = socket.socket()
        if receive_buffer is not None:  # small: the server's writes wait for this client
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.socket.settimeout(30)
        self.socket.connect((host, port))
        self.socket.sendall(f"GET {target} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
        self._buffer = b""
        head = self._until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        assert b"transfer-encoding: chunked" in head.lower(), head

    def chunks(self) -> Iterator[bytes]:
        """Each chunk's data, in order, until the last."""
        while size := int(self._until(b"\r\n"), 16):
            yield self._exactly(size)
            assert self._exactly(2) == b"\r\n"

    def close(self) -> None:
        self.socket.close()

    def _until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            self._receive()
        found, self._buffer = self._buffer.split(marker, 1)
        return found

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._receive()
        found, self._buffer = self._buffer[:size], self._buffer[size:]
        return found

    def _receive(self) -> None:
        data = self.socket.recv(1 << 20)
        assert data, "the server closed the connection mid-response"
        self._buffer += data

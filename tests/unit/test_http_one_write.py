"""A response's head and body leave in one write; a head alone still leaves at once."""

from __future__ import annotations

import asyncio

from shared.http_protocol import OneWrite


class Written:
    """The transport's side: what was written, write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


async def test_head_and_body_leave_together() -> None:
    sent = Written()
    transport = OneWrite(sent, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"{}")
    assert sent.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    await asyncio.sleep(0)  # the flush the head scheduled finds nothing left
    transport.write(b"more")
    assert sent.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}", b"more"]


async def test_a_head_without_body_leaves_on_the_next_turn() -> None:
    sent = Written()
    transport = OneWrite(sent, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
    assert sent.writes == []
    await asyncio.sleep(0)
    assert sent.writes == [b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"]


async def test_close_sends_a_held_head_first() -> None:
    sent = Written()
    transport = OneWrite(sent, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
    transport.close()
    assert sent.writes == [b"HTTP/1.1 500 Internal Server Error\r\n\r\n"]
    assert sent.closed

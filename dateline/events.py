"""Reading server-sent events (``GET /v1/stream``) as a client: lines in, events out.

Follows the WHATWG event-stream rules a browser's EventSource applies: ``id`` sets the
last event id even when a message has no data, a comment is not an event (here it is
handed on as ``kind="comment"``, so a caller can see heartbeats).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
from msgspec import Struct


class ServerEvent(Struct, kw_only=True):
    kind: str  # the `event` field ("message" when absent), or "comment"
    data: str = ""
    id: str | None = None  # the last event id after this message


class EventParser:
    def __init__(self, last_id: str | None = None) -> None:
        self.last_id = last_id
        self._kind = ""
        self._data: list[str] = []
        self._comment: str | None = None

    def feed(self, line: str) -> ServerEvent | None:
        """One line (without its end): the message it completes, if any."""
        if line == "":
            return self._dispatch()
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "":
            self._comment = value
        elif field == "id":
            self.last_id = value
        elif field == "event":
            self._kind = value
        elif field == "data":
            self._data.append(value)
        return None

    def _dispatch(self) -> ServerEvent | None:
        kind, data, comment = self._kind, self._data, self._comment
        self._kind, self._data, self._comment = "", [], None
        if data:
            return ServerEvent(kind=kind or "message", data="\n".join(data), id=self.last_id)
        if comment is not None:
            return ServerEvent(kind="comment", data=comment, id=self.last_id)
        return None


def read_events(response: httpx.Response, last_id: str | None = None) -> Iterator[ServerEvent]:
    parser = EventParser(last_id)
    for line in response.iter_lines():
        event = parser.feed(line)
        if event is not None:
            yield event


async def aread_events(response: httpx.Response, last_id: str | None = None) -> AsyncIterator[ServerEvent]:
    parser = EventParser(last_id)
    async for line in response.aiter_lines():
        event = parser.feed(line)
        if event is not None:
            yield event

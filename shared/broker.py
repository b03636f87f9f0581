"""One way to build the FastStream Redis broker: msgspec bodies, plain JSON entries.

FastStream's default envelope (``BinaryMessageFormatV1``) wraps every body in binary
headers, which redis-cli and non-FastStream consumers cannot read. :class:`PlainJSON`
makes the ``__data__`` field hold exactly the message's JSON, the same bytes
:func:`shared.streams.entry_fields` writes.
"""

from __future__ import annotations

from typing import Any

from fast_depends.msgspec import MsgSpecSerializer
from faststream.redis import RedisBroker
from faststream.redis.parser.message import MessageFormat


class PlainJSON(MessageFormat):
    """The entry body is the message JSON itself; no headers travel with it."""

    @classmethod
    async def encode(cls, *, message, reply_to, headers, correlation_id, serializer=None, codec=None) -> bytes:
        built = await cls.build(
            message=message,
            reply_to=reply_to,
            headers=headers,
            correlation_id=correlation_id,
            serializer=serializer,
            codec=codec,
        )
        return built.data

    @classmethod
    def parse(cls, data: bytes) -> tuple[bytes, dict[str, Any]]:
        return data, {"content-type": "application/json"}


def build_broker(redis_url: str, **kwargs: Any) -> RedisBroker:
    return RedisBroker(
        redis_url,
        serializer=MsgSpecSerializer(),
        message_format=PlainJSON,
        **kwargs,
    )

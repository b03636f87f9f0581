"""What a fuzz case is: a named hostile request, what a good answer to it looks like, and
the few facts of the running stack it may need (the API key, the article accepted before
the fuzz, real cursors to forge from).

Every case is held to the same goals whatever it expects (see :mod:`fuzz.judge`): no 5xx,
an answer within its budget, every error in the one ErrorBody shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Literal
from urllib.parse import urlencode

from msgspec import Struct

from fuzz.wire import RawRequest, request_bytes

Service = Literal["ingest", "search"]

ANSWER_BUDGET_S = 2.0
# A stack that does not say how long it waits for a stalled body must still cut it off.
UNKNOWN_BODY_TIMEOUT_S = 10.0


class Expect(Struct, frozen=True, kw_only=True):
    """The answers a case allows beyond the common goals.

    ``statuses`` empty means any 4xx. ``may_accept`` also allows a 2xx: then every article
    the answer accepted must become searchable (a 202 is a promise). ``field`` must occur in
    the `field` of some entry of `errors`, ``line`` be the `line` of one.
    """

    statuses: tuple[int, ...] = ()
    may_accept: bool = False
    field: str | None = None
    line: int | None = None
    cut_off: bool = False  # the server may also just close the connection (a stalled body)
    # an error is the search page's own: an HTML page (or fragment) for a person, not the
    # JSON ErrorBody (what the router refuses before any page route stays JSON)
    html: bool = False

    def allows(self, status: int) -> bool:
        if 200 <= status < 300:
            return self.may_accept or status in self.statuses
        if self.statuses:
            return status in self.statuses
        return 400 <= status < 500


REFUSED = Expect()
EITHER = Expect(may_accept=True)
OK = Expect(statuses=(200,))


def refused(
    field: str | None = None, *, status: int | None = None, line: int | None = None, html: bool = False,
) -> Expect:
    return Expect(statuses=(status,) if status else (), field=field, line=line, html=html)


class Stage(Struct, frozen=True, kw_only=True):
    """What the stack looks like when the cases are built."""

    api_key: str
    known: dict  # the article accepted before the fuzz, as it was posted
    known_id: str
    max_body_bytes: int
    max_articles: int
    # real `next_cursor` values, by the name of the paged query (search_cases.PAGED_QUERIES)
    cursors: dict[str, str]
    # how long ingest waits for a body that stopped arriving, when it says (else unknown)
    body_timeout_s: float | None = None

    def budget_s(self, case: Case) -> float:
        """A stalled sender must be cut off within 2 s of the server's body deadline."""
        if case.expect.cut_off:
            return (self.body_timeout_s or UNKNOWN_BODY_TIMEOUT_S) + ANSWER_BUDGET_S
        return ANSWER_BUDGET_S


class Case(Struct, frozen=True, kw_only=True):
    name: str
    service: Service
    build: Callable[[Stage], RawRequest]
    expect: Expect = REFUSED


# -- request builders shared by the case lists ------------------------------------------------

JSON = "application/json"
NDJSON = "application/x-ndjson"


def auth(stage: Stage) -> dict[str, str]:
    return {"Authorization": f"Bearer {stage.api_key}"}


def post_articles(
    body: bytes | str | dict | list, content_type: str | None = JSON, **headers: str,
) -> Callable[[Stage], RawRequest]:
    """POST /v1/articles with the key, ``body`` as given (bytes and str are sent as they are)."""

    def build(stage: Stage) -> RawRequest:
        data = _bytes(body)
        fields = {**auth(stage), **({"Content-Type": content_type} if content_type else {}), **headers}
        return RawRequest(head=request_bytes("POST", "/v1/articles", fields, data), body=data, method="POST")

    return build


def post_built(make: Callable[[Stage], bytes | dict | list], content_type: str = JSON) -> Callable[[Stage], RawRequest]:
    """Like :func:`post_articles` for a body that needs the stage (the known article's URL)."""
    return lambda stage: post_articles(make(stage), content_type)(stage)


def search(query: str | dict | list[tuple[str, str]]) -> Callable[[Stage], RawRequest]:
    """GET /v1/search with ``query``: a mapping or pairs are URL-encoded, a str sent as it is."""
    return get_query("/v1/search", query)


def get_query(
    path: str, query: str | dict | list[tuple[str, str]], *, stream: bool = False, **headers: str,
) -> Callable[[Stage], RawRequest]:
    """GET ``path`` with ``query`` as :func:`search` takes it."""
    return get(f"{path}?" + (query if isinstance(query, str) else urlencode(query)), stream=stream, **headers)


def get(target: str | bytes, *, stream: bool = False, **headers: str) -> Callable[[Stage], RawRequest]:
    return lambda _stage: RawRequest(head=request_bytes("GET", target, headers), method="GET", stream=stream)


def _bytes(body: bytes | str | dict | list) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    # json, not msgspec: it writes lone surrogates and other strings msgspec refuses to encode
    return json.dumps(body).encode()

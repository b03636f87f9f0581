"""What ingest's OpenAPI document (/docs/openapi.json) says about ``POST /v1/articles``.

The handler reads its body itself (one JSON article, a JSON array, or NDJSON; each article
judged on its own), so Litestar cannot see the body's type in the handler's signature.
It is declared here instead: a dependency the handler never asks for, whose ``data``
parameter Litestar documents as the request body (and so adds ArticleIn to the schemas),
and an Operation that adds the NDJSON form and the headers of the answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import Provide
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)

from shared.schemas import ArticleIn, ErrorBody

BEARER = "bearer"
SECURITY_SCHEMES = {
    BEARER: SecurityScheme(
        type="http", scheme="bearer", description="One of DATELINE_API_KEYS: `Authorization: Bearer KEY`"
    )
}

def _error(description: str) -> ResponseSpec:
    return ResponseSpec(ErrorBody, description=description, generate_examples=False)


RESPONSES = {
    400: _error("Malformed JSON or bytes that are not UTF-8 (with the field and line), JSON "
                "nested too deeply, or no well-formed article"),
    401: _error("Missing or wrong API key"),
    408: _error("The body did not arrive within DATELINE_BODY_TIMEOUT_S"),
    413: _error("Body over DATELINE_MAX_BODY_BYTES, more articles than "
                "DATELINE_MAX_ARTICLES_PER_REQUEST, or more new ones than DATELINE_MAX_BACKLOG"),
    415: _error("Not JSON or NDJSON, or a charset that is not accepted"),
    422: _error("No article of the request is valid; `errors` names each field"),
    429: _error("Enrichment is behind: this request would take the backlog past "
                "DATELINE_MAX_BACKLOG; nothing was published, send it again after Retry-After"),
    500: _error("A failure of ingest, logged under the request_id"),
    503: _error("Redis unavailable: nothing was published, send it again"),
}


def _articles_for_the_docs(data: ArticleIn | list[ArticleIn]) -> None:
    """Never called (the handler does not ask for it): its ``data`` is the documented body."""


BODY_FOR_THE_DOCS = {"_articles": Provide(_articles_for_the_docs, sync_to_thread=False)}

_REQUEST_ID = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING), description="The request's id, also in the logs (and in an error's body)"
)
_RETRY_AFTER = OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER), description="Seconds to wait before sending again")


@dataclass
class ArticlesOperation(Operation):
    """The operation as Litestar builds it, plus the NDJSON body and the answers' headers."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=(
                "One ArticleIn, or an array of them (`application/json`); or one ArticleIn per "
                "line (`application/x-ndjson`, also `application/ndjson`, `application/jsonl`). "
                "UTF-8 unless the Content-Type names another charset."
            ),
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(one_of=[_ONE_ARTICLE, Schema(type=OpenAPIType.ARRAY, items=_ONE_ARTICLE, min_items=1)])
                ),
                # OpenAPI 3.1 cannot say "lines of": the schema is that of each line.
                "application/x-ndjson": OpenAPIMediaType(schema=_ONE_ARTICLE),
            },
        )
        for status, response in (self.responses or {}).items():
            if isinstance(response, Reference):
                continue
            headers = {"X-Request-ID": _REQUEST_ID}
            if status in ("429", "503"):
                headers["Retry-After"] = _RETRY_AFTER
            response.headers = {**(response.headers or {}), **headers}


_ARTICLE = Reference(ref="#/components/schemas/ArticleIn")
_STRING, _NULL = Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)
# What ArticleIn's field types cannot say: exactly one of text or html, and a title unless
# the page can give one (html).
_ONE_ARTICLE = Schema(all_of=[
    _ARTICLE,
    Schema(one_of=[
        Schema(required=["text", "title"], properties={"text": _STRING, "title": _STRING, "html": _NULL}),
        Schema(required=["html"], properties={"html": _STRING, "text": _NULL}),
    ]),
])

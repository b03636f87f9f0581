"""The CLI's side of the HTTP APIs: push articles to ingest, query search.

Search and the status page are plain GETs done with the standard library (httpx costs a
third of a second to import, more than such a command's whole work); pushing articles,
with its keep-alive connection and retries, uses httpx.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import msgspec

from shared.schemas import ErrorBody, IngestResponse, IngestResult, SearchResponse

if TYPE_CHECKING:
    import httpx

NDJSON = "application/x-ndjson"
# The services are on this machine or named in the settings: never through a proxy.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Unreachable(RuntimeError):
    """Nothing answered at the address (refused, timed out, no such host)."""


class ApiError(RuntimeError):
    """A service answered with an error; the message is its ErrorBody in a sentence."""

    def __init__(self, status: int, body: bytes):
        try:
            error = msgspec.json.decode(body, type=ErrorBody)
            details = "; ".join(
                f"{d.field or ''}{' line ' + str(d.line) if d.line else ''}: {d.reason}".strip(": ")
                for d in error.errors
            )
            message = f"{status} {error.error}: {error.detail}" + (f" ({details})" if details else "")
        except msgspec.DecodeError:
            message = f"{status}: {body[:300].decode(errors='replace')}"
        super().__init__(message)
        self.status = status


class IngestClient:
    def __init__(self, base_url: str, api_key: str, timeout: float = 60.0):
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)

    def push(self, articles: list[bytes]) -> IngestResponse:
        """POST one NDJSON batch (one article's JSON each); retry while the service pushes
        back (429) or is briefly down."""
        body = b"\n".join(articles)
        response = self._post_with_retry(body)
        # no line was valid: still an answer per line
        if response.status_code in (400, 422) and (report := _all_rejected(response.content, len(articles))):
            return report
        try:
            return msgspec.json.decode(response.content, type=IngestResponse)
        except msgspec.DecodeError:  # not a per-article report: an error for the whole request
            raise ApiError(response.status_code, response.content) from None

    def _post_with_retry(self, body: bytes, attempts: int = 30) -> httpx.Response:
        for _ in range(attempts):
            response = self.http.post("/v1/articles", content=body, headers={"Content-Type": NDJSON})
            if response.status_code not in (429, 503):
                return response
            time.sleep(float(response.headers.get("Retry-After", "1")))
        return response

    def close(self) -> None:
        self.http.close()


def _all_rejected(content: bytes, count: int) -> IngestResponse | None:
    """The ErrorBody of an NDJSON request none of whose lines was valid, as the report a
    partly valid request gets; None when the error is not about its lines."""
    try:
        error = msgspec.json.decode(content, type=ErrorBody)
    except msgspec.DecodeError:
        return None
    if len(error.errors) != count or any(d.line is None for d in error.errors):
        return None
    results = [IngestResult(index=d.line - 1, status="rejected", field=d.field, reason=d.reason)
               for d in error.errors]
    return IngestResponse(accepted=0, updated=0, duplicate=0, rejected=count, results=results)


def get(
    url: str, params: list[tuple[str, str]] | None = None, timeout: float = 30.0,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """The status and body of a GET; raises Unreachable when nothing answers."""
    address = f"{url}?{urlencode(params)}" if params else url
    try:
        with _direct.open(urllib.request.Request(address, headers=headers or {}), timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise Unreachable(f"{url}: {getattr(exc, 'reason', exc)}") from None


class SearchClient:
    def __init__(self, base_url: str, timeout: float = 30.0, headers: dict[str, str] | None = None):
        self.base_url = base_url
        self.timeout = timeout
        self.headers = headers or {}

    def search(self, params: list[tuple[str, str]]) -> SearchResponse:
        status, body = get(f"{self.base_url}/v1/search", params, self.timeout, self.headers)
        if status != 200:
            raise ApiError(status, body)
        return msgspec.json.decode(body, type=SearchResponse)

"""One conditional GET of a feed, with the limits an outbound fetcher needs.

Each hop (the URL, then every redirect) is checked by the address policy and connected to
at the address that was checked (the request goes to the IP, with the name in `Host` and
in TLS's SNI, so certificates are still verified against the name). Redirects are
followed by hand up to a limit; a permanent one (301, 308) at the start tells the caller
the feed has moved. The body is read as a stream and abandoned past a size limit; the
whole fetch has one deadline. Failures are :class:`FetchFailed` with a reason in words
and, for 429/503, the server's Retry-After.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import msgspec

from services.poller.addresses import (
    AddressPolicy,
    Refused,
    Resolver,
    checked_address,
    system_resolver,
)
from services.poller.schedule import retry_after_seconds

PERMANENT = {301, 308}
REDIRECTS = {301, 302, 303, 307, 308}
BUSY = {429, 503}
USER_AGENT = "Dateline feed poller (+https://github.com/dateline)"
ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8"


class Limits(msgspec.Struct, frozen=True):
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    timeout_s: float = 30.0


DEFAULT_LIMITS = Limits()


class Fetched(msgspec.Struct, frozen=True):
    """A 200: the feed's bytes and what to send next time to be told "not modified"."""

    url: str  # after redirects: the base of the feed's relative links
    body: bytes
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # a permanent redirect at the start: the feed's new address


class NotModified(msgspec.Struct, frozen=True):
    moved_to: str | None = None


class FetchFailed(Exception):
    def __init__(self, reason: str, retry_after_s: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


async def fetch(client: httpx.AsyncClient, url: str, *, etag: str | None = None, last_modified: str | None = None,
                policy: AddressPolicy, limits: Limits = DEFAULT_LIMITS,
                resolve: Resolver = system_resolver) -> Fetched | NotModified:
    try:
        async with asyncio.timeout(limits.timeout_s):
            return await _follow(client, url, etag, last_modified, policy, limits, resolve)
    except TimeoutError:
        raise FetchFailed(f"no complete answer within {limits.timeout_s:.0f} s") from None
    except Refused as exc:
        raise FetchFailed(str(exc)) from None
    except httpx.HTTPError as exc:
        raise FetchFailed(f"cannot fetch ({type(exc).__name__}: {exc})") from None


async def _follow(client, url, etag, last_modified, policy, limits, resolve) -> Fetched | NotModified:
    moved_to, still_permanent = None, True
    for _hop in range(limits.max_redirects + 1):
        request = await _pinned_request(client, url, etag, last_modified, policy, resolve)
        response = await client.send(request, stream=True)
        try:
            if response.status_code in REDIRECTS and "location" in response.headers:
                target = urljoin(url, response.headers["location"])
                still_permanent = still_permanent and response.status_code in PERMANENT
                moved_to = target if still_permanent else moved_to
                url = target
                continue
            if response.status_code == 304:
                return NotModified(moved_to=moved_to)
            if response.status_code in BUSY:
                raise FetchFailed(f"the server asks to come back later (HTTP {response.status_code})",
                                  retry_after_seconds(response.headers.get("retry-after")))
            if response.status_code != 200:
                raise FetchFailed(f"HTTP {response.status_code}")
            body = await _read_limited(response, limits.max_bytes)
            return Fetched(url=url, body=body, content_type=response.headers.get("content-type", ""),
                           etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"),
                           moved_to=moved_to)
        finally:
            await response.aclose()
    raise FetchFailed(f"more than {limits.max_redirects} redirects")


async def _pinned_request(client: httpx.AsyncClient, url: str, etag: str | None, last_modified: str | None,
                          policy: AddressPolicy, resolve: Resolver) -> httpx.Request:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{url[:200]} is not an http(s) URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = await asyncio.to_thread(checked_address, parts.hostname, port, policy, resolve)
    host = f"[{address}]" if address.version == 6 else str(address)
    pinned = urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))
    headers = {"Host": parts.netloc.rsplit("@", 1)[-1], "User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return client.build_request("GET", pinned, headers=headers, extensions=extensions)


async def _read_limited(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailed(f"the feed is larger than {max_bytes:,} bytes ({int(declared):,})")
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchFailed(f"the feed is larger than {max_bytes:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def new_client() -> httpx.AsyncClient:
    """No proxies from the environment (they would connect by name, unchecked), no
    automatic redirects (each hop is checked), gzip and friends decoded."""
    return httpx.AsyncClient(trust_env=False, follow_redirects=False, timeout=httpx.Timeout(30.0))

"""Requests wrong at the HTTP level: keys, media types, methods, and bytes that are not a
valid HTTP request at all (which uvicorn answers before any route: still our error shape)."""

from __future__ import annotations

import json

from fuzz.case import Case, Expect, Stage, auth, post_articles, refused
from fuzz.ingest_cases import article
from fuzz.wire import RawRequest, request_bytes

ARTICLE = json.dumps(article("http-level")).encode()


def _post(headers: dict[str, str | None]) -> object:
    """POST a valid article with exactly ``headers`` (a None value leaves that header out)."""

    def build(stage: Stage) -> RawRequest:
        fields = {**auth(stage), "Content-Type": "application/json", **headers}
        return RawRequest(head=request_bytes("POST", "/v1/articles", fields, ARTICLE), body=ARTICLE, method="POST")

    return build


def auth_cases() -> list[Case]:
    keys: list[tuple[str, str | None]] = [
        ("no Authorization header", None),
        ("a wrong key", "Bearer not-the-key"),
        ("Basic instead of Bearer", "Basic dXNlcjpwYXNz"),
        ("Bearer and no key", "Bearer "),
        ("Bearer and only spaces", "Bearer      "),
        ("a key of 64 KB", "Bearer " + "k" * 65_536),
    ]
    cases = [
        Case(name=f"auth: {name}", service="ingest", build=_post({"Authorization": value}), expect=refused(status=401))
        for name, value in keys
    ]

    def bare_key(stage: Stage) -> RawRequest:
        return _post({"Authorization": stage.api_key})(stage)

    def non_ascii_key(_stage: Stage) -> RawRequest:
        head = request_bytes("POST", "/v1/articles", {"Content-Type": "application/json"}, ARTICLE)
        head = head.replace(b"\r\n\r\n", b"\r\nAuthorization: Bearer \xff\xfe\xc3\xa3\r\n\r\n")
        return RawRequest(head=head, body=ARTICLE, method="POST")

    return cases + [
        # a NUL is not allowed in a header at all: the HTTP server may refuse it first (400)
        Case(name="auth: a key with a NUL", service="ingest", build=_post({"Authorization": "Bearer a\x00b"}),
             expect=Expect(statuses=(400, 401))),
        Case(name="auth: the key without 'Bearer'", service="ingest", build=bare_key, expect=refused(status=401)),
        Case(name="auth: a key of non-ASCII bytes", service="ingest", build=non_ascii_key, expect=refused(status=401)),
    ]


def media_type_cases() -> list[Case]:
    types = [
        ("no Content-Type", None, 415), ("Content-Type text/plain", "text/plain", 415),
        ("Content-Type multipart/form-data", "multipart/form-data; boundary=x", 415),
        ("Content-Type application/xml", "application/xml", 415),
        ("Content-Type of 10 KB", "application/" + "j" * 10_240, 415),
        ("Content-Type with a raw latin-1 byte", "application/json; charset=\xe9", None),
    ]
    cases = []
    for name, value, status in types:
        expect = refused(status=status) if status else Expect(statuses=(202, 400, 415), may_accept=True)
        cases.append(Case(name=name, service="ingest", build=post_articles(ARTICLE, value), expect=expect))
    return cases


def method_cases() -> list[Case]:
    def call(method: str) -> Case:
        build = lambda stage: RawRequest(
            head=request_bytes(method, "/v1/articles", auth(stage)), method=method)
        return Case(name=f"{method} /v1/articles", service="ingest", build=build, expect=refused(status=405))

    return [call(m) for m in ("GET", "PUT", "DELETE", "PATCH", "HEAD", "TRACE")]


def malformed_http_cases() -> list[Case]:
    """Not HTTP as uvicorn reads it: it must still answer a JSON 400 in our shape."""
    requests = [
        ("a request line of garbage", b"HELLO\r\n\r\n"),
        ("an unknown method", b"FETCH /v1/articles HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("HTTP/2.0 in the request line", b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n"),
        ("HTTP/1.1 with no Host", b"GET /healthz HTTP/1.1\r\n\r\n"),
        ("a header without a colon", b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"),
        ("a header name with a space", b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n"),
        ("a folded header (obs-fold)", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n continued\r\n\r\n"),
        ("a NUL in a header value", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"),
        ("bare LF line endings", b"GET /healthz HTTP/1.1\nHost: x\n\n"),
        ("a header of 100 KB", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 102_400 + b"\r\n\r\n"),
        ("raw UTF-8 in the path", "GET /v1/artícles HTTP/1.1\r\nHost: x\r\n\r\n".encode()),
        ("an absolute-form target to another host", b"GET http://elsewhere.example/v1/articles HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("a target of '*'", b"GET * HTTP/1.1\r\nHost: x\r\n\r\n"),
    ]
    cases = []
    for service in ("ingest", "search"):
        for name, head in requests:
            method = head.split(b" ", 1)[0].decode("latin-1")
            cases.append(Case(
                name=f"{service}: {name}", service=service,
                build=lambda _stage, head=head, method=method: RawRequest(head=head, method=method),
                expect=Expect(statuses=(400, 404, 405, 413, 414, 431), may_accept=True),
            ))
    return cases


def http_cases() -> list[Case]:
    return [*auth_cases(), *media_type_cases(), *method_cases(), *malformed_http_cases()]

"""A local HTTP server the poller tests start: each path answers as the test says."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


class FeedServer:
    def __init__(self, server: ThreadingHTTPServer, routes: dict[str, Route]):
        self.server = server
        self.routes = routes
        self.requests: list[tuple[str, dict[str, str]]] = []  # path and headers, in order

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def feed_server(routes: dict[str, Route] | None = None) -> Iterator[FeedServer]:
    routes = dict(routes or {})
    state: dict[str, FeedServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state["server"].requests.append((self.path, dict(self.headers)))
            route = routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            route(self)

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["server"] = FeedServer(server, routes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["server"]
    finally:
        server.shutdown()
        server.server_close()


def answer(status: int = 200, body: bytes = b"", **headers: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def rss(*items: tuple[str, str]) -> bytes:
    entries = "".join(f"<item><title>{title}</title><link>{link}</link><description>News.</description></item>"
                      for title, link in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>{entries}</channel></rss>'.encode()

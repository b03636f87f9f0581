"""``python -m services.index [serve|search|reindex]``.

- ``serve`` (default): the indexer and the search API on ``DATELINE_SEARCH_PORT``; the
  one process that writes the index.
- ``search``: a read-only search API over the same index (run more of them, each on its
  own ``DATELINE_SEARCH_PORT``, for more search capacity).
- ``reindex``: rebuild the index from its stored articles while the service is down
  (while it runs, ``POST /v1/reindex`` asks it to do the same without stopping).

Each command imports only what it runs (a read-only search process needs no FastStream
or Redis client, a reindex no web framework): start-up time is mostly imports.
"""

from __future__ import annotations

import asyncio
import sys

from shared.logging import configure_logging, get_logger
from shared.settings import Settings, settings_or_exit

USAGE = "usage: python -m services.index [serve|search|reindex]"


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "serve"
    if command not in ("serve", "search", "reindex") or len(argv) > 1:
        print(USAGE, file=sys.stderr)
        return 2
    settings = settings_or_exit("index", needs_redis=command == "serve")
    configure_logging("index", settings.log_level, settings.log_format)
    return {"serve": _serve, "search": _search, "reindex": _reindex}[command](settings)


def _serve(settings: Settings) -> int:
    from services.index.reindex import IndexBusy
    from services.index.service import IndexService, serve

    try:
        return asyncio.run(serve(IndexService(settings)))
    except IndexBusy as exc:
        print(f"index: {exc}; for more search capacity run `python -m services.index search`", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001 - logged for ops; exit 1 lets a supervisor restart us
        get_logger("dateline.index").exception("service.crashed")
        return 1


def _search(settings: Settings) -> int:
    from services.index.api import search_app
    from services.index.tantivy_store import ArticleStore
    from shared.http import serve as serve_http

    # A read-only search process over the same index (no indexer, no reindex).
    serve_http(search_app(ArticleStore(settings.index_dir), settings), settings.search_host, settings.search_port)
    return 0


def _reindex(settings: Settings) -> int:
    import msgspec

    from services.index.reindex import IndexBusy, reindex

    try:
        stats = reindex(settings)
    except IndexBusy as exc:
        print(f"index: {exc}", file=sys.stderr)
        return 1
    print(msgspec.json.encode(stats).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

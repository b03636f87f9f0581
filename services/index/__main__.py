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

import sys

from shared.runtime import Service, run_service, service_settings
from shared.settings import Settings

USAGE = "usage: python -m services.index [serve|search|reindex]"


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "serve"
    if command not in ("serve", "search", "reindex") or len(argv) > 1:
        print(USAGE, file=sys.stderr)
        return 2
    if command == "serve":
        from services.index.service import build

        return run_service("index", build)
    if command == "search":
        return run_service("index", _read_only_search, needs_redis=False)
    return _reindex(service_settings("index", needs_redis=False))


def _read_only_search(settings: Settings) -> Service:
    """A search process over the same index: no indexer, no reindex, no Redis, no FastStream."""
    from services.index.api import search_app
    from services.index.tantivy_store import ArticleStore
    from shared.serving import InLoopServer

    store = ArticleStore(settings.index_dir)

    async def close_store() -> None:
        store.close()

    http = InLoopServer(search_app(store, settings), settings.search_host, settings.search_port)
    return Service("index", settings, http=http, close=(close_store,), started={"read_only": True})


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

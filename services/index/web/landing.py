"""The landing page's search (no query: the facets, points and timeline of the whole
index), kept per commit: computing them reads every article, and most visits open the page
before they search. A commit (or a reindex's switch) changes the store's stamp, and the
next visit computes them again."""

from __future__ import annotations

from collections.abc import Callable

from services.index.domain import SearchResult
from services.index.port import ArticleSearch


class LandingCache:
    def __init__(self, store: ArticleSearch) -> None:
        self._store = store
        self._held: tuple[bytes, SearchResult] | None = None  # replaced whole: no lock

    def result(self, search: Callable[[], SearchResult]) -> SearchResult:
        """The landing search's result for the newest commit, ``search`` run when it changed."""
        stamp = self._store.commit_stamp()  # before searching: a commit meanwhile misses next time
        held = self._held
        if held is not None and held[0] == stamp:
            return held[1]
        result = search()
        self._held = (stamp, result)
        return result

"""The page's state is its URL: the search API's own parameters, nothing else.

Pure: query parameters in, a :class:`PageState` out; links out of a state (a filter added,
a filter removed, a later page) so every click is a plain link that works without
JavaScript, and the API URLs (export, stream) of the same search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Literal
from urllib.parse import urlencode

import msgspec
from msgspec import Struct

from services.index.query import SearchParams

# Repeatable filters, in the order chips show them.
ListName = Literal["entity", "place", "country", "source", "language"]
LIST_NAMES: tuple[ListName, ...] = ListName.__args__  # type: ignore[attr-defined]
# One value each; "from" is a Python keyword, so the field is `since`.
SINGLE_NAMES = {
    "q": "q",
    "from": "since",
    "to": "until",
    "near": "near",
    "bbox": "bbox",
    "focus_only": "focus_only",
    "sort": "sort",
}
SORTS = ("relevance", "newest", "oldest")


class PageState(Struct, frozen=True, kw_only=True):
    """One search as the page shows it; empty strings and tuples mean "not given"."""

    q: str = ""
    entity: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    since: str = ""
    until: str = ""
    near: str = ""
    bbox: str = ""
    focus_only: bool = False
    sort: str = ""  # "" is the API's default: relevance with a query, newest without

    @classmethod
    def from_query(cls, query: Mapping[str, Sequence[str]]) -> PageState:
        """From the parameters of a URL, each name with all its values (empty ones dropped)."""
        lists = {
            name: _unique(v.strip() for v in query.get(name, ()) if v.strip())
            for name in LIST_NAMES
        }
        singles = {field: _last(query.get(name, ())) for name, field in SINGLE_NAMES.items()}
        focus = singles.pop("focus_only").lower() in ("true", "1", "on", "yes")
        return cls(**lists, **singles, focus_only=focus)

    def pairs(self) -> list[tuple[str, str]]:
        """The URL's parameters, in one order, so one search has one URL."""
        out: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        for name in LIST_NAMES:
            out += [(name, value) for value in getattr(self, name)]
        for name, field in SINGLE_NAMES.items():
            value = getattr(self, field)
            if name == "focus_only":
                value = "true" if value else ""
            if value and name != "q":
                out.append((name, value))
        return out

    def url(self, path: str = "/", **extra: str) -> str:
        query = "&".join(
            q for q in (_query(self), urlencode([(k, v) for k, v in extra.items() if v])) if q
        )
        return f"{path}?{query}" if query else path

    def url_adding(self, name: ListName, value: str) -> str:
        """This search narrowed by one more value of a list filter (a facet, a point, a tag),
        as a link; made without re-encoding the rest (a page has hundreds of these links)."""
        if value in getattr(self, name):
            return self.url()
        return self.url(**{name: value})

    def without(self, name: str, value: str | None = None) -> PageState:
        """This search with one filter value (or a whole single-valued filter) removed."""
        if name in LIST_NAMES:
            return msgspec.structs.replace(
                self, **{name: tuple(v for v in getattr(self, name) if v != value)}
            )
        field = SINGLE_NAMES[name]
        return msgspec.structs.replace(self, **{field: False if field == "focus_only" else ""})

    def is_empty(self) -> bool:
        return not self.pairs()

    def search_params(self, **page: str | list[str] | None) -> SearchParams:
        """The search API's parameters for this state plus ``page`` (size, facets, cursor ...)."""
        return SearchParams(
            q=self.q or None,
            entity=list(self.entity),
            place=list(self.place),
            country=list(self.country),
            source=list(self.source),
            language=list(self.language),
            published_from=self.since or None,
            published_to=self.until or None,
            near=self.near or None,
            bbox=self.bbox or None,
            focus_only="true" if self.focus_only else None,
            sort=self.sort or None,
            **page,
        )


@lru_cache(maxsize=256)
def _query(state: PageState) -> str:
    return urlencode(state.pairs())


def _unique(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _last(values: Sequence[str]) -> str:
    return values[-1].strip() if values else ""

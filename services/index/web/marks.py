"""An article's text cut into plain runs and marked mentions (entities and places), by kind.

Pure. Mentions come from the spans enrichment recorded; where two overlap (a place is
usually also a GPE entity) the place wins, then the longer, then the earlier one.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from shared.schemas import EnrichedArticle

Field = Literal["title", "text"]
# Kinds the page colours; every other entity label is "other".
KINDS = {
    "PERSON": "person",
    "ORG": "org",
    "NORP": "group",
    "FAC": "facility",
    "EVENT": "event",
    "GPE": "place",
    "LOC": "place",
}


class Mark(Struct, frozen=True, kw_only=True):
    start: int
    end: int
    kind: str  # person, org, group, facility, event, place, other
    label: str  # what a person reads on hover: the entity's label or the resolved place
    param: str  # the search filter it links to: "entity" or "place"
    value: str  # that filter's value


class Run(Struct, frozen=True):
    text: str
    mark: Mark | None = None


def mentions(article: EnrichedArticle, field: Field) -> list[Mark]:
    """Every mention in ``field`` with its kind and search link, before overlaps are settled."""
    marks = []
    for place in article.places:
        where = (
            f"{place.resolved_name}, {place.country_code}"
            if place.country_code
            else place.resolved_name
        )
        marks += [
            Mark(
                start=s.start,
                end=s.end,
                kind="place",
                label=where,
                param="place",
                value=str(place.geonames_id),
            )
            for s in place.spans
            if s.field == field
        ]
    for entity in article.entities:
        marks += [
            Mark(
                start=s.start,
                end=s.end,
                kind=KINDS.get(entity.label, "other"),
                label=entity.label,
                param="entity",
                value=f"{entity.label}:{entity.text}",
            )
            for s in entity.spans
            if s.field == field
        ]
    return marks


def runs(text: str, marks: list[Mark]) -> list[Run]:
    """``text`` as runs: plain ones between the marked mentions that do not overlap."""
    chosen: list[Mark] = []
    for mark in sorted(marks, key=lambda m: (m.param != "place", -(m.end - m.start), m.start)):
        inside = 0 <= mark.start < mark.end <= len(text)
        if inside and not any(c.start < mark.end and mark.start < c.end for c in chosen):
            chosen.append(mark)
    out, at = [], 0
    for mark in sorted(chosen, key=lambda m: m.start):
        if mark.start > at:
            out.append(Run(text[at : mark.start]))
        out.append(Run(text[mark.start : mark.end], mark))
        at = mark.end
    if at < len(text):
        out.append(Run(text[at:]))
    return out

"""What NER hands to geotagging: one mention of a named thing, located in the article."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct


class Mention(Struct, frozen=True):
    """One NER mention. Offsets are into the *original* title or text, never a cleaned copy."""

    field: Literal["title", "text"]
    start: int
    end: int
    text: str
    label: str  # spaCy's label: GPE, LOC, FAC, NORP, ORG, PERSON, ...

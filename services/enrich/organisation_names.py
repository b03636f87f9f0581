"""One organisation's name NER read as two: "United Nations Office" and "Coordination of
Humanitarian Affairs" for "United Nations Office for the Coordination of Humanitarian
Affairs". The small English model ends a name at the lower-case word that joins its
parts; ``joined_organisations`` joins them again.

Two mentions are one name when they stand side by side, the first an organisation's
ending in the word that makes it an institution (:data:`ORGANISATION_HEADS`: "Office",
"Committee"), the second an organisation's or a capitalised run NER left unlabelled, and
only a connector such names hold stands between them (:data:`CONNECTORS`; not "and": "the
Home Office and Foreign Office" are two).

Run after :func:`services.enrich.name_spans.named_parts`, on the names it cut: every
connector's words are particles it keeps inside a name, so a name NER read whole is kept
whole there and one it read in two is joined here; the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from services.enrich.mentions import Mention
from services.enrich.place_mentions import ORGANISATION_WORDS, word_in

# The words that end an organisation's name before what it is for or of ("Office for
# the Coordination of ...", "Commission on Human Rights", "Ministry of Defence").
ORGANISATION_HEADS = ORGANISATION_WORDS | frozenset(
    """committee commission organization organisation institute fund programme program
    board authority bureau service council foundation secretariat tribunal""".split()  # noqa: SIM905
)
CONNECTORS = ("for", "for the", "of", "of the", "on")
_CONNECTOR = re.compile(rf" (?:{'|'.join(sorted(CONNECTORS, key=len, reverse=True))}) ")
# A run of capitalised words NER left unlabelled, after a connector: "Foreign Affairs".
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’&-]*(?: [A-Z][\w'’&-]*)*\b")


def joined_organisations(mentions: Iterable[Mention], fields: Mapping[str, str]) -> list[Mention]:
    """The mentions, each organisation's name NER cut at a connector joined again into one
    mention (see the module's docstring); the others as they were, in their order."""
    ordered = sorted(mentions, key=lambda m: (m.field, m.start, m.end))
    taken = {(m.field, i) for m in ordered for i in range(m.start, m.end)}
    joined: list[Mention] = []
    for mention in ordered:
        last = joined[-1] if joined else None
        if last is not None and _one_name(last, mention, fields[mention.field]):
            joined[-1] = _spanning(last, mention.end, fields[mention.field])
            continue
        joined.append(mention)
    return [_with_unlabelled_run(m, fields[m.field], taken) for m in joined]


def _one_name(first: Mention, second: Mention, text: str) -> bool:
    """The second mention an organisation's, continuing the first's name."""
    return (
        first.field == second.field
        and second.label == "ORG"
        and _continues(first, second.start, text)
    )


def _continues(first: Mention, at: int, text: str) -> bool:
    """An organisation's name ending in an institution's head word, then a connector
    that ends at ``at``."""
    words = first.text.split()
    head = words[-1] if words else ""
    return (
        first.label == "ORG"
        and word_in(head, ORGANISATION_HEADS)
        and _CONNECTOR.fullmatch(text, first.end, at) is not None
    )


def _with_unlabelled_run(mention: Mention, text: str, taken: set[tuple[str, int]]) -> Mention:
    """The mention run on over a connector and a capitalised run no mention holds."""
    connector = _CONNECTOR.match(text, mention.end)
    if connector is None or not _continues(mention, connector.end(), text):
        return mention
    run = _CAPITALISED_RUN.match(text, connector.end())
    if run is None or any((mention.field, i) in taken for i in range(run.start(), run.end())):
        return mention
    return _spanning(mention, run.end(), text)


def _spanning(first: Mention, end: int, text: str) -> Mention:
    return Mention(first.field, first.start, end, text[first.start : end], first.label)

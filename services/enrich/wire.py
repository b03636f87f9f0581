"""Wire agencies and the credit lines that name them ("With reporting by dpa, Reuters and AFP").

Agency credits are organisations the small NER model often misses or mislabels ("dpa" in
lower case, "AP" read as a place). Names that are also common words or places elsewhere
("AP", "PA", "ANI") count only in a credit: a sign-off line, a parenthesised credit
("(AP) —"), or "AP reported".
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

AGENCIES = (
    "Reuters", "Thomson Reuters", "Associated Press", "AFP", "Agence France-Presse",
    "Agence France Presse", "dpa", "DPA", "Deutsche Presse-Agentur", "Xinhua", "TASS",
    "Interfax", "RIA Novosti", "Kyodo", "Kyodo News", "Yonhap", "EFE", "ANSA", "Anadolu",
    "Anadolu Agency", "Bernama", "Press Trust of India", "IANS", "UNB", "WAFA", "KUNA", "SANA",
    "IRNA", "Bloomberg", "Jiji Press", "Belga", "APA", "ATS", "Notimex",
)  # fmt: skip
AMBIGUOUS_AGENCIES = ("AP", "PA", "PTI", "ANI", "UPI", "CP", "AAP")

_CREDIT_BEFORE = re.compile(r"(?:according to|told|by|with|from|,|and)\s+(?:the\s+)?$")
_CREDIT_AFTER = re.compile(r"^(?:'s)?\s*(?:reported|reports|said|says|cited|news agency|wire\b)")


def _alternation(names: tuple[str, ...]) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


AGENCY = re.compile(rf"(?<![\w-])(?:{_alternation(AGENCIES)})(?![\w-])")
AMBIGUOUS_AGENCY = re.compile(rf"(?<![\w./-])(?:{_alternation(AMBIGUOUS_AGENCIES)})(?![\w/-])")
ANY_AGENCY = _alternation(AGENCIES + AMBIGUOUS_AGENCIES)
# "(Reuters, AFP, dpa, AP)" closing a story, or a dateline's "(AP) —".
PARENTHESISED_CREDIT = re.compile(rf"\((?:{ANY_AGENCY})(?:\s*(?:,|/|and|&)\s*(?:{ANY_AGENCY}))*\)")


def agency_credits(line: str) -> list[tuple[int, int]]:
    """Spans of agency names credited in ``line`` (one line of the article)."""
    found = [(m.start(), m.end()) for m in AGENCY.finditer(line)]
    credited = [(m.start(), m.end()) for m in PARENTHESISED_CREDIT.finditer(line)]
    credit_starts = [start for start, _ in credited]
    for match in AMBIGUOUS_AGENCY.finditer(line):
        # Credits do not overlap: only the last one starting before the name can hold it.
        last = bisect_right(credit_starts, match.start()) - 1
        in_credit = last >= 0 and match.start() < credited[last][1]
        if in_credit or _credited_in_words(line, match.start(), match.end()):
            found.append((match.start(), match.end()))
    return sorted(found)


def _credited_in_words(line: str, start: int, end: int) -> bool:
    """ "AP reported", "told the AP", "by dpa and AP": the name is credited as a source."""
    before, after = line[max(0, start - 20) : start], line[end : end + 20]
    return bool(_CREDIT_BEFORE.search(before) and _credits_nearby(line)) or bool(
        _CREDIT_AFTER.search(after)
    )


@lru_cache(maxsize=4)  # asked for each ambiguous name of the line: read the line once
def _credits_nearby(line: str) -> bool:
    return bool(AGENCY.search(line)) or bool(re.search(r"(?i)\breport|\btold\b|according", line))

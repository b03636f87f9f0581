"""How often an English word is written in lower case: "coal", "solitude" and "meta" are
common words whose capital says little; "Paris" and "Georgia" are almost only names.

The shares come from spaCy's English word probabilities, derived once into
``data/words/common_words.tsv`` (see ``data/words/derive_common_words.py``) and read on
first use, not at import.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("data") / "words" / "common_words.tsv"
# The least share the file lists (derive_common_words.MIN_SHARE): a word written in lower
# case less often has no share, 0, as if it were never written so.
LEAST_LISTED_SHARE = 0.1


def lower_case_share(name: str) -> float:
    """The share of the word's uses written in lower case (0 for a name of several words,
    a rare word or one almost only capitalised)."""
    if " " in name or "-" in name:
        return 0.0
    return _shares().get(name.lower(), 0.0)


@cache
def _shares() -> dict[str, float]:
    shares = {}
    with WORDS_FILE.open(encoding="utf-8") as rows:
        for row in rows:
            if not row.startswith("#"):
                word, share = row.split("\t")
                shares[word] = float(share)
    return shares

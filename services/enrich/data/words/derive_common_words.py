"""Derive ``common_words.tsv`` once, by hand, from spaCy's English word probabilities
(see README.md here).

Not run by the project: it reads ``en_lexeme_prob.json.gz`` of the PyPI package
spacy-lookups-data 1.0.5 (98 MB, which the project does not depend on). Run as
``python derive_common_words.py PATH/en_lexeme_prob.json.gz > common_words.tsv``.

The probabilities are of words as written, case kept: "coal" is written in lower case
nine times in ten, "Paris" almost never. Each row is a word that is written in lower case
at least ``MIN_SHARE`` of the time and is not rare: the word in lower case and that share.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import sys

MIN_LOG_PROB = -15.0  # rarer words say nothing either way (most of the list sits near -18.9)
MIN_SHARE = 0.1
UNSEEN = -25.0  # a form the list lacks
WORD = re.compile(r"[a-z]{3,}$")


def rows(probabilities: dict[str, float]):
    for word, log_prob in sorted(probabilities.items()):
        if not WORD.match(word) or log_prob < MIN_LOG_PROB:
            continue
        capitalised = probabilities.get(word.capitalize(), UNSEEN)
        share = 1.0 / (1.0 + math.exp(capitalised - log_prob))
        if share >= MIN_SHARE:
            yield f"{word}\t{share:.2f}"


def main(path: str) -> None:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        probabilities = json.load(f)
    print("# word\tshare of its uses written in lower case (spacy-lookups-data 1.0.5, MIT)")
    for row in rows(probabilities):
        print(row)


if __name__ == "__main__":
    main(sys.argv[1])

"""How much of a gold article text an extraction got, the way the article-extraction
benchmark scores it (scrapinghub/article-extraction-benchmark, ``evaluate.py``). Pure.

- A text is its word tokens (``\\w+``, case kept) read as overlapping shingles of four.
- Per page, the shingles in both (counted with multiplicity) are true positives, those
  only extracted false positives, those only in the gold false negatives; the three are
  divided by their sum, so that every page weighs the same whatever its length.
- Precision is the mean over the pages that extracted something or had something to find
  wrong; recall likewise over the pages with gold text; F1 is the harmonic mean of those
  two means (not a mean of per-page F1s). "Exact" is the share of pages whose token
  sequence equals the gold's.
- The spread is the standard deviation of each figure over bootstrap resamples of the pages.
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from collections.abc import Sequence

from msgspec import Struct

WORD = re.compile(r"\w+")
SHINGLE = 4


class Overlap(Struct, frozen=True):
    """One page: true positives, false positives, false negatives, as shares of their sum."""

    tp: float
    fp: float
    fn: float
    exact: bool

    @property
    def precision(self) -> float | None:
        """None when the page does not count towards precision."""
        if self.tp + self.fp == 0:
            return None
        return 1.0 if self.fp == self.fn == 0 else self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        """None when the page does not count towards recall."""
        if self.tp + self.fn == 0:
            return None
        return 1.0 if self.fp == self.fn == 0 else self.tp / (self.tp + self.fn)


class Scores(Struct, frozen=True):
    f1: float
    precision: float
    recall: float
    exact: float


class Spread(Struct, frozen=True):
    """Scores over all pages and their bootstrap standard deviations."""

    scores: Scores
    deviation: Scores


def shingles(text: str) -> Counter[tuple[str, ...]]:
    words = WORD.findall(text)
    if len(words) < SHINGLE:  # a short text is one shingle of what it has
        return Counter([tuple(words)] if words else [])
    return Counter(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def overlap(gold: str, extracted: str) -> Overlap:
    want, got = shingles(gold), shingles(extracted)
    tp, fp, fn = sum((want & got).values()), sum((got - want).values()), sum((want - got).values())
    total = tp + fp + fn
    exact = WORD.findall(gold) == WORD.findall(extracted)
    if total == 0:
        return Overlap(0.0, 0.0, 0.0, exact)
    return Overlap(tp / total, fp / total, fn / total, exact)


def scores(pages: Sequence[Overlap]) -> Scores:
    precisions = [p for page in pages if (p := page.precision) is not None]
    recalls = [r for page in pages if (r := page.recall) is not None]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    exact = statistics.mean(page.exact for page in pages) if pages else 0.0
    return Scores(f1=f1, precision=precision, recall=recall, exact=exact)


def with_spread(pages: Sequence[Overlap], resamples: int = 1000, seed: int = 0) -> Spread:
    rng = random.Random(seed)
    drawn = [scores(rng.choices(pages, k=len(pages))) for _ in range(resamples)]

    def deviation(field: str) -> float:
        return statistics.stdev(getattr(s, field) for s in drawn) if len(drawn) > 1 else 0.0

    return Spread(scores(pages), Scores(*(deviation(f) for f in Scores.__struct_fields__)))

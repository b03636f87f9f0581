"""The extraction benchmark's score (bench/text_overlap.py) on texts worked out by hand."""

from __future__ import annotations

import pytest

from bench.text_overlap import Overlap, overlap, scores, shingles, with_spread

GOLD = "The ferry resumed on Monday after the storm passed over Gozo."  # 11 words, 8 shingles


def test_a_text_is_read_as_overlapping_shingles_of_four_words() -> None:
    assert shingles("a b c d e") == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles("two words") == {("two", "words"): 1}
    assert shingles("  ... ") == {}


def test_the_same_text_in_other_markup_is_a_perfect_extraction() -> None:
    page = overlap(GOLD, "The ferry resumed on Monday\n\nafter the storm passed over Gozo!")
    assert (page.precision, page.recall, page.exact) == (1.0, 1.0, True)


def test_extra_text_costs_precision_and_missing_text_costs_recall() -> None:
    more = overlap(GOLD, GOLD + " Subscribe to our newsletter today")  # 5 more shingles
    assert more.recall == 1.0
    assert more.precision == pytest.approx(8 / 13)
    less = overlap(GOLD, "The ferry resumed on Monday after")  # 3 of the 8 shingles
    assert less.precision == 1.0
    assert less.recall == pytest.approx(3 / 8)
    assert not less.exact


def test_every_page_weighs_the_same_and_f1_is_taken_from_the_means() -> None:
    pages = [Overlap(0.5, 0.5, 0.0, False), Overlap(1.0, 0.0, 0.0, True)]
    got = scores(pages)
    assert got.precision == pytest.approx(0.75)
    assert got.recall == pytest.approx(1.0)
    assert got.f1 == pytest.approx(2 * 0.75 / 1.75)
    assert got.exact == 0.5


def test_a_page_with_nothing_extracted_counts_for_recall_only() -> None:
    empty = overlap(GOLD, "")
    assert empty.precision is None and empty.recall == 0.0
    got = scores([empty, overlap(GOLD, GOLD)])
    assert (got.precision, got.recall) == (1.0, 0.5)


def test_the_spread_is_zero_when_every_page_scores_the_same() -> None:
    spread = with_spread([overlap(GOLD, GOLD)] * 5, resamples=20)
    assert spread.scores.f1 == 1.0
    assert spread.deviation.f1 == 0.0
    varied = with_spread([overlap(GOLD, GOLD), overlap(GOLD, "")] * 5, resamples=50)
    assert varied.deviation.recall > 0

"""The CoNLL-2003 evaluation's reading and scoring (bench/eval_ner.py), on lines written here."""

from __future__ import annotations

from collections import Counter

from bench.eval_ner import GoldSpan, Score, Sentence, detokenised, document, gold_chunks


def test_iob1_tags_give_one_span_per_name_and_b_splits_two_adjacent_names():
    tags = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "O", "I-ORG"]
    assert list(gold_chunks(tags)) == [(0, 2, "PER"), (3, 4, "LOC"), (4, 5, "LOC"), (6, 7, "ORG")]


def test_tokens_are_joined_back_into_prose_with_their_offsets():
    tokens = ["Japan", "'s", "coach", "(", "Reuters", ")", "said", '"', "no", '"', "."]
    text, offsets = detokenised(tokens)
    assert text == 'Japan\'s coach (Reuters) said "no".'
    assert [text[o : o + len(t)] for o, t in zip(offsets, tokens, strict=True)] == tokens


def test_the_headline_is_the_title_and_gold_spans_point_at_their_names():
    doc = document(
        [
            Sentence(["SOCCER", "-", "JAPAN", "WIN", "."], ["O", "O", "I-LOC", "O", "O"]),
            Sentence(
                ["AL-AIN", ",", "United", "Arab", "Emirates"],
                ["I-LOC", "O", "I-LOC", "I-LOC", "I-LOC"],
            ),
            Sentence(
                ["Nadim", "Ladki", "scored", "for", "Syria", "."],
                ["I-PER", "I-PER", "O", "O", "I-LOC", "O"],
            ),
            Sentence(["German", "fans", "cheered", "."], ["I-MISC", "O", "O", "O"]),
        ]
    )
    assert doc.title == "SOCCER - JAPAN WIN."
    assert doc.text.splitlines()[0] == "AL-AIN, United Arab Emirates"
    fields = {"title": doc.title, "text": doc.text}
    assert [(fields[g.field][g.start : g.end], g.label) for g in doc.gold] == [
        ("JAPAN", "LOC"),
        ("AL-AIN", "LOC"),
        ("United Arab Emirates", "LOC"),
        ("Nadim Ladki", "PER"),
        ("Syria", "LOC"),
    ]  # MISC is not scored


def test_exact_spans_and_labels_are_scored_micro_and_per_label():
    gold = [{GoldSpan("text", 0, 5, "PER"), GoldSpan("text", 10, 15, "LOC")}]
    predicted = [{GoldSpan("text", 0, 5, "PER"), GoldSpan("text", 10, 15, "ORG")}]
    score = Score.of(gold, predicted)
    assert (score.tp, score.fp, score.fn) == (Counter(PER=1), Counter(ORG=1), Counter(LOC=1))
    assert score.prf() == (0.5, 0.5, 0.5)
    assert score.prf("PER") == (1.0, 1.0, 1.0)

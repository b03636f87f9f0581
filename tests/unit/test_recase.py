"""Lines in capitals recased for NER, letter for letter, in the article's own casing."""

from __future__ import annotations

from spacy.lang.en.stop_words import STOP_WORDS

from services.enrich.passages import passages
from services.enrich.recase import casing_of, is_upper_case, recased, recased_passages

FUNCTION_WORDS = frozenset(STOP_WORDS)
TITLE = "NATO TROOPS LEAVE KABUL AS LG PLANT REOPENS IN STRAßBURG"
TEXT = (
    "KABUL 2021-08-30\n"
    "The last NATO troops left Kabul on Monday, officials in Brussels said.\n"
    "Kabul airport was closed to civilian traffic.\n"
)


def test_a_line_in_capitals_is_one_with_enough_letters_mostly_capitals():
    assert is_upper_case(TITLE)
    assert is_upper_case("KABUL 2021-08-30")
    assert not is_upper_case("UN 12")  # too few letters to tell
    assert not is_upper_case("The last NATO troops left Kabul on Monday.")


def test_words_take_the_case_the_article_writes_them_in_and_the_length_never_changes():
    casing = casing_of([TITLE, TEXT], FUNCTION_WORDS)
    title = recased(TITLE, casing)
    assert title == "NATO troops Leave Kabul as LG Plant Reopens in Straßburg"
    assert len(title) == len(TITLE)
    assert recased("KABUL 2021-08-30", casing) == "Kabul 2021-08-30"


def test_a_sentence_start_says_nothing_about_a_words_case():
    casing = casing_of(["Kabul was quiet. Troops left.", "They left kabul."], FUNCTION_WORDS)
    assert casing.forms["kabul"] == "kabul"  # the only case seen outside a sentence start
    assert "troops" not in casing.forms


def test_only_passages_in_capitals_are_read_recased_and_their_text_stays_as_written():
    found = recased_passages(passages("text", TEXT), [TITLE, TEXT], FUNCTION_WORDS)
    assert [p.read_as for p in found] == ["Kabul 2021-08-30", None, None]
    assert [p.text for p in found] == TEXT.splitlines()
    assert [p.for_ner for p in found] == ["Kabul 2021-08-30", *TEXT.splitlines()[1:]]

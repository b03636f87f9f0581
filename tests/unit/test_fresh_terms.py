"""The terms a changed article holds, as standing queries read them: the same set as the
index's en_stem analyser gives, on the short cut for ASCII text and off it."""

from __future__ import annotations

import pytest

from services.index.tantivy_store.fresh import (
    TOKEN_LIMIT,
    _analysers,
    held_terms,
    terms_by_position,
    tokens_at,
)

TEXTS = [
    "Dockers STOPPED work at the harbour's gates; strikes spread (again) to 3 ports.",
    "e-mail, co-operation & U.S.A. -- 2024/25: 1,500 jobs_lost at Lyon's port #4",
    f"{'x' * (TOKEN_LIMIT - 1)} kept, {'y' * TOKEN_LIMIT} dropped, {'z' * (TOKEN_LIMIT + 5)} dropped too",
    "Running runners ran; generously generous generations",
    "Café owners in São Paulo protest; Zürich's Bürgermeister responds",  # not ASCII: the analyser
    "नई दिल्ली में बाढ़",  # combining vowel signs: letters to tantivy
    "",
    "   ...   ",
]


@pytest.mark.parametrize("text", TEXTS)
def test_held_terms_are_the_analysers(text):
    assert held_terms(text) == set(_analysers()[3].analyze(text))


@pytest.mark.parametrize("text", TEXTS)
def test_terms_by_position_are_the_analysers(text):
    assert terms_by_position(text) == tokens_at(text)


def test_a_word_stemmed_before_is_stemmed_alike():
    assert held_terms("Strikes striking") == held_terms("strikes STRIKING") == {"strike"}

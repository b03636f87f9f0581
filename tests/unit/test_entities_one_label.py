"""One entity, one label: short forms, legal forms and the names in tables and lists."""

from __future__ import annotations

from services.enrich.entities import entities_of, without_legal_form
from services.enrich.missed_mentions import Article, confirmed_in_headlines, with_repeats
from tests.unit.test_entities import mention

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

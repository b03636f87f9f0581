"""Entities from mentions, and the mentions NER misses: pure functions on texts written here."""

from __future__ import annotations

from collections import Counter

from services.enrich.entities import (
    entities_of,
    relabelled_as_places,
    trimmed,
    with_entity_labels,
)
from services.enrich.entity_labels import corrected_labels
from services.enrich.mentions import Mention
from services.enrich.missed_mentions import (
    Article,
    abbreviates,
    confirmed_in_headlines,
    with_acronyms,
    with_agency_credits,
    with_listed_places,
    with_missed_mentions,
    with_repeats,
)
from services.enrich.name_spans import (
    PARTICLES,
    at_semicolons,
    named_parts,
    sentence_start_word,
    title_before_name,
    without_score,
)
from services.enrich.organisation_names import CONNECTORS, joined_organisations
from services.enrich.wire import agency_credits
from shared.schemas import Entity, Span
from tests.factories import place


def mention(text: str, name: str, label: str, nth: int = 0, field: str = "text") -> Mention:
    """The ``nth`` occurrence of ``name`` in ``text`` as a mention."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(name, start + 1)
    return Mention(field, start, start + len(name), name, label)


def spans_of(text: str, mentions: list[Mention]) -> list[tuple[str, str]]:
    return [(text[m.start : m.end], m.label) for m in mentions]


# -- trimming ----------------------------------------------------------------------------


def test_trimming_drops_a_leading_the_and_a_possessive_and_keeps_offsets_true():
    text = "Troops of the Kivu Brigade's second unit met the Hague's envoys in the U.S."
    for raw, expected in [
        ("the Kivu Brigade's", "Kivu Brigade"),
        ("Brigade's second", "Brigade's second"),
        ("the Hague's", "Hague"),
        ("the U.S.", "U.S."),
    ]:
        found = trimmed(mention(text, raw, "ORG"))
        assert found is not None
        assert (found.text, text[found.start : found.end]) == (expected, expected)


def test_trimming_cuts_what_follows_a_persons_possessive_or_an_unclosed_bracket():
    text = "Asha Mwangi's Easter show aired. The Church of Unity (Unity Movement left."
    person = trimmed(mention(text, "Asha Mwangi's Easter", "PERSON"))
    church = trimmed(mention(text, "Church of Unity (Unity Movement", "ORG"))
    assert person is not None and church is not None
    assert (person.text, text[person.start : person.end]) == ("Asha Mwangi", "Asha Mwangi")
    assert church.text == "Church of Unity"
    organisation = trimmed(mention("Lloyd's of London rose.", "Lloyd's of London", "ORG"))
    assert organisation is not None and organisation.text == "Lloyd's of London"


def test_trimming_a_mention_with_nothing_left_gives_none():
    assert trimmed(Mention("text", 0, 2, "’s", "ORG")) is None


# -- merging -----------------------------------------------------------------------------

BODY = (
    "General Amadou Kone Diallo visited Bamako. Diallo said the Malian Defence Force had "
    "retaken the town. Kone Diallo later flew to Mopti. Malian Defence Force officers agreed."
)


def test_short_forms_of_a_person_join_the_fullest_form_with_every_span():
    mentions = [
        mention(BODY, "Amadou Kone Diallo", "PERSON"),
        mention(BODY, "Diallo", "PERSON", nth=1),
        mention(BODY, "Kone Diallo", "PERSON", nth=1),
        mention(BODY, "Bamako", "GPE"),
    ]
    [person] = [e for e in entities_of(mentions) if e.label == "PERSON"]
    assert person.text == "Amadou Kone Diallo"
    assert person.count == 3
    assert [BODY[s.start : s.end] for s in person.spans] == [
        "Amadou Kone Diallo",
        "Diallo",
        "Kone Diallo",
    ]


def test_a_short_form_shared_by_two_people_stays_apart():
    text = "Ana Silva met Rui Silva. Silva left."
    mentions = [
        mention(text, "Ana Silva", "PERSON"),
        mention(text, "Rui Silva", "PERSON"),
        mention(text, "Silva", "PERSON", nth=2),
    ]
    assert sorted(e.text for e in entities_of(mentions)) == ["Ana Silva", "Rui Silva", "Silva"]


def test_one_word_does_not_stand_for_an_organisation_and_places_are_never_shortened():
    text = "The Islamic Party met the Party. New Guinea is not Guinea."
    mentions = [
        mention(text, "Islamic Party", "ORG"),
        mention(text, "Party", "ORG", nth=1),
        mention(text, "New Guinea", "GPE"),
        mention(text, "Guinea", "GPE", nth=1),
    ]
    assert len(entities_of(mentions)) == 4


def test_a_name_tagged_as_a_place_once_is_a_place_even_if_read_as_a_person_more_often():
    text = "Gedaref fell. Gedaref was shelled. Troops entered Gedaref."
    mentions = [
        mention(text, "Gedaref", "PERSON", nth=0),
        mention(text, "Gedaref", "PERSON", nth=1),
        mention(text, "Gedaref", "GPE", nth=2),
    ]
    [entity] = entities_of(mentions)
    assert (entity.label, entity.count) == ("GPE", 3)
    relabelled = with_entity_labels(mentions, [entity])
    assert {m.label for m in relabelled} == {"GPE"}


def test_a_street_or_a_river_read_as_an_organisation_or_a_person_is_a_place():
    text = "Crowds filled Ngong Road and the Athi River banks; Kenya Airways flew on."
    mentions = [
        mention(text, "Ngong Road", "ORG"),
        mention(text, "Athi River", "PERSON"),
        mention(text, "Kenya Airways", "ORG"),
    ]
    labels = {e.text: e.label for e in entities_of(mentions)}
    assert labels == {"Ngong Road": "FAC", "Athi River": "LOC", "Kenya Airways": "ORG"}


def test_numbers_and_dates_are_not_entities_and_entities_are_ordered_by_mentions():
    text = "On Monday 300 people left Bamako. Bamako emptied."
    mentions = [
        mention(text, "Monday", "DATE"),
        mention(text, "300", "CARDINAL"),
        mention(text, "Bamako", "GPE"),
        mention(text, "Bamako", "GPE", nth=1),
    ]
    assert [(e.text, e.count) for e in entities_of(mentions)] == [("Bamako", 2)]


def test_title_spans_come_before_text_spans():
    title, text = "Floods in Mopti", "Mopti is flooded."
    mentions = [mention(text, "Mopti", "GPE"), mention(title, "Mopti", "GPE", field="title")]
    [entity] = entities_of(mentions)
    assert entity.spans == [Span("title", 10, 15), Span("text", 0, 5)]


# -- headlines ---------------------------------------------------------------------------


def test_names_in_a_title_case_headline_stay_only_when_the_story_confirms_them():
    title = "Floods Cut Off Villages Near Mopti In Central Mali"
    text = "Floods cut the roads to Mopti on Tuesday, officials in Bamako said."
    ner = [
        mention(title, "Floods Cut Off Villages", "ORG", field="title"),
        mention(title, "Mopti", "GPE", field="title"),
        mention(title, "Central Mali", "LOC", field="title"),
        mention(text, "Mopti", "GPE"),
        mention(text, "Tuesday", "DATE"),
        mention(text, "Bamako", "GPE"),
    ]
    kept = confirmed_in_headlines(Article(title, text), ner)
    assert [(m.field, m.text) for m in kept] == [
        ("title", "Mopti"),
        ("text", "Mopti"),
        ("text", "Tuesday"),
        ("text", "Bamako"),
    ]


def test_a_sentence_case_headline_or_a_lone_headline_keeps_what_ner_found():
    title = "Floods cut off villages near Mopti"
    text = "Floods cut the roads to Bamako on Tuesday."
    ner = [mention(title, "Mopti", "GPE", field="title"), mention(text, "Bamako", "GPE")]
    assert confirmed_in_headlines(Article(title, text), ner) == ner
    lone = [mention("Floods Cut Off Mopti Villages", "Mopti", "GPE", field="title")]
    assert confirmed_in_headlines(Article("Floods Cut Off Mopti Villages", ""), lone) == lone


# -- acronyms ----------------------------------------------------------------------------

ACRONYMS = (
    "Fighters of the National Liberation Front (NLF) attacked a convoy. "
    "The NLF denied it. Later NLF units withdrew.\nTHE NLF IS LOSING GROUND\n"
)


def test_an_acronym_defined_in_the_text_is_that_organisation_wherever_it_appears():
    article = Article("NLF claims attack", ACRONYMS)
    full = mention(ACRONYMS, "National Liberation Front", "ORG")
    wrong = mention(ACRONYMS, "NLF units", "PRODUCT")  # NER's mislabelled, too wide span
    found, aliases = with_acronyms(article, [full, wrong])
    acronym_spans = [(m.field, m.start) for m in found if m.text == "NLF"]
    assert acronym_spans == [
        ("title", 0),
        ("text", ACRONYMS.index("NLF")),
        ("text", ACRONYMS.index("NLF denied")),
        ("text", ACRONYMS.index("NLF units")),
    ]  # not in the all-capitals headline
    assert wrong not in found
    assert {m.label for m in found} == {"ORG"}
    assert aliases == {"nlf": "national liberation front"}
    [entity] = entities_of(found, aliases)
    assert (entity.text, entity.count) == ("National Liberation Front", 5)


def test_acronym_letters_must_follow_the_name():
    assert abbreviates("CTS", "Counterterrorism Service")
    assert abbreviates("IS", "Islamic State")
    assert abbreviates("NGOs", "Non Governmental Organisations")
    assert not abbreviates("AP", "Islamic State")
    assert not abbreviates("I", "Islamic State")
    assert not abbreviates("Is", "Islamic State")


# -- wire agencies -----------------------------------------------------------------------


def test_agency_credits_are_organisations_and_ambiguous_names_count_only_as_credits():
    assert agency_credits("With reporting by dpa, Reuters and AP") == [(18, 21), (23, 30), (35, 37)]
    line = "BAMAKO, Mali (AP) — Troops moved in, AFP reported."
    assert [line[s:e] for s, e in agency_credits(line)] == ["AP", "AFP"]
    assert agency_credits("The AP state election is close, officials said.") == []
    assert agency_credits("Vote counting in AP and Telangana continued.") == []


def test_agency_credits_become_org_mentions_outside_boilerplate_only():
    text = "Troops moved in.\nWith reporting by dpa and Reuters\nReuters Plus: subscribe now"
    footer = (text.index("Reuters Plus"), len(text))
    mislabelled = mention(text, "dpa", "PERSON")
    found = with_agency_credits(Article("", text, [footer]), [mislabelled])
    assert sorted(spans_of(text, found)) == [("Reuters", "ORG"), ("dpa", "ORG")]


# -- repeats -----------------------------------------------------------------------------


def test_a_recognised_name_is_found_again_where_ner_missed_it():
    title = "Flood Waters Reach Mopti As Rains Continue"
    text = "Mopti is flooded. Aid reached Mopti on Monday. The Mopti Tribune reported it."
    article = Article(title, text)
    found = with_repeats(article, [mention(text, "Mopti", "GPE")])
    assert [(m.field, m.start) for m in found] == [
        ("text", 0),
        ("title", title.index("Mopti")),  # title case: capitalised neighbours are expected
        ("text", text.index("Mopti on")),
    ]  # not inside "The Mopti Tribune"


def test_common_words_are_not_repeated():
    text = "May said no. In May it rained."
    assert with_repeats(Article("", text), [mention(text, "May", "PERSON")]) == [
        mention(text, "May", "PERSON")
    ]


# -- listed places -----------------------------------------------------------------------


def test_names_listed_with_places_become_places_split_where_ner_merged_them():
    text = "Troops held the districts of Sabon Gari, Kwari, Tudun Wada, and Gwale by noon."
    mentions = [mention(text, "Sabon Gari, Kwari", "ORG"), mention(text, "Gwale", "GPE")]
    found = with_listed_places(Article("", text), mentions)
    assert sorted(spans_of(text, found)) == [
        ("Gwale", "GPE"),
        ("Kwari", "GPE"),
        ("Sabon Gari", "GPE"),
        ("Tudun Wada", "GPE"),
    ]


def test_a_list_of_people_with_one_place_is_left_alone():
    text = "Talks between Obi, Adamu and Lagos officials stalled. Obi left."
    mentions = [
        mention(text, "Obi", "PERSON"),
        mention(text, "Adamu", "PERSON"),
        mention(text, "Lagos", "GPE"),
        mention(text, "Obi", "PERSON", nth=1),
    ]
    assert with_listed_places(Article("", text), mentions) == mentions


def test_a_comma_after_an_opening_place_does_not_make_a_person_a_place():
    text = "In Kano, Amina Bello said the market reopened."
    mentions = [mention(text, "Kano", "GPE"), mention(text, "Amina Bello", "PERSON")]
    assert with_listed_places(Article("", text), mentions) == mentions


def test_all_fixes_together_return_sorted_mentions_title_first():
    title = "NLF attack near Mopti"
    text = "The National Liberation Front (NLF) attacked Mopti, AFP reported."
    found = with_missed_mentions(
        Article(title, text),
        [mention(text, "National Liberation Front", "ORG"), mention(text, "Mopti", "GPE")],
    )
    assert [(m.field, m.text, m.label) for m in found.mentions] == [
        ("title", "NLF", "ORG"),
        ("title", "Mopti", "GPE"),
        ("text", "National Liberation Front", "ORG"),
        ("text", "NLF", "ORG"),
        ("text", "Mopti", "GPE"),
        ("text", "AFP", "ORG"),
    ]


# -- entities the gazetteer placed ---------------------------------------------------------


def test_a_person_or_organisation_placed_at_every_mention_becomes_a_place():
    town = [Span("text", 0, 8), Span("text", 40, 48)]
    river = [Span("text", 60, 65)]
    entities = [
        Entity(text="Abeokuta", label="PERSON", count=2, spans=town),
        Entity(text="Ogun", label="ORG", count=1, spans=river),
        Entity(text="Ada Eze", label="PERSON", count=1, spans=[Span("text", 20, 27)]),
    ]
    places = [
        place("Abeokuta", feature_code="PPLA", spans=town),
        place("Ogun", feature_code="STM", spans=river),
    ]
    assert [(e.text, e.label) for e in relabelled_as_places(entities, places, story=())] == [
        ("Abeokuta", "GPE"),
        ("Ogun", "LOC"),
        ("Ada Eze", "PERSON"),
    ]


def test_a_person_placed_at_only_some_mentions_stays_a_person():
    spans = [Span("text", 0, 5), Span("text", 30, 35)]
    sofia = Entity(text="Sofia", label="PERSON", count=2, spans=spans)
    [kept] = relabelled_as_places(
        [sofia], [place("Sofia", feature_code="PPLC", spans=spans[:1])], story=()
    )
    assert kept.label == "PERSON"


class Names:
    """A gazetteer of a few names: towns, big places, countries, nationalities."""

    towns = frozenset({"Dakar", "Sofia", "Costa", "Seattle"})
    big = frozenset({"Sofia", "Seattle", "Moscow", "Nepal", "Costa Rica"})
    areas = frozenset({"Nepal"})
    peoples = frozenset({"Bangladeshi", "Scots", "Irish"})

    def is_known(self, name: str) -> bool:
        return name in self.towns | self.big | self.areas | self.peoples

    def is_well_known(self, name: str) -> bool:
        return name in self.big

    def is_demonym(self, word: str) -> bool:
        return word in self.peoples

    def is_own_name(self, name: str) -> bool:
        return name in self.towns | self.big | self.areas

    def is_only_an_area(self, name: str) -> bool:
        return name in self.areas


def corrected(label: str, text: str, *places_at: tuple[int, int], mentions: int = 1) -> str:
    """The label ``text``, written ``mentions`` times, gets; ``places_at``: the gazetteer's."""
    spans = [Span("text", 100 * n, 100 * n + len(text)) for n in range(mentions)]
    entity = Entity(text=text, label=label, count=mentions, spans=spans)
    places = [
        place(text, feature_code="PPL", spans=[Span("text", start, end)])
        for start, end in places_at
    ]
    [entity] = corrected_labels([entity], places, Names())
    return entity.label


def test_a_first_name_and_surnames_read_as_an_organisation_are_a_person():
    assert corrected("ORG", "Nadia Reyes") == "PERSON"
    assert corrected("ORG", "Sofia Novak") == "PERSON"  # a capital's name, first
    assert corrected("ORG", "Grace Mei Costa") == "PERSON"


def test_an_organisation_named_with_a_generic_word_a_place_or_a_nationality_stays_one():
    for name in (
        "World Bank",  # a generic word
        "Acme Corp",  # a legal form
        "Dynamo Moscow",  # a big place after the first word
        "London Irish",  # a nationality
        "Bangladeshi Novak",  # a nationality first
        "Amnesty",  # one word
        "Nadia Reyes Costa Novak",  # four words
        "USA Novak",  # not a capitalised word
        "Radio Farda",  # a first word mostly written in lower case
    ):
        assert corrected("ORG", name) == "ORG", name
    assert corrected("ORG", "Seattle Mariners", (0, 7)) == "ORG"  # a place placed inside
    assert corrected("PERSON", "Sofia Novak") == "PERSON"


def test_a_first_name_and_surnames_read_as_a_place_are_a_person():
    assert corrected("GPE", "Amara Okafor") == "PERSON"
    assert corrected("LOC", "Ingrid Sato", mentions=2) == "PERSON"
    assert corrected("GPE", "Grace Mei Costa") == "PERSON"


def test_a_place_read_as_a_name_stays_one_when_the_gazetteer_knows_or_placed_it():
    assert corrected("GPE", "Costa Rica") == "GPE"  # a place the gazetteer knows
    assert corrected("GPE", "Amara Okafor", (0, 12)) == "GPE"  # placed as a whole
    assert corrected("LOC", "Sofia Novak", (0, 5)) == "LOC"  # a place placed inside
    assert corrected("GPE", "Radio Farda") == "GPE"  # no first name
    assert corrected("FAC", "Ingrid Sato") == "FAC"  # a building keeps its label
    lebed = Entity(text="Lebed Chechnya", label="GPE", count=1, spans=[Span("title", 8, 22)])
    chechnya = place("Chechnya", feature_code="ADM1", spans=[Span("text", 40, 48)])
    [entity] = corrected_labels([lebed], [chechnya], Names())
    assert entity.label == "GPE"  # a word of it placed elsewhere in the story


def test_a_town_placed_at_half_its_mentions_or_a_country_read_as_a_person_is_the_place():
    assert corrected("PERSON", "Dakar", (0, 5), mentions=2) == "GPE"
    assert corrected("PERSON", "Nepal") == "GPE"  # a country nothing placed
    assert corrected("PERSON", "Dakar", (0, 5), mentions=3) == "PERSON"  # one of three
    assert corrected("PERSON", "Seattle") == "PERSON"  # a city, not placed
    assert corrected("ORG", "Nepal") == "ORG"  # only people become places here


def test_a_nationality_read_as_an_organisation_a_person_or_a_place_is_a_nationality():
    for label in ("ORG", "PERSON", "GPE"):
        assert corrected(label, "Bangladeshi") == "NORP"
    assert corrected("ORG", "Dakar") == "ORG"


FLOOD = (
    '"Our teams reached Kilifi only after the bridge reopened," she said. '
    "Farmers between Mombasa and Kilifi reported flooded fields."
)


def placed_organisation(text: str, name: str, resolved_name: str | None = None) -> Entity:
    """``name``, an organisation at each of its mentions in ``text``, relabelled after the
    gazetteer placed every mention (as ``resolved_name``, the name itself unless told)."""
    found = [mention(text, name, "ORG", nth) for nth in range(text.count(name))]
    spans = [Span(m.field, m.start, m.end) for m in found]
    organisation = Entity(text=name, label="ORG", count=len(spans), spans=spans)
    town = place(name, resolved_name=resolved_name or name, feature_code="PPL", spans=spans)
    [relabelled] = relabelled_as_places([organisation], [town], story=("Floods", text))
    return relabelled


def test_a_town_read_as_an_organisation_is_the_town_in_a_story_not_about_sport():
    assert placed_organisation(FLOOD, "Kilifi").label == "GPE"


def test_a_town_read_as_an_organisation_is_its_team_in_a_story_about_sport():
    for text in (
        "Karlsruhe beat Bochum 2-0 on Saturday. Karlsruhe stay top.",
        "Karlsruhe sacked their coach. Fans of Karlsruhe protested.",
    ):
        assert placed_organisation(text, "Karlsruhe").label == "ORG"


def test_an_organisation_placed_under_another_name_stays_an_organisation():
    text = "Multinational firms including Mobil were attracted to Tianjin."
    assert placed_organisation(text, "Mobil", resolved_name="Mobile").label == "ORG"


# -- spans cut to the names they hold ------------------------------------------------------

PLACES = {"Malindi", "Kilifi", "Gdańsk", "Sopot", "Bekasi", "Trinidad", "Tobago",
          "Trinidad and Tobago", "Dordrecht", "Inc."}  # fmt: skip


def parts(text: str, *found: Mention, title: str = "") -> list[tuple[str, str]]:
    fields = {"title": title, "text": text}
    return spans_of(text, named_parts(list(found), fields, PLACES.__contains__))


def test_a_span_across_a_semicolon_is_two_names_each_labelled_as_elsewhere():
    text = "Polls show Sofia Novak ahead. Ali promised a tram to Dordrecht; Sofia Novak pledged."
    found = parts(
        text,
        mention(text, "Sofia Novak", "PERSON"),
        mention(text, "Dordrecht; Sofia Novak", "ORG"),
    )
    assert found == [("Sofia Novak", "PERSON"), ("Dordrecht", "ORG"), ("Sofia Novak", "PERSON")]
    assert at_semicolons(0, 5, "A; B;") == [(0, 1), (3, 4)]


def test_a_score_is_cut_off_a_name_and_a_number_off_a_persons():
    text = "The side beat rivals from Bekasi 2-1. Out: J. Adams 123, Channel 4 said."
    found = parts(
        text,
        mention(text, "Bekasi 2-1", "PERSON"),
        mention(text, "J. Adams 123", "PERSON"),
        mention(text, "Channel 4", "ORG"),
    )
    # the side of a score the gazetteer knows is a place, whatever NER read the span as
    assert found == [("Bekasi", "GPE"), ("J. Adams", "PERSON"), ("Channel 4", "ORG")]
    assert without_score((0, 3), "2-1", "ORG") == (0, 3)  # nothing left: as it was


def test_a_span_is_cut_at_a_lower_case_word_that_is_no_particle_of_a_name():
    text = (
        "Russian envoy Alexander Lebed said he met Aslan Maskhadov. The Food and Agriculture "
        "Organization met the Bank of England and al-Qaeda."
    ) + "dpa"
    found = parts(
        text,
        mention(text, "Alexander Lebed said he met Aslan Maskhadov", "PERSON"),
        mention(text, "Food and Agriculture Organization", "ORG"),
        mention(text, "Bank of England", "ORG"),
        mention(text, "al-Qaeda", "ORG"),
        mention(text, "he met", "ORG"),
        mention(text, "dpa", "ORG"),
    )
    assert found == [
        ("Alexander Lebed", "PERSON"),
        ("Aslan Maskhadov", "PERSON"),
        ("Food and Agriculture Organization", "ORG"),
        ("Bank of England", "ORG"),
        ("al-Qaeda", "ORG"),
        ("dpa", "ORG"),  # no capital: no name, but for an agency writing its own so
    ]


def test_places_joined_by_and_are_apart_unless_the_whole_is_one_place():
    text = (
        "Lorries from Malindi and Kilifi came. Farmers between Gdańsk and Sopot waited. "
        "Trinidad and Tobago won. Procter and Gamble rose."
    )
    found = parts(
        text,
        mention(text, "Malindi and Kilifi", "ORG"),
        mention(text, "Farmers between Gdańsk and Sopot", "ORG"),
        mention(text, "Trinidad and Tobago", "GPE"),
        mention(text, "Procter and Gamble", "ORG"),
    )
    assert found == [
        ("Malindi", "GPE"),
        ("Kilifi", "GPE"),
        ("Gdańsk", "GPE"),  # "Farmers" starts a sentence: a common word, no name
        ("Sopot", "GPE"),
        ("Trinidad and Tobago", "GPE"),
        ("Procter and Gamble", "ORG"),
    ]


def test_names_joined_by_a_comma_are_apart_when_each_is_named_on_its_own():
    text = "Reuters, AFP said so. Reuters quoted AFP. Apple, Inc. rose."
    found = parts(
        text,
        mention(text, "Reuters, AFP", "ORG"),
        mention(text, "Reuters", "ORG", nth=1),
        mention(text, "AFP", "ORG", nth=1),
        mention(text, "Apple, Inc.", "ORG"),
    )
    assert found == [
        ("Reuters", "ORG"),
        ("AFP", "ORG"),
        ("Reuters", "ORG"),
        ("AFP", "ORG"),
        ("Apple, Inc.", "ORG"),
    ]


def test_a_common_word_capitalised_only_at_a_sentences_start_is_no_name():
    text = (
        'Police said so. "Polish firms grow," she said. Labour won. Voters backed Labour.\n'
        "Hull 0 Barnet 0\nPOLICE ARRIVE."
    )
    found = parts(
        text,
        mention(text, "Police", "ORG"),
        mention(text, "Polish", "NORP"),
        mention(text, "Labour", "ORG"),
        mention(text, "Hull", "ORG"),
        mention(text, "POLICE", "ORG"),
    )
    # a nationality is capitalised anywhere; "Labour" is mid-sentence too; a row of a
    # table is no sentence; a word in capitals is not capitalised by a sentence's start
    assert found == [("Polish", "NORP"), ("Labour", "ORG"), ("Hull", "ORG"), ("POLICE", "ORG")]
    assert sentence_start_word(text, 0, 6)
    assert not sentence_start_word(text, 0, 6, ["The Police band played."])


def test_a_word_starting_a_sentence_before_a_persons_name_is_their_title():
    text = "Seismologist Chidi Novak said so. Reuters Chidi Novak. Sopot Chidi Novak. Reuters said."
    title, person = mention(text, "Seismologist", "ORG"), mention(text, "Chidi Novak", "PERSON")
    found = parts(
        text,
        title,
        person,
        mention(text, "Reuters", "ORG"),
        mention(text, "Chidi Novak", "PERSON", nth=1),
        mention(text, "Sopot", "GPE"),  # a place's name
        mention(text, "Chidi Novak", "PERSON", nth=2),
        mention(text, "Reuters", "ORG", nth=1),  # named twice: an organisation
    )
    names = [name for name, _ in found]
    assert "Seismologist" not in names
    assert names.count("Chidi Novak") == 3 and "Sopot" in names and names.count("Reuters") == 2
    labels = {"seismologist": Counter(["ORG"])}
    people = {("text", person.start)}
    assert title_before_name(title, text, people, labels, PLACES.__contains__)
    assert not title_before_name(title, text, set(), labels, PLACES.__contains__)  # no one


# -- an organisation's name read as two ------------------------------------------------------

OCHA = "United Nations Office for the Coordination of Humanitarian Affairs"


def joined(text: str, *found: Mention) -> list[tuple[str, str]]:
    """The names of ``found`` cut as name_spans cuts them, then joined where one."""
    cut = named_parts(list(found), {"title": "", "text": text}, PLACES.__contains__)
    return spans_of(text, joined_organisations(cut, {"title": "", "text": text}))


def test_an_organisation_read_as_two_at_a_connector_is_one_and_the_cut_keeps_it_whole():
    text = f"The {OCHA} said it was in contact."
    split = (mention(text, "United Nations Office", "ORG"),
             mention(text, "Coordination of Humanitarian Affairs", "ORG"))  # fmt: skip
    assert joined(text, *split) == [(OCHA, "ORG")]
    # NER's one span is not cut at its connector either: both readings give one name
    assert joined(text, mention(text, OCHA, "ORG")) == [(OCHA, "ORG")]
    entities = entities_of(joined_organisations(split, {"title": "", "text": text}))
    assert [(e.text, e.label, e.count) for e in entities] == [(OCHA, "ORG", 1)]


def test_an_institution_runs_on_over_a_connector_and_a_capitalised_run_ner_left_out():
    text = "The Commission on Human Rights met on Monday."
    found = joined(text, mention(text, "Commission", "ORG"), mention(text, "Monday", "DATE"))
    assert found == [("Commission on Human Rights", "ORG"), ("Monday", "DATE")]


def test_names_side_by_side_stay_apart_without_a_head_word_an_organisation_or_a_connector():
    cases = [
        ("Analysts at Lotte of Hyundai Motor said.", "Lotte", "Hyundai Motor", "ORG"),
        ("The Home Office and Foreign Office agreed.", "Home Office", "Foreign Office", "ORG"),
        ("The Central Bank of Brazil cut rates.", "Central Bank", "Brazil", "GPE"),
        ("The City Council, World Bank and others.", "City Council", "World Bank", "ORG"),
    ]
    for text, first, second, label in cases:
        found = (mention(text, first, "ORG"), mention(text, second, label))
        assert joined(text, *found) == [(first, "ORG"), (second, label)], text


def test_every_connector_is_a_word_the_cut_at_lower_case_words_keeps_inside_a_name():
    assert {word for c in CONNECTORS for word in c.split()} <= PARTICLES

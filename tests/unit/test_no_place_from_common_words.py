"""No place from a common word, a company's name or a person's: the whole enrichment (the
real NER model, the compiled gazetteer, the committed ranker weights) on the demo's samples,
the README's example and short stories written here, one for each kind of mistake reported
on real pages; and the real place in the same kind of sentence is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from dateline.samples import CITIES, FIRST, LAST, sample_articles
from services.enrich import Enricher
from services.enrich.common_words import lower_case_share
from shared.schemas import EnrichedArticle
from shared.settings import Settings
from tests.factories import raw_article

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher.load(Settings(data_dir=str(ROOT / "data")))


def enriched(enricher: Enricher, text: str, title: str = "", n: int = 1) -> EnrichedArticle:
    # no source: each story is read without the ones before it
    [article] = enricher.enrich_many([raw_article(n, title=title, text=text, source="")])
    return article


def places(article: EnrichedArticle) -> dict[str, tuple[str | None, str | None]]:
    return {p.name: (p.admin1, p.country_code) for p in article.places}


def test_words_are_told_common_by_how_often_they_are_written_in_lower_case():
    assert lower_case_share("Coal") > 0.8 and lower_case_share("Solitude") > 0.5
    assert lower_case_share("Paris") < 0.1 and lower_case_share("Georgia") < 0.1
    assert lower_case_share("Apple Valley") == 0.0  # a name of several words is no word


@pytest.mark.parametrize(
    ("word", "text"),
    [
        ("Meta", ("Meta said on Tuesday that it will cut 10,000 jobs. The company, which owns "
                 "Facebook and Instagram, said revenue grew. Meta's chief executive spoke.")),
        ("Meta", "Meta said on Tuesday that it will cut jobs at its offices in California."),
        ("Solitude", ("In the new update for PC players in the United States, you go to Solitude "
                     "to meet the jarl. Solitude is the capital of the game's northern province.")),
        ("Solitude", "The studio in Texas said fans can now go to Solitude, the game's biggest city."),
        ("Coal", "Coal is dying in America. Coal plants in Pennsylvania are closing."),
        ("Coal", ("Coal has been in a death spiral for a decade. Utilities in Pennsylvania and "
                 "West Virginia are closing plants as gas and solar get cheaper.")),
        ("Flint", ("Researchers found a flint tool in the cave. Flint tools like it were made by "
                  "early humans 40,000 years ago.")),
        ("Apple", ("Apple reported record iPhone sales in California on Thursday. Apple shares "
                  "rose 3 percent.")),
        ("Apple", "Apple opened a new store in Minnesota. Apple said the store would hire 100 people."),
    ],
)  # fmt: skip
def test_a_common_word_or_a_companys_name_is_no_place(enricher, word, text):
    article = enriched(enricher, text)
    assert word not in places(article)
    assert not any(p.spans[0].start == text.index(word) for p in article.places)


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("Apple Valley", ("A wildfire burned homes near Apple Valley, California, on Monday, "
                         "officials said."), ("California", "US")),
        ("Flint", "Residents of Flint, Michigan, still drink bottled water years after the crisis.",
         ("Michigan", "US")),
        ("Meta", "Floods cut roads in Meta, Colombia, on Monday, officials in Villavicencio said.",
         ("Meta", "CO")),
    ],
)  # fmt: skip
def test_the_place_in_the_same_kind_of_sentence_is_kept(enricher, name, text, where):
    assert places(enriched(enricher, text)).get(name) == where


def test_the_readmes_example_gives_its_places_only(enricher):
    article = enriched(
        enricher,
        "VALLETTA, Malta — The ferry resumed on Monday after a storm.",
        title="Ferry service resumes between Valletta and Gozo",
    )
    assert set(places(article)) <= {"VALLETTA", "Valletta", "Malta", "Gozo"}
    assert {p.country_code for p in article.places} == {"MT"}


def _extraneous(article: dict, result: EnrichedArticle) -> list[str]:
    """The places found in a sample that are none of the places it was written about."""
    city = next(c for c in CITIES if article["text"].startswith(c.name.upper()))
    written = (city.name, city.name.upper(), city.country, city.demonym, *city.neighbours)
    return [p.name for p in result.places if not p.name.startswith(written)]


def test_no_sample_place_is_a_common_word(enricher):
    samples = sample_articles(60)
    raws = [
        raw_article(n, title=a["title"], text=a["text"], host=a["source"])
        for n, a in enumerate(samples)
    ]
    found = [
        name
        for article, result in zip(samples, enricher.enrich_many(raws), strict=True)
        for name in _extraneous(article, result)
    ]
    assert not [name for name in found if lower_case_share(name) >= 0.1]


@pytest.fixture(scope="module")
def enriched_samples(enricher) -> list[tuple[dict, EnrichedArticle]]:
    """The demo's 200 samples, each with what the enrichment found in it."""
    samples = sample_articles(200)
    raws = [
        raw_article(n, title=a["title"], text=a["text"], host=a["source"])
        for n, a in enumerate(samples)
    ]
    return list(zip(samples, enricher.enrich_many(raws), strict=True))


def test_every_sample_place_is_one_the_sample_names(enriched_samples):
    assert not [n for a, r in enriched_samples for n in _extraneous(a, r)]


def test_no_sample_persons_name_is_a_place(enriched_samples):
    people = {f"{first} {last}" for first in FIRST for last in LAST}
    labels = {e.label for _, r in enriched_samples for e in r.entities if e.text in people}
    assert labels == {"PERSON"}  # "Amara Okafor, a doctor" was read as a GPE

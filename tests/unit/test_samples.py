import msgspec

from dateline.samples import sample_articles
from shared.schemas import ArticleIn


def test_samples_are_valid_articles_and_deterministic():
    articles = sample_articles(60)
    decoded = [msgspec.convert(a, ArticleIn) for a in articles]
    assert sample_articles(60) == articles
    assert len({a.url for a in decoded}) == 60
    assert len({a.source for a in decoded}) > 1
    assert len({a.published_at.date() for a in decoded}) > 20  # spread for the histogram


def test_every_sample_starts_with_a_dateline():
    for article in sample_articles(30):
        head = article["text"].split(" — ")[0]
        assert head.split(",")[0].isupper()


def test_no_headline_repeats():
    titles = [a["title"] for a in sample_articles(200)]
    assert len(set(titles)) == len(titles)

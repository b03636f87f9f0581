"""The export over HTTP, on a real index: every row of a match, in CSV and NDJSON, and a 400
for bad parameters before any row."""

from __future__ import annotations

import csv
import io

import msgspec
import pytest
from litestar.testing import TestClient

from services.index.api import search_app
from services.index.export import ARTICLE_COLUMNS
from services.index.tantivy_store import ArticleStore
from services.index.tantivy_store.scan import FIRST_BATCH
from shared.schemas import EnrichedArticle, ErrorBody
from shared.settings import Settings
from tests.factories import LYON, PARIS, SUVA, story

MANY = FIRST_BATCH * 2 + 50  # three batches of the scan, and far more than a page (100)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    writer = ArticleStore(root / "index", writable=True)
    writer.upsert(story(n, "Harbour strike enters its day", "Dockers stopped work again.", day=n % 300,
                        places=[LYON], focus=LYON, entities=[("ORG", "Dockers Union")])
                  for n in range(1, MANY + 1))
    writer.upsert([
        story(9001, 'Mayor says "no", then yes, on the new bridge', "Line one.\nLine two, with a comma.",
              places=[PARIS, SUVA], focus=PARIS, entities=[("PERSON", "Ana Duval"), ("ORG", "City Hall")],
              authors=["A. Writer", "B. Writer"], day=400),
        story(9002, "=HYPERLINK(\"http://evil.example\")", "A title that is a formula.", source="-minus.example",
              day=401),
    ])
    writer.commit()
    yield root
    writer.close()


@pytest.fixture(scope="module")
def client(index):
    with TestClient(search_app(ArticleStore(index / "index"), Settings(data_dir=str(index)))) as http:
        yield http


def rows(client, query: str) -> list[dict[str, str]]:
    response = client.get(f"/v1/export?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    parsed = list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))
    assert parsed == [] or tuple(parsed[0]) == ARTICLE_COLUMNS
    return parsed


def test_csv_has_every_row_of_a_match_larger_than_a_page(client):
    exported = rows(client, "q=harbour strike")
    assert len(exported) == MANY
    assert len({row["id"] for row in exported}) == MANY
    dates = [row["published_at"] for row in exported]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert exported[0]["focus"] == "Lyon" and exported[0]["organizations"] == "Dockers Union"


def test_ndjson_lines_are_the_stored_articles_oldest_first(client, index):
    response = client.get("/v1/export?entity=ORG:Dockers Union&format=ndjson&sort=oldest")
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-ndjson"
    lines = response.content.splitlines()
    assert len(lines) == MANY
    articles = [msgspec.json.decode(line, type=EnrichedArticle) for line in lines]
    assert [a.published_at for a in articles] == sorted(a.published_at for a in articles)
    store = ArticleStore(index / "index")
    assert articles[0] == store.get(articles[0].id)


def test_csv_quotes_what_needs_quoting_and_defuses_formulas(client):
    [bridge] = rows(client, "q=bridge")
    assert bridge["title"] == 'Mayor says "no", then yes, on the new bridge'
    assert (bridge["focus"], bridge["focus_country"], float(bridge["focus_lat"])) == ("Paris", "FR", 48.8566)
    assert bridge["places"] == "Paris; Suva" and bridge["countries"] == "FR; FJ"
    assert bridge["authors"] == "A. Writer; B. Writer"
    assert bridge["people"] == "Ana Duval" and bridge["entities"] == "PERSON:Ana Duval; ORG:City Hall"
    [formula] = rows(client, "q=formula")
    assert formula["title"] == "'=HYPERLINK(\"http://evil.example\")"
    assert formula["source"] == "'-minus.example"
    assert formula["focus_lat"] == ""


def test_an_empty_match_is_a_header_alone(client):
    response = client.get("/v1/export?q=nothingmatchesthis")
    assert response.status_code == 200
    assert response.content.decode().splitlines() == [",".join(ARTICLE_COLUMNS)]


@pytest.mark.parametrize(
    ("path", "field", "says"),
    [
        ("/v1/export?country=France", "country", "ISO 3166-1"),
        ("/v1/export?format=xlsx", "format", "csv, ndjson"),
        ("/v1/export?format=xlsx&from=yesterday", "from", "not a date"),
        ('/v1/export?q=storm "suva', "q", "never closed"),
        ("/v1/export/facets?facets=moods", "facets", "'moods'"),
        ("/v1/export/timeline?histogram=year", "histogram", "day, week, month"),
    ],
)
def test_bad_parameters_are_a_400_before_any_row(client, path, field, says):
    response = client.get(path)
    assert response.status_code == 400, response.text
    body = msgspec.json.decode(response.content, type=ErrorBody)
    assert body.status == 400 and body.error in ("invalid_parameter", "invalid_query")
    assert field in [e.field for e in body.errors] and any(says in e.reason for e in body.errors)


def test_facets_as_csv(client):
    response = client.get("/v1/export/facets?q=bridge&facets=places,people")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.text))) == [
        ["facet", "key", "count"], ["places", "Paris", "1"], ["places", "Suva", "1"], ["people", "Ana Duval", "1"],
    ]
    every = list(csv.DictReader(io.StringIO(client.get("/v1/export/facets").text)))
    assert {row["facet"] for row in every} == {"entities", "people", "organizations", "places", "countries",
                                               "sources", "languages", "points"}


def test_timeline_as_csv(client):
    response = client.get("/v1/export/timeline?q=bridge OR formula&histogram=month")
    assert response.status_code == 200
    assert list(csv.reader(io.StringIO(response.text))) == [["start", "count"], ["2027-04-01T00:00:00Z", "2"]]
    by_day = list(csv.DictReader(io.StringIO(client.get("/v1/export/timeline?q=harbour").text)))
    assert sum(int(row["count"]) for row in by_day) == MANY

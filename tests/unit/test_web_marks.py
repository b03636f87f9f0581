"""An article's text with its mentions marked by kind (services/index/web/marks.py)."""

from services.index.web.marks import Mark, mentions, runs
from shared.schemas import Entity, Span
from tests.factories import PARIS, enriched_article, place

TEXT = "Ana Duval of the Red Cross landed in Paris on Monday."


def _article():
    paris = place(
        "Paris", geonames_id=PARIS.geonames_id, country_code="FR", spans=[Span("text", 37, 42)]
    )
    return enriched_article(
        1,
        title="Red Cross in Paris",
        text=TEXT,
        places=[paris],
        entities=[
            Entity(text="Ana Duval", label="PERSON", count=1, spans=[Span("text", 0, 9)]),
            Entity(
                text="Red Cross",
                label="ORG",
                count=2,
                spans=[Span("text", 17, 26), Span("title", 0, 9)],
            ),
            Entity(text="Paris", label="GPE", count=1, spans=[Span("text", 37, 42)]),
        ],
    )


def test_mentions_become_runs_and_places_win_overlaps():
    out = runs(TEXT, mentions(_article(), "text"))
    assert "".join(r.text for r in out) == TEXT
    marked = [(r.text, r.mark.kind, r.mark.param, r.mark.value) for r in out if r.mark]
    assert marked == [
        ("Ana Duval", "person", "entity", "PERSON:Ana Duval"),
        ("Red Cross", "org", "entity", "ORG:Red Cross"),
        ("Paris", "place", "place", str(PARIS.geonames_id)),
    ]


def test_the_title_has_its_own_spans():
    out = runs("Red Cross in Paris", mentions(_article(), "title"))
    assert [(r.text, r.mark is not None) for r in out] == [
        ("Red Cross", True),
        (" in Paris", False),
    ]


def test_spans_outside_the_text_or_overlapping_a_longer_one_are_left_out():
    long = Mark(
        start=0, end=9, kind="person", label="PERSON", param="entity", value="PERSON:Ana Duval"
    )
    short = Mark(
        start=4, end=9, kind="person", label="PERSON", param="entity", value="PERSON:Duval"
    )
    beyond = Mark(start=40, end=99, kind="org", label="ORG", param="entity", value="ORG:x")
    out = runs(TEXT, [short, long, beyond])
    assert [r.mark for r in out if r.mark] == [long]
    assert "".join(r.text for r in out) == TEXT

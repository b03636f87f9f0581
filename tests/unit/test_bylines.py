"""Bylines: the writers go to `authors`, not to the story's people."""

from __future__ import annotations

from services.enrich.bylines import bylines, with_authors, without_bylines
from shared.schemas import Entity, Span


def test_a_byline_names_its_writers_and_stops_at_a_title_or_an_agency():
    text = "By JOHN SMITH, Associated Press\nBy the time the rain stopped, Mosul was quiet.\n"
    assert [b.authors for b in bylines(text)] == [["John Smith"]]
    assert [b.authors for b in bylines("By Ann Lee, Bo Chan and Cy Diaz\nText")] == [
        ["Ann Lee", "Bo Chan", "Cy Diaz"]
    ]
    assert [b.authors for b in bylines("Von Anna Meier und Jonas Roth | dpa\nText")] == [
        ["Anna Meier", "Jonas Roth"]
    ]


def test_only_the_first_lines_hold_a_byline():
    text = "Para one.\nPara two.\nPara three.\nPara four.\nBy Ann Lee\n"
    assert bylines(text) == []


def test_writers_join_the_authors_once_and_leave_the_entities():
    text = "By Ann Lee\nAnn Lee's report quotes Bo Chan. Cy Diaz agreed.\n"
    found = bylines(text)
    assert with_authors(["ann lee", "Dee Ray"], found) == ["ann lee", "Dee Ray"]
    writer = Entity(text="Ann Lee", label="PERSON", count=1, spans=[Span("text", 3, 10)])
    quoted = Entity(text="Bo Chan", label="PERSON", count=1, spans=[Span("text", 31, 38)])
    both = Entity(
        text="Cy Diaz", label="PERSON", count=2, spans=[Span("text", 3, 5), Span("text", 40, 47)]
    )
    assert without_bylines([writer, quoted, both], found) == [quoted, both]

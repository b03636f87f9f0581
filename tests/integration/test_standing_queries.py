"""Standing queries on a real index: the changes after a position that match are what a
search finds among them, whether each query searches the index or the changes are matched
in Python for many queries at once (a crowded position)."""

from __future__ import annotations

import msgspec
import pytest

from services.index.cursors import CursorSeal
from services.index.query import SearchParams, parse_search
from services.index.tantivy_store import ArticleStore
from tests.factories import BERLIN, LYON, NAIROBI, PARIS, SUVA, story

QUERIES = [
    {"q": "harbour"},
    {"q": '"harbour strike"'},
    {"q": "harbour OR drought -lyon"},
    {"entity": ["PERSON:Ana Duval"]},
    {"country": ["FR"], "q": "title:strike"},
    {"place": ["Nairobi"]},
    {"language": ["de"]},
    {"bbox": "-5,42,8.5,51"},
    {"near": "48.8566,2.3522,50", "focus_only": "true"},
    {"bbox": "175,-25,-175,-10", "q": "storm"},
    {"published_from": "2026-03-05"},
    {"published_to": "2026-03-05"},
    {"source": ["WIRE.example"], "q": "strikes"},
    {"q": "harbour strike OR drought"},
    {"q": "(harbour OR storm) -paris"},
    {"q": "harbour AND NOT lyon"},
    {"q": "-drought"},
    {"q": "harbour (-lyon)"},
    {"q": '"spreads strike"'},
    {"q": 'title:"harbour strike" OR entity:"ana duval"'},
    {"q": "place:nairobi OR place:suva"},
    {"q": "new-york"},
    {"q": '"dockers stopped"'},
    {"q": f'"dockers {"x" * 45} stopped"'},
    {"q": f"{'y' * 39} OR {'z' * 40}"},
    {"q": "harbour*"},
    {"q": '"harbour spreads"~2'},
    {"q": "*"},
    {},
]
# Matched by searching the index, never in Python: wildcards, slop, a word of no terms.
SEARCHED = {"harbour*", '"harbour spreads"~2', f"{'y' * 39} OR {'z' * 40}"}


CHANGED = {f"{n:032x}" for n in range(40, 45)}


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    store = ArticleStore(tmp_path_factory.mktemp("standing") / "index", writable=True)
    store.upsert([story(n, "Harbour strike", places=[LYON], focus=LYON) for n in range(1, 30)])
    store.commit()
    position = store.changes().newest
    store.upsert([
        story(40, "Harbour strike spreads", f"Dockers {'x' * 45} stopped in Lyon. New York {'y' * 39} {'z' * 40}.",
              places=[LYON], focus=LYON, day=1),
        story(41, "Drought", "Farmers near Nairobi.", places=[NAIROBI], focus=NAIROBI, day=9,
              entities=[("PERSON", "Ana Duval")]),
        story(42, "Storm reaches Suva", "Ana Duval reported from Paris.", places=[SUVA, PARIS], focus=SUVA,
              entities=[("PERSON", "Ana Duval")], day=4),
        story(43, "Senate budget", "Berlin.", places=[BERLIN], focus=BERLIN, language="de"),
        story(44, "Harbour strike ends in Paris", places=[PARIS], focus=PARIS, day=6),
    ])
    store.commit()
    yield store, position
    store.close()


@pytest.mark.parametrize("waiting", ["alone", "crowded", "behind another", "crowded, another behind"],
                         ids=["searched", "matched in Python", "read with a stream further behind",
                              "matched in Python, read with a stream further behind"])
@pytest.mark.parametrize("params", QUERIES, ids=[str(q) for q in QUERIES])
def test_a_standing_query_finds_what_search_finds_among_the_changes(changed, params, waiting):
    store, position = changed
    request = parse_search(SearchParams(**params, size="100"), CursorSeal(b"k"))
    searched = {hit.article.id for hit in store.search(request).hits}
    others = {"alone": {}, "crowded": {position: 1000}, "behind another": {0: 1},
              "crowded, another behind": {position: 1000, 0: 40}}[waiting]
    changes = store.changes(waiting={position: 1, **others})
    found = changes.matching(store.standing(request.match), position, 50)
    assert {msgspec.json.decode(stored)["id"] for _, stored in found} == searched & CHANGED
    assert [seq for seq, _ in found] == sorted(seq for seq, _ in found) and all(seq > position for seq, _ in found)


@pytest.mark.parametrize("params", QUERIES, ids=[str(q) for q in QUERIES])
def test_a_crowded_position_matches_in_python_what_it_can(changed, params):
    store, position = changed
    standing = store.standing(parse_search(SearchParams(**params), CursorSeal(b"k")).match)
    fresh = store.changes(waiting={position: 1000})._fresh_after(position)
    answered = fresh.matching(standing)
    assert (answered is None) == (params.get("q") in SEARCHED)


def test_streams_paced_apart_share_one_read_of_the_changes(changed):
    store, position = changed
    changes = store.changes(waiting={position: 1000, 0: 40})
    shared = changes._fresh_after(position)
    assert shared is changes._fresh_after(0) and len(shared.seqs) == 34  # every change after 0


def test_a_stream_far_behind_is_searched_for_and_reads_nothing_for_the_others(changed):
    store, position = changed
    changes = store.changes(waiting={position: 1000, 0: 1})  # 34 changes after 0: many for 1
    assert changes._fresh_after(0) is None and len(changes._fresh_after(position).seqs) == 5


def test_what_matches(changed):
    store, position = changed

    def ids(**params) -> list[int]:
        standing = store.standing(parse_search(SearchParams(**params), CursorSeal(b"k")).match)
        found = store.changes().matching(standing, position, 50)
        return sorted(int(msgspec.json.decode(stored)["id"], 16) for _, stored in found)

    assert ids(q="harbour") == [40, 44]
    assert ids(entity=["PERSON:Ana Duval"]) == [41, 42]
    assert ids(bbox="-5,42,8.5,51") == [40, 42, 44]
    assert ids(near="48.8566,2.3522,50", focus_only="true") == [44]

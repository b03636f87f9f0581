"""The learned place ranker: its learner, its committed weights, the source prior."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest

from services.enrich.evidence import ANCHOR_FEATURES, FEATURES, NONE_FEATURES, VETOES
from services.enrich.gazetteer import GazetteerEntry
from services.enrich.geotag import Geotagger
from services.enrich.mentions import Mention
from services.enrich.place_mentions import select_toponyms
from services.enrich.ranker import NAMES, NONE_NAMES, RankerWeights, add_anchors, read_story
from services.enrich.ranker_learning import Example, confidence_knee, fit
from services.enrich.source_history import MAX_REGIONS, SourceHistory
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def geotagger() -> Geotagger:
    return Geotagger.load(Settings(data_dir=str(ROOT / "data")))


def test_the_learner_recovers_the_weights_that_made_the_choices():
    rng = random.Random(7)
    truth = [2.0, -1.0, 0.5]
    examples = []
    for _ in range(3_000):
        rows = [[rng.gauss(0, 1) for _ in truth] for _ in range(4)]
        scores = [math.exp(sum(w * x for w, x in zip(truth, row, strict=True))) for row in rows]
        pick = rng.choices(range(4), weights=scores)[0]
        examples.append(Example(rows=rows, right=[i == pick for i in range(4)]))
    learned = fit(examples, columns=[0, 1, 2], width=3, l2=0.1)
    assert learned == pytest.approx(truth, abs=0.15)


def test_a_column_left_out_weighs_nothing_and_several_right_readings_share_the_credit():
    examples = [Example(rows=[[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]], right=[True, True, False])] * 50
    learned = fit(examples, columns=[1], width=2)
    assert learned[0] == 0.0 and learned[1] > 1.0


def test_the_confidence_knee_makes_point_nine_mean_right_nearly_always():
    # Answers of raw 0.95 are right 90 % of the time, of raw 0.99 always.
    pairs = [(0.95, i % 10 != 0) for i in range(100)] + [(0.99, True)] * 100
    knee = confidence_knee([pairs])
    assert 0.95 < knee <= 0.99
    weights = RankerWeights(first={}, second={}, confidence_knee=knee)
    assert (
        weights.calibrated(0.95) < 0.9 <= weights.calibrated(0.99) <= weights.calibrated(1.0) == 1.0
    )
    assert confidence_knee([[(0.95, True)] * 10]) == 0.9


def test_the_committed_weights_name_only_features_that_exist():
    weights = RankerWeights.load()
    assert set(weights.first) <= set(NAMES) and set(weights.second) <= set(NAMES)
    assert set(weights.none) <= set(NONE_NAMES)
    assert not set(weights.first) & set(ANCHOR_FEATURES)  # the first pass has no anchors yet
    assert weights.learned_from.startswith("make learn")


def test_every_feature_and_veto_has_a_name_of_its_own_and_says_what_it_weighs():
    registries = [FEATURES, ANCHOR_FEATURES, NONE_FEATURES, VETOES]
    names = [name for registry in registries for name in registry]
    assert len(names) == len(set(names))
    for registry in registries:
        for name, function in registry.items():
            assert re.fullmatch(r"[a-z][a-z0-9_]*|kind_[A-Z0-9]+", name), name
            documented = function.__doc__ or name.startswith(("none_", "kind_"))
            assert documented or name in ("log_population", "none"), name


def entry(country: str, admin1: str | None, row: int = 0) -> GazetteerEntry:
    return GazetteerEntry(
        row=row, geonames_id=row, name="x", lat=0.0, lon=0.0, country_code=country,
        admin1=admin1, feature_code="PPL", population=1_000,
    )  # fmt: skip


def test_a_sources_history_is_the_share_of_its_stories_in_each_region():
    history = SourceHistory()
    for state in ["Georgia", "Georgia", "Georgia", "Alabama"]:
        history.record("ledger.example", [(entry("US", state), 0.9), (entry("US", state), 0.9)])
    history.record("ledger.example", [(entry("US", "Texas"), 0.2)])  # too unsure to count
    prior = history.prior("ledger.example")
    assert prior.stories == 5
    assert prior.state_share(entry("US", "Georgia")) == pytest.approx(3 / (5 + 3))
    assert prior.state_share(entry("US", "Texas")) == 0.0
    assert prior.country_share(entry("US", None)) == pytest.approx(4 / (5 + 3))
    assert "60% in Georgia, US" in prior.explain("ledger.example")
    assert history.prior("unknown.example").stories == 0


def test_the_history_stays_bounded():
    history = SourceHistory(max_sources=3)
    for n in range(10):
        history.record(f"s{n}.example", [(entry("US", f"State {i}", i), 1.0) for i in range(100)])
    assert len(history) == 3 and history.prior("s0.example").stories == 0
    assert len(history.prior("s9.example").regions) <= MAX_REGIONS


def test_a_local_papers_history_makes_its_athens_the_town_next_door(geotagger):
    local = Geotagger(geotagger.gazetteer, geotagger.weights)
    for town in ["Gainesville", "Watkinsville", "Winder", "Commerce", "Jefferson", "Madison"]:
        text = f"Deputies in {town}, Ga., said the road would reopen on Monday."
        found = [
            Mention("text", 12, 12 + len(town), town, "GPE"),
            Mention("text", 14 + len(town), 17 + len(town), "Ga.", "GPE"),
        ]
        local.geotag("", text, found, source="onlineathens.example")
    story = "The council in Athens voted on the new budget."
    found = [Mention("text", 15, 21, "Athens", "GPE")]
    [athens], _ = local.geotag("", story, found, source="onlineathens.example")
    [elsewhere], _ = local.geotag("", story, found, source="wire.example")
    assert (athens.country_code, athens.admin1) == ("US", "Georgia")
    assert elsewhere.country_code == "GR"


def _reading(geotagger: Geotagger, text: str, mentions: list[Mention]):
    toponyms = select_toponyms(text, mentions, geotagger)
    reading = read_story(text, toponyms, geotagger.gazetteer)
    add_anchors(reading, geotagger.weights)
    return reading


def _feature(reading, name: str, key: str) -> dict[str, float]:
    """Feature ``name`` of each reading of the toponym ``key``, by feature code."""
    [choice] = [c for c in reading.choices if c.toponym.key == key]
    column = NAMES.index(name)
    return {
        c.entry.feature_code: row[column]
        for c, row in zip(choice.candidates, choice.rows, strict=True)
        if c.entry.population >= 1_000_000 or c.entry.feature_code == "ADM1"
    }


def test_a_big_city_called_as_its_state_is_told_apart_from_the_state(geotagger):
    text = "Prices in New York rose again."
    reading = _reading(geotagger, text, [Mention("text", 10, 18, "New York", "GPE")])
    kinds = _feature(reading, "city_called_as_its_state", "new york")
    assert kinds["PPL"] == 1.0 and kinds["ADM1"] == 0.0


def test_a_country_holding_a_place_resolved_with_confidence_has_it_inside(geotagger):
    text = "Floods in Gaziantep and Sanliurfa. Turkey sent help."
    found = [
        Mention("text", 10, 19, "Gaziantep", "GPE"),
        Mention("text", 24, 33, "Sanliurfa", "GPE"),
        Mention("text", 35, 41, "Turkey", "GPE"),
    ]
    reading = _reading(geotagger, text, found)
    assert _feature(reading, "anchor_inside", "turkey").get("PCLI") == 1.0


def test_a_place_name_running_on_into_a_number_is_something_elses(geotagger):
    radio_text = "The minister told Radio Europe 1 that talks went on."
    radio, _ = geotagger.geotag("", radio_text, [Mention("text", 24, 30, "Europe", "LOC")])
    text = "The minister flew to see Europe and its leaders."
    place, _ = geotagger.geotag("", text, [Mention("text", 25, 31, "Europe", "LOC")])
    assert [p.name for p in place] == ["Europe"]
    assert radio == []

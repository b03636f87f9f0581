"""Seas, oceans, rivers, lakes, mountains and regions: the vendored table, how it joins
GeoNames' entries, and what the compiled gazetteer answers for them.

The last tests read the real compiled gazetteer in ./data/gazetteer (compiled from the
packages on first use, as tests/unit/test_geotag.py does).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.enrich.gazetteer import Gazetteer
from services.enrich.gazetteer_build import (
    ALTERNATE,
    PRIMARY,
    GazetteerRecord,
    _extend_from_dump,
    new_places,
    physical_records,
    write_compiled,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def table() -> dict[str, list[GazetteerRecord]]:
    found: dict[str, list[GazetteerRecord]] = {}
    for r in physical_records():
        found.setdefault(r.name, []).append(r)
    return found


def test_the_table_holds_seas_rivers_and_regions_with_sane_values(table):
    records = [r for rs in table.values() for r in rs]
    assert len(records) > 3000
    assert len({r.geonames_id for r in records}) == len(records)
    assert all(-90 <= r.lat <= 90 and -180 <= r.lon <= 180 for r in records)
    assert all(re.fullmatch(r"[A-Z]{2,5}", r.feature_code) for r in records)
    kinds = {r.feature_code for r in records}
    assert {"OCN", "SEA", "GULF", "BAY", "STM", "LK", "RGN", "PEN", "MTS", "DSRT"} <= kinds


def test_marine_areas_carry_geonames_ids_and_a_reach(table):
    [indian] = table["Indian Ocean"]
    assert (indian.geonames_id, indian.feature_code) == (1545739, "OCN")
    assert indian.extent_km > 3000  # an ocean is no point: "near" it means thousands of km
    [mediterranean] = table["Mediterranean Sea"]
    assert mediterranean.geonames_id == 363196
    assert "Mediterranean" in mediterranean.alternate_names  # the adjective alone
    assert 30 < mediterranean.lat < 44 and -6 < mediterranean.lon < 36


def test_regions_made_of_countries_or_divisions_list_their_members(table):
    [middle_east] = table["Middle East"]
    assert {"SY", "IQ", "IL", "SA", "IR"} <= set(middle_east.members)
    assert middle_east.geonames_id < 0  # Dateline's own id: no GeoNames id is known
    [peninsula] = table["Korean Peninsula"]
    assert (set(peninsula.members), peninsula.feature_code) == ({"KP", "KR"}, "PEN")
    [latin] = table["Latin America"]
    assert {"BR", "MX", "AR"} <= set(latin.members) and "US" not in latin.members
    [darfur] = table["Darfur"]
    assert darfur.country_code == "SD" and all(m.startswith("SD.") for m in darfur.members)


def test_rivers_sit_at_their_mouth_in_their_country(table):
    [thames] = table["Thames"]
    assert thames.country_code == "GB" and thames.lon > 0  # its estuary, east of London
    assert {"River Thames", "Thames River"} <= set(thames.alternate_names)


def record(geonames_id: int, name: str, feature: str, cc: str = "", **kw) -> GazetteerRecord:
    return GazetteerRecord(
        geonames_id=geonames_id, name=name, lat=45.0, lon=1.0, country_code=cc,
        feature_code=feature, **kw,
    )  # fmt: skip


def test_a_region_geonames_already_holds_is_not_added_twice():
    known = [
        record(11, "Normandy", "ADM1", "FR", alternate_names=["Normandie"]),
        record(12, "Mississippi", "ADM1", "US"),
        record(13, "Riga", "PPLC", "LV"),
        record(363196, "Mediterranean Sea", "SEA"),
    ]
    offered = [
        record(-1, "Normandie", "RGN", "FR"),  # the division itself
        record(-2, "Riga", "RGN", "LV"),  # a region named after its city
        record(-3, "Mississippi", "STM", "US"),  # a river named like a state is another place
        record(363196, "Mediterranean Sea", "SEA"),  # the same GeoNames entry
        record(-4, "Normandie", "RGN", "CA"),  # another country's
    ]
    assert [r.geonames_id for r in new_places(known, offered)] == [-3, -4]


def test_extent_and_members_survive_compiling(tmp_path: Path):
    records = [
        record(1545739, "Indian Ocean", "OCN", extent_km=9800.0, alternate_names=["Indic"]),
        record(-5, "Korean Peninsula", "PEN", extent_km=670.0, members=["KP", "KR"]),
        record(7, "Seoul", "PPLC", "KR", population=10_000_000),
    ]
    write_compiled(tmp_path, records, {}, "test-1", ["test"])
    gazetteer = Gazetteer.open(tmp_path)
    [ocean] = gazetteer.candidates("Indian Ocean")
    assert (ocean.entry.feature_code, ocean.entry.extent_km, ocean.quality) == (
        "OCN",
        9800.0,
        PRIMARY,
    )
    [peninsula] = gazetteer.candidates("Korean Peninsula")
    assert peninsula.entry.members == ("KP", "KR") and peninsula.entry.geonames_id == -5
    [seoul] = gazetteer.candidates("Seoul")
    assert (seoul.entry.extent_km, seoul.entry.members) == (0.0, ())


def test_a_dump_replaces_what_it_holds_and_keeps_its_reach(tmp_path: Path):
    from tests.unit.test_gazetteer import PLACES, write_dump

    river = ["1005", "Tigris", "Tigris", "Dijla", "31.0", "47.4", "H", "STM", "IQ", "", "", "",
             "", "", "0", "", "1", "Asia/Baghdad", "2020-01-01"]  # fmt: skip
    gulf = ["235616", "Persian Gulf", "Persian Gulf", "", "27.0", "51.0", "H", "GULF", "", "",
            "", "", "", "", "0", "", "-1", "", "2020-01-01"]  # fmt: skip
    dump = write_dump(tmp_path / "dump", places=[*PLACES, river, gulf])
    ours = {
        -7: record(-7, "Tigris", "STM", "IQ", extent_km=650.0),
        235616: record(235616, "Persian Gulf", "GULF", extent_km=740.0, members=[]),
        -8: record(-8, "Euphrates", "STM", "IQ", extent_km=900.0),
    }
    records, _ = _extend_from_dump(ours, {}, dump, frozenset("APLHT"))
    assert -7 not in records and records[1005].name == "Tigris"  # GeoNames' own entry
    assert (records[235616].lat, records[235616].extent_km) == (27.0, 740.0)  # its point, our reach
    assert records[-8].name == "Euphrates"  # the dump lacks it: ours stays


# -- the real compiled gazetteer ----------------------------------------------------------


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load(ROOT / "data" / "gazetteer")


@pytest.mark.parametrize(
    ("name", "feature"),
    [
        ("Indian Ocean", "OCN"),
        ("Atlantic", "OCN"),
        ("Mediterranean", "SEA"),
        ("Persian Gulf", "GULF"),
        ("Gulf of Mexico", "GULF"),
        ("Middle East", "RGN"),
        ("Darfur", "RGN"),
        ("Korean Peninsula", "PEN"),
        ("Latin America", "RGN"),
        ("Sub-Saharan Africa", "RGN"),
        ("Sahara", "DSRT"),
        ("Mississippi River", "STM"),
        ("Danube", "STM"),
        ("Lake Victoria", "LK"),
        ("Alps", "MTS"),
    ],
)
def test_physical_names_are_candidates(gazetteer, name, feature):
    assert feature in {c.entry.feature_code for c in gazetteer.candidates(name)}


def test_ordinary_names_keep_their_entries(gazetteer):
    paris = {c.entry.geonames_id: c for c in gazetteer.candidates("Paris")}
    assert paris[2988507].entry.feature_code == "PPLC" and paris[2988507].quality == PRIMARY
    georgia = {c.entry.feature_code for c in gazetteer.candidates("Georgia")}
    assert {"PCLI", "ADM1"} <= georgia
    [iraq, *_] = gazetteer.candidates("Iraq")
    assert (iraq.entry.feature_code, iraq.entry.extent_km) == ("PCLI", 0.0)
    # The river is a second reading of "Mississippi", not a replacement of the state.
    mississippi = [c for c in gazetteer.candidates("Mississippi") if c.quality == PRIMARY]
    assert {c.entry.feature_code for c in mississippi} >= {"ADM1", "STM"}
    atlantic = [c for c in gazetteer.candidates("Atlantic") if c.entry.feature_code == "OCN"]
    assert all(c.quality == ALTERNATE for c in atlantic)  # the town's own name ranks first

"""The gazetteer: name keys, the compiled arrays, and building from GeoNames dump files.

Records and dump files are written here, small and by hand (coordinates approximate).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.enrich.gazetteer import Gazetteer, GazetteerMissing
from services.enrich.gazetteer_build import (
    ALTERNATE,
    LOOSE,
    META_FILE,
    PRIMARY,
    GazetteerRecord,
    build_gazetteer,
    country_records,
    vendored_points,
    write_compiled,
)
from services.enrich.toponyms import exact_key, is_latin, loose_key, possessive_stripped


@pytest.mark.parametrize(
    ("name", "exact", "loose"),
    [
        ("Mosul", "mosul", "mosul"),
        ("MOSUL", "mosul", "mosul"),
        ("Tall ‘Afar", "tall afar", "talafar"),
        ("Tal Afar", "tal afar", "talafar"),
        ("Hammam al-Alil", "hammam al alil", "hamamalil"),
        ("Karamah", "karamah", "karama"),
        ("the Tigris River", "tigris river", "tigris"),
        ("Nineveh Governorate", "nineveh governorate", "nineve"),  # = "Nineve"
        ("St. Louis", "saint louis", "saintlouis"),
        ("U.S.", "us", "us"),
        ("São Tomé", "sao tome", "saotome"),
        ("Côte d’Ivoire", "cote divoire", "cotedivoire"),
    ],
)
def test_name_keys_fold_what_writers_and_geonames_disagree_on(name, exact, loose):
    assert exact_key(name) == exact
    assert loose_key(name) == loose


def test_keys_keep_apart_what_differs():
    assert exact_key("Tal Afar") != exact_key("Tall Afar")  # only the loose key folds them
    assert loose_key("Karbala") != loose_key("Kirkuk")
    assert exact_key("District of Columbia") != exact_key("Columbia")


def test_latin_script_is_told_from_others():
    assert is_latin("Mosul") and is_latin("Nīnawá") and is_latin("Tall ‘Afar")
    assert not is_latin("الموصل") and not is_latin("Мосул") and not is_latin("123")


def test_possessives_are_cut_off():
    assert possessive_stripped("Iraq's") == "Iraq"
    assert possessive_stripped("Iraq’s") == "Iraq"
    assert possessive_stripped("Paris") == "Paris"


def record(geonames_id: int, name: str, lat: float, lon: float, cc: str, **kw) -> GazetteerRecord:
    return GazetteerRecord(
        geonames_id=geonames_id, name=name, lat=lat, lon=lon, country_code=cc, **kw
    )


@pytest.fixture
def small(tmp_path: Path) -> Gazetteer:
    records = [
        record(1, "Springfield", 39.8, -89.6, "US", admin1_code="IL", population=114_000),
        record(2, "Springfield", 37.2, -93.3, "US", admin1_code="MO", population=167_000),
        record(3, "Tall ‘Afar", 36.4, 42.4, "IQ", admin1_code="15", population=200_000,
               alternate_names=["Tal Afar", "Tall 'Afar"]),
        record(4, "Iraq", 33.0, 44.0, "IQ", feature_code="PCLI", population=38_000_000),
        record(5, "Al Karāmah", 31.9, 35.6, "JO", population=9_000),
    ]  # fmt: skip
    write_compiled(tmp_path, records, {"IQ.15": "Nineveh", "US.IL": "Illinois"}, "test-1", ["test"])
    return Gazetteer.open(tmp_path)


def test_candidates_come_with_how_well_the_name_matched(small):
    [tal_afar] = small.candidates("Tal Afar")
    assert (tal_afar.entry.name, tal_afar.quality) == ("Tall ‘Afar", ALTERNATE)
    assert tal_afar.entry.admin1 == "Nineveh" and tal_afar.entry.country_code == "IQ"
    [exact] = small.candidates("Tall Afar")  # the name itself, apostrophe aside
    assert exact.quality == PRIMARY
    [loose] = small.candidates("Karamah")
    assert (loose.entry.name, loose.quality) == ("Al Karāmah", LOOSE)


def test_every_place_of_a_name_is_a_candidate_biggest_first(small):
    found = small.candidates("Springfield")
    assert [c.entry.admin1 for c in found] == [None, "Illinois"]  # Missouri has no name here
    assert [c.entry.population for c in found] == [167_000, 114_000]
    assert all(c.quality == PRIMARY for c in found)


def test_an_unknown_name_has_no_candidates(small):
    assert small.candidates("Zyxwvutville") == ()
    assert small.candidates("...") == ()


def test_demonyms_are_looked_up(small):
    assert small.demonym("Iraqi").name == "Iraq"
    assert small.demonym("Iraqis").name == "Iraq"
    assert small.demonym("Martian") is None
    assert small.demonym("Iraqi").feature_code == "PCLI"


@pytest.fixture
def areas(tmp_path: Path) -> Gazetteer:
    records = [
        record(10, "Nevora", 35.0, 43.0, "IQ", feature_code="ADM1", admin1_code="20"),
        record(11, "Kestrela", 34.0, 44.0, "IQ", population=5_000),
        record(12, "Dorva", 33.0, 45.0, "IQ", feature_code="ADM1", admin1_code="21"),
        record(13, "Dorvan", 33.1, 45.1, "IQ", population=8_000),
        record(14, "Iraq", 33.0, 44.0, "IQ", feature_code="PCLI", population=38_000_000),
    ]  # fmt: skip
    write_compiled(tmp_path, records, {}, "test-1", ["test"])
    return Gazetteer.open(tmp_path)


def test_an_areas_regular_adjective_names_it(areas):
    assert areas.demonym("Nevoran").geonames_id == 10  # a state's adjective
    assert areas.demonym("Nevorans").geonames_id == 10  # and its people
    assert areas.demonym("Kestrelan") is None  # a town's adjective says too little
    assert areas.demonym("Dorvan") is None  # a town's own name is that town
    assert areas.demonym("nevoran") is None  # written as a name, or not at all


def test_opening_nothing_or_another_format_says_so(tmp_path: Path, small):
    with pytest.raises(GazetteerMissing, match="no compiled gazetteer"):
        Gazetteer.open(tmp_path / "absent")
    meta = tmp_path / META_FILE
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "fingerprint": "older"}))
    with pytest.raises(GazetteerMissing, match="compiled by other code"):
        Gazetteer.open(tmp_path)


def test_a_gazetteer_extended_from_a_dump_is_never_silently_replaced(tmp_path: Path, small):
    meta = tmp_path / META_FILE
    stale = {
        **json.loads(meta.read_text()),
        "fingerprint": "older",
        "sources": ["geonames-dump:allCountries.txt"],
    }
    meta.write_text(json.dumps(stale))
    with pytest.raises(GazetteerMissing, match="gazetteer build --from"):
        Gazetteer.load(tmp_path)


# -- GeoNames dump files -------------------------------------------------------------------

PLACES = [
    # geonameid name asciiname alternatenames lat lon class code cc cc2 admin1 admin2 admin3 admin4 population elevation dem timezone modified
    ["1001", "Qaryat Zafaran", "Qaryat Zafaran", "Zafaran,Zaafaran", "36.30", "43.20", "P", "PPL", "IQ", "", "15", "", "", "", "1200", "", "250", "Asia/Baghdad", "2020-01-01"],
    ["1002", "Wadi Sabr", "Wadi Sabr", "", "36.10", "43.00", "H", "WAD", "IQ", "", "15", "", "", "", "0", "", "200", "Asia/Baghdad", "2020-01-01"],
    ["1003", "Fundaq Nasr", "Fundaq Nasr", "", "36.31", "43.15", "S", "HTL", "IQ", "", "15", "", "", "", "0", "", "220", "Asia/Baghdad", "2020-01-01"],
    ["99237", "Republic of Iraq", "Republic of Iraq", "Iraq", "33.0", "44.0", "A", "PCLI", "IQ", "", "00", "", "", "", "38000000", "", "", "Asia/Baghdad", "2020-01-01"],
]  # fmt: skip
ALTERNATE_NAMES = [
    ["1", "1001", "en", "Zafarana", "", "", "", "", "", ""],
    ["2", "1001", "link", "https://example.org/zafaran", "", "", "", "", "", ""],
    ["3", "1001", "ar", "زعفران", "", "", "", "", "", ""],
    ["4", "424242", "en", "Not In The Places File", "", "", "", "", "", ""],
]
ADMIN1 = [["IQ.15", "Nineveh", "Nineveh", "92877"]]


def write_dump(directory: Path, places=PLACES, alternates=ALTERNATE_NAMES) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in (("allCountries.txt", places), ("alternateNamesV2.txt", alternates),
                       ("admin1CodesASCII.txt", ADMIN1)):  # fmt: skip
        (directory / name).write_text(
            "".join("\t".join(row) + "\n" for row in rows), encoding="utf-8"
        )
    return directory


def test_a_dump_compiles_with_its_alternate_names_and_admin1_names(tmp_path: Path):
    meta = build_gazetteer(tmp_path / "out", from_dir=write_dump(tmp_path / "dump"), packages=False)
    assert meta.places == 3  # spots (class S) are left out by default
    assert "geonames-dump:allCountries.txt" in meta.sources
    gazetteer = Gazetteer.open(tmp_path / "out")
    [village] = gazetteer.candidates("Zafarana")  # from alternateNamesV2
    assert (village.entry.geonames_id, village.entry.admin1) == (1001, "Nineveh")
    assert village.entry.feature_code == "PPL" and village.entry.population == 1200
    assert gazetteer.candidates("Zaafaran")[0].entry.geonames_id == 1001  # from the row itself
    assert gazetteer.candidates("Wadi Sabr")[0].entry.feature_code == "WAD"
    assert gazetteer.candidates("Fundaq Nasr") == ()
    assert gazetteer.candidates("https://example.org/zafaran") == ()
    assert gazetteer.demonym("Iraqi").geonames_id == 99237


def test_feature_classes_can_be_chosen(tmp_path: Path):
    build_gazetteer(
        tmp_path / "out",
        from_dir=write_dump(tmp_path / "dump"),
        feature_classes="PS",
        packages=False,
    )
    gazetteer = Gazetteer.open(tmp_path / "out")
    assert gazetteer.candidates("Fundaq Nasr")[0].entry.feature_code == "HTL"
    assert gazetteer.candidates("Wadi Sabr") == ()


def test_a_malformed_dump_names_the_file_and_line(tmp_path: Path):
    broken = [PLACES[0], ["1004", "Half a row", "36.0"]]
    with pytest.raises(ValueError, match=r"allCountries.txt:2: expected 19 tab-separated columns"):
        build_gazetteer(
            tmp_path / "out", from_dir=write_dump(tmp_path / "dump", places=broken), packages=False
        )


def test_a_directory_without_a_places_file_is_refused(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="allCountries.txt or citiesNNN.txt"):
        build_gazetteer(tmp_path / "out", from_dir=tmp_path / "empty", packages=False)


def test_countries_sit_at_geonames_own_points():
    """The Place contract: a country's lat/lon is its GeoNames entry's point, not a centroid
    from elsewhere (Canada's centroid lies ~1,000 km east of GeoNames' point)."""
    canada = next(r for r in country_records() if r.country_code == "CA")
    assert (canada.geonames_id, round(canada.lat, 3), round(canada.lon, 3)) == (6251999, 60.109, -113.643)


def test_vendored_points_cover_every_country_and_many_divisions():
    countries = vendored_points("country_points.tsv")
    divisions = vendored_points("admin1_points.tsv")
    assert len(countries) >= 190 and {"US", "CN", "IN", "BR", "NG"} <= countries.keys()
    assert len(divisions) >= 3000
    alberta = divisions["5883102"]  # GeoNames' own point: 52.28 N, 115.00 W
    assert 50 < alberta[0] < 57 and -117 < alberta[1] < -112

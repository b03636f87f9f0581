"""The compiled gazetteer: place names -> GeoNames entries, from arrays that load in a blink.

Built by :func:`services.enrich.gazetteer_build.build_gazetteer` into a directory; loaded
here read-only. A name is looked up under its exact key, then its loose key
(:mod:`services.enrich.toponyms`); each candidate carries how well its name matched.
"""

from __future__ import annotations

import fcntl
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import msgspec
import numpy as np
from msgspec import Struct

from services.enrich.gazetteer_build import (
    ALTERNATE,
    ARRAYS_FILE,
    FINGERPRINT,
    FORMAT,
    LOOSE,
    META_FILE,
    PRIMARY,
    GazetteerMeta,
    key_hash,
)
from services.enrich.toponyms import exact_key, loose_key
from shared.logging import get_logger

log = get_logger()
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A country, continent, state or region: an area more than a point.
AREA_FEATURES = frozenset({"PCLI", "CONT", "ADM1", "RGN", "ADMD"})
MAJOR_FEATURES = frozenset({"CONT", "PCLI", "ADM1", "PPLC"})
MAJOR_CITY = 100_000
# An area's name ending in "a" with an "n" (its people: "ns") after it.
AREA_ADJECTIVE = re.compile(r"(?P<area>[A-Z][\w .]{2,}a)ns?")
MAJOR_COUNTY = 1_000_000  # a county as well known as a big city: Nadia district (791,000) is not


class GazetteerEntry(Struct, frozen=True):
    """One GeoNames entry, unpacked from the arrays for the few rows a story needs."""

    row: int
    geonames_id: int
    name: str
    lat: float
    lon: float
    country_code: str
    admin1: str | None
    feature_code: str
    population: int
    extent_km: float = 0.0  # how far the place reaches from its point (seas, regions)
    members: tuple[str, ...] = ()  # the countries ("SY") or divisions ("SD.55") of a region

    @property
    def is_area(self) -> bool:
        """A country, continent, state or region."""
        return self.feature_code in AREA_FEATURES

    @property
    def is_major(self) -> bool:
        """A place news readers know by name: a continent, country, state, capital, big
        city or a county of millions."""
        big = MAJOR_COUNTY if self.feature_code == "ADM2" else MAJOR_CITY
        return self.feature_code in MAJOR_FEATURES or self.population >= big


class Candidate(Struct, frozen=True):
    entry: GazetteerEntry
    quality: int  # 3: primary name, 2: alternate name, 1: loose spelling match


class GazetteerMissing(Exception):
    """The compiled files are absent or from another format; the message says how to build."""


class Gazetteer:
    def __init__(self, arrays: dict[str, np.ndarray], meta: GazetteerMeta, directory: Path) -> None:
        self._a = arrays
        self.meta = meta
        self.directory = directory
        self.version = meta.version
        # Names recur across stories ("U.S.", "Iraq"): keep the latest lookups at hand.
        self.candidates = lru_cache(maxsize=1 << 14)(self._candidates)
        # Asked of every capitalised word, several times an article, and its fallback
        # (area_of_adjective) looks names up twice.
        self.demonym = lru_cache(maxsize=1 << 14)(self._demonym)

    @classmethod
    def open(cls, directory: Path) -> Gazetteer:
        meta_path, arrays_path = directory / META_FILE, directory / ARRAYS_FILE
        if not meta_path.is_file() or not arrays_path.is_file():
            raise GazetteerMissing(f"no compiled gazetteer in {directory}")
        try:
            meta = msgspec.json.decode(meta_path.read_bytes(), type=GazetteerMeta)
        except msgspec.ValidationError as exc:
            raise GazetteerMissing(
                f"gazetteer in {directory} is from another version: {exc}"
            ) from None
        if meta.format != FORMAT or meta.fingerprint != FINGERPRINT:
            raise GazetteerMissing(f"gazetteer in {directory} was compiled by other code")
        with np.load(arrays_path) as npz:
            arrays = {name: npz[name] for name in npz.files}
        return cls(arrays, meta, directory)

    @classmethod
    def load(cls, directory: Path) -> Gazetteer:
        """Open the compiled gazetteer, compiling it from the packages first when absent."""
        try:
            return cls.open(directory)
        except GazetteerMissing as missing:
            if _built_from_dump(directory):
                # Recompiling from the packages alone would quietly drop the operator's data.
                raise GazetteerMissing(
                    f"{missing}; it was extended from GeoNames dump files: rebuild it with "
                    "`dateline gazetteer build --from DIR`"
                ) from None
            with _compile_lock(directory):
                try:  # another worker may have compiled it while this one waited
                    return cls.open(directory)
                except GazetteerMissing:
                    log.info("gazetteer.compiling", reason=str(missing), out_dir=str(directory))
                    _compile_apart(directory)
            return cls.open(directory)

    # -- lookups ---------------------------------------------------------------------

    def _candidates(self, name: str) -> tuple[Candidate, ...]:
        """Every entry the name may mean, best name match first, then biggest first."""
        exact = exact_key(name)
        if not exact:
            return ()
        found = dict(self._postings("x", exact))
        for row, quality in self._postings("l", loose_key(name)):
            found.setdefault(row, quality)
        ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
        return tuple(Candidate(entry=self.entry(row), quality=q) for row, q in ranked)

    def _postings(self, kind: str, key: str) -> list[tuple[int, int]]:
        wanted = np.uint64(key_hash(kind, key))
        keys = self._a["key_hashes"]
        at = int(np.searchsorted(keys, wanted))
        if at == len(keys) or keys[at] != wanted:
            return []
        start, end = self._a["key_starts"][at : at + 2]
        rows = self._a["posting_rows"][start:end].tolist()
        quality = self._a["posting_quality"][start:end].tolist()
        if kind == "l":
            quality = [LOOSE] * len(rows)
        return list(zip(rows, quality, strict=True))

    def _demonym(self, word: str) -> GazetteerEntry | None:
        """ "Iraqi", "Iraqis" -> Iraq; None when the word names no place's people."""
        row = self.meta.demonyms.get(exact_key(word))
        return self.entry(row) if row is not None else self.area_of_adjective(word)

    def area_of_adjective(self, word: str) -> GazetteerEntry | None:
        """An area's adjective the demonym table lacks, made the regular way, its name and
        an "n": "Korean" -> Korea, "Central American" -> Central America, "Sicilians" ->
        Sicilia. Only a country, continent, state or region called so, by its own name as
        written or another of its names: the adjective of a town ("Roman") says too little,
        and a word that is a place's own name ("Milan") is that place."""
        found = AREA_ADJECTIVE.fullmatch(word)
        if found is None or any(c.quality == PRIMARY for c in self.candidates(word)):
            return None
        area = found.group("area")
        areas = [
            c.entry
            for c in self.candidates(area)
            if (c.quality == ALTERNATE or c.quality == PRIMARY and c.entry.name == area)
            and c.entry.is_area
        ]
        return areas[0] if areas else None

    def entry(self, row: int) -> GazetteerEntry:
        a = self._a
        start, end = a["name_offsets"][row : row + 2]
        country = self.meta.countries[int(a["country"][row])]
        return GazetteerEntry(
            row=row,
            geonames_id=int(a["geonames_id"][row]),
            name=a["names"][start:end].tobytes().decode(),
            lat=float(a["lat"][row]),
            lon=float(a["lon"][row]),
            country_code=country,
            admin1=self.meta.admin1_names.get(a["admin1"][row].decode()),
            feature_code=self.meta.feature_codes[int(a["feature"][row])],
            population=int(a["population"][row]),
            extent_km=float(a["extent_km"][row]),
            members=tuple(self.meta.members.get(str(row), ())),
        )


def _compile_apart(directory: Path) -> None:
    """Compile in a child process: its peak memory (~0.5 GB) is never the worker's.
    A fresh interpreter, not multiprocessing: that would re-run the caller's main module."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "services.enrich.gazetteer_build", str(directory.resolve())],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise GazetteerMissing(
            f"compiling the gazetteer into {directory} failed: {done.stderr.strip()[-2000:]}"
        )
    log.info(
        "gazetteer.compiled",
        out_dir=str(directory),
        seconds=round(time.perf_counter() - started, 1),
    )


@contextmanager
def _compile_lock(directory: Path) -> Iterator[None]:
    """One compiler at a time: workers starting together wait for the first one's result."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".compile.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _built_from_dump(directory: Path) -> bool:
    try:
        sources = msgspec.json.decode((directory / META_FILE).read_bytes()).get("sources", [])
    except (OSError, msgspec.DecodeError, AttributeError):
        return False
    return any(str(source).startswith("geonames-dump") for source in sources)

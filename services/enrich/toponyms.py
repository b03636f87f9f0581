"""Place-name keys: the spellings news writers and GeoNames disagree on, folded together.

Two keys per name. The *exact* key only folds case, accents, apostrophes, punctuation
and abbreviations ("St." = "Saint"), so a match on it is a match on the name. The *loose*
key also folds what transliteration varies and what writers add or drop: Arabic articles
("Hammam al-Alil" = "Hammam Alil"), doubled letters ("Tall Afar" = "Tal Afar"), a final
"h" ("Karamah" = "Karama"), spaces, and generic suffixes ("Tigris River", "Afrin District").
A loose match is weaker evidence and scores lower.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = re.compile(r"[\u0027\u2018\u2019\u02bb\u02bc\u02be\u02bf`´]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_DOUBLED = re.compile(r"([a-z])\1+")
_FINAL_H = re.compile(r"(?<=[aeiou])h\b")
# Latin letters, their modifiers and accents, general punctuation: nothing else.
_NOT_LATIN = re.compile(r"[^\u0000-\u024f\u02b0-\u036f\u1e00-\u1eff\u2000-\u206f]")
_LETTER = re.compile(r"[^\W\d_]")
_LEADING = re.compile(r"^(?:the|city of|state of|province of|republic of) (?=.{3})")
_INITIALS = re.compile(r"\b[a-z](?: [a-z]\b)+")  # "u s a" (from "U.S.A.") -> "usa"

ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort", "pt": "point"}
ARABIC_ARTICLES = frozenset({"al", "el", "ad", "ar", "as", "an", "at", "az", "ash", "adh", "ath"})
GENERIC_SUFFIXES = frozenset(
    {
        "river", "district", "province", "governorate", "region", "city", "county", "state",
        "municipality", "prefecture", "oblast", "department", "island", "islands", "valley",
        "lake", "mountains", "republic", "emirate", "kingdom", "territory", "parish",
        "borough", "township", "village", "town", "subdistrict", "area",
    }
)  # fmt: skip


def ascii_fold(name: str) -> str:
    """Accents off, case folded; characters outside Latin script are dropped."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def is_latin(name: str) -> bool:
    """True when the name is written in Latin script (GeoNames also lists Arabic, Cyrillic...)."""
    if name.isascii():
        return _LETTER.search(name) is not None
    return _NOT_LATIN.search(name) is None and _LETTER.search(name) is not None


def words(name: str) -> list[str]:
    folded = _APOSTROPHES.sub("", ascii_fold(name))
    return [ABBREVIATIONS.get(token, token) for token in _NON_WORD.sub(" ", folded).split()]


@lru_cache(maxsize=1 << 16)  # a story repeats its names, and the news its places
def exact_key(name: str) -> str:
    text = " ".join(words(name))
    if _INITIALS.search(text):
        text = _INITIALS.sub(lambda m: m.group(0).replace(" ", ""), text)
    return _LEADING.sub("", text)


def loose_key(name: str, exact: str | None = None) -> str:
    """The loose key of ``name``; pass its ``exact`` key when already computed."""
    tokens = (exact_key(name) if exact is None else exact).split()
    tokens = [t for t in tokens if t not in ARABIC_ARTICLES] or tokens
    while len(tokens) > 1 and tokens[-1] in GENERIC_SUFFIXES:
        tokens.pop()
    return _DOUBLED.sub(r"\1", _FINAL_H.sub("", " ".join(tokens))).replace(" ", "")


def possessive_stripped(name: str) -> str:
    """ "Iraq's" -> "Iraq": NER often keeps the possessive inside the span."""
    return re.sub(r"[\u0027\u2019]s$", "", name.strip())

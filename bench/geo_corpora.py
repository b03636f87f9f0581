"""The geotagging development corpora, read into one shape, and what NER makes of them.

Three corpora of gold toponyms with coordinates (team-only data in ../shared/data/geo;
see its README): GeoWebNews (200 news articles), TUD-Loc-2013's training and validation
splits (92 web texts) and LGL's articles from 31 local US papers (218 articles, each
with its paper and download time). Each loads as :class:`GoldArticle` s whose toponyms
carry character offsets into the article's text.

Reading them through the Enricher (spaCy NER, missed mentions, entity labels) is the slow
part of every evaluation; :func:`geotag_inputs` keeps what geotagging is handed for each
article in a file under ``data/geo_eval/``, keyed by the code and model that produced it,
so that learning and cross-validating the ranker runs on geotagging alone.
"""

from __future__ import annotations

import csv
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from msgspec import Struct

from services.enrich import Enricher
from services.enrich.mentions import Mention
from services.enrich.nlp import load_ner
from shared.schemas import Place, RawArticle
from shared.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
GEO_DATA = ROOT.parent / "shared" / "data" / "geo"
CACHE_DIR = ROOT / "data" / "geo_eval"
# The code that turns an article into geotagging's input: a change to any of it
# invalidates the cached inputs.
NER_SIDE = (
    "enricher.py", "boilerplate.py", "entities.py", "missed_mentions.py", "passages.py",
    "mentions.py", "mention_set.py", "name_search.py", "wire.py", "nlp.py",
)  # fmt: skip
LGL_DRIFT = 40  # LGL's offsets are off by a few characters here and there


class GoldToponym(Struct, frozen=True):
    start: int
    end: int
    type: str
    lat: float | None = None
    lon: float | None = None
    geonames_id: int | None = None

    @property
    def located(self) -> bool:
        """A toponym the gold resolves to a GeoNames entry: the ones resolution is scored on."""
        return self.geonames_id is not None and self.lat is not None


class GoldArticle(Struct, kw_only=True):
    corpus: str
    doc_id: str
    source: str  # the publisher: the URL's host, or the paper's domain
    published: str  # sortable; "" when unknown
    title: str
    text: str
    toponyms: list[GoldToponym]  # every annotation, located or not


class GeotagInput(Struct, frozen=True):
    """What the Enricher hands geotagging for one article."""

    title: str
    text: str
    mentions: list[Mention]


# -- GeoWebNews ---------------------------------------------------------------------------


def load_gwn(directory: Path = GEO_DATA) -> list[GoldArticle]:
    articles = []
    for article in ET.parse(directory / "GWN.xml").getroot().iter("article"):
        toponyms = [
            GoldToponym(
                start=int(t.findtext("start")),
                end=int(t.findtext("end")),
                type=t.findtext("type") or "",
                lat=_float(t.findtext("latitude")),
                lon=_float(t.findtext("longitude")),
                geonames_id=_int(t.findtext("geonamesID")),
            )
            for t in article.find("toponyms")
        ]
        link = article.findtext("link") or ""
        articles.append(
            GoldArticle(
                corpus="gwn",
                doc_id=article.get("file", str(len(articles))),
                source=urlsplit(link).hostname or "",
                published="",
                title=article.findtext("title") or "",
                text=article.findtext("text") or "",
                toponyms=toponyms,
            )
        )
    return articles


# -- TUD-Loc-2013 -------------------------------------------------------------------------

# Inline annotations; a few close with another type's tag ("<UNIT>Florida</CITY>").
_TUD_TAG = re.compile(r"<([A-Z]+)(?: [^>]*)?>(.*?)</[A-Z]+>", re.DOTALL)


def load_tud(directory: Path = GEO_DATA / "tud-loc-2013") -> list[GoldArticle]:
    urls = _tud_urls(directory / "index.csv")
    articles = []
    for split in ("training", "validation"):
        located = _tud_coordinates(directory / split / "coordinates.csv")
        for path in sorted((directory / split).glob("text*.txt"), key=_numbered):
            text, annotations = _untagged(path.read_text(encoding="utf-8"))
            # The offset, not the running index (repeated in places), names the annotation.
            toponyms = [
                _tud_toponym(kind, start, end, located.get((path.name, start)))
                for kind, start, end in annotations
            ]
            articles.append(
                GoldArticle(
                    corpus="tud",
                    doc_id=f"{split}/{path.name}",
                    source=urlsplit(urls.get(path.name, "")).hostname or "",
                    published="",
                    title="",
                    text=text,
                    toponyms=toponyms,
                )
            )
    return articles


def _untagged(tagged: str) -> tuple[str, list[tuple[str, int, int]]]:
    """The text without its tags, and each annotation's (type, start, end) in it."""
    pieces, annotations, last, length = [], [], 0, 0
    for found in _TUD_TAG.finditer(tagged):
        before = tagged[last : found.start()]
        pieces.append(before)
        length += len(before)
        name = found.group(2)
        annotations.append((found.group(1), length, length + len(name)))
        pieces.append(name)
        length += len(name)
        last = found.end()
    pieces.append(tagged[last:])
    return "".join(pieces), annotations


def _tud_coordinates(path: Path) -> dict[tuple[str, int], tuple[float, float, int | None]]:
    found = {}
    with path.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter=";"):
            lat, lon = _float(row["latitude"]), _float(row["longitude"])
            if lat is None or lon is None:
                continue
            source = row["sourceId"] or ""
            geonames_id = (
                _int(source.removeprefix("geonames:")) if source.startswith("geonames:") else None
            )
            found[row["docId"], int(row["offset"])] = (lat, lon, geonames_id)
    return found


def _tud_toponym(
    kind: str, start: int, end: int, located: tuple[float, float, int | None] | None
) -> GoldToponym:
    if located is None:
        return GoldToponym(start=start, end=end, type=kind)
    lat, lon, geonames_id = located
    return GoldToponym(start=start, end=end, type=kind, lat=lat, lon=lon, geonames_id=geonames_id)


def _tud_urls(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as rows:
        return {row["file"]: row["URL"] for row in csv.DictReader(rows, delimiter=";")}


def _numbered(path: Path) -> int:
    return int(re.sub(r"\D", "", path.stem) or 0)


# -- LGL (the 31 development papers) ------------------------------------------------------


def load_lgl(directory: Path = GEO_DATA / "lgl-dev") -> list[GoldArticle]:
    articles = []
    for article in ET.parse(directory / "lgl-dev.xml").getroot().iter("article"):
        text = article.findtext("text") or ""
        toponyms = [_lgl_toponym(t, text) for t in article.find("toponyms")]
        articles.append(
            GoldArticle(
                corpus="lgl",
                doc_id=article.get("docid", str(len(articles))),
                source=article.findtext("domain") or "",
                published=article.findtext("dltime") or "",
                title=article.findtext("title") or "",
                text=text,
                toponyms=[t for t in toponyms if t is not None],
            )
        )
    return articles


def _lgl_toponym(element: ET.Element, text: str) -> GoldToponym | None:
    phrase = element.findtext("phrase") or ""
    start = _realigned(text, phrase, int(element.findtext("start")))
    if start is None:
        return None
    gaztag = element.find("gaztag")
    if gaztag is None:
        return GoldToponym(start=start, end=start + len(phrase), type="")
    return GoldToponym(
        start=start,
        end=start + len(phrase),
        type=gaztag.findtext("fcode") or "",
        lat=_float(gaztag.findtext("lat")),
        lon=_float(gaztag.findtext("lon")),
        geonames_id=_int(gaztag.get("geonameid")),
    )


def _realigned(text: str, phrase: str, start: int) -> int | None:
    """Where ``phrase`` is written nearest to ``start``."""
    if not phrase:
        return None
    if text.startswith(phrase, start):
        return start
    window = text[max(0, start - LGL_DRIFT) : start + LGL_DRIFT + len(phrase)]
    found = [m.start() + max(0, start - LGL_DRIFT) for m in re.finditer(re.escape(phrase), window)]
    return min(found, key=lambda at: abs(at - start)) if found else None


# -- all of them --------------------------------------------------------------------------

CORPORA: dict[str, Callable[[], list[GoldArticle]]] = {
    "gwn": load_gwn,
    "tud": load_tud,
    "lgl": load_lgl,
}


def available() -> bool:
    return (GEO_DATA / "GWN.xml").is_file()


def raw_articles(articles: Sequence[GoldArticle]) -> list[RawArticle]:
    now = datetime.now(UTC)
    return [
        RawArticle(
            id=hashlib.blake2b(f"{a.corpus}/{a.doc_id}".encode(), digest_size=16).hexdigest(),
            url=f"https://{a.source or 'corpus.example'}/{a.corpus}/{a.doc_id}",
            canonical_url=f"https://{a.source or 'corpus.example'}/{a.corpus}/{a.doc_id}",
            source=a.source, title=a.title, text=a.text, language="en", published_at=None,
            received_at=now, content_hash=a.doc_id,
        )
        for a in articles
    ]  # fmt: skip


class _Recorder:
    """Stands in for the Enricher's geotagger: keeps what it is handed, places nothing."""

    version = "recorder"

    def __init__(self) -> None:
        self.inputs: list[GeotagInput] = []

    def geotag(
        self, title: str, text: str, mentions: Sequence[Mention], source: str = ""
    ) -> tuple[list[Place], Place | None]:
        self.inputs.append(GeotagInput(title, text, list(mentions)))
        return [], None

    def resolve(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Place | None]:
        return [None] * len(spans)

    def is_known(self, name: str) -> bool:
        return False  # asked only after geotagging, for the entities: no part of the inputs


def geotag_inputs(corpus: str, articles: Sequence[GoldArticle]) -> list[GeotagInput]:
    """What geotagging is handed for each article, from the cache when the NER side of the
    code and the model are those that filled it."""
    path = CACHE_DIR / f"{corpus}-{_ner_fingerprint(articles)}.msgpack"
    if path.is_file():
        return msgspec.msgpack.decode(path.read_bytes(), type=list[GeotagInput])
    recorder = _Recorder()
    reader = Enricher(load_ner(load_settings().spacy_model), recorder)
    enriched = list(reader.enrich_many(raw_articles(articles)))
    if len(enriched) != len(articles):
        raise RuntimeError(f"{len(articles) - len(enriched)} articles of {corpus} failed to enrich")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.msgpack.encode(recorder.inputs))
    return recorder.inputs


def _ner_fingerprint(articles: Sequence[GoldArticle]) -> str:
    digest = hashlib.blake2b(load_settings().spacy_model.encode(), digest_size=8)
    for name in NER_SIDE:
        path = ROOT / "services" / "enrich" / name
        if path.is_file():
            digest.update(path.read_bytes())
    for article in articles:
        digest.update(article.title.encode() + b"\0" + article.text.encode() + b"\0")
    return digest.hexdigest()


def _float(value: str | None) -> float | None:
    return float(value) if value else None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None

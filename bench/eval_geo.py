"""Geotagging accuracy on the GeoWebNews development set (``make eval``).

Prints, with the commit that produced them:
- detection: precision / recall / F1 of the toponym spans the whole pipeline finds
  (NER -> places) against the gold toponyms that have coordinates;
- resolution on gold spans (``resolve``): accuracy within 161 km and median error, overall
  and per toponym type;
- end to end: the same on the gold toponyms the pipeline found.

Reads ../shared/data/geo (team-only; see its README) and skips with a message when absent.
Tune only on this set: other corpora check that gains are real.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

from msgspec import Struct

from services.enrich.disambiguation import distance_km
from services.enrich.geotag import Geotagger
from services.enrich.mentions import Mention
from shared.schemas import Place
from shared.settings import load_settings

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "geo" / "GWN.xml"
ACCURATE_KM = 161.0  # 100 miles, as the published figures


class GoldToponym(Struct, frozen=True):
    start: int
    end: int
    type: str
    lat: float
    lon: float
    geonames_id: int | None


class GoldArticle(Struct):
    title: str
    text: str
    toponyms: list[GoldToponym]


def gold_articles(path: Path) -> list[GoldArticle]:
    """GeoWebNews articles with their located toponyms (those with coordinates)."""
    articles = []
    for article in ET.parse(path).getroot().iter("article"):
        toponyms = [
            GoldToponym(
                start=int(t.findtext("start")),
                end=int(t.findtext("end")),
                type=t.findtext("type") or "",
                lat=float(t.findtext("latitude")),
                lon=float(t.findtext("longitude")),
                geonames_id=int(t.findtext("geonamesID")) if t.findtext("geonamesID") else None,
            )
            for t in article.find("toponyms")
            if t.findtext("latitude")
        ]
        articles.append(GoldArticle(article.findtext("title") or "", article.findtext("text") or "", toponyms))
    return articles


class Tally:
    """Errors in km of resolved toponyms; None for a toponym left unresolved."""

    def __init__(self) -> None:
        self.errors: list[float | None] = []

    def add(self, gold: GoldToponym, place: Place | None) -> None:
        self.errors.append(None if place is None else distance_km(gold.lat, gold.lon, place.lat, place.lon))

    def line(self, label: str) -> str:
        n = len(self.errors)
        if not n:
            return f"  {label:<24} n=0"
        answered = [e for e in self.errors if e is not None]
        accurate = sum(e <= ACCURATE_KM for e in answered)
        # Unresolved counts as wrong, at the far end of the error distribution.
        median = statistics.median([e if e is not None else 20_000.0 for e in self.errors])
        return (
            f"  {label:<24} n={n:<5} acc@161={accurate / n:6.1%}  median_km={median:8.1f}"
            f"  answered={len(answered) / n:6.1%}  acc@161_of_answered={accurate / max(len(answered), 1):6.1%}"
        )


def mentions_by_spacy(model: str, articles: Sequence[GoldArticle]) -> Iterator[list[Mention]]:
    """NER mentions of every article through the same Mention path the Enricher uses."""
    import spacy

    nlp = spacy.load(model, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    for article in articles:
        mentions = []
        for field, value in (("title", article.title), ("text", article.text)):
            offset = 0
            for paragraph in value.split("\n"):
                for ent in nlp(paragraph).ents:
                    mentions.append(
                        Mention(field, offset + ent.start_char, offset + ent.end_char, ent.text, ent.label_)
                    )
                offset += len(paragraph) + 1
        yield mentions


def main() -> int:
    if not DATA.is_file():
        print(f"skipped: GeoWebNews not found at {DATA} (team-only data; see shared/data/README)")
        return 0
    settings = load_settings()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    started = time.perf_counter()
    geotagger = Geotagger.load(settings)
    print(f"commit {commit}  gazetteer {geotagger.version}  loaded in {time.perf_counter() - started:.2f} s")
    articles = gold_articles(DATA)
    print(f"GeoWebNews: {len(articles)} articles, {sum(len(a.toponyms) for a in articles)} located gold toponyms")

    on_gold, on_gold_by_type = Tally(), defaultdict(Tally)
    for article in articles:
        wanted = [t for t in article.toponyms if t.geonames_id is not None]
        answers = geotagger.resolve(article.text, [(t.start, t.end) for t in wanted])
        for gold, place in zip(wanted, answers, strict=True):
            on_gold.add(gold, place)
            on_gold_by_type[gold.type].add(gold, place)
    print("resolution on gold spans with a GeoNames id (resolve):")
    print(on_gold.line("all"))
    for kind, tally in sorted(on_gold_by_type.items(), key=lambda kv: -len(kv[1].errors)):
        print(tally.line(kind))

    tp = fp = fn = 0
    end_to_end, end_to_end_by_type = Tally(), defaultdict(Tally)
    for article, mentions in zip(articles, mentions_by_spacy(settings.spacy_model, articles), strict=True):
        places, _focus = geotagger.geotag(article.title, article.text, mentions)
        predicted = {(s.start, s.end): p for p in places for s in p.spans if s.field == "text"}
        gold_spans = {(t.start, t.end): t for t in article.toponyms}
        matched = predicted.keys() & gold_spans.keys()
        tp += len(matched)
        fp += len(predicted) - len(matched)
        fn += len(gold_spans) - len(matched)
        for span in matched:
            gold = gold_spans[span]
            if gold.geonames_id is not None:
                end_to_end.add(gold, predicted[span])
                end_to_end_by_type[gold.type].add(gold, predicted[span])
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(f"detection (exact spans, {settings.spacy_model} NER -> places): "
          f"P={precision:.3f} R={recall:.3f} F1={f1:.3f}  (tp={tp} fp={fp} fn={fn})")  # fmt: skip
    print("resolution end to end (gold toponyms with a GeoNames id that were detected):")
    print(end_to_end.line("all"))
    for kind, tally in sorted(end_to_end_by_type.items(), key=lambda kv: -len(kv[1].errors)):
        print(tally.line(kind))
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

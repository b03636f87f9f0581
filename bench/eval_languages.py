"""Places in articles that are not in English, per language (``make eval-languages``).

    python -m bench.eval_languages [--pages DIR] [--errors]

Gold: bench/gold/places_de_fr.json, places with coordinates annotated by hand in real
German and French web pages (see its ``about``). Each page goes through ingest's own
reading (HTML to text, language detection: ``services.ingest.normalise``) and then
``Enricher.enrich_many``, as a page posted to ``/v1/articles`` would.

Scored per language, by place name per article:
- a gold place is found when one of the article's places is written with its name
  (any span, case folded) and lies within 161 km of the gold point;
- an article's place written with no gold name is a place invented (from a common word,
  a person, a team...), and counts against precision.
Prints what each language gets (``enrichment``: full or places-only), precision, recall,
F1 and, with ``--errors``, every miss and every invented place.

The pages are not in the project: ``--pages`` is a folder holding them at the paths the
gold names (default ../shared/data/multilingual/, team-only); skipped with a message when
absent. Nothing was tuned on these pages.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from msgspec import Struct

from shared.schemas import ArticleIn, EnrichedArticle, RawArticle

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "bench" / "gold" / "places_de_fr.json"
PAGES = ROOT.parent / "shared" / "data" / "multilingual"
ACCURATE_KM = 161.0


class GoldPlace(Struct, array_like=True):
    name: str
    lat: float
    lon: float


class GoldArticle(Struct):
    page: str
    language: str
    places: list[GoldPlace]


def gold_articles() -> list[GoldArticle]:
    import msgspec

    return msgspec.convert(json.loads(GOLD.read_text())["articles"], list[GoldArticle])


def raw_article(gold: GoldArticle, pages: Path) -> RawArticle:
    """The page as ingest publishes it (its host taken from the file name)."""
    from services.ingest.normalise import normalise
    from services.ingest.page import page_reading

    html = (pages / gold.page).read_bytes().decode("utf-8", errors="replace")
    name = Path(gold.page).stem
    url = f"https://{name.split('-')[0].rsplit('.', 1)[0]}.example/{name}"
    reading = page_reading(html)
    return normalise(ArticleIn(url=url, html=html), datetime.now(UTC), 2_000_000, reading)


def surfaces(article: EnrichedArticle) -> dict[int, set[str]]:
    """Each place's names as written (case folded), by place."""
    fields = {"title": article.title, "text": article.text}
    return {
        i: {place.name.casefold()}
        | {fields[s.field][s.start : s.end].casefold() for s in place.spans}
        for i, place in enumerate(article.places)
    }


class Tally(Struct):
    found: int = 0
    gold: int = 0
    places: int = 0
    invented: int = 0
    far: int = 0

    def line(self, language: str, kinds: Counter[str], articles: int) -> str:
        precision = self.found / self.places if self.places else 0.0
        recall = self.found / self.gold if self.gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return (
            f"  {language}: {articles} articles ({', '.join(f'{k} {n}' for k, n in kinds.items())}), "
            f"{self.gold} gold places, {self.places} places answered: "
            f"P {precision:.2f} R {recall:.2f} F1 {f1:.2f} "
            f"(invented {self.invented}, right name but > {ACCURATE_KM:.0f} km {self.far})"
        )


def score(gold: GoldArticle, article: EnrichedArticle, tally: Tally, errors: list[str]) -> None:
    from services.enrich.distance import distance_km

    written = surfaces(article)
    names = {g.name.casefold() for g in gold.places}
    tally.gold += len(gold.places)
    tally.places += len(article.places)
    for g in gold.places:
        answers = [article.places[i] for i, s in written.items() if _names(s, g.name)]
        near = [p for p in answers if distance_km(g.lat, g.lon, p.lat, p.lon) <= ACCURATE_KM]
        if near:
            tally.found += 1
        elif answers:
            tally.far += 1
            errors.append(
                f"  far      {gold.page}: {g.name} -> {answers[0].resolved_name}, {answers[0].country_code}"
            )
        else:
            errors.append(f"  missed   {gold.page}: {g.name}")
    for i, place in enumerate(article.places):
        if not any(_names(written[i], name) for name in names):
            tally.invented += 1
            errors.append(
                f"  invented {gold.page}: {place.name} -> {place.resolved_name}, {place.country_code}"
            )


def _names(written: set[str], name: str) -> bool:
    """Whether one of a place's written names is ``name`` or holds it as its own words
    ("Kanton Bern" names Bern)."""
    key = name.casefold()
    return any(re.search(rf"(?<!\w){re.escape(key)}(?!\w)", form) for form in written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES, help="folder holding the pages")
    parser.add_argument("--errors", action="store_true", help="list misses and invented places")
    args = parser.parse_args(argv)
    golds = gold_articles()
    if not all((args.pages / g.page).is_file() for g in golds):
        print(
            f"skipped: the gold's pages are not in {args.pages} (team-only data; see {GOLD.name})"
        )
        return 0
    from services.enrich import Enricher
    from shared.settings import load_settings

    enricher = Enricher.load(load_settings())
    raws = [raw_article(g, args.pages) for g in golds]
    tallies: dict[str, Tally] = defaultdict(Tally)
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    errors: list[str] = []
    print(
        f"places in {len(golds)} real articles not in English ({GOLD.name}); within {ACCURATE_KM:.0f} km"
    )
    for gold, raw, article in zip(golds, raws, enricher.enrich_many(raws), strict=True):
        if raw.language != gold.language:
            errors.append(f"  language {gold.page}: detected {raw.language}, not {gold.language}")
        kinds[gold.language][article.enrichment] += 1
        score(gold, article, tallies[gold.language], errors)
    for language, tally in sorted(tallies.items()):
        print(tally.line(language, kinds[language], sum(kinds[language].values())))
    if args.errors:
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())

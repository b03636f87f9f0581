"""Learn the place ranker's weights from all development corpora (``make learn``).

Writes services/enrich/data/ranker_weights.json, which the geotagger loads. The weights
are learned on every gold article of GeoWebNews, TUD-Loc-2013 (training and validation)
and lgl-dev; ``make eval`` reports what weights learned this way score on articles they
were not learned from (cross-validated by source).

Reads ../shared/data/geo (team-only; see its README) and skips with a message when absent.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import msgspec

from bench.geo_corpora import CORPORA, available
from bench.ranker_cv import learn, read_cases
from services.enrich.gazetteer import Gazetteer
from services.enrich.geotag import Geotagger
from services.enrich.ranker import UNLEARNED, WEIGHTS_FILE
from shared.settings import load_settings


def main() -> int:
    if not available():
        print("skipped: the geotagging corpora are not in ../shared/data/geo (team-only data)")
        return 0
    # Reading the corpora needs the gazetteer, not the committed weights.
    geotagger = Geotagger(Gazetteer.load(load_settings().gazetteer_dir), UNLEARNED)
    cases = read_cases(CORPORA, geotagger)
    weights = learn(cases)
    spans = sum(len(g) for c in cases for g in c.golds)
    learned = msgspec.structs.replace(
        weights,
        learned_from=(
            f"make learn, {datetime.now(UTC):%Y-%m-%d}: {len(cases)} articles of "
            f"{', '.join(CORPORA)} ({spans} gold toponyms)"
        ),
    )
    WEIGHTS_FILE.write_bytes(msgspec.json.format(msgspec.json.encode(learned), indent=2) + b"\n")
    print(f"wrote {WEIGHTS_FILE} ({learned.learned_from})")
    for title, weights in (("readings", learned.second), ("no place here", learned.none)):
        print(f"{title}:")
        for name, weight in sorted(weights.items(), key=lambda kv: -abs(kv[1])):
            print(f"  {name:<36} {weight:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

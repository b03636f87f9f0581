"""How many feed items become articles, and why the others do not.

    python -m bench.feeds DIR [DIR …]       # make bench-feeds FEEDS="DIR …"

Reads every file below each DIR as `dateline ingest` does (shared.feeds), then judges
each item with ingest's own pure core (decode_article, normalise: what the server would
answer, without a server), and prints per DIR: files by format, files that are no feed,
items found, the share that became articles, every refusal category with its count and an
example file, and the median time per file over ``--rounds``, beside the baseline measured
in the same run: feedparser.parse alone on the same bytes.

The feedparser project's test fixtures are the intended input (they are not in this
repository)::

    pip download feedparser==6.0.14 --no-binary :all: --no-deps -d /tmp/fp
    tar xzf /tmp/fp/feedparser-6.0.14.tar.gz -C /tmp/fp
    make bench-feeds FEEDS="/tmp/fp/feedparser-6.0.14/tests/wellformed /tmp/fp/feedparser-6.0.14/tests/illformed"
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from dateline.rejections import in_words
from services.ingest.decode import Rejection, decode_article
from services.ingest.normalise import NotAnArticle, normalise
from shared.feeds import Document, FeedError, parse_document
from shared.settings import Settings

QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|: .*$")


def judge(document: Document, received_at: datetime) -> tuple[int, Counter[str]]:
    """Articles ingest would take from the document, and why it would refuse the rest."""
    taken, refusals = 0, Counter[str]()
    for refused in document.refused:  # "item 3 has no link …": the category without "item 3"
        refusals["feed: " + QUOTED.sub("…", refused.split(" ", 2)[2])] += 1
    for item in document.items:
        decoded = decode_article(item.body)
        if isinstance(decoded, Rejection):
            refusals["ingest: " + in_words(decoded.field, decoded.reason)] += 1
            continue
        try:
            normalise(decoded.article, received_at, Settings().enrich_max_chars)
        except NotAnArticle as exc:
            refusals["ingest: " + in_words(exc.field, exc.reason)] += 1
            continue
        taken += 1
    return taken, refusals


def measure(directory: Path, rounds: int) -> None:
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    contents = [(p, p.read_bytes()) for p in files]
    formats, not_feeds, itemless, examples = Counter[str](), Counter[str](), 0, {}
    found = taken = giving = 0
    refusals = Counter[str]()
    now = datetime.now(UTC)
    for path, data in contents:
        try:
            document = parse_document(data, path.name)
        except FeedError as exc:
            reason = str(exc).split(": ", 1)[1]
            not_feeds[QUOTED.sub("…", reason.split(" (")[0])] += 1
            examples.setdefault("not a feed: " + reason.split(" (")[0], path)
            continue
        formats[document.kind] += 1
        itemless += not document.items and not document.refused
        took, why = judge(document, now)
        found += len(document.items) + len(document.refused)
        taken += took
        giving += took > 0
        refusals.update(why)
        for category in why:
            examples.setdefault(category, path)

    print(f"\n{directory}: {len(files)} files")
    print("  formats: " + ", ".join(f"{kind} {n}" for kind, n in formats.most_common()))
    for reason, n in not_feeds.most_common():
        print(f"  not a feed: {n} files ({reason}), e.g. {examples['not a feed: ' + reason].relative_to(directory)}")
    print(f"  feeds without items: {itemless} files; feeds that gave an article: {giving} files")
    share = taken / found if found else 0.0
    print(f"  items: {found}; became articles: {taken} ({share:.1%}); refused: {found - taken}")
    for category, n in refusals.most_common():
        print(f"    {n:5d}  {category}   e.g. {examples[category].relative_to(directory)}")
    ours, baseline = _timings(contents, rounds)
    print(f"  per file, median of {rounds} rounds: shared.feeds {ours * 1e6:.0f} µs, "
          f"feedparser.parse alone (baseline) {baseline * 1e6:.0f} µs")


def _timings(contents: list[tuple[Path, bytes]], rounds: int) -> tuple[float, float]:
    ours, baseline = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for path, data in contents:
            try:
                parse_document(data, path.name)
            except FeedError:
                pass
        ours.append((time.perf_counter() - started) / len(contents))
        started = time.perf_counter()
        for _path, data in contents:
            feedparser.parse(io.BytesIO(data))
        baseline.append((time.perf_counter() - started) / len(contents))
    return statistics.median(ours), statistics.median(baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directories", nargs="+", type=Path, help="directories of feed files")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for directory in args.directories:
        if not directory.is_dir():
            parser.error(f"{directory}: not a directory (see this module's docstring for the fixtures)")
        measure(directory, args.rounds)


if __name__ == "__main__":
    main()

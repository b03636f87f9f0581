"""Entity accuracy on CoNLL-2003's development split (``make eval-ner``).

    python -m bench.eval_ner [--limit N] [--errors LABEL]

Each CoNLL document becomes an article: its first sentence (the headline, mostly in
capitals) the title, the others the text, one line each, tokens joined back into
ordinary prose ("Japan 's" -> "Japan's"). Gold: CoNLL's PER/ORG/LOC spans; MISC is not
scored. Predictions are scored with exact spans, micro P/R/F1, after mapping spaCy's
OntoNotes labels onto CoNLL's (``CONLL_LABEL``):

    PERSON -> PER   ORG -> ORG   GPE, LOC, FAC -> LOC
    NORP, EVENT, PRODUCT, WORK_OF_ART, LAW, LANGUAGE -> MISC (not scored)

NORP goes to MISC because CoNLL tags nationalities and religious or political groups
("German", "Moslem", "Republicans") as MISC, never as LOC or ORG.

Two systems on the same text:
- bare: the same spaCy model and components, ``nlp.pipe`` over each line of the title
  and the text (one line at a time, as the enrichment reads them: across a line break a
  name never runs);
- enrichment: ``Enricher.enrich_many``, every span of every entity of the article.

Nothing is tuned on this split by the evaluation itself; it prints two halves of the
documents (even and odd positions) apart as well, so that a change tuned on one half can
be checked on the other (the gap is printed).

Reads ../shared/data/ner/eng.testa (team-only; see its README); skips with a message when
it is absent. The test split (eng.testb) is kept out to check that gains are real.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from hashlib import md5
from pathlib import Path

from msgspec import Struct

from shared.schemas import RawArticle

ROOT = Path(__file__).resolve().parent.parent
TESTA = ROOT.parent / "shared" / "data" / "ner" / "eng.testa"
SCORED = ("PER", "ORG", "LOC")
CONLL_LABEL = {
    "PERSON": "PER",
    "PER": "PER",  # the French model's labels are already CoNLL's
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
}  # everything else is MISC or not a name: not scored


class Sentence(Struct):
    tokens: list[str]
    tags: list[str]  # IOB1: I-PER, B-PER (only between two adjacent names), O


class GoldSpan(Struct, frozen=True):
    field: str
    start: int
    end: int
    label: str


class Document(Struct):
    title: str
    text: str
    gold: list[GoldSpan]


# -- reading CoNLL -----------------------------------------------------------------------------


def conll_documents(path: Path) -> list[list[Sentence]]:
    documents: list[list[Sentence]] = []
    sentence = Sentence([], [])
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-DOCSTART-"):
            documents.append([])
            continue
        if not line.strip():
            if sentence.tokens:
                documents[-1].append(sentence)
            sentence = Sentence([], [])
            continue
        token, *_, tag = line.split()
        sentence.tokens.append(token)
        sentence.tags.append(tag)
    if sentence.tokens:
        documents[-1].append(sentence)
    return [doc for doc in documents if doc]


def gold_chunks(tags: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    """(first token, end token, label) of each name in IOB1 tags."""
    start, label = None, None
    for i, tag in enumerate([*tags, "O"]):
        kind = tag[2:] if tag != "O" else None
        if start is not None and (kind != label or tag.startswith("B-")):
            yield start, i, label
            start, label = None, None
        if kind is not None and start is None:
            start, label = i, kind
    return


_NO_SPACE_BEFORE = re.compile(r"^(?:[.,;:!?%)\]}]+|'s|'S|n't|'re|'ve|'ll|'d|'m)$")
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "$"})


def detokenised(tokens: Sequence[str]) -> tuple[str, list[int]]:
    """The tokens as prose, and each token's offset in it."""
    out, offsets = "", []
    quotes_open = False
    glue_next = False
    for token in tokens:
        glue = glue_next or (out and _NO_SPACE_BEFORE.match(token))
        if token == '"':
            glue = glue or quotes_open  # a closing quote hugs the word before it
            glue_next = not quotes_open  # an opening one the word after it
            quotes_open = not quotes_open
        else:
            glue_next = token in _NO_SPACE_AFTER
        if out and not glue:
            out += " "
        offsets.append(len(out))
        out += token
    return out, offsets


def document(sentences: Sequence[Sentence]) -> Document:
    """The headline as the title, each other sentence a line of the text."""
    fields = {"title": "", "text": ""}
    gold = []
    for i, sentence in enumerate(sentences):
        field = "title" if i == 0 else "text"
        line, offsets = detokenised(sentence.tokens)
        base = len(fields[field]) + (1 if fields[field] else 0)
        fields[field] = f"{fields[field]}\n{line}" if fields[field] else line
        for first, end, label in gold_chunks(sentence.tags):
            if label in SCORED:
                start = base + offsets[first]
                stop = base + offsets[end - 1] + len(sentence.tokens[end - 1])
                gold.append(GoldSpan(field, start, stop, label))
    return Document(fields["title"], fields["text"], gold)


def raw_articles(documents: Sequence[Document]) -> list[RawArticle]:
    received = datetime.now(UTC)
    return [
        RawArticle(
            id=md5(f"conll-{i}".encode()).hexdigest(),
            url=f"https://conll.example/{i}",
            canonical_url=f"https://conll.example/{i}",
            source="conll.example",
            title=doc.title or "untitled",
            text=doc.text,
            language="en",
            published_at=None,
            received_at=received,
            content_hash=md5(doc.text.encode()).hexdigest(),
        )
        for i, doc in enumerate(documents)
    ]


# -- the two systems ---------------------------------------------------------------------------


def bare_spans(nlp, documents: Sequence[Document]) -> list[set[GoldSpan]]:
    """The model's entities over each line of each field, labels mapped to CoNLL's."""
    lines = [
        (i, field, match.start(), match.group())
        for i, doc in enumerate(documents)
        for field, text in (("title", doc.title), ("text", doc.text))
        for match in re.finditer(r"[^\n]+", text)
    ]
    found: list[set[GoldSpan]] = [set() for _ in documents]
    for (i, field, base, _), parsed in zip(
        lines, nlp.pipe(line for *_, line in lines), strict=True
    ):
        for ent in parsed.ents:
            if ent.label_ in CONLL_LABEL:
                found[i].add(
                    GoldSpan(
                        field, base + ent.start_char, base + ent.end_char, CONLL_LABEL[ent.label_]
                    )
                )
    return found


def enriched_spans(enricher, documents: Sequence[Document]) -> list[set[GoldSpan]]:
    found = []
    for article in enricher.enrich_many(raw_articles(documents)):
        found.append(
            {
                GoldSpan(s.field, s.start, s.end, CONLL_LABEL[e.label])
                for e in article.entities
                if e.label in CONLL_LABEL
                for s in e.spans
            }
        )
    return found


# -- scoring -----------------------------------------------------------------------------------


class Score(Struct):
    tp: Counter[str]
    fp: Counter[str]
    fn: Counter[str]

    @classmethod
    def of(cls, gold: Iterable[set[GoldSpan]], predicted: Iterable[set[GoldSpan]]) -> Score:
        score = cls(Counter(), Counter(), Counter())
        for g, p in zip(gold, predicted, strict=True):
            for span in p & g:
                score.tp[span.label] += 1
            for span in p - g:
                score.fp[span.label] += 1
            for span in g - p:
                score.fn[span.label] += 1
        return score

    def prf(self, label: str | None = None) -> tuple[float, float, float]:
        labels = [label] if label else SCORED
        tp = sum(self.tp[x] for x in labels)
        fp = sum(self.fp[x] for x in labels)
        fn = sum(self.fn[x] for x in labels)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def report(name: str, score: Score) -> None:
    cells = []
    for label in (None, *SCORED):
        p, r, f = score.prf(label)
        cells.append(f"{label or 'micro'} P/R/F {p:.3f}/{r:.3f}/{f:.3f}")
    print(f"  {name:<11} " + "   ".join(cells))


def errors(
    documents: Sequence[Document],
    gold: list[set[GoldSpan]],
    predicted: list[set[GoldSpan]],
    label: str,
) -> None:
    """Every missed and every wrong span of ``label``, with its line."""
    for doc, g, p in zip(documents, gold, predicted, strict=True):
        fields = {"title": doc.title, "text": doc.text}
        for kind, spans in (("missed", g - p), ("wrong", p - g)):
            for s in sorted(spans, key=lambda s: (s.field, s.start)):
                if s.label != label:
                    continue
                text = fields[s.field]
                line_start = text.rfind("\n", 0, s.start) + 1
                line_end = text.find("\n", s.end)
                line = text[line_start : line_end if line_end >= 0 else len(text)]
                others = [
                    x.label
                    for x in (p if kind == "missed" else g)
                    if (x.start, x.end, x.field) == (s.start, s.end, s.field)
                ]
                print(
                    f"  {kind:<6} {text[s.start : s.end]!r:<30} {'/'.join(others) or '-':<4} | {line[:110]}"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents")
    parser.add_argument("--errors", choices=SCORED, help="list the enrichment's errors of a label")
    parser.add_argument("--data", type=Path, default=TESTA, help="a CoNLL-2003 file")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"skipped: CoNLL-2003 not found at {args.data} (team-only data; see README)")
        return 0
    from services.enrich import Enricher
    from shared.settings import load_settings

    documents = [document(d) for d in conll_documents(args.data)][: args.limit]
    gold = [set(doc.gold) for doc in documents]
    enricher = Enricher.load(load_settings())
    print(
        f"CoNLL-2003 {args.data.name}: {len(documents)} documents, {sum(map(len, gold))} "
        f"PER/ORG/LOC names; model {enricher.model}; exact spans, micro P/R/F1"
    )
    started = time.perf_counter()
    bare = bare_spans(enricher.nlp, documents)
    bare_s = time.perf_counter() - started
    started = time.perf_counter()
    enriched = enriched_spans(enricher, documents)
    enrich_s = time.perf_counter() - started
    halves = {"even": slice(0, None, 2), "odd": slice(1, None, 2)}
    print("all documents")
    for name, predicted in (("bare", bare), ("enrichment", enriched)):
        report(name, Score.of(gold, predicted))
    for half, part in halves.items():
        print(f"{half} documents")
        for name, predicted in (("bare", bare), ("enrichment", enriched)):
            report(name, Score.of(gold[part], predicted[part]))
    gap = (
        Score.of(gold[0::2], enriched[0::2]).prf()[2]
        - Score.of(gold[1::2], enriched[1::2]).prf()[2]
    )
    _, _, bare_f = Score.of(gold, bare).prf()
    _, _, enriched_f = Score.of(gold, enriched).prf()
    print(
        f"enrichment - bare: {enriched_f - bare_f:+.3f} micro F1 (goal: >= 0, and >= 0.70 overall);"
        f" even - odd half: {gap:+.3f}"
    )
    print(f"time: bare {bare_s:.1f} s, enrichment {enrich_s:.1f} s")
    if args.errors:
        errors(documents, gold, enriched, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())

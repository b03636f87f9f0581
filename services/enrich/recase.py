"""All-capitals lines recased for NER: "BELGRADE 1996-08-30" read as "Belgrade 1996-08-30".

The small models learnt names from their capitals; in a line written all in capitals
every word looks like one, and the model finds few of them, or wrong ones. Each word of
such a line is written the way the article writes it elsewhere ("NATO", "Belgrade",
"the"); a word it never writes otherwise is a function word in lower case, anything else
capitalised (but a word of two letters, "LG", is left in capitals). The first letter of the line stays a capital.

A recased line has exactly the length of the original, letter for letter, so every
offset NER gives in it holds in the original too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

import msgspec
from msgspec import Struct

from services.enrich.passages import Passage

# A line is in capitals when more than this share of its letters are ...
UPPER_SHARE = 0.6
# ... and it has at least this many (a lone "UN" or "AP" is no headline).
MIN_LETTERS = 4
ACRONYM_LETTERS = 2

_UPPER = re.compile(r"[A-ZÀ-ÖØ-Þ]")
_LOWER = re.compile(r"[a-zß-öø-ÿ]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|[\"“(]\s*)$")


class Casing(Struct, frozen=True):
    """How an article writes its words outside capitals, and its language's function words."""

    forms: Mapping[str, str]  # lower-cased word -> the form the article writes most
    function_words: frozenset[str]


def is_upper_case(line: str) -> bool:
    """Mostly capitals, among the letters of the Latin scripts the models read (counted
    by regular expressions: every line of every article is asked)."""
    upper = len(_UPPER.findall(line))
    letters = upper + len(_LOWER.findall(line))
    return letters >= MIN_LETTERS and upper > UPPER_SHARE * letters


def casing_of(texts: Iterable[str], function_words: frozenset[str]) -> Casing:
    """The article's own casing, read from its lines that are not in capitals; a word
    starting a sentence says nothing about its case and is not counted."""
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for line in text.splitlines():
            if is_upper_case(line):
                continue
            for word in _WORD.finditer(line):
                if not _SENTENCE_START.search(line, max(0, word.start() - 3), word.start()):
                    seen.setdefault(word.group().lower(), Counter())[word.group()] += 1
    forms = {key: counter.most_common(1)[0][0] for key, counter in seen.items()}
    return Casing(forms, function_words)


def recased(line: str, casing: Casing) -> str:
    """``line`` with each word in the case the article uses for it, same length."""
    pieces, last = [], 0
    for number, word in enumerate(_WORD.finditer(line)):
        pieces += [line[last : word.start()], _word_cased(word.group(), casing, number == 0)]
        last = word.end()
    return "".join(pieces) + line[last:]


def _word_cased(word: str, casing: Casing, first: bool) -> str:
    key = word.lower()
    form = casing.forms.get(key)
    if form is None and key in casing.function_words:
        form = key
    elif form is None:  # "LG", "UN": too short to tell an acronym from a word, left as is
        form = word if len(word) <= ACRONYM_LETTERS else key.capitalize()
    if first:
        form = form[:1].upper() + form[1:]
    return _same_length(word, form)


def _same_length(original: str, form: str) -> str:
    """``form``'s case on ``original``'s letters: folding case can change a word's length
    ("ß", "İ"), and offsets must not move."""
    if len(form) != len(original):
        return original
    return "".join(f if f.lower() == o.lower() else o for o, f in zip(original, form, strict=True))


def recased_passages(
    passages: list[Passage], texts: Iterable[str], function_words: frozenset[str]
) -> list[Passage]:
    """The passages, those in capitals to be read recased in the casing of ``texts``."""
    upper = [is_upper_case(p.text) for p in passages]
    if not any(upper):
        return passages
    casing = casing_of(texts, function_words)
    return [
        msgspec.structs.replace(p, read_as=recased(p.text, casing)) if in_capitals else p
        for p, in_capitals in zip(passages, upper, strict=True)
    ]

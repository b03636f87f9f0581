"""One vocabulary: every log event and dead-letter reason the code uses is defined once in
shared/vocabulary.py, and nothing there is unused."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from shared.vocabulary import DEAD_LETTER_REASONS, EVENTS

ROOT = Path(__file__).resolve().parents[2]
LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}


def _calls() -> list[ast.Call]:
    calls = []
    for folder in ("services", "shared", "dateline"):
        for path in (ROOT / folder).rglob("*.py"):
            calls += [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Call)]
    return calls


def _event_patterns() -> list[re.Pattern[str]]:
    """Each logged event name; an f-string's fields match any name part."""
    patterns = []
    for call in _calls():
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in LEVELS and call.args):
            continue
        if "log" not in ast.unparse(func.value).lower():
            continue
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            patterns.append(re.compile(re.escape(first.value)))
        elif isinstance(first, ast.JoinedStr):
            parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]+" for v in first.values]
            patterns.append(re.compile("".join(parts)))
    return patterns


def test_every_logged_event_is_in_the_vocabulary():
    unknown = [p.pattern for p in _event_patterns() if not any(p.fullmatch(name) for name in EVENTS)]
    assert not unknown, f"log events missing from shared/vocabulary.py EVENTS: {unknown}"


def test_every_event_of_the_vocabulary_is_logged_somewhere():
    patterns = _event_patterns()
    unused = [name for name in EVENTS if not any(p.fullmatch(name) for p in patterns)]
    assert not unused, f"events defined but never logged: {unused}"


def test_every_dead_letter_reason_the_code_gives_is_in_the_vocabulary():
    given = {
        kw.value.value
        for call in _calls()
        for kw in call.keywords
        if kw.arg == "reason" and isinstance(kw.value, ast.Constant) and "Failure" in ast.unparse(call.func)
    }
    assert given and given <= DEAD_LETTER_REASONS

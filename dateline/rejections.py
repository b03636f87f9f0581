"""Why ingest refused an article, said for a person rather than in the schema's terms.

Ingest reports a rejection as a JSON path and msgspec's message (``$.url``, ``Expected
`str` of length >= 10``), which is exact for a program; the CLI tells a person the same
thing in words ("url is too short to be a web address").
"""

from __future__ import annotations

import re

TYPE_NAMES = {
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true or false",
    "null": "null",
    "array": "a list",
    "object": "an object",
    "datetime": "a date and time",
}

_TOO_SHORT = re.compile(r"^Expected `(?P<type>\w+)` of length >= (?P<n>\d+)$")
_TOO_LONG = re.compile(r"^Expected `(?P<type>\w+)` of length <= (?P<n>\d+)$")
_WRONG_TYPE = re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>\w+)`$")


def field_in_words(path: str | None) -> str:
    """``$.authors[1]`` -> ``authors[1]``; the article itself (``$``) -> ``the article``."""
    if not path or path == "$":
        return "the article"
    return path.removeprefix("$.").replace("[...]", "")


def in_words(path: str | None, reason: str) -> str:
    """One sentence: what is wrong with which field of the article."""
    field = field_in_words(path)
    if reason.startswith("JSON is malformed") or reason == "Input data was truncated":
        return _malformed(reason)
    if short := _TOO_SHORT.match(reason):
        return _too_short(field, short.group("type"), int(short.group("n")))
    if long := _TOO_LONG.match(reason):
        unit = "characters" if long.group("type") == "str" else "entries"
        return f"{field} is too long (at most {int(long.group('n')):,} {unit})"
    if wrong := _WRONG_TYPE.match(reason):
        wanted = [t for t in wrong.group("want").split(" | ") if t != "null"]  # null: leave it out
        want = " or ".join(TYPE_NAMES.get(t, t) for t in wanted)
        return f"{field} should be {want}, not {TYPE_NAMES.get(wrong.group('got'), wrong.group('got'))}"
    if "timezone component" in reason:
        return f"{field} needs a UTC offset (e.g. 2026-11-02T07:30:00+01:00)"
    if "RFC3339" in reason:
        return f"{field} is not a date and time in RFC 3339 (e.g. 2026-11-02T07:30:00Z)"
    if field == "the article":
        return reason
    return f"{field} {reason}"


def _too_short(field: str, type_: str, at_least: int) -> str:
    if field == "url":
        return "url is too short to be a web address"
    if at_least == 1:
        return f"{field} is empty"
    unit = "characters" if type_ == "str" else "entries"
    return f"{field} is too short (at least {at_least} {unit})"


_BYTE = re.compile(r"^(?:JSON is malformed: )?(?P<what>.*?) \(byte (?P<at>\d+)\)$")


def _malformed(reason: str) -> str:
    if "truncated" in reason:
        return "not valid JSON: it ends before the article does"
    if at := _BYTE.match(reason):
        what = "an unexpected character" if at.group("what") == "invalid character" else at.group("what")
        return f"not valid JSON: {what} at position {int(at.group('at')) + 1}"
    return "not valid JSON: " + reason.removeprefix("JSON is malformed: ")

"""The fuzz report: one row per case, then the goals and whether each was met."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from msgspec import Struct

from fuzz.judge import Verdict
from fuzz.session import Promise

GOALS = ("5xx", "crash", "slow", "shape", "expectation")


class Summary(Struct, kw_only=True):
    cases: int
    failed: int
    by_goal: dict[str, int]  # cases that missed each goal
    broken_promises: int  # accepted articles that never became searchable
    known_unchanged: bool
    schemathesis_ok: dict[str, bool] = {}  # per service's OpenAPI document, when it was run

    @property
    def goals_met(self) -> bool:
        return (
            not self.failed and not self.broken_promises and self.known_unchanged
            and all(self.schemathesis_ok.values())
        )


def summarise(
    verdicts: Sequence[Verdict], promises: Sequence[Promise], known_unchanged: bool,
    schemathesis_ok: dict[str, bool] | None = None,
) -> Summary:
    by_goal = Counter(goal for v in verdicts for goal in {p.goal for p in v.problems})
    return Summary(
        cases=len(verdicts), failed=sum(not v.passed for v in verdicts),
        by_goal={goal: by_goal.get(goal, 0) for goal in GOALS},
        broken_promises=sum(not p.kept for p in promises), known_unchanged=known_unchanged,
        schemathesis_ok=schemathesis_ok or {},
    )


def table(verdicts: Sequence[Verdict], *, failures_only: bool = False) -> str:
    rows = [("", "service", "case", "status", "shape", "ms", "problems")]
    for v in verdicts:
        if failures_only and v.passed:
            continue
        shape = "-" if v.shape_ok is None else ("ok" if v.shape_ok else "BAD")
        problems = "; ".join(f"{p.goal}: {p.text}" for p in v.problems)
        rows.append(("ok" if v.passed else "FAIL", v.service, v.case, v.outcome, shape,
                     f"{v.seconds * 1000:.0f}", problems))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    widths[2] = min(widths[2], 64)
    lines = []
    for row in rows:
        cells = [cell[: widths[i]].ljust(widths[i]) for i, cell in enumerate(row[:6])]
        lines.append("  ".join(cells) + "  " + _clip(row[6], 160))
    return "\n".join(lines)


def promises_table(promises: Sequence[Promise]) -> str:
    if not promises:
        return "no case got an article accepted"
    lines = [f"{'ok' if p.kept else 'FAIL':4}  {p.article_id}  {p.fate:40}  {p.case}" for p in promises]
    return "\n".join(lines)


def summary_text(summary: Summary) -> str:
    def mark(ok: bool) -> str:
        return "met   " if ok else "MISSED"

    misses = summary.by_goal
    lines = [
        f"cases: {summary.cases}, passed: {summary.cases - summary.failed}, failed: {summary.failed}",
        f"  {mark(not misses['5xx'])}  0 x 5xx                      ({misses['5xx']} cases answered 5xx)",
        f"  {mark(not misses['crash'])}  no service dies              ({misses['crash']} cases took one down)",
        f"  {mark(not misses['slow'])}  0 answers over 2 s           ({misses['slow']} cases slower or unanswered)",
        f"  {mark(not misses['shape'])}  0 error-shape violations     ({misses['shape']} cases)",
        f"  {mark(not misses['expectation'])}  each case's expected answer  ({misses['expectation']} cases answered otherwise)",
        f"  {mark(not summary.broken_promises)}  every 202 ends searchable    ({summary.broken_promises} accepted articles did not)",
        f"  {mark(summary.known_unchanged)}  the article accepted before the fuzz is byte-identical after it",
    ]
    for service, ok in summary.schemathesis_ok.items():
        lines.append(f"  {mark(ok)}  schemathesis finds nothing in {service}'s OpenAPI document")
    lines.append("all goals met" if summary.goals_met else "GOALS MISSED")
    return "\n".join(lines)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

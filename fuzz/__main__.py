"""`make fuzz`: hostile input against a stack of our own, then schemathesis; a report.

    python -m fuzz [--long] [--only TEXT] [--no-schemathesis]

Starts a private redis-server, ingest, an enrich worker and index on free ports; posts a
known article and waits until it is searchable; runs schemathesis against both OpenAPI
documents (bounded, or about five minutes each with --long); sends every case of
fuzz.cases; checks that each accepted article became searchable and the known one is
byte-identical. Prints a table and a summary; exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from fuzz import openapi
from fuzz.cases import all_cases
from fuzz.judge import Verdict
from fuzz.report import promises_table, summarise, summary_text, table
from fuzz.session import keep_promises, known_after, prepare, run_cases
from fuzz.stack import fuzz_stack


def main() -> int:
    args = _arguments()
    # stopped (CI's timeout, kill): leave through the stack's cleanup, no orphaned services
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cases = [c for c in all_cases() if not args.only or args.only.lower() in c.name.lower()]
    data_dir = Path(tempfile.mkdtemp(prefix="dateline-fuzz-"))
    with fuzz_stack(data_dir) as stack:
        target = stack.target
        print(f"stack up: ingest {target.ingest_url}, search {target.search_url}", file=sys.stderr)
        prepared = prepare(target)
        # schemathesis first: the check that the known article is unchanged covers it too
        runs = [] if args.no_schemathesis else _schemathesis(target, args.long)
        verdicts = []
        for verdict in run_cases(target, prepared.stage, cases, args.timeout, stack.restarts):
            verdicts.append(verdict)
            _progress(len(verdicts), len(cases), verdict)
        promises = keep_promises(target, verdicts, args.promise_timeout)
        unchanged = known_after(target, prepared.stage) == prepared.known_before
        print(table(verdicts))
        print("\naccepted articles (a 202 must end searchable):")
        print(promises_table(promises))
        for run in runs:
            if not run.passed:
                print(f"\nschemathesis on {run.service}'s OpenAPI document:\n{run.output}")
        summary = summarise(verdicts, promises, unchanged, {r.service: r.passed for r in runs})
        print()
        print(summary_text(summary))
    if summary.goals_met:
        shutil.rmtree(data_dir, ignore_errors=True)
        return 0
    print(f"the services' logs are kept in {stack.log_dir}", file=sys.stderr)
    return 1


def _schemathesis(target, long: bool) -> list[openapi.Run]:
    runs = []
    for name, url in openapi.documents(target.ingest_url, target.search_url).items():
        print(f"schemathesis: {name} ({'long' if long else 'bounded'}) ...", file=sys.stderr)
        if long:
            runs.append(openapi.schemathesis(name, url, target.api_key, examples=100_000, seed=None,
                                             max_seconds=openapi.LONG_SECONDS))
        else:
            runs.append(openapi.schemathesis(name, url, target.api_key))
    return runs


def _progress(done: int, total: int, verdict: Verdict) -> None:
    mark = "ok  " if verdict.passed else "FAIL"
    print(f"[{done:3}/{total}] {mark} {verdict.outcome:>7} {verdict.seconds * 1000:6.0f} ms  {verdict.case}",
          file=sys.stderr, flush=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long", action="store_true", help="schemathesis for about five minutes per document")
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    parser.add_argument("--no-schemathesis", action="store_true", help="the hostile cases only")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one answer")
    parser.add_argument("--promise-timeout", type=float, default=120.0,
                        help="seconds for every accepted article to become searchable")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())

"""The fuzz suite (issue 9, "measured, not asserted"): hostile, huge and slow requests and
schemathesis against a running stack, each answer judged for 5xx, crashes, time and the
one error shape. `make fuzz` for the report, tests/fuzz for `make test`.

cases.py lists every case (ingest_cases, search_cases, http_cases); wire.py sends one as
raw bytes; judge.py judges the answer; session.py seeds, runs and checks promises;
stack.py starts the stack; openapi.py runs schemathesis; report.py prints the result.
"""

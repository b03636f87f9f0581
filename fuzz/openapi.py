"""Property-based testing against the published OpenAPI documents, with schemathesis.

Schemathesis reads a document, generates requests that follow it and requests that break
it (examples, coverage, fuzzing and stateful phases), and runs every check it has on each
answer: no 5xx, status codes, content types, headers and bodies as declared, invalid
input refused, valid input accepted, Allow on a 405, authentication not ignored, and no
answer slower than the budget. Its own CLI runs it, as a person would run it by hand.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from msgspec import Struct

from fuzz.case import ANSWER_BUDGET_S

BOUNDED_EXAMPLES = 100  # per operation: ~300 requests, about 15 s for the search document
LONG_SECONDS = 300  # per document: fuzzing and stateful phases repeat until it is spent


class Run(Struct, kw_only=True):
    service: str
    passed: bool
    output: str


def schemathesis(
    service: str, document_url: str, api_key: str, examples: int = BOUNDED_EXAMPLES, seed: int | None = 1,
    max_seconds: int | None = None,
) -> Run:
    """One schemathesis run over every operation of the document at ``document_url``:
    ``examples`` per operation, or as many as ``max_seconds`` allows."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", document_url,
        "--checks", "all",
        "--max-examples", str(examples),
        "--max-response-time", str(ANSWER_BUDGET_S),
        "--request-timeout", "30",
        "--header", f"Authorization: Bearer {api_key}",
        "--workers", "1",
        "--generation-database", "none",
        "--no-color",
    ]
    # Refusals no schema expresses: an HTML page without article text is schema-valid and
    # still no article (422); search parameters have a grammar (codes, coordinates, dates,
    # query syntax) the API checks, naming each parameter in a 400, and the document
    # describes in words. Every other check runs.
    command += ["--exclude-checks", "positive_data_acceptance"]
    if service == "search":
        # Every query-string value is text: `entity=false` is the entity "false", not a
        # boolean the schema forbids.
        command += ["--exclude-checks", "negative_data_rejection"]
        # A stream's 200 never ends (server-sent events): tests/integration/test_stream_api.py
        # covers it.
        command += ["--exclude-path", "/v1/stream"]
    if seed is not None:
        command += ["--seed", str(seed)]
    if max_seconds is not None:
        command += ["--max-time", str(max_seconds)]
    # its replay cassettes go to the working directory: a scratch one, not the project
    with tempfile.TemporaryDirectory(prefix="dateline-schemathesis-") as scratch:
        done = subprocess.run(command, cwd=scratch, capture_output=True, text=True, check=False)
    return Run(service=service, passed=done.returncode == 0, output=done.stdout + done.stderr)


def documents(ingest_url: str, search_url: str) -> dict[str, str]:
    return {"ingest": f"{ingest_url}/docs/openapi.json", "search": f"{search_url}/docs/openapi.json"}

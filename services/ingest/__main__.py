"""`python -m services.ingest`: the ingest HTTP service and the dateline:incoming reader."""

from __future__ import annotations

import sys

from services.ingest.bootstrap import build
from shared.runtime import run_service

if __name__ == "__main__":
    # needs_redis=False: build says what is missing, keys included, in one refusal
    sys.exit(run_service("ingest", build, needs_redis=False))

"""``python -m services.enrich``: one enrich worker process (run N of them for N cores).

``dateline up`` and compose start several, each with its own
``DATELINE_ENRICH_METRICS_PORT``; they share the ``enrich`` consumer group.
"""

from __future__ import annotations

import sys

from services.enrich.worker import build
from shared.runtime import run_service

if __name__ == "__main__":
    sys.exit(run_service("enrich", build))

"""``python -m services.enrich``: one enrich worker process (run N of them for N cores).

``dateline up`` and compose start several, each with its own
``DATELINE_ENRICH_METRICS_PORT``; they share the ``enrich`` consumer group.
"""

from __future__ import annotations

import asyncio
import sys

from services.enrich.worker import Worker, serve
from shared.logging import configure_logging, get_logger
from shared.settings import settings_or_exit


def main() -> int:
    settings = settings_or_exit("enrich")
    configure_logging("enrich", settings.log_level, settings.log_format)
    try:
        return asyncio.run(serve(Worker(settings)))
    except Exception:  # noqa: BLE001 - logged for ops; exit 1 lets a supervisor restart us
        get_logger("dateline.enrich").exception("service.crashed")
        return 1


if __name__ == "__main__":
    sys.exit(main())

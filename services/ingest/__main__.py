"""`python -m services.ingest`: the ingest HTTP service and the dateline:incoming reader."""

from __future__ import annotations

import sys

from services.ingest.bootstrap import ConfigurationError, create_app
from shared.http import serve
from shared.logging import configure_logging, get_logger
from shared.settings import settings_or_exit


def main() -> int:
    settings = settings_or_exit("ingest", needs_redis=False)  # create_app says what is missing
    configure_logging("ingest", settings.log_level, settings.log_format)
    try:
        app = create_app(settings)
    except ConfigurationError as exc:
        get_logger("dateline.ingest").error("service.refused_config", reason=str(exc))
        return 2
    serve(app, settings.ingest_host, settings.ingest_port, settings.body_timeout_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())

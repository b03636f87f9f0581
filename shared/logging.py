"""structlog set up once per process: JSON lines, or a readable console on a terminal.

Every event carries ``service``, ``event``, ``level`` and ``timestamp``; handlers bind
``article_id`` and ``entry_id`` where there is one. Event names are stable
(``article.accepted``, ``article.enriched``, ...): ops dashboards key on them.
"""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(service: str, level: str = "INFO", fmt: str = "auto") -> None:
    """Route structlog and the standard library (FastStream, uvicorn) through one chain."""
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    shared_steps: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
    ]
    renderer = (
        structlog.dev.ConsoleRenderer()
        if use_console
        else structlog.processors.JSONRenderer(serializer=_json_dumps)
    )
    structlog.configure(
        processors=[
            *shared_steps,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_steps,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def _add_service(service: str) -> structlog.types.Processor:
    def add_service(_logger, _method, event_dict):
        event_dict.setdefault("service", service)
        return event_dict

    return add_service


def _json_dumps(obj, **_kwargs) -> str:
    import msgspec

    return msgspec.json.encode(obj, enc_hook=str).decode()


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)

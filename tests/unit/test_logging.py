import json
import logging

import structlog

from shared.logging import configure_logging, get_logger


def test_events_are_one_json_object_per_line(capsys):
    configure_logging("ingest", "INFO", "json")
    get_logger("t").info("article.accepted", article_id="a" * 32, entry_id="1-0")
    logging.getLogger("dateline.tests.stdlib").warning("from the standard library")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["event"] == "article.accepted"
    assert lines[0]["service"] == "ingest"
    assert lines[0]["article_id"] == "a" * 32 and lines[0]["entry_id"] == "1-0"
    assert {"level", "timestamp"} <= lines[0].keys()
    assert lines[1]["event"] == "from the standard library" and lines[1]["service"] == "ingest"
    structlog.reset_defaults()

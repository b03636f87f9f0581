"""`dateline ingest` when there is nothing to talk to, or nothing to send."""

from typer.testing import CliRunner

from dateline.cli import app
from shared.redis_server import free_port


def _ingest(*args: str):
    env = {"DATELINE_INGEST_PORT": str(free_port()), "DATELINE_API_KEY": "k"}
    return CliRunner().invoke(app, ["ingest", *args], env=env)


def test_ingest_down_is_one_clear_sentence_not_a_traceback(tmp_path):
    feed = tmp_path / "a.ndjson"
    feed.write_text('{"url": "https://down.example/a", "title": "t", "text": "x"}\n')
    result = _ingest(str(feed))
    assert result.exit_code == 1
    assert "cannot reach ingest at http://127.0.0.1:" in result.output
    assert isinstance(result.exception, SystemExit)  # an exit code, not an exception


def test_a_directory_without_article_files_is_a_warning_and_a_failure(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing to ingest")
    result = _ingest(str(tmp_path))
    assert result.exit_code == 1
    assert f"no JSON, NDJSON or feed files in {tmp_path}" in result.output
    assert "0 accepted" in result.output

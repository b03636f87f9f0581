import pytest

from shared.settings import SettingsError, load_settings, settings_or_exit


def test_defaults_and_types():
    settings = load_settings({"DATELINE_INGEST_PORT": "9001", "DATELINE_API_KEYS": "k1, k2,,"})
    assert settings.ingest_port == 9001
    assert settings.api_keys == ("k1", "k2")
    assert settings.index_dir.parts[-2:] == ("data", "index")


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATELINE_INGEST_PORT": "eighty"}, "DATELINE_INGEST_PORT"),
        ({"DATELINE_SEARCH_PORT": "70000"}, "DATELINE_SEARCH_PORT"),
        ({"DATELINE_OPEN_INGEST": "perhaps"}, "DATELINE_OPEN_INGEST"),
        ({"DATELINE_REDIS_URLL": "redis://x"}, "DATELINE_REDIS_URLL"),
    ],
)
def test_bad_values_name_the_variable(env, named):
    with pytest.raises(SettingsError, match=named):
        load_settings(env)


def test_other_environment_is_ignored():
    assert load_settings({"PATH": "/bin", "HOME": "/root"}).redis_url == ""


def test_a_service_exits_2_with_a_message_naming_the_bad_variable(env_clean, capsys):
    env_clean.setenv("DATELINE_INGEST_PORT", "eighty")
    with pytest.raises(SystemExit) as exited:
        settings_or_exit("ingest")
    assert exited.value.code == 2
    assert capsys.readouterr().err.startswith("ingest: DATELINE_INGEST_PORT='eighty' is invalid")


def test_a_service_that_needs_redis_says_which_variable_is_missing(env_clean, capsys):
    with pytest.raises(SystemExit):
        settings_or_exit("enrich")
    assert "enrich: DATELINE_REDIS_URL is required" in capsys.readouterr().err
    assert settings_or_exit("ingest", needs_redis=False).redis_url == ""

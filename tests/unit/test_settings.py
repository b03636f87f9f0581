import pytest

from shared.settings import SettingsError, load_settings


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

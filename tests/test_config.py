from __future__ import annotations

from pathlib import Path

import pytest

from engagement import create_app
from engagement.config import ConfigError


def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], **config: object):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    base = {
        "TESTING": True,
        "SECRET_KEY": "s",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "INSTANCE_PATH": str(tmp_path),
    }
    base.update(config)
    return create_app(base)


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = build(tmp_path, monkeypatch, {})
    assert app.config["ENGAGEMENT_RANKING_MAX_AGE"] == 10
    assert app.config["ENGAGEMENT_VIEW_WINDOW"] == 1800
    assert app.config["ENGAGEMENT_TRUSTED_PROXIES"] == 0
    assert app.config["ENGAGEMENT_ALLOWED_ORIGINS"] == ()
    assert app.config["ENGAGEMENT_RATELIMIT_REACTIONS"] == "30/minute"
    assert app.config["ENGAGEMENT_METRICS_TOKEN"] is None
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/engagement.sqlite3"


def test_environment_values_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "ENGAGEMENT_RANKING_MAX_AGE": "5",
        "ENGAGEMENT_VIEW_WINDOW": "60",
        "ENGAGEMENT_TRUSTED_PROXIES": "2",
        "ENGAGEMENT_ALLOWED_ORIGINS": "https://a.example, http://b.example:8080/",
        "ENGAGEMENT_RATELIMIT_REACTIONS": "5/second;100/hour",
        "ENGAGEMENT_METRICS_TOKEN": "tok",
        "DATABASE_URL": "sqlite:///" + str(tmp_path / "x.db"),
    }
    app = build(tmp_path, monkeypatch, env)
    assert app.config["ENGAGEMENT_RANKING_MAX_AGE"] == 5
    assert app.config["ENGAGEMENT_VIEW_WINDOW"] == 60
    assert app.config["ENGAGEMENT_TRUSTED_PROXIES"] == 2
    assert app.config["ENGAGEMENT_ALLOWED_ORIGINS"] == (
        "https://a.example",
        "http://b.example:8080",
    )
    assert app.config["ENGAGEMENT_RATELIMIT_REACTIONS"] == "5/second;100/hour"
    assert app.config["ENGAGEMENT_METRICS_TOKEN"] == "tok"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.db")


def test_test_config_beats_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = build(tmp_path, monkeypatch, {"ENGAGEMENT_VIEW_WINDOW": "60"}, ENGAGEMENT_VIEW_WINDOW=7)
    assert app.config["ENGAGEMENT_VIEW_WINDOW"] == 7


def test_instance_config_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.py").write_text("ENGAGEMENT_VIEW_WINDOW = 99\nSECRET_KEY = 'from-file'\n")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    app = create_app()
    assert app.config["ENGAGEMENT_VIEW_WINDOW"] == 99
    assert app.config["SECRET_KEY"] == "from-file"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ENGAGEMENT_RANKING_MAX_AGE", "soon"),
        ("ENGAGEMENT_RANKING_MAX_AGE", "-1"),
        ("ENGAGEMENT_VIEW_WINDOW", "0"),
        ("ENGAGEMENT_VIEW_WINDOW", "1.5"),
        ("ENGAGEMENT_TRUSTED_PROXIES", "yes"),
        ("ENGAGEMENT_ALLOWED_ORIGINS", "example.com"),
        ("ENGAGEMENT_ALLOWED_ORIGINS", "ftp://example.com"),
        ("ENGAGEMENT_RATELIMIT_REACTIONS", "lots"),
        ("DATABASE_URL", "not a url"),
        ("REDIS_URL", "http://localhost:6379"),
        ("REDIS_URL", "redis+sentinel://h:26379"),
        ("REDIS_URL", "redis+cluster://h:notaport"),
        ("ENGAGEMENT_TIMEZONE", "Mars/Olympus"),
    ],
)
def test_bad_value_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    config = {"TESTING": True, "SECRET_KEY": "s", "INSTANCE_PATH": str(tmp_path)}
    if name != "REDIS_URL":
        config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    with pytest.raises(ConfigError, match=name):
        create_app(config)


def test_secret_key_required_outside_debug_and_testing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(config)


def test_development_secret_key_is_random_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"TESTING": True, "INSTANCE_PATH": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    other = create_app({**config, "INSTANCE_PATH": str(tmp_path / "other")}).config["SECRET_KEY"]
    assert len(first) >= 32
    assert first == second
    assert first != other


def test_secret_key_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert app.config["SECRET_KEY"] == "from-env"


def test_retired_fast_path_setting_is_ignored_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engagement.config import RetiredSetting

    monkeypatch.setenv("ENGAGEMENT_FAST_PATH", "false")
    config = {"TESTING": True, "SECRET_KEY": "s", "INSTANCE_PATH": str(tmp_path)}
    with pytest.warns(RetiredSetting, match="ENGAGEMENT_FAST_PATH is no longer a setting"):
        app = create_app({**config, "REDIS_URL": "redis://127.0.0.1:1/0"})
    assert "ENGAGEMENT_FAST_PATH" not in app.config

"""Configuration comes from the environment; production refuses to run without a secret key."""
import pytest

from config import Config, DevConfig
from portal import create_app


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setattr(Config, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Config)


@pytest.mark.parametrize("base", [None, "", "portal.example.go.th", "javascript:alert(1)"])
def test_production_refuses_to_start_without_a_base_url_for_its_links(monkeypatch, base):
    monkeypatch.setattr(Config, "SECRET_KEY", "x" * 32)
    monkeypatch.setattr(Config, "PORTAL_BASE_URL", base)
    with pytest.raises(RuntimeError, match="PORTAL_BASE_URL"):
        create_app(Config)


def test_production_starts_with_secret_key(monkeypatch, tmp_path, restore_logging):
    monkeypatch.setattr(Config, "SECRET_KEY", "x" * 32)
    monkeypatch.setattr(Config, "PORTAL_BASE_URL", "https://portal.example.go.th")
    monkeypatch.setattr(Config, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'p.db'}")
    app = create_app(Config)
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["TRUSTED_HOSTS"] == ["portal.example.go.th"]  # by default, the base URL's host only


def test_development_config_has_a_local_default(tmp_path, monkeypatch):
    monkeypatch.setattr(DevConfig, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'd.db'}")
    app = create_app(DevConfig)
    assert app.debug and app.config["SECRET_KEY"]

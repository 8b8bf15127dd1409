"""Configuration, read from the environment.

`Config` is production-shaped: it refuses to start without SECRET_KEY. `DevConfig` (used by `make run`)
and `TestConfig` (used by the test suite) supply safe local defaults.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    LANGUAGES = ["th", "en"]
    BABEL_DEFAULT_LOCALE = "th"
    BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
    # Relative entries would resolve against portal/; the catalogues live at the repository root.
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Secure cookie defaults; production deployments run behind HTTPS.
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 14  # seconds: two weeks

    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    PAGE_SIZE = 24

    @classmethod
    def check(cls):
        """Production refuses to start without a secret key: signed cookies would be forgeable."""
        if not cls.SECRET_KEY:
            raise RuntimeError(
                "SECRET_KEY is not set. Set it in the environment, e.g. "
                "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )


class DevConfig(Config):
    DEBUG = True
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    SESSION_COOKIE_SECURE = False
    SERVER_NAME = None

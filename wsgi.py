"""WSGI entry point: `gunicorn wsgi:app` in production, `flask --app wsgi run` in development.

PORTAL_CONFIG=development selects local defaults (debug, a throw-away secret key); anything else is
production, which refuses to start without SECRET_KEY.
"""
import os

from config import Config, DevConfig
from portal import create_app

app = create_app(DevConfig if os.environ.get("PORTAL_CONFIG") == "development" else Config)

"""WSGI entry point: `gunicorn wsgi:app` in production, `flask --app wsgi run` in development.

PORTAL_CONFIG=development selects local defaults (debug, a throw-away secret key); anything else is
production, which refuses to start without SECRET_KEY.
"""
import os

from config import Config, DevConfig
from portal import create_app
from portal.web import keep_hash_memory, prepare_workers, settle_collector

app = create_app(DevConfig if os.environ.get("PORTAL_CONFIG") == "development" else Config)

# The dictionary of Thai words, every template compiled and the mappers configured, here, before gunicorn forks
# the workers: they share them, and no worker's first pages wait for them (portal.web.prepare_workers). Not for the
# development server, which starts again at every change of the code and reads templates anew when they change.
if not app.debug:
    prepare_workers(app)

# The start-up objects frozen out of the garbage collector's sight, and the collector tuned for a web worker's
# pages (portal.web.settle_collector).
settle_collector()

# A password hash's 32 MiB kept for the next one, not mapped afresh at every sign-in (portal.web.keep_hash_memory).
keep_hash_memory()

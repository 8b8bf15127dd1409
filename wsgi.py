"""WSGI entry point: `gunicorn wsgi:app` in production, `flask --app wsgi run` in development.

PORTAL_CONFIG=development selects local defaults (debug, a throw-away secret key); anything else is
production, which refuses to start without SECRET_KEY.
"""
import gc
import os

from config import Config, DevConfig
from portal import create_app
from portal.web import prepare_workers

app = create_app(DevConfig if os.environ.get("PORTAL_CONFIG") == "development" else Config)

# The dictionary of Thai words, every template compiled and the mappers configured, here, before gunicorn forks
# the workers: they share them, and no worker's first pages wait for them (portal.web.prepare_workers). Not for the
# development server, which starts again at every change of the code and reads templates anew when they change.
if not app.debug:
    prepare_workers(app)

# The objects made while starting (modules, the app, its templates: some 250,000) are moved out of the
# garbage collector's sight. A full collection walked every one of them, 25 to 100 ms of a page that
# makes tens of thousands of objects (the network map, a scorecard); the workers gunicorn forks from this
# process (preload_app) inherit the frozen set, and its memory pages stay shared with them (Python's
# documentation of gc.freeze recommends it before forking). A few frozen cycles are never collected.
# The job workers and the scheduler (`flask --app wsgi jobs …`) import this module too and freeze the
# same start-up objects: harmless there, and their tasks build the same kinds of pages and mail.
gc.freeze()

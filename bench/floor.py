"""The floor for `make bench-http`: a Flask app under the same gunicorn settings that answers every request with
the very bytes the portal sent for that page (chosen by the X-Bench-Case header, read from BENCH_FLOOR_DIR).

Whatever the portal spends beyond this app's time is the portal's own work: queries, templates, locale, session.
"""
import os
from pathlib import Path

from flask import Flask, Response, request

app = Flask(__name__)
FLOOR_DIR = Path(os.environ.get("BENCH_FLOOR_DIR", "instance/bench/http/floor"))
bodies: dict[str, bytes] = {}


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def floor(path):
    name = request.headers.get("X-Bench-Case", "")
    if name not in bodies:
        if not name.replace("_", "").isalnum():
            return Response("unknown case", status=404)
        file = FLOOR_DIR / f"{name}.html"
        if not file.is_file():
            return Response("unknown case", status=404)
        bodies[name] = file.read_bytes()
    return Response(bodies[name], mimetype="text/html")

"""Optional error reporting: off without SENTRY_DSN; with one, an unhandled error reaches the (here: fake,
local) Sentry server, without the request's body or the client's address."""
import gzip
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import sentry_sdk

from config import TestConfig
from portal import create_app

ROOT = Path(__file__).resolve().parents[1]


def test_without_a_dsn_nothing_is_started():
    create_app(TestConfig)
    assert not sentry_sdk.get_client().is_active()


class FakeSentry(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802  (http.server's name)
        data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            data = gzip.decompress(data)
        elif encoding == "br":
            import brotli

            data = brotli.decompress(data)
        elif encoding == "deflate":
            data = zlib.decompress(data)
        FakeSentry.received.append((self.path, data.decode("utf-8", "replace")))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


NODE = """
from config import TestConfig
from portal import create_app
import sentry_sdk

class Config(TestConfig):
    SENTRY_DSN = "http://publickey@127.0.0.1:%d/42"
    PROPAGATE_EXCEPTIONS = False

app = create_app(Config)
assert sentry_sdk.get_client().is_active()

@app.post("/boom")
def boom():
    raise RuntimeError("deliberate failure 7f3a")

response = app.test_client().post("/boom?x=1", data={"name_th": "secret-body-value"},
                                  environ_base={"REMOTE_ADDR": "198.51.100.77"})
assert response.status_code == 500, response.status_code
sentry_sdk.flush(timeout=10)
"""


def test_with_a_dsn_an_unhandled_error_is_reported_without_personal_data(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), FakeSentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeSentry.received = []
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("SENTRY_DSN", None)
        subprocess.run([sys.executable, "-c", NODE % server.server_address[1]], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=300, check=True)
    finally:
        server.shutdown()
    bodies = [body for path, body in FakeSentry.received if path == "/api/42/envelope/"]
    reported = [body for body in bodies if "deliberate failure 7f3a" in body]
    assert reported, FakeSentry.received
    report = reported[0].replace(" ", "")
    assert "/boom" in report and "RuntimeError" in report and '"environment":"test"' in report
    assert "198.51.100.77" not in "".join(bodies) and "secret-body-value" not in "".join(bodies)

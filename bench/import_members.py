"""Import benchmark: `make bench-import` (python -m bench.import_members --help).

A coordinator imports a CSV of 5,000 firms new to the portal, each with a contact e-mail: the preview and the
confirmation are timed as the coordinator waits for them (test client, a real job queue: the confirmation only
records the import). Then a real worker process applies it and delivers the 5,000 claim invitations to a
real SMTP server (aiosmtpd) and the time until the last one arrives is printed too.
"""
import argparse
import io
import os
import socket
import subprocess  # nosec B404  # starts our own interpreter with fixed arguments
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.directory import BenchConfig, prepare_database  # noqa: E402
from portal import create_app  # noqa: E402


def registration_number(n: int) -> str:
    """A valid 13-digit juristic id: 12 digits and the mod-11 check digit."""
    body = f"0105{n:08d}"
    total = sum(int(d) * (13 - i) for i, d in enumerate(body))
    return body + str((11 - total % 11) % 10)


def csv_bytes(rows: int) -> bytes:
    out = io.StringIO()
    out.write("Registration number,Name in Thai,Province,Positions,Contact e-mail\n")
    for n in range(rows):
        out.write(f"{registration_number(500000 + n)},ฟาร์มนำเข้าที่ {n},กรุงเทพมหานคร,ต้นน้ำ,farm{n}@import.example\n")
    return out.getvalue().encode("utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--no-delivery", action="store_true", help="skip the worker and SMTP part")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade

    from portal.auth.models import User
    from portal.extensions import db
    from portal.seed.reference import load_clusters, load_provinces
    from tests import factories

    url = prepare_database(args.backend, "import")  # its own: make bench's databases stay as they are
    work = ROOT / "instance" / "bench" / "import"
    work.mkdir(parents=True, exist_ok=True)
    queue = f"sqlite:///{work / f'huey-{uuid.uuid4().hex[:8]}.db'}"
    smtp_port = free_port()
    settings = {"SQLALCHEMY_DATABASE_URI": url, "HUEY_URL": queue, "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": smtp_port, "MAIL_USE_TLS": False, "UPLOAD_DIR": str(work / "uploads")}
    app = create_app(type("ImportBench", (BenchConfig,), settings))
    with app.app_context():
        upgrade()
        load_provinces()
        load_clusters()
        user = factories.user(email="coord@bench.example")
        factories.term(user, factories.cluster("betta"))
        db.session.commit()
    client = app.test_client()
    factories.sign_in(client, "coord@bench.example")
    data = csv_bytes(args.rows)

    started = time.perf_counter()
    preview = client.post("/clusters/betta/manage/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(data), "members.csv")}, follow_redirects=True)
    preview_s = time.perf_counter() - started
    page = preview.get_data(as_text=True)
    import re

    action = re.search(r'action="(/clusters/betta/manage/import/[0-9a-f]+)"', page)
    if not action:
        raise SystemExit(f"no preview (status {preview.status_code}): {page[-1500:]}")
    started = time.perf_counter()
    done = client.post(action.group(1))
    confirm_s = time.perf_counter() - started
    with app.app_context():
        from sqlalchemy import func, select

        from portal.outbox.models import OutboxMessage

        del User
    print(f"import of {args.rows:,} rows on {args.backend}: preview {preview_s:.2f} s, confirmation "
          f"{confirm_s:.2f} s (status {done.status_code}); a worker applies it")
    queued = args.rows

    if args.no_delivery:
        return
    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            if all(rcpt.endswith("@import.example") for rcpt in envelope.rcpt_tos):  # not the coordinator's notice
                received.append(time.perf_counter())
            return "250 OK"

    controller = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = {**os.environ, "SECRET_KEY": "bench-only-worker",  # nosec B105  # a throw-away worker of this script
           "PORTAL_BASE_URL": "http://localhost",
           "DATABASE_URL": url, "HUEY_URL": queue, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
           "MAIL_USE_TLS": "false", "LOG_LEVEL": "WARNING", "UPLOAD_DIR": str(work / "uploads")}
    env.pop("PORTAL_CONFIG", None)
    from portal.memberships.models import MemberImport

    started = time.perf_counter()
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--workers", "2",  # nosec B603
                               "--no-periodic"], cwd=ROOT, env=env)
    try:
        deadline, applied = time.monotonic() + 900, None
        while time.monotonic() < deadline:
            with app.app_context():
                job = db.session.scalar(select(MemberImport))
                if job.finished_at and applied is None:
                    applied = time.perf_counter() - started
                    print(f"the worker applied the import in {applied:.1f} s ({job.status.value})")
                    queued = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                               .where(OutboxMessage.kind == "firms.claim"))
                db.session.rollback()
            if applied is not None and len(received) >= queued:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(30)
        controller.stop()
    elapsed = (received[-1] - started) if received else float("nan")
    print(f"delivery: {len(received):,} of {queued:,} invitations reached the SMTP server in {elapsed:.1f} s "
          f"({len(received) / elapsed if received else 0:.0f} a second, 2 worker threads, one process)")


if __name__ == "__main__":
    main()

"""The processes of `make cluster-test`, all on loopback and all the harness's own: a private PostgreSQL
cluster (initdb + pg_ctl in a temporary folder, on its own port: the machine's shared cluster is never
restarted), a private redis-server on its own port (the machine's Redis at 6379 is left alone), two
gunicorn nodes with an instance folder each, two queue workers, a scheduler and an SMTP server that counts
deliveries by Message-ID. Every process is started in a session of its own and stopped with its whole
group, so nothing outlives the harness, not even after Ctrl+C.
"""
import asyncio
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def stop_group(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process and everything it started (its session's group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (/usr/lib/postgresql/*/bin)")
    return found[-1]


def missing_tools() -> list[str]:
    """What the harness needs from the machine and does not find."""
    missing = [] if shutil.which("redis-server") else ["redis-server"]
    return missing + [n for n in ("initdb", "pg_ctl") if not glob.glob(f"/usr/lib/postgresql/*/bin/{n}")]


class PrivatePostgres:
    """A PostgreSQL cluster of the harness's own. initdb refuses to run as root, so as root it runs as the
    `postgres` system user (runuser)."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.data = folder / "pgdata"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/portal_cluster"

    def _ctl(self, *args) -> None:
        subprocess.run([*self.as_user, pg_bin("pg_ctl"), "-D", str(self.data), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.folder, "postgres")
        subprocess.run([*self.as_user, pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL)
        self.start()
        subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-T", "template0",
                        "-E", "UTF8", "--locale=C.UTF-8", "portal_cluster"], check=True)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                   "-c fsync=off -c synchronous_commit=on")
        self._ctl("-o", options, "-l", str(self.folder / "postgres.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except subprocess.CalledProcessError:
                pass


class PrivateRedis:
    """redis-server on its own port, with an append-only file (as production should run it: a restart keeps
    the queue)."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.process = folder, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
            stdout=open(self.folder / "redis.log", "a"), stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_until(self.answers, 10):
            raise RuntimeError(f"redis-server did not start; see {self.folder / 'redis.log'}")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)


class Inbox:
    """The SMTP server's handler (aiosmtpd): every accepted message's Message-ID, in arrival order. A small
    pause per message keeps a batch in flight long enough to kill a worker in its middle."""

    def __init__(self, delay: float = 0.05):
        self.ids, self.times, self.delay = [], [], delay
        self.arrivals: dict[str, float] = {}  # recipient -> when its first message arrived

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        headers = BytesHeaderParser().parsebytes(envelope.content)
        self.ids.append(str(headers.get("Message-ID", "")).strip())
        self.times.append(time.time())
        for address in envelope.rcpt_tos:
            self.arrivals.setdefault(address.lower(), time.time())
        return "250 OK"

    def counts(self) -> Counter:
        return Counter(self.ids)


class Processes:
    """The app nodes, workers and scheduler: started from one environment, each in its own session."""

    def __init__(self, folder: Path, env: dict):
        self.folder, self.env = folder, env
        self.running: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}

    def _spawn(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "a")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        log.close()
        self.running[name] = process
        return process

    def start_node(self, name: str) -> None:
        """One app node: gunicorn with two sync workers and an instance folder of its own."""
        instance = self.folder / name
        self.ports.setdefault(name, free_port())
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.ports[name]}", "WEB_CONCURRENCY": "2",
               "UPLOAD_DIR": str(instance / "uploads"), "OUTBOX_DIR": str(instance / "outbox"),
               "PROMETHEUS_MULTIPROC_DIR": str(instance / "metrics")}
        self._spawn(name, [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--graceful-timeout", "20",
                           "--log-level", "info", "wsgi:app"], env)

    def node_up(self, name: str) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[name]}/healthz", timeout=5) as answer:
                return answer.status == 200
        except OSError:
            return False

    def wait_node(self, name: str, timeout: float = 60) -> None:
        process, deadline = self.running[name], time.monotonic() + timeout
        while not self.node_up(name):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"node {name} did not start (exit code {process.poll()}); see "
                                   f"{self.folder / (name + '.log')}")
            time.sleep(0.1)

    def start_worker(self, name: str, periodic: bool = False) -> None:
        threads = "1" if periodic else "2"
        self._spawn(name, [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--workers", threads,
                           "--periodic" if periodic else "--no-periodic"], self.env)

    def kill(self, name: str) -> None:
        """kill -9 the process and its children at once, as a crash would."""
        stop_group(self.running[name], signal.SIGKILL)

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        stop_group(self.running[name], sig, timeout=40)

    def stop_all(self) -> None:
        """SIGTERM to every group at once, then SIGKILL to whatever has not stopped 20 s later."""
        alive = [p for p in self.running.values() if p.poll() is None]
        for process in alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in alive:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group may hold children that outlived their parent
            process.wait(10)

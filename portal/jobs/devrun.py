"""`make run`: the development web server and a worker together, on the SQLite database and the SQLite
queue file under instance/. Ctrl+C stops both; if either stops, the other is stopped too."""
import os
import signal
import subprocess  # nosec B404  # starts our own interpreter with fixed arguments
import sys
import time


def main(host: str = "127.0.0.1", port: str = "5000") -> int:
    env = {**os.environ, "PORTAL_CONFIG": "development", "FLASK_APP": "wsgi"}
    flask = [sys.executable, "-m", "flask"]
    processes = [
        subprocess.Popen([*flask, "jobs", "worker", "--workers", "2"], env=env),  # nosec B603
        subprocess.Popen([*flask, "run", "--host", host, "--port", port], env=env),  # nosec B603
    ]
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return max(process.returncode or 0 for process in processes)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

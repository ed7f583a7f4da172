"""The production start: gunicorn with ``gunicorn.conf.py``, in real processes on 127.0.0.1."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TOTP_KEY, new_database_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WAIT = 20  # seconds, at most, for any one thing to happen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(database_url: str, port: int, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TRACKER_ENV": "production",
        "SECRET_KEY": "a-test-secret-key-of-some-length",
        "TOTP_KEYS": TOTP_KEY,
        "DATABASE_URL": database_url,
        "REPORTS_DIR": str(tmp_path / "reports"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
    }


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py`` in the project folder; stdout and stderr into files."""

    def __init__(self, env: dict[str, str], tmp_path: Path, name: str):
        self.url = f"http://127.0.0.1:{env['PORT']}"
        self.stdout = tmp_path / f"{name}.out"
        self.stderr = tmp_path / f"{name}.err"
        self.answered = 0
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )

    def get(self, path: str) -> tuple[int, bytes]:
        status, body = get(self.url + path)
        self.answered += 1
        return status, body

    def wait_for(self, path: str) -> int:
        """The first status ``path`` answers with, once the server listens."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.stderr.read_text()
            try:
                return self.get(path)[0]
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer in {WAIT} s:\n{self.stderr.read_text()}")

    def request_lines(self) -> list[str]:
        return [line for line in self.stdout.read_text().splitlines() if '"GET /' in line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=WAIT)


@pytest.mark.slow
def test_gunicorn_serves_the_app_and_reports_the_database(postgres_server, tmp_path, tmp_path_factory):
    database_url = new_database_url("postgresql", postgres_server, tmp_path_factory)
    env = production_env(database_url, free_port(), tmp_path)
    migrated = subprocess.run(
        [str(BIN / "flask"), "--app", "tracker", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr

    server = Gunicorn(env, tmp_path, "up")
    try:
        assert server.wait_for("/healthz") == 200
        assert server.get("/healthz") == (200, b'{"status":"ok"}\n')
        status, page = server.get("/signin")
        assert status == 200 and b"<form" in page
        # One access-log line per answered request, on stdout.
        deadline = time.monotonic() + WAIT
        while len(server.request_lines()) < server.answered and time.monotonic() < deadline:
            time.sleep(0.1)
        lines = server.request_lines()
        assert len(lines) == server.answered
        assert sum('"GET /signin HTTP/1.1" 200' in line for line in lines) == 1
        assert server.stderr.read_text().count("Booting worker") == 2
        assert "Control socket" not in server.stderr.read_text()
    finally:
        server.stop()
    assert server.process.returncode == 0

    # The database's server does not answer: the app starts all the same and says so.
    down = production_env("postgresql://postgres@127.0.0.1:1/none", free_port(), tmp_path)
    server = Gunicorn(down, tmp_path, "down")
    try:
        assert server.wait_for("/healthz") == 503
        assert server.get("/healthz") == (503, b'{"status":"unavailable"}\n')
    finally:
        server.stop()

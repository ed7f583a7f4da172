"""The built package installs into a fresh virtual environment and serves the tracker from there.

A checkout keeps ``templates/``, ``migrations/`` and ``seed/`` beside the package; the wheel must
carry them inside it, with the static files, or an installed tracker answers with errors. The
test builds the sdist and the wheel from it (``python -m build``), installs the wheel with its
dependencies into a new virtual environment, and runs the commands a newcomer runs (migrate,
seed, serve) from an empty folder, so that nothing can come from the checkout.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode, urljoin
from urllib.request import HTTPCookieProcessor, build_opener, urlopen

import pytest

from tests.conftest import TOTP_KEY

ROOT = Path(__file__).resolve().parent.parent
# The checkout's folders and where the wheel puts them.
RESOURCES = {
    "tracker": "tracker",
    "templates": "tracker/templates",
    "migrations": "tracker/migrations",
    "seed": "tracker/seed",
}
DEMO_VIEWER = "viewer@example.org"
DEMO_PASSWORD = "gender-equality-demo"
PLAN_TITLE = "Gender Mainstreaming Action Plan 2023-2026"

pytestmark = pytest.mark.slow


def run(command, **kwargs) -> subprocess.CompletedProcess:
    """Run ``command``; fail with its output if it does not succeed."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def expected_wheel_files() -> set[str]:
    """Every file of the checkout that the installed package needs, as the wheel names it."""
    names = set()
    for folder, target in RESOURCES.items():
        for path in (ROOT / folder).rglob("*"):
            relative = path.relative_to(ROOT / folder)
            if not path.is_file() or "__pycache__" in relative.parts or relative.name.startswith("."):
                continue
            if folder == "tracker" and relative.suffix != ".py" and relative.parts[0] != "static":
                continue
            names.add(f"{target}/{relative.as_posix()}")
    # The compiled catalogues, one beside each language's .po (setup.py compiles them).
    for po in (ROOT / "tracker" / "translations").glob("*/LC_MESSAGES/messages.po"):
        names.add(po.with_suffix(".mo").relative_to(ROOT).as_posix())
    return names


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, server: subprocess.Popen, log: Path, seconds: float = 20) -> None:
    """Poll ``url`` until the server answers, it exits, or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the server stopped:\n{log.read_text()}"
        try:
            with urlopen(url, timeout=2):
                return
        except (URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail(f"the server did not answer {url} within {seconds} s:\n{log.read_text()}")


def fetch(opener, url: str, data: dict | None = None) -> tuple[int, str, str]:
    """Status, content type and text of ``url`` (a POST when ``data`` is given)."""
    body = urlencode(data).encode() if data is not None else None
    with opener.open(url, data=body, timeout=10) as response:
        return response.status, response.headers.get_content_type(), response.read().decode()


def test_the_wheel_installs_migrates_seeds_and_serves_from_an_empty_folder(tmp_path):
    started = time.monotonic()
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)])
    [sdist] = dist.glob("*.tar.gz")
    [wheel] = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if ".dist-info/" not in name}
    # Everything the app needs, inside the package; nothing else (no tests, no bytecode).
    assert shipped == expected_wheel_files()
    assert {"tracker/migrations/alembic.ini", "tracker/static/css/app.css"} <= shipped
    with tarfile.open(sdist) as archive:
        assert not [name for name in archive.getnames() if "/tests/" in name]

    # No checkout on the path (pip would take it for the installed package), an empty folder
    # to work in: only the installed package can answer.
    environ = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    empty = tmp_path / "empty"
    empty.mkdir()
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=empty, env=environ)
    python, flask = venv / "bin" / "python", venv / "bin" / "flask"
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)]
    run(install, cwd=empty, env=environ)

    environ.update(
        TRACKER_ENV="development",
        DATABASE_URL="sqlite:///" + str(tmp_path / "t.sqlite"),
        SECRET_KEY="wheel-test-secret-key",
        TOTP_KEYS=TOTP_KEY,
        REPORTS_DIR=str(tmp_path / "reports"),
    )
    where = run(
        [
            str(python),
            "-c",
            "import tracker; from tracker.core.paths import resource_dir; "
            "print(tracker.__file__); [print(resource_dir(n)) for n in ('templates', 'migrations', 'seed')]",
        ],
        cwd=empty,
        env=environ,
    )
    for line in where.stdout.split():
        assert Path(line).is_relative_to(venv), f"{line} is not in the virtual environment"

    upgrade = run([str(flask), "--app", "tracker", "db", "upgrade"], cwd=empty, env=environ)
    assert "Running upgrade" in upgrade.stderr
    iclei = run([str(flask), "--app", "tracker", "seed", "iclei"], cwd=empty, env=environ)
    assert f"Loaded '{PLAN_TITLE}'" in iclei.stdout
    demo = run([str(flask), "--app", "tracker", "seed", "demo"], cwd=empty, env=environ)
    assert DEMO_VIEWER in demo.stdout

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(flask), "--app", "tracker", "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=empty,
            env=environ,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(base + "/signin", server, log)
        opener = build_opener(HTTPCookieProcessor(CookieJar()))
        status, _, page = fetch(opener, base + "/signin")
        assert status == 200
        assert '<form method="post"' in page
        assert 'name="email"' in page and 'name="password"' in page
        stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
        assert stylesheets
        for href in stylesheets:
            status, content_type, css = fetch(opener, urljoin(base, href))
            assert (status, content_type) == (200, "text/css") and css.strip(), href

        # A demo account signs in and sees the seeded plan.
        [token] = re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        credentials = {"csrf_token": token, "email": DEMO_VIEWER, "password": DEMO_PASSWORD}
        status, _, plan = fetch(opener, base + "/signin", credentials)
        assert status == 200 and PLAN_TITLE in plan
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    print(f"built, installed, migrated, seeded and served in {time.monotonic() - started:.0f} s")

"""Where published reports' frozen files live (REPORT_STORAGE): files or the database (#16)."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.assessments.test_assessments import new_draft, publish, sign_in
from tests.conftest import PASSWORD, make_app
from tests.core.test_serve import BIN, ROOT, Gunicorn, free_port, production_env
from tracker.accounts.models import Organisation
from tracker.accounts.services import create_user
from tracker.assessments.models import Assessment, ReportFile
from tracker.cli.seeding import load_plan
from tracker.core.extensions import db
from tracker.core.permissions import Role


@pytest.fixture
def more_apps():
    """Makes further apps (other settings, same or other databases); their engines closed after."""
    made = []

    def make(database_url, tmp_path, **config):
        made.append(make_app(database_url, tmp_path, **config))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def database_app(database_url, tmp_path, more_apps):
    """The app of the ``app`` fixture's database with REPORT_STORAGE=database."""
    return more_apps(database_url, tmp_path, REPORT_STORAGE="database")


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def make_public(app, session, users, assessment_id) -> str:
    admin = sign_in(app, users["admin"])
    version = session.get(Assessment, assessment_id).version
    answer = admin.post(
        f"/assessments/{assessment_id}/visibility", data={"public": "true", "version": version}
    )
    assert answer.status_code == 303
    session.expire_all()
    return f"/public/reports/{session.get(Assessment, assessment_id).public_token}"


def test_with_database_storage_a_report_is_published_into_the_database_only(
    app, database_app, users, session, iclei
):
    editor = sign_in(database_app, users["editor"])
    published = publish(editor, session, new_draft(editor, iclei))
    rows = {row.name: row.content for row in session.scalars(sa.select(ReportFile))}
    assert sorted(rows) == ["report.json", "report.xlsx"]
    assert files_under(Path(database_app.config["REPORTS_DIR"])) == []
    page = editor.get(f"/assessments/{published.id}")
    assert page.status_code == 200 and published.workbook_sha256 in page.get_data(as_text=True)
    workbook = editor.get(f"/assessments/{published.id}/report.xlsx")
    assert workbook.status_code == 200 and workbook.data == rows["report.xlsx"]
    # With files storage the same report is missing: its bytes are in the database only.
    missing = sign_in(app, users["editor"]).get(f"/assessments/{published.id}/report.xlsx")
    assert missing.status_code == 503 and b"missing from the reports folder" in missing.data


def tamper_file(app, published, name):
    path = Path(app.config["REPORTS_DIR"]) / published.report_dir / name
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))


def tamper_row(session, published, name):
    row = session.scalar(
        sa.select(ReportFile).where(ReportFile.assessment_id == published.id, ReportFile.name == name)
    )
    data = bytearray(row.content)
    data[len(data) // 2] ^= 1
    row.content = bytes(data)
    session.commit()


@pytest.mark.parametrize("storage", ["files", "database"])
def test_a_tampered_byte_in_either_storage_is_a_503_never_the_wrong_bytes(
    database_url, tmp_path, users, session, iclei, storage, more_apps
):
    app = more_apps(database_url, tmp_path, REPORT_STORAGE=storage)
    editor = sign_in(app, users["editor"])
    published = publish(editor, session, new_draft(editor, iclei))
    link = make_public(app, session, users, published.id)
    tamper = tamper_file if storage == "files" else (lambda _app, p, n: tamper_row(session, p, n))
    tamper(app, published, "report.xlsx")
    anonymous = app.test_client()
    for client, url in (
        (editor, f"/assessments/{published.id}/report.xlsx"),
        (anonymous, link + "/report.xlsx"),
    ):
        answer = client.get(url)
        assert answer.status_code == 503, url
        assert (
            b"report.xlsx of Assessment report 2024-2025 does not match its SHA-256 checksum" in answer.data
        )
    assert editor.get(f"/assessments/{published.id}").status_code == 200  # report.json is intact
    tamper(app, published, "report.json")
    for client, url in ((editor, f"/assessments/{published.id}"), (anonymous, link)):
        answer = client.get(url)
        assert answer.status_code == 503 and b"report.json of Assessment report" in answer.data


def test_reports_move_copies_verifies_and_moves_nothing_the_second_time(
    app, database_app, users, session, iclei, more_apps
):
    editor = sign_in(app, users["editor"])
    first = publish(editor, session, new_draft(editor, iclei, year="2024"))
    second = publish(editor, session, new_draft(editor, iclei, year="2025"))
    expected = editor.get(f"/assessments/{second.id}/report.xlsx").data

    moved = app.test_cli_runner().invoke(args=["reports", "move", "--to", "database"])
    assert moved.exit_code == 0, moved.output
    assert f"moved report {first.id} (Assessment report 2023-2024)" in moved.output
    assert "Moved 2 reports to the database; 0 were already there." in moved.output
    again = app.test_cli_runner().invoke(args=["reports", "move", "--to", "database"])
    assert again.exit_code == 0 and "Moved 0 reports to the database; 2 were already there." in again.output
    assert session.scalar(sa.select(sa.func.count()).select_from(ReportFile)) == 4

    served = sign_in(database_app, users["editor"]).get(f"/assessments/{second.id}/report.xlsx")
    assert served.status_code == 200 and served.data == expected

    # Back to files in a new, empty reports folder.
    elsewhere = more_apps(
        app.config["SQLALCHEMY_DATABASE_URI"], Path(app.config["REPORTS_DIR"]).parent / "new"
    )
    back = elsewhere.test_cli_runner().invoke(args=["reports", "move", "--to", "files"])
    assert back.exit_code == 0 and "Moved 2 reports to the reports folder" in back.output
    names = sorted(path.name for path in files_under(Path(elsewhere.config["REPORTS_DIR"])))
    assert names == ["SHA256SUMS", "SHA256SUMS", "report.json", "report.json", "report.xlsx", "report.xlsx"]
    served = sign_in(elsewhere, users["editor"]).get(f"/assessments/{second.id}/report.xlsx")
    assert served.status_code == 200 and served.data == expected


def test_reports_move_refuses_a_damaged_file_and_moves_nothing(app, users, session, iclei):
    editor = sign_in(app, users["editor"])
    publish(editor, session, new_draft(editor, iclei, year="2024"))
    damaged = publish(editor, session, new_draft(editor, iclei, year="2025"))
    tamper_file(app, damaged, "report.json")
    moved = app.test_cli_runner().invoke(args=["reports", "move", "--to", "database"])
    assert moved.exit_code == 1
    assert f"report {damaged.id} (Assessment report 2024-2025): report.json" in moved.output
    assert "does not match its SHA-256 checksum" in moved.output
    assert session.scalar(sa.select(sa.func.count()).select_from(ReportFile)) == 0


def test_a_storage_other_than_files_or_database_stops_the_app(tmp_path):
    from tracker import create_app

    with pytest.raises(SystemExit, match="REPORT_STORAGE must be files"):
        create_app(environ={"TRACKER_ENV": "testing", "REPORT_STORAGE": "s3"})


# --- Two servers, one database ------------------------------------------------------------------


def healthy(server: Gunicorn) -> int:
    """What ``/healthz`` answers once the server listens (its worker may boot slowly on a busy
    machine: the answer is awaited, not timed)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.stderr.read_text()
        try:
            return requests.get(server.url + "/healthz", timeout=60).status_code
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"{server.url} did not answer:\n{server.stderr.read_text()}")


class Browser:
    """A person at one server, through real HTTP: the form's CSRF token sent back with each post."""

    def __init__(self, url: str, cookies=None):
        self.url = url
        self.http = requests.Session()
        if cookies is not None:
            self.http.cookies = cookies

    def token(self, path: str) -> str:
        page = self.http.get(self.url + path, timeout=10).text
        return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)

    def post(self, path: str, data: dict, form_at: str):
        return self.http.post(
            self.url + path,
            data={**data, "csrf_token": self.token(form_at)},
            allow_redirects=False,
            timeout=30,
        )

    def get(self, path: str):
        return self.http.get(self.url + path, timeout=30)


@pytest.mark.slow
def test_two_servers_on_one_postgresql_database_serve_a_report_published_through_the_other(
    postgres_server, tmp_path, tmp_path_factory, password_hash
):
    from tests.conftest import new_database_url

    database_url = new_database_url("postgresql", postgres_server, tmp_path_factory)
    servers = []
    for name in ("one", "two"):
        env = {
            **production_env(database_url, free_port(), tmp_path / name),
            "REPORT_STORAGE": "database",
            "MFA_REQUIRED": "0",
            "WEB_CONCURRENCY": "1",
            "CACHE_DIR": str(tmp_path / name / "cache"),
        }
        if not servers:
            migrated = subprocess.run(
                [str(BIN / "flask"), "--app", "tracker", "db", "upgrade"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert migrated.returncode == 0, migrated.stderr
            engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
            from tracker import init_model_hooks

            init_model_hooks()
            with Session(engine) as session:
                plan = load_plan(session).plan
                organisation = session.get(Organisation, plan.organisation_id)
                for role in (Role.EDITOR, Role.ADMIN):
                    create_user(
                        session,
                        email=f"{role.value}@iclei.test",
                        name=f"{role.value.title()} Person",
                        role=role,
                        password="",
                        organisation=organisation,
                        password_hash=password_hash,
                    )
                session.commit()
                plan_id = plan.id
        (tmp_path / name).mkdir(exist_ok=True)
        servers.append(Gunicorn(env, tmp_path / name, name))
    try:
        for server in servers:
            assert healthy(server) == 200
        one, two = (server.url for server in servers)

        editor = Browser(one)
        signed_in = editor.post("/signin", {"email": "editor@iclei.test", "password": PASSWORD}, "/signin")
        assert signed_in.status_code == 302
        created = editor.post(
            f"/plans/{plan_id}/assessments", {"year": "2025"}, f"/plans/{plan_id}/assessments"
        )
        assert created.status_code == 303, created.text
        assessment_id = int(created.headers["Location"].split("/")[2])
        published = editor.post(
            f"/assessments/{assessment_id}/publish",
            {"version": "1", "confirm": "yes"},
            f"/assessments/{assessment_id}",
        )
        assert published.status_code == 303, published.text
        workbook = editor.get(f"/assessments/{assessment_id}/report.xlsx")
        assert workbook.status_code == 200

        # The other server, the same sign-in: the same bytes, from the database.
        elsewhere = Browser(two, editor.http.cookies)
        page = elsewhere.get(f"/assessments/{assessment_id}")
        assert page.status_code == 200 and "This report is frozen" in page.text
        assert elsewhere.get(f"/assessments/{assessment_id}/report.xlsx").content == workbook.content

        # Made public through the second server, its link answers on the first.
        admin = Browser(two)
        admin.post("/signin", {"email": "admin@iclei.test", "password": PASSWORD}, "/signin")
        engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            version = connection.scalar(sa.select(Assessment.version).where(Assessment.id == assessment_id))
        opened = admin.post(
            f"/assessments/{assessment_id}/visibility",
            {"public": "true", "version": str(version)},
            f"/assessments/{assessment_id}",
        )
        assert opened.status_code == 303, opened.text
        with engine.connect() as connection:
            token = connection.scalar(
                sa.select(Assessment.public_token).where(Assessment.id == assessment_id)
            )
        engine.dispose()
        anonymous = requests.get(f"{one}/public/reports/{token}/report.xlsx", timeout=30)
        assert anonymous.status_code == 200 and anonymous.content == workbook.content
        assert requests.get(f"{two}/public/reports/{token}", timeout=30).status_code == 200
        assert files_under(tmp_path / "one" / "reports") == files_under(tmp_path / "two" / "reports") == []
    finally:
        for server in servers:
            server.stop()

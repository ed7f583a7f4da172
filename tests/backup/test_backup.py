"""``dump`` and ``load``: every record and report file, from one database kind to the other (#11, #16)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.assessments.test_assessments import new_draft, publish, sign_in
from tests.assessments.test_storage import files_under, make_public, more_apps  # noqa: F401 - a fixture
from tests.conftest import TOTP_KEY, new_database_url
from tracker.accounts.models import User
from tracker.accounts.services import create_token
from tracker.assessments.models import ReportFile
from tracker.backup.dump import head_revision
from tracker.hours.models import TimeEntry
from tracker.plans.models import Plan
from tracker.schema import metadata

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"


def migrated(backend: str, postgres_server, tmp_path_factory) -> str:
    """A new, empty database of ``backend``, migrated to the head by ``db upgrade`` (in its own
    process: Alembic's logging setup would otherwise silence this process's loggers)."""
    url = new_database_url(backend, postgres_server, tmp_path_factory)
    env = {
        "PATH": "",
        "PYTHONPATH": str(ROOT),
        "TRACKER_ENV": "development",
        "DATABASE_URL": url,
        "TOTP_KEYS": TOTP_KEY,
        "CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
    }
    done = subprocess.run(
        [str(FLASK), "--app", "tracker", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return url


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def rows_in(url: str) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        counted = {
            table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
            for table in metadata.sorted_tables
        }
    engine.dispose()
    return counted


def content(path: Path) -> dict:
    """A dump without where and when it was made: what must be the same after a round trip."""
    dump = json.loads(path.read_text())
    del dump["header"]["source"]
    return dump


@pytest.fixture
def source(app, users, session, iclei):
    """A database with a published public report, an API token, logged hours and an
    idempotency key: the editor's client, the report, its public link and the token."""
    editor = sign_in(app, users["editor"])
    published = publish(editor, session, new_draft(editor, iclei))
    link = make_public(app, session, users, published.id)
    person = session.scalar(sa.select(User).where(User.email == users["editor"]))
    _row, token = create_token(session, person)
    session.commit()
    logged = app.test_client().post(
        f"/api/v1/plans/{iclei}/management-hours",
        json={"date": "2025-03-04", "hours": 2.5, "note": "before the move"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "entry-1"},
    )
    assert logged.status_code == 201
    return {"editor": editor, "report": published, "link": link, "token": token, "logged": logged}


def answers(app, client, report_id: int, link: str) -> dict[str, bytes]:
    """What readers get: the report page and its workbook signed in (the page without the
    session's own CSRF token), the public page and its workbook without signing in."""
    anonymous = app.test_client()
    found = {}
    for who, url in (
        (client, f"/assessments/{report_id}"),
        (client, f"/assessments/{report_id}/report.xlsx"),
        (anonymous, link),
        (anonymous, link + "/report.xlsx"),
    ):
        answer = who.get(url)
        assert answer.status_code == 200, url
        found[url] = re.sub(rb'name="csrf_token" value="[^"]+"', b"", answer.data)
    return found


@pytest.mark.backend("sqlite")
@pytest.mark.slow
def test_dump_on_sqlite_load_into_postgresql_with_database_storage_answers_the_same(
    app,
    users,
    iclei,
    source,
    postgres_server,
    tmp_path,
    tmp_path_factory,
    more_apps,  # noqa: F811
):
    report = source["report"]
    source["editor"].get(f"/assessments/{report.id}")  # the flash "is published" is shown once
    before = answers(app, source["editor"], report.id, source["link"])
    dump = tmp_path / "backup.json"
    dumped = app.test_cli_runner().invoke(args=["dump", str(dump)])
    assert dumped.exit_code == 0, dumped.output
    assert "time_entry" in dumped.output and "1 published reports' files" in dumped.output

    target = more_apps(
        migrated("postgresql", postgres_server, tmp_path_factory),
        tmp_path / "server",
        REPORT_STORAGE="database",
    )
    loaded = target.test_cli_runner().invoke(args=["load", str(dump)])
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded" in loaded.output and "1 published reports' files" in loaded.output
    target_url = target.config["SQLALCHEMY_DATABASE_URI"]
    assert rows_in(target_url)["report_file"] == 2
    assert files_under(Path(target.config["REPORTS_DIR"])) == []

    # Dump again: the same content, history, data versions and idempotency keys included
    # (before anyone signs in, which is recorded).
    again = tmp_path / "again.json"
    assert target.test_cli_runner().invoke(args=["dump", str(again)]).exit_code == 0
    assert content(again) == content(dump)

    # The report page, its workbook and its public link: the same bytes on the new server.
    assert answers(target, sign_in(target, users["editor"]), report.id, source["link"]) == before

    # The same key again answers the first answer and writes nothing; new rows get fresh ids.
    replayed = target.test_client().post(
        f"/api/v1/plans/{iclei}/management-hours",
        json={"date": "2025-03-04", "hours": 2.5, "note": "before the move"},
        headers={"Authorization": f"Bearer {source['token']}", "Idempotency-Key": "entry-1"},
    )
    assert replayed.status_code == 201 and replayed.get_data() == source["logged"].get_data()
    assert rows_in(target_url)["time_entry"] == 1
    assert new_draft(sign_in(target, users["editor"]), iclei, year="2024") == report.id + 1


def edited(dump: dict, change) -> str:
    changed = copy.deepcopy(dump)
    change(changed)
    return json.dumps(changed)


def table(dump: dict, name: str) -> dict:
    return next(entry for entry in dump["tables"] if entry["name"] == name)


def set_value(dump: dict, name: str, column: str, value) -> int:
    """Set ``column`` of the first row of table ``name``; that row's id."""
    entry = table(dump, name)
    row = entry["rows"][0]
    row[entry["columns"].index(column)] = value
    return row[entry["columns"].index("id")]


def test_load_refuses_a_bad_dump_naming_the_problem_and_writes_nothing(
    app,
    source,
    postgres_server,
    tmp_path,
    tmp_path_factory,
    more_apps,  # noqa: F811
):
    good = tmp_path / "good.json"
    assert app.test_cli_runner().invoke(args=["dump", str(good)]).exit_code == 0
    text = good.read_text()
    dump = json.loads(text)
    entry = table(dump, "time_entry")
    entry_id = entry["rows"][0][entry["columns"].index("id")]
    action = table(dump, "action")
    action_id = action["rows"][3][action["columns"].index("id")]
    report = source["report"]

    def tamper_report(d):
        files = d["report_files"][0]["files"]["report.xlsx"]
        files["content"] = ("A" if files["content"][100] != "A" else "B").join(
            (files["content"][:100], files["content"][101:])
        )

    bad = {
        "a file cut in half": (text[: len(text) // 2], "is it truncated?"),
        "a file cut before its end": (text[: text.index('"end"')], "is it truncated?"),
        "not a dump": ('{"rows": []}', "this is not a tracker dump"),
        "a newer schema": (
            edited(dump, lambda d: d["header"].update(schema_revision="9999")),
            f"the dump comes from schema revision 9999, newer than this database's {head_revision()}",
        ),
        "a time entry naming a missing action": (
            edited(dump, lambda d: set_value(d, "time_entry", "action_id", 999999)),
            f"time_entry id {entry_id}: action_id 999999 names no action",
        ),
        "a duplicate id": (
            edited(dump, lambda d: table(d, "action")["rows"].append(table(d, "action")["rows"][3])),
            f"action id {action_id} appears twice",
        ),
        "hours that are not a number": (
            edited(dump, lambda d: set_value(d, "time_entry", "hours", "two and a half")),
            f"time_entry id {entry_id}: hours must be a decimal number",
        ),
        "a report file that does not match its checksum": (
            edited(dump, tamper_report),
            f"report {report.id} (Assessment report 2024-2025): report.xlsx does not match its SHA-256 checksum",
        ),
    }
    # Report files go to the folder on SQLite and into the database on PostgreSQL: neither keeps any.
    backend = backend_of(app.config["SQLALCHEMY_DATABASE_URI"])
    target = more_apps(
        migrated(backend, postgres_server, tmp_path_factory),
        tmp_path / "server",
        REPORT_STORAGE="files" if backend == "sqlite" else "database",
    )
    target_url = target.config["SQLALCHEMY_DATABASE_URI"]
    for problem, (written, message) in bad.items():
        path = tmp_path / "bad.json"
        path.write_text(written)
        refused = target.test_cli_runner().invoke(args=["load", str(path)])
        assert refused.exit_code == 1, problem
        assert message in refused.output, (problem, refused.output)
        assert "Nothing was loaded" in refused.output and "Traceback" not in refused.output, problem
        assert set(rows_in(target_url).values()) == {0}, problem
        assert files_under(Path(target.config["REPORTS_DIR"])) == [], problem

    loaded = target.test_cli_runner().invoke(args=["load", str(good)])
    assert loaded.exit_code == 0, loaded.output
    stored = (len(files_under(Path(target.config["REPORTS_DIR"]))), rows_in(target_url)["report_file"])
    # report.json, report.xlsx and SHA256SUMS in the folder, or the first two in the database
    assert stored == ((3, 0) if backend == "sqlite" else (0, 2))
    twice = target.test_cli_runner().invoke(args=["load", str(good)])
    assert twice.exit_code == 1 and "the database is not empty" in twice.output


def test_dump_refuses_a_damaged_report_and_leaves_no_file(app, source, session, tmp_path):
    report = source["report"]
    path = Path(app.config["REPORTS_DIR"]) / report.report_dir / "report.json"
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b" ")
    refused = app.test_cli_runner().invoke(args=["dump", str(tmp_path / "backup.json")])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert f"report {report.id} (Assessment report 2024-2025): report.json" in refused.output
    assert list(tmp_path.glob("backup.json*")) == list(tmp_path.glob(".backup.json*")) == []


def test_load_of_a_dump_made_on_either_kind_keeps_history_and_data_versions(
    app,
    source,
    session,
    tmp_path,
    postgres_server,
    tmp_path_factory,
    more_apps,  # noqa: F811
):
    dump = tmp_path / "backup.json"
    assert app.test_cli_runner().invoke(args=["dump", str(dump)]).exit_code == 0
    other = "postgresql" if backend_of(app.config["SQLALCHEMY_DATABASE_URI"]) == "sqlite" else "sqlite"
    target = more_apps(migrated(other, postgres_server, tmp_path_factory), tmp_path / "other")
    loaded = target.test_cli_runner().invoke(args=["load", str(dump)])
    assert loaded.exit_code == 0, loaded.output
    counted = rows_in(target.config["SQLALCHEMY_DATABASE_URI"])
    assert counted["history_entry"] == session.scalar(
        sa.select(sa.func.count()).select_from(metadata.tables["history_entry"])
    )
    assert counted["time_entry"] == session.scalar(sa.select(sa.func.count()).select_from(TimeEntry)) == 1
    assert counted["report_file"] == 0  # files storage: the report's files are under REPORTS_DIR
    engine = sa.create_engine(target.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        versions = dict(connection.execute(sa.select(Plan.id, Plan.data_version)).all())
    engine.dispose()
    assert versions == dict(session.execute(sa.select(Plan.id, Plan.data_version)).all())
    assert session.scalar(sa.select(sa.func.count()).select_from(ReportFile)) == 0


def test_load_into_a_database_without_the_schema_says_to_migrate_it(
    app,
    source,
    tmp_path,
    postgres_server,
    tmp_path_factory,
    more_apps,  # noqa: F811
):
    dump = tmp_path / "backup.json"
    assert app.test_cli_runner().invoke(args=["dump", str(dump)]).exit_code == 0
    bare = new_database_url(
        backend_of(app.config["SQLALCHEMY_DATABASE_URI"]), postgres_server, tmp_path_factory
    )
    refused = more_apps(bare, tmp_path / "bare").test_cli_runner().invoke(args=["load", str(dump)])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "the database has no tables" in refused.output and "db upgrade' first" in refused.output

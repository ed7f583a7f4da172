"""``flask --app tracker dump|load PATH`` and ``reports move --to database|files``."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from tracker.assessments.storage import STORAGES, DatabaseStorage, FileStorage, move_reports, storage_from
from tracker.backup.dump import BackupError, Summary, write_dump
from tracker.backup.load import load_dump
from tracker.cli.commands import needs_database
from tracker.core.database import describe_url
from tracker.core.extensions import db

reports_cli = AppGroup("reports", help="Published reports' frozen files.")


def _print(summary: Summary, verb: str) -> None:
    width = max((len(name) for name in summary.rows), default=10)
    for name, count in summary.rows.items():
        click.echo(f"  {name:<{width}} {count:>10,} rows")
    click.echo(f"  {'report files':<{width}} {summary.reports:>10,} reports")
    click.echo(
        f"{verb} {summary.total:,} rows of {len(summary.rows)} tables and {summary.reports} published "
        f"reports' files (schema {summary.revision}) in {summary.seconds:.1f} s; "
        f"peak memory of this process {peak_mb():.0f} MB."
    )


def peak_mb() -> float:
    """This process's peak resident memory (the app's own included), in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


@click.command("dump")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@with_appcontext
@needs_database
def dump_command(path: Path) -> None:
    """Write every record and the published reports' frozen files to one JSON file at PATH."""
    try:
        summary = write_dump(db.engine, path, storage_from(current_app.config))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror}") from None
    _print(summary, f"Wrote {path} ({summary.size:,} bytes):")


@click.command("load")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@with_appcontext
@needs_database
def load_command(path: Path) -> None:
    """Restore a dump into this empty, migrated database (all or nothing).

    The reports' frozen files go to the configured REPORT_STORAGE, each checked against its
    checksum.
    """
    where = describe_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        summary = load_dump(db.engine, path, storage_from(current_app.config))
    except BackupError as error:
        raise click.ClickException(f"{path}: {error}. Nothing was loaded into {where}.") from None
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror}. Nothing was loaded.") from None
    _print(summary, f"Loaded {path} into {where}:")


@reports_cli.command("move")
@click.option("--to", "target", type=click.Choice(STORAGES), required=True, help="Where the files go.")
@needs_database
def reports_move(target: str) -> None:
    """Copy every published report's frozen files into the other storage, verified.

    Reports the target already holds intact are left alone: a second run copies nothing. The
    source keeps its copies; set REPORT_STORAGE to the target afterwards.
    """
    files = FileStorage(Path(current_app.config["REPORTS_DIR"]))
    source, destination = (files, DatabaseStorage()) if target == "database" else (DatabaseStorage(), files)
    result = move_reports(db.session, source, destination)
    if result.problems:
        db.session.rollback()
        destination.undo(result.written)
        for problem in result.problems:
            click.echo(f"Error: {problem}", err=True)
        raise click.ClickException(
            f"{len(result.problems)} reports cannot be moved; nothing was moved to {destination.where()}"
        )
    db.session.commit()
    for label in result.moved:
        click.echo(f"  moved {label}")
    click.echo(
        f"Moved {len(result.moved)} reports to {destination.where()}; {result.present} were already there. "
        f"Set REPORT_STORAGE={target} to serve them from there."
    )


def init_app(app) -> None:
    """Register the backup commands."""
    app.cli.add_command(dump_command)
    app.cli.add_command(load_command)
    app.cli.add_command(reports_cli)

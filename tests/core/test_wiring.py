"""The model hooks are wired explicitly: a script that changes records through the services gets
the history and the hour summaries kept, or an error, never a silent gap."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    from datetime import date
    from decimal import Decimal

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from tracker.accounts.models import Organisation, Region, User
    from tracker.core.permissions import Role
    from tracker.hours.models import ActionHours
    from tracker.hours.services import log_hours
    from tracker.plans.models import Plan
    from tracker.schema import metadata

    WIRED = {wired}
    if WIRED:
        import tracker

        tracker.init_model_hooks()

    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as session:
        org = Organisation(name="LGA", country="Chile", region=Region.LATIN_AMERICA, version=1)
        person = User(organisation=org, email="a@lga.test", name="A", role=Role.EDITOR, password_hash="x")
        plan = Plan(organisation=org, title="Plan", start_year=2025, end_year=2026)
        session.add_all([org, person, plan])
        session.flush()
        try:
            log_hours(
                session, plan, person=person, spent_on=date(2025, 3, 1), hours=Decimal("7.25"),
                action=None, note="",
            )
        except RuntimeError as error:
            print("refused:", error)
        else:
            session.commit()
            print("summed:", session.scalar(sa.select(ActionHours.hours)))
    """
)


@pytest.mark.parametrize(
    ("wired", "expected"), [(True, "summed: 7.25"), (False, "refused: The history hooks are not registered")]
)
def test_hours_logged_by_a_script_are_summed_or_refused(wired, expected):
    """A fresh interpreter, no app: with init_model_hooks() the summary follows the entry; without
    it the service refuses to write instead of leaving the dashboard silently wrong."""
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(wired=wired)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(expected), result.stdout

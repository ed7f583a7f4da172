"""Two people creating the same pillar, plan, allocation line or action at the same moment: one
is created, the other is told which field is taken (422), never a 500."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from tracker.accounts.models import Organisation
from tracker.core.validation import Invalid
from tracker.plans import admin as planning
from tracker.plans.editing import ActionFields, add_action
from tracker.plans.models import Action, AllocationKind, AllocationLine, Cadence, Pillar, Plan, Status

FIELDS = ActionFields(
    title="Raced",
    description="",
    objectives="",
    start_year=2025,
    end_year=2026,
    cadence=Cadence.ONCE,
    timeline_text="",
    resources_text="",
    resources_amount=None,
    resources_currency=None,
    responsible="",
)


def create(kind: str, session: Session, plan_id: int):
    """Create the one record of ``kind`` everybody in these tests wants, in ``session``."""
    plan = session.get(Plan, plan_id)
    if kind == "plan":
        return planning.create_plan(
            session,
            session.get(Organisation, plan.organisation_id),
            title="Raced plan",
            start_year=2027,
            end_year=2030,
        )
    if kind == "pillar":
        return planning.add_pillar(session, plan, "Raced pillar")
    if kind == "line":
        return planning.add_allocation_line(
            session,
            plan,
            year=2025,
            kind=AllocationKind.IMPLEMENTATION,
            name="Raced line",
            hours=Decimal(10),
            description="",
        )
    pillar = session.scalar(sa.select(Pillar).where(Pillar.plan_id == plan_id).order_by(Pillar.position))
    return add_action(session, pillar, code="9.9.9", fields=FIELDS, status=Status.UPCOMING)


COUNT = {
    "plan": (Plan, Plan.title == "Raced plan"),
    "pillar": (Pillar, Pillar.name == "Raced pillar"),
    "line": (AllocationLine, AllocationLine.name == "Raced line"),
    "action": (Action, Action.code == "9.9.9"),
}
MESSAGES = {
    "plan": ("title", "another plan of your organisation is already called Raced plan"),
    "pillar": ("name", "a pillar of this plan is already called Raced pillar"),
    "line": ("name", "2025 already has a line called Raced line"),
    "action": ("code", "9.9.9 is already used in this plan"),
}


def how_many(session, kind) -> int:
    model, where = COUNT[kind]
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(where))


@pytest.mark.parametrize("kind", ["plan", "pillar", "line", "action"])
def test_the_second_of_two_simultaneous_creations_is_told_the_field_is_taken(app, iclei, database_url, kind):
    """The other person's row is committed after this one's check and before its insert: exactly
    the moment two requests at once meet. The unique constraint refuses the insert, and the
    service answers as its check would have."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with Session(engine) as mine, Session(engine) as theirs:
            raced = []

            def they_create_first(session, flush_context, instances):
                if not raced:
                    raced.append(True)
                    create(kind, theirs, iclei)
                    theirs.commit()

            sa.event.listen(mine, "before_flush", they_create_first)
            with pytest.raises(Invalid) as refused:
                create(kind, mine, iclei)
            field, message = MESSAGES[kind]
            assert refused.value.errors == {field: message}
            # The session is usable again and holds nothing of the refused record.
            mine.rollback()
            assert how_many(mine, kind) == 1
    finally:
        engine.dispose()


def test_ten_identical_pillars_posted_at_once_make_one_and_no_500(app, users, iclei, session):
    clients = []
    for _ in range(10):
        client = app.test_client()
        assert client.post("/signin", data={"email": users["admin"], "password": PASSWORD}).status_code == 302
        clients.append(client)
    start = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def post(client):
        start.wait()
        response = client.post(f"/admin/plans/{iclei}/pillars", data={"name": "Partnerships"})
        answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(status for status, _page in answers)
    assert statuses == [303] + [422] * 9
    assert all(
        "a pillar of this plan is already called Partnerships" in page
        for status, page in answers
        if status == 422
    )
    assert (
        session.scalar(sa.select(sa.func.count()).select_from(Pillar).where(Pillar.name == "Partnerships"))
        == 1
    )

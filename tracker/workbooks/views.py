"""The plan workbook: download it, and import one (a new plan, or an update of the plan it came from)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.core.clock import today
from tracker.core.concurrency import Conflict
from tracker.core.downloads import attachment
from tracker.core.extensions import db
from tracker.core.permissions import Need, requires
from tracker.plans.loaders import plan_or_404
from tracker.workbooks import EXPORTS
from tracker.workbooks.importing import apply_import, read_plan_workbook
from tracker.workbooks.reading import MAX_FILE_BYTES, ImportFailed, Problem

bp = Blueprint("workbooks", __name__)


@bp.route("/admin/plans/import", methods=["GET", "POST"])
@requires(Need.ADMIN)
def import_workbook():
    """Upload a plan workbook: it updates the plan it was exported from, or creates one."""
    problems: list[Problem] = []
    status = 200
    if request.method == "POST":
        upload = request.files.get("workbook")
        if upload is None or not upload.filename:
            problems, status = [Problem(_("choose a workbook (.xlsx) to import"))], 422
        else:
            try:
                book = read_plan_workbook(upload.read(MAX_FILE_BYTES + 1))
                result = apply_import(db.session, current_user.organisation, book)
            except ImportFailed as failure:
                db.session.rollback()
                problems, status = failure.problems, 422
            except Conflict as error:
                db.session.rollback()
                problems, status = [Problem(error.message)], 409
            else:
                message = _(
                    "%(verb)s: %(added)d actions added, %(changed)d changed, %(unchanged)d unchanged.",
                    verb=_("The plan is created") if result.created else _("The plan is updated"),
                    added=result.added,
                    changed=result.changed,
                    unchanged=result.unchanged,
                )
                db.session.commit()
                flash(message, "info")
                return redirect(url_for("planning.plan", plan_id=result.plan.id), 303)
    return render_template("workbooks/import.html", problems=problems), status


@bp.get("/plans/<int:plan_id>/workbook.xlsx")
@requires(Need.READ)
def plan_workbook(plan_id: int):
    """The plan workbook (Plan, Actions, Hours, History), for Excel or LibreOffice."""
    plan = plan_or_404(plan_id)
    data = EXPORTS["plan"](db.session, plan, today())
    return attachment(
        data,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{plan.title} {today().isoformat()}",
        "xlsx",
    )

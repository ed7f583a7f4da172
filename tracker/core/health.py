"""``/healthz``: whether this process can serve, for a load balancer or a process monitor.

It answers 200 when the database answers ``SELECT 1`` and 503 when it does not, to anyone,
without a session cookie and never cached.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify

from tracker.core.extensions import db
from tracker.core.permissions import Need, requires

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
@requires(Need.PUBLIC)
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
    except sa.exc.DBAPIError as error:
        log.warning("health check: the database does not answer: %s", error.orig)
        db.session.rollback()
        response = jsonify(status="unavailable")
        response.status_code = 503
    else:
        response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response

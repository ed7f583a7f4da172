"""API writes that are safe to retry: the ``Idempotency-Key`` header.

A client that lost the answer to a write cannot tell whether it was saved. Sent again with the
same key, the write answers what it answered the first time (status and body) and writes
nothing. The key, the request's fingerprint and the answer are stored in the same transaction
as the change, so the answer is kept exactly when the change is. The same key with another
request (another body or address) is refused with a 422 naming the header. Keys are kept
24 hours, per user: every API write, with a key or not, forgets the older ones.

:func:`committed` wraps a write view: the view changes and flushes, builds its answer from what
it flushed, and returns; the wrapper stores the answer and commits. Nothing is read back after
the commit, which could fail on a connection lost once the commit was done.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from functools import wraps

import sqlalchemy as sa
from flask import Response, jsonify, make_response, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from tracker.core.db import Base, UTCDateTime, utcnow
from tracker.core.extensions import db

HEADER = "Idempotency-Key"
MAX_LENGTH = 200
KEEP = timedelta(hours=24)
_VALID = re.compile(rf"[\x20-\x7e]{{1,{MAX_LENGTH}}}")


class IdempotencyKey(Base):
    """The first answer to a keyed write of one user."""

    __tablename__ = "idempotency_key"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(sa.String(MAX_LENGTH))
    # sha256 of the method, the path and the body: the same key must mean the same request.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def prune(session: Session, now: datetime | None = None) -> int:
    """Forget the keys older than :data:`KEEP`; how many were forgotten."""
    cutoff = (now or utcnow()) - KEEP
    result = session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    return result.rowcount or 0


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.get_data()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _stored(user_id: int, key: str) -> IdempotencyKey | None:
    return db.session.scalar(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at >= utcnow() - KEEP,
        )
    )


def _refused(message: str):
    return jsonify(error="invalid", message=message, errors={HEADER: message}), 422


def _replay(stored: IdempotencyKey, fingerprint: str):
    if stored.fingerprint != fingerprint:
        return _refused(_("Idempotency-Key: this key was already used for another request."))
    response = Response(stored.body, status=stored.status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def committed(view):
    """Commit what the API write ``view`` flushed, after its answer was built; with an
    ``Idempotency-Key``, store the answer with the change and give it again for the same key."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            response = make_response(view(*args, **kwargs))
            if 200 <= response.status_code < 300:
                # Every write forgets old keys, so they expire when clients stop sending keys too.
                prune(db.session)
            db.session.commit()
            return response
        if not _VALID.fullmatch(key):
            return _refused(_("Idempotency-Key: at most %(n)d printable ASCII characters.", n=MAX_LENGTH))
        user_id = current_user.id
        fingerprint = _fingerprint()
        stored = _stored(user_id, key)
        if stored is not None:
            db.session.rollback()
            return _replay(stored, fingerprint)
        response = make_response(view(*args, **kwargs))
        if 200 <= response.status_code < 300:
            prune(db.session)
            db.session.add(
                IdempotencyKey(
                    user_id=user_id,
                    key=key,
                    fingerprint=fingerprint,
                    status=response.status_code,
                    body=response.get_data(as_text=True),
                )
            )
        try:
            db.session.commit()
        except IntegrityError:
            # The same key sent twice at once: the other request saved its change and answer.
            db.session.rollback()
            stored = _stored(user_id, key)
            if stored is None:
                raise
            return _replay(stored, fingerprint)
        return response

    return wrapper

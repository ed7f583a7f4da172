"""Users, passwords and API tokens."""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from tracker.accounts.models import ApiToken, Network, Organisation, User, new_session_nonce
from tracker.core.db import utcnow
from tracker.core.permissions import Role
from tracker.core.scope import Scope, scoped

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
TOKEN_PREFIX = "gap_"
# A token's last use is written at most this often: reads stay reads.
LAST_USE_RESOLUTION = timedelta(seconds=60)
# How long recording a last use may wait for a lock before it is given up.
LAST_USE_LOCK_WAIT = timedelta(milliseconds=200)
# Checked when the email is unknown, so that a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password, only for timing")
# The method and parameters werkzeug uses today, e.g. "scrypt:32768:8:1".
_CURRENT_METHOD = _DUMMY_HASH.split("$", 1)[0]
log = logging.getLogger(__name__)


class AccountError(ValueError):
    """A user or token request that cannot be carried out; the message names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    """Emails compare without case or surrounding spaces."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug's default)."""
    return generate_password_hash(password)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's frequency list, lower-cased."""
    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def check_password(password: str, email: str = "") -> None:
    """Raise :class:`AccountError` if ``password`` is too weak to accept (OWASP ASVS V6.2)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "password", _("must be at least %(least)s characters long", least=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            "password", _("must be at most %(most)s characters long", most=MAX_PASSWORD_LENGTH)
        )
    if password.lower() in common_passwords():
        raise AccountError("password", _("is one of the most common passwords: choose another"))
    if email and password.strip().lower() == normalise_email(email):
        raise AccountError("password", _("must not be your email address"))


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with other parameters than the current default."""
    return password_hash.split("$", 1)[0] != _CURRENT_METHOD


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or ``None``, in the same time either way."""
    user = session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        # The parameters have changed since this hash was made: upgrade it now we know the password.
        user.password_hash = hash_password(password)
    return user


def account_for(session: Session, email: str) -> User | None:
    """The account an email names, active or not, for the security log of its organisation."""
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def find_organisation(session: Session, name: str | None) -> Organisation:
    """The organisation called ``name``; without a name, the only one there is."""
    if name:
        organisation = session.scalar(sa.select(Organisation).where(Organisation.name == name))
        if organisation is None:
            raise AccountError("organisation", _("no organisation is called %(name)s", name=repr(name)))
        return organisation
    organisations = session.scalars(sa.select(Organisation).limit(2)).all()
    if len(organisations) != 1:
        raise AccountError(
            "organisation",
            _("there is no organisation yet (run the seed first)")
            if not organisations
            else _("this instance holds several organisations: name one"),
        )
    return organisations[0]


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    organisation: Organisation | None = None,
    network: Network | None = None,
    password_hash: str | None = None,
) -> User:
    """Add a user; the caller commits. ``password_hash`` skips hashing when already known.

    A coordinator belongs to ``network`` and no organisation; everyone else to ``organisation``
    and no network."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("email", _("is not an email address"))
    if not name.strip():
        raise AccountError("name", _("must not be empty"))
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(
            "role", _("must be one of %(allowed)s", allowed="admin, editor, viewer, coordinator")
        ) from None
    if role.of_network and network is None:
        raise AccountError("network", _("is required for a coordinator: name the network they coordinate"))
    if role.of_network and organisation is not None:
        raise AccountError("organisation", _("must be empty for a coordinator, who belongs to a network"))
    if not role.of_network and organisation is None:
        raise AccountError("organisation", _("is required for the role %(role)s", role=role.value))
    if not role.of_network and network is not None:
        raise AccountError(
            "network", _("is only for coordinators; add the organisation to the network instead")
        )
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError("email", _("%(email)s already has an account", email=email))
    if password_hash is None:
        check_password(password, email)
        password_hash = hash_password(password)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=password_hash,
        organisation=organisation,
        network=network,
    )
    session.add(user)
    return user


def token_digest(token: str) -> str:
    """The SHA-256 digest under which a token is stored; the token itself never is."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for ``user``: the row to commit and the token, to show once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name, token_hash=token_digest(token))
    session.add(row)
    return row, token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user a live token belongs to, or ``None``."""
    row = session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USE_RESOLUTION:
        _note_token_use(session, row.id, now)
    return row.user


def _note_token_use(session: Session, token_id: int, now: datetime) -> None:
    """Record that a token was used, in a short transaction of its own on another connection.

    A read must not write in its own transaction (on SQLite that takes the database's one write
    lock for the whole request), nor fail because of the bookkeeping: when the row or the
    database is locked, the write waits at most ``LAST_USE_LOCK_WAIT`` and is given up. The
    ``WHERE`` keeps two workers that both saw an old value from both writing it.
    """
    engine = session.get_bind()
    statement = (
        sa.update(ApiToken.__table__)
        .where(
            ApiToken.__table__.c.id == token_id,
            sa.or_(
                ApiToken.__table__.c.last_used_at.is_(None),
                ApiToken.__table__.c.last_used_at <= now - LAST_USE_RESOLUTION,
            ),
        )
        .values(last_used_at=now)
    )
    wait_ms = int(LAST_USE_LOCK_WAIT.total_seconds() * 1000)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # The busy timeout belongs to the pooled connection: shortened here, restored
                # below; set on the driver's connection, outside SQLAlchemy's transaction.
                raw = connection.connection.driver_connection
                previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]
                raw.execute(f"PRAGMA busy_timeout = {wait_ms}")
            try:
                with connection.begin():
                    if connection.dialect.name == "postgresql":
                        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
                    connection.execute(statement)
            finally:
                if sqlite:
                    raw.execute(f"PRAGMA busy_timeout = {int(previous)}")
    except sa.exc.DBAPIError as error:
        log.info("token %s: last use not recorded (%s)", token_id, error.orig)


def active_admins(session: Session, organisation_id: int) -> int:
    """How many active admins an organisation has."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(User)
        .where(User.organisation_id == organisation_id, User.role == Role.ADMIN, User.active)
    )


def _keep_an_admin(session: Session, user: User) -> None:
    if user.role is Role.ADMIN and user.active and active_admins(session, user.organisation_id) <= 1:
        raise AccountError("role", _("this is the organisation's last admin: make someone else admin first"))


def change_role(session: Session, user: User, role: Role | str) -> None:
    """Give ``user`` another role; the last active admin keeps theirs."""
    try:
        role = Role(role)
    except ValueError:
        raise AccountError("role", _("must be one of %(allowed)s", allowed="admin, editor, viewer")) from None
    if role.of_network or user.role.of_network:
        raise AccountError(
            "role",
            _("a coordinator belongs to a network: no organisation role is theirs, nor theirs another's"),
        )
    if role is not Role.ADMIN:
        _keep_an_admin(session, user)
    user.role = role


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate or reactivate ``user``. Deactivation ends their sessions and tokens at once."""
    if not active:
        _keep_an_admin(session, user)
        user.session_nonce = new_session_nonce()
    user.active = active


def set_password(user: User, password: str) -> None:
    """Set a new password and end every session signed with the old one."""
    check_password(password, user.email)
    user.password_hash = hash_password(password)
    user.session_nonce = new_session_nonce()


def tokens_of(session: Session, scope: Scope, email: str | None = None) -> list[ApiToken]:
    """The API tokens of the people ``scope`` reaches (of one person, with ``email``), newest first."""
    query = (
        scoped(sa.select(ApiToken), ApiToken, scope)
        .join(User, User.id == ApiToken.user_id)
        .options(selectinload(ApiToken.user))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if email:
        query = query.where(User.email == normalise_email(email))
    return list(session.scalars(query))


def revoke_token(token: ApiToken) -> bool:
    """Revoke ``token``; ``False`` when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True

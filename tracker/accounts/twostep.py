"""Two-step sign-in: a time-based one-time code (RFC 6238) from an authenticator app.

The secret is made at enrolment and shown once as a QR code and as text. A code is accepted in
the 30-second step it belongs to or the one before or after (clocks drift), and each step's code
only once: the last accepted step is kept, so a code seen over someone's shoulder is spent.

The database holds the secret sealed (Fernet: AES-128-CBC with HMAC-SHA256) under a key kept
outside it, so a copy of the database alone gives nobody the second factor.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tracker.accounts.models import User

ISSUER = "Gender Action Plan Tracker"
DIGITS = 6
log = logging.getLogger("tracker.security")


class SecretBox:
    """Seals authenticator secrets for the database. The first key seals; every key opens, so
    a new key goes first and the old one stays listed until every secret is sealed again."""

    def __init__(self, keys: list[str]):
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str | None:
        """The secret, or ``None`` when no key opens it (logged: the keys are misconfigured)."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            log.error("an authenticator secret opens with none of TOTP_KEYS: check the keys")
            return None


def new_secret() -> str:
    """A random 160-bit secret, base32 as authenticator apps expect."""
    return pyotp.random_base32(32)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(secret: str, email: str) -> str:
    """The enrolment QR code as an SVG data URI."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _clean(code: str | None) -> str | None:
    digits = "".join((code or "").split())
    if len(digits) != DIGITS or not digits.isdigit():
        return None
    return digits


def matching_step(secret: str, code: str | None, now: datetime) -> int | None:
    """The time step whose code ``code`` is (now, or one step either side), else ``None``."""
    digits = _clean(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def accept_code(user: User, code: str | None, now: datetime, box: SecretBox) -> bool:
    """Whether ``code`` is a fresh code of ``user``'s secret; a used step is not accepted again.

    An accepted code also seals the secret again under the newest key.
    """
    secret = box.open(user.totp_secret) if user.totp_secret else None
    if secret is None:
        return False
    step = matching_step(secret, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_secret, user.totp_last_step = box.seal(secret), step
    return True


def enrol(user: User, secret: str, code: str | None, now: datetime, box: SecretBox) -> bool:
    """Turn two-step sign-in on with ``secret`` once the person proves their app has it."""
    step = matching_step(secret, code, now)
    if step is None:
        return False
    user.totp_secret, user.totp_last_step = box.seal(secret), step
    return True


def reset(user: User) -> None:
    """Forget the secret: the person enrols again at their next sign-in (an admin's remedy for a
    lost phone)."""
    user.totp_secret, user.totp_last_step = None, None

"""Two-step sign-in: a time-based one-time code (RFC 6238) from an authenticator app.

The secret is made at enrolment and shown once as a QR code and as text. A code is accepted in
the 30-second step it belongs to or the one before or after (clocks drift), and each step's code
only once: the last accepted step is kept, so a code seen over someone's shoulder is spent.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

from tracker.models import User

ISSUER = "Gender Action Plan Tracker"
DIGITS = 6


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


def accept_code(user: User, code: str | None, now: datetime) -> bool:
    """Whether ``code`` is a fresh code of ``user``'s secret; a used step is not accepted again."""
    if not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def enrol(user: User, secret: str, code: str | None, now: datetime) -> bool:
    """Turn two-step sign-in on with ``secret`` once the person proves their app has it."""
    step = matching_step(secret, code, now)
    if step is None:
        return False
    user.totp_secret, user.totp_last_step = secret, step
    return True


def reset(user: User) -> None:
    """Forget the secret: the person enrols again at their next sign-in (an admin's remedy for a
    lost phone)."""
    user.totp_secret, user.totp_last_step = None, None

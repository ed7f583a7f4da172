"""CSRF on every form, and the security headers on every response."""

from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user

from tracker.core.extensions import csrf, limiter

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def token_authenticated() -> bool:
    """Whether a valid bearer token is who makes this API call.

    The header alone proves nothing: a junk ``Authorization: Bearer`` beside a session cookie
    must not lift the CSRF check while the cookie signs the request in. Asking for
    ``current_user`` first makes Flask-Login load the caller; its request loader (accounts)
    sets ``g.token_authenticated`` only when a token matched and no session cookie did.
    """
    if request.blueprint != "api" or not request.headers.get("Authorization"):
        return False
    return bool(current_user.is_authenticated and g.get("token_authenticated"))


def check_csrf() -> None:
    """Every state change needs a CSRF token, except API calls a valid bearer token authenticated.

    Session-authenticated API writes send the token in the ``X-CSRFToken`` header. A request no
    route takes (an unknown URL: 404; a method the URL does not accept: 405) changes nothing,
    so routing answers it first instead of "The form has expired".
    """
    if request.routing_exception is not None or request.url_rule is None:
        return
    if request.method in UNSAFE_METHODS and not token_authenticated():
        csrf.protect()


def init_app(app: Flask) -> None:
    """Protect forms with CSRF tokens, throttle sign-ins, and send the security headers."""
    # Flask-WTF's own check would refuse bearer-token API writes too; ours decides per request.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    if app.config.get("WTF_CSRF_ENABLED", True):
        app.before_request(check_csrf)
    limiter.init_app(app)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Pages, downloads and charts hold the organisation's data: browsers keep none of it.
        # Only the static files (CSS, icons) may be cached.
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

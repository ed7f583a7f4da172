"""Configuration read from the environment.

Every setting has one home here; the app factory only copies the result into ``app.config``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the environment cannot give a safe configuration."""


TRUE_WORDS = {"1", "true", "yes", "on"}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE_WORDS


def normalise_database_url(url: str) -> str:
    """Send plain ``postgresql://`` and ``postgres://`` URLs to psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    """Build the configuration dictionary from ``environ`` (default: the process environment).

    ``TRACKER_ENV`` is ``production`` (the default), ``development`` or ``testing``. Production
    refuses to start without ``SECRET_KEY``: a fallback secret would sign everyone's sessions
    with a string published on the internet.
    """
    env = os.environ if environ is None else environ
    mode = env.get("TRACKER_ENV", "production").strip().lower()
    if mode not in {"production", "development", "testing"}:
        raise ConfigError(f"TRACKER_ENV must be production, development or testing, not {mode!r}.")
    secret = env.get("SECRET_KEY", "")
    if not secret:
        if mode == "production":
            raise ConfigError(
                "SECRET_KEY is not set: set it to a long random string "
                "(python -c 'import secrets; print(secrets.token_hex(32))'), "
                "or set TRACKER_ENV=development for a local trial."
            )
        # A per-process random key: sessions simply end when a development server restarts.
        secret = os.urandom(32).hex()

    default_db = "sqlite:///" + str(Path(instance_path) / "tracker.sqlite")
    database_url = normalise_database_url(env.get("DATABASE_URL") or default_db)
    reports_dir = env.get("REPORTS_DIR") or str(Path(instance_path).parent / "reports")
    report_storage = (env.get("REPORT_STORAGE") or "files").strip().lower()
    if report_storage not in {"files", "database"}:
        raise ConfigError(
            f"REPORT_STORAGE must be files (under REPORTS_DIR) or database, not {report_storage!r}."
        )

    return {
        "TRACKER_ENV": mode,
        "TESTING": mode == "testing",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REPORTS_DIR": reports_dir,
        # Where published reports' frozen files live: "files" under REPORTS_DIR (one server), or
        # "database" (rows written with the publishing; every server sharing the database sees them).
        "REPORT_STORAGE": report_storage,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(env.get("SESSION_COOKIE_SECURE")),
        # Over HTTPS the __Host- prefix binds the cookie to this host, its path to /, Secure on.
        "SESSION_COOKIE_NAME": "__Host-session" if _flag(env.get("SESSION_COOKIE_SECURE")) else "session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
        "BABEL_DEFAULT_LOCALE": env.get("BABEL_DEFAULT_LOCALE", "en"),
        "BABEL_DEFAULT_TIMEZONE": env.get("BABEL_DEFAULT_TIMEZONE", "UTC"),
        "WTF_CSRF_TIME_LIMIT": None,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "30")),
        "SESSION_MAX_HOURS": int(env.get("SESSION_MAX_HOURS", "12")),
        # The cache of dashboards, charts and the API's action list: Redis when CACHE_URL is
        # set (shared by every worker on every host), else files under CACHE_DIR (shared by the
        # workers of this host) holding at most CACHE_THRESHOLD entries.
        "CACHE_URL": env.get("CACHE_URL", ""),
        "CACHE_DIR": env.get("CACHE_DIR") or str(Path(instance_path) / "cache"),
        "CACHE_TIMEOUT": int(env.get("CACHE_TIMEOUT", str(24 * 3600))),
        "CACHE_THRESHOLD": int(env.get("CACHE_THRESHOLD", "500")),
        "CACHE_KEY_PREFIX": env.get("CACHE_KEY_PREFIX", "tracker:cache:"),
        # After a figure was rebuilt, changes wait this many seconds for the next rebuild (the last
        # one is shown meanwhile): writes arriving faster than that cost one rebuild per interval,
        # not one each. The tests see every change at once.
        "CACHE_REBUILD_SECONDS": int(env.get("CACHE_REBUILD_SECONDS", "0" if mode == "testing" else "1")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "tracker"),
        # The 429 pages set their own Retry-After, from the same number as the words they show.
        "RATELIMIT_HEADERS_ENABLED": False,
        # Failed sign-ins per account: strict, checked before the password.
        "SIGNIN_FAILURE_LIMIT": env.get("SIGNIN_FAILURE_LIMIT", "10 per 15 minutes"),
        # Failed sign-ins per client address: loose, since a whole office may share one address
        # behind NAT; past it only wrong passwords are refused, a right one still signs in.
        "SIGNIN_ADDRESS_LIMIT": env.get("SIGNIN_ADDRESS_LIMIT", "100 per 15 minutes"),
        # Two-step sign-in for everyone: on by default in production (ASVS level 2).
        "MFA_REQUIRED": _flag(env.get("MFA_REQUIRED", "1" if mode == "production" else "0")),
        # Admins confirm who they are again before changing accounts if their sign-in is older.
        "REAUTH_MINUTES": int(env.get("REAUTH_MINUTES", "15")),
        # Keys that seal authenticator secrets in the database, newest first.
        "TOTP_KEYS": totp_keys(env.get("TOTP_KEYS", ""), Path(instance_path)),
    }


KEY_FILE = "totp.key"


def totp_keys(value: str, instance_path: Path) -> list[str]:
    """The Fernet keys from ``TOTP_KEYS`` (comma-separated, newest first), or else the key in
    the instance folder's ``totp.key``, made on first start. The file suits one server; several
    servers share one database, so they must share ``TOTP_KEYS``."""
    from cryptography.fernet import Fernet

    keys = [key.strip() for key in value.split(",") if key.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(
                f"TOTP_KEYS: key {position} is not a Fernet key (32 url-safe base64-encoded bytes); "
                "make one with python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None
    if keys:
        return keys
    path = instance_path / KEY_FILE
    if not path.exists():
        # Written whole under another name, then linked: a worker starting at the same moment
        # finds either no file or the complete key, never half of one.
        instance_path.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=instance_path, prefix=".totp-")  # mode 600
        try:
            with os.fdopen(handle, "w") as out:
                out.write(Fernet.generate_key().decode() + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: theirs is the key
        finally:
            os.unlink(temporary)
    key = path.read_text().strip()
    try:
        Fernet(key)
    except ValueError:
        raise ConfigError(f"{path} does not hold a Fernet key: remove it or set TOTP_KEYS") from None
    return [key]


# Seconds to wait for PostgreSQL to answer a new connection (unless the URL sets connect_timeout).
CONNECT_TIMEOUT = 5


def engine_options(database_url: str) -> dict:
    """Engine options per backend: a busy timeout for SQLite; for PostgreSQL, pooled connections
    checked before use (a restarted server is survived) and a bounded wait for a new one (a
    server that does not answer gives a quick 503, not a worker stuck until gunicorn kills it)."""
    if database_url.startswith("sqlite"):
        # Several app processes may share one SQLite file: wait for a lock instead of failing.
        return {"connect_args": {"timeout": 15}}
    options: dict = {"pool_pre_ping": True}
    if database_url.startswith("postgresql") and "connect_timeout" not in database_url:
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
    return options

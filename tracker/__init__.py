"""Gender Action Plan Tracker: the app factory."""

from __future__ import annotations

import os

from flask import Flask

from tracker.config import ConfigError, load_config


def create_app(test_config: dict | None = None, environ: dict[str, str] | None = None) -> Flask:
    """Create the app: configuration, extensions, blueprints and commands, nothing more.

    ``environ`` replaces the process environment (tests); ``test_config`` overrides the result.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates"),
    )
    try:
        app.config.from_mapping(load_config(app.instance_path, environ))
    except ConfigError as error:
        # One clear line instead of a traceback; the process must not start.
        raise SystemExit(f"Error: {error}") from None
    if test_config:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    from tracker import auth, database, errors, i18n, permissions, security
    from tracker.admin import bp as admin_bp
    from tracker.api import bp as api_bp
    from tracker.assessments import bp as assessments_bp
    from tracker.auth import bp as auth_bp
    from tracker.cli import init_app as init_cli
    from tracker.dashboard import bp as dashboard_bp
    from tracker.hours import bp as hours_bp
    from tracker.planning import bp as planning_bp
    from tracker.tracking import bp as tracking_bp
    from tracker.views import bp as views_bp

    database.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    permissions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(views_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(tracking_bp)
    app.register_blueprint(hours_bp)
    app.register_blueprint(planning_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(assessments_bp)
    init_cli(app)
    return app

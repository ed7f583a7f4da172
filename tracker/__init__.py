"""Gender Action Plan Tracker: the app factory.

The factory only wires: configuration, extensions, the model hooks, blueprints and commands.
How the code is laid out, and which concern may import which, is in README.md and setup.cfg.
"""

from __future__ import annotations

import os

from flask import Flask

from tracker.core.config import ConfigError, load_config
from tracker.core.paths import resource_dir


def init_model_hooks() -> None:
    """Register the session hooks that keep the history and the hour summaries in step.

    The app factory calls it; so must a script that changes records through the services without
    an app. Calling it again does nothing. Until it has run, the services refuse to write.
    """
    from tracker import schema  # noqa: F401 - every model mapped before the hooks look at them
    from tracker.history import recording
    from tracker.hours import services as hour_services
    from tracker.hours import summary
    from tracker.plans import history

    recording.init()
    history.init()
    summary.init()
    hour_services.init()


def create_app(test_config: dict | None = None, environ: dict[str, str] | None = None) -> Flask:
    """Create the app: configuration, extensions, hooks, blueprints and commands, nothing more.

    ``environ`` replaces the process environment (tests); ``test_config`` overrides the result.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=resource_dir("templates"),
    )
    try:
        app.config.from_mapping(load_config(app.instance_path, environ))
    except ConfigError as error:
        # One clear line instead of a traceback; the process must not start.
        raise SystemExit(f"Error: {error}") from None
    if test_config:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    from tracker.accounts import admin, views, web
    from tracker.api import views as api
    from tracker.assessments import views as assessments
    from tracker.cli import backup, commands
    from tracker.core import cache, database, errors, forms, health, i18n, permissions, routing, security
    from tracker.dashboard import views as dashboard
    from tracker.hours import display
    from tracker.hours import views as hours
    from tracker.networks import views as networks
    from tracker.plans import views as plans
    from tracker.rounds import views as rounds
    from tracker.tracking import views as tracking
    from tracker.workbooks import views as workbooks

    init_model_hooks()
    routing.init_app(app)
    database.init_app(app)
    cache.init_app(app)
    i18n.init_app(app)
    display.init_app(app)
    web.init_app(app)
    permissions.init_app(app)
    forms.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    for blueprint in (
        health.bp,
        views.bp,
        tracking.bp,
        api.bp,
        admin.bp,
        hours.bp,
        plans.bp,
        dashboard.bp,
        workbooks.bp,
        assessments.bp,
        rounds.bp,
        networks.bp,
    ):
        app.register_blueprint(blueprint)
    commands.init_app(app)
    backup.init_app(app)
    return app

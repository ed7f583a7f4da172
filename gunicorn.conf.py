"""Gunicorn settings: ``gunicorn`` alone, run in this folder, serves the tracker.

Everything else (database, secret key, ...) comes from the environment, as README.md describes;
``make serve`` runs this with the production settings.
"""

import os

wsgi_app = "tracker:create_app()"

# HOST and PORT name the address; 127.0.0.1 by default so that a trial run is not exposed.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
# Sync workers: every request holds one worker for its time, so WEB_CONCURRENCY is how many
# requests run at once (about two per core).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

# One line per request on stdout (the access log) and the server's own messages on stderr.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

# A request running longer than `timeout` seconds has its worker restarted; on a restart or a
# stop (SIGTERM), workers get `graceful_timeout` seconds to finish the requests they have.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5

# Not preloaded: each worker builds its own app, so no database pool, Redis connection or
# open file is created in the master and then shared by the forked workers.
preload_app = False

# Gunicorn 25+ opens a control socket at one fixed path in the home folder; a second server on
# the same machine (another site, a test) would fight over it, and nothing here uses it.
control_socket_disable = True

"""``/healthz`` and connections checked before use (``pool_pre_ping``)."""

import socket
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import make_app, new_database_url
from tracker.core.config import CONNECT_TIMEOUT, engine_options
from tracker.core.extensions import db
from tracker.schema import Base


def test_healthz_answers_ok_to_anyone_without_a_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    # Nothing listens on port 1: the app starts all the same and says it cannot serve.
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


@pytest.fixture
def postgres_url(postgres_server, tmp_path_factory):
    """A fresh PostgreSQL database with the schema: cutting connections is PostgreSQL's."""
    url = new_database_url("postgresql", postgres_server, tmp_path_factory)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


def terminate_other_connections(session) -> int:
    """Cut every other connection to this database, as a PostgreSQL restart would."""
    cut = session.scalars(
        sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    ).all()
    session.commit()
    return len(cut)


@pytest.mark.parametrize("pre_ping", [True, False])
def test_a_cut_connection_is_replaced_before_the_next_request(postgres_url, tmp_path, pre_ping):
    if pre_ping:
        served = make_app(postgres_url, tmp_path)
        assert served.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    else:
        # The control: without the check the same cut reaches a request.
        served = make_app(postgres_url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False})
    client = served.test_client()
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    session = Session(engine)
    try:
        assert client.get("/healthz").status_code == 200  # a pooled connection now exists
        assert terminate_other_connections(session) >= 1
        if pre_ping:
            assert client.get("/healthz").status_code == 200
            assert client.get("/signin").status_code == 200
        else:
            assert client.get("/healthz").status_code == 503
            assert client.get("/healthz").status_code == 200  # the pool threw the dead one away
    finally:
        session.close()
        engine.dispose()
        with served.app_context():
            db.engine.dispose()


@pytest.mark.slow
def test_a_database_that_never_answers_is_a_quick_503(tmp_path):
    # A listener that completes the TCP handshake and then says nothing, like a hung server.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{port}/none", tmp_path)
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": CONNECT_TIMEOUT}
        started = time.monotonic()
        response = app.test_client().get("/healthz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert elapsed < CONNECT_TIMEOUT * 2 + 2  # psycopg may try each address; never gunicorn's 30 s


def test_a_connect_timeout_in_the_url_is_kept():
    url = "postgresql+psycopg://postgres@127.0.0.1/db?connect_timeout=2"
    assert "connect_args" not in engine_options(url)

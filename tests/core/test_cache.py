"""The cache of figures: bounded and expiring on files, shared through Redis, set from the environment."""

import time
import uuid
from pathlib import Path

import pytest
from cachelib import FileSystemCache

from tests.conftest import make_app
from tests.core.test_security import redis_url  # noqa: F401 - the fixture
from tracker.core import cache
from tracker.core.config import load_config
from tracker.core.extensions import db


def entries(folder) -> list[Path]:
    """The cache's entries in its folder (every file but cachelib's own count of them)."""
    backend = FileSystemCache(str(folder), threshold=0)
    count_file = Path(backend._get_filename(backend._fs_count_file))
    return [path for path in Path(folder).iterdir() if path != count_file]


def counting_builder(value: bytes):
    calls = []

    def build() -> bytes:
        calls.append(1)
        return value

    return build, calls


def dispose(app) -> None:
    with app.app_context():
        db.engine.dispose()


def test_the_file_cache_never_holds_more_than_its_threshold(database_url, tmp_path):
    app = make_app(database_url, tmp_path, CACHE_THRESHOLD=5)
    try:
        with app.app_context():
            for n in range(30):
                assert cache.cached_bytes(f"entry:{n}", lambda n=n: b"\x00\xff" * n) == b"\x00\xff" * n
                assert len(entries(app.config["CACHE_DIR"])) <= 5
            # The newest entry is still there: it is read, not built again.
            assert cache.cached_bytes("entry:29", lambda: b"built again") == b"\x00\xff" * 29
            held = len(entries(app.config["CACHE_DIR"]))
            assert cache.clear() == held
            assert entries(app.config["CACHE_DIR"]) == []
    finally:
        dispose(app)


def test_an_entry_expires_after_its_timeout(database_url, tmp_path):
    app = make_app(database_url, tmp_path, CACHE_TIMEOUT=1)
    build, calls = counting_builder(b"figure")
    try:
        with app.app_context():
            assert cache.cached_bytes("figure", build) == b"figure"
            assert cache.cached_bytes("figure", build) == b"figure"
            assert len(calls) == 1
            time.sleep(2.1)
            assert cache.cached_bytes("figure", build) == b"figure"
            assert len(calls) == 2
    finally:
        dispose(app)


def test_json_comes_back_as_it_went_in(app):
    with app.app_context():
        value = {"hours": [1.5, 2], "name": "Ünïcode"}
        assert cache.cached_json("rows", lambda: value) == value
        assert cache.cached_json("rows", lambda: None) == value


def test_apps_sharing_redis_build_an_entry_once(database_url, tmp_path, redis_url):  # noqa: F811
    prefix = f"tracker-test-{uuid.uuid4().hex}:"
    config = {"CACHE_URL": redis_url, "CACHE_KEY_PREFIX": prefix, "CACHE_TIMEOUT": 60}
    first = make_app(database_url, tmp_path / "first", **config)
    second = make_app(database_url, tmp_path / "second", **config)
    build, calls = counting_builder(b"\x89PNG bytes \x00")
    try:
        with first.app_context():
            assert cache.cached_bytes("chart", build) == b"\x89PNG bytes \x00"
        with second.app_context():
            assert cache.cached_bytes("chart", build) == b"\x89PNG bytes \x00"
            assert len(calls) == 1
            # Nothing went to the file cache; Redis holds the entry under the prefix, with a timeout.
            assert not Path(second.config["CACHE_DIR"]).exists() or entries(second.config["CACHE_DIR"]) == []
            client = second.extensions["cache"][cache.cache]._write_client
            assert 0 < client.ttl(prefix + "chart.bin") <= 60
        # Clearing removes this app's keys only.
        client.set("someone-else:key", b"x", ex=60)
        with first.app_context():
            assert cache.clear() == 1
            assert cache.cached_bytes("chart", build) and len(calls) == 2
        assert client.get("someone-else:key") == b"x"
        client.delete("someone-else:key")
        with first.app_context():
            cache.clear()
    finally:
        dispose(first)
        dispose(second)


def test_an_unreachable_redis_makes_pages_slower_not_broken(database_url, tmp_path):
    app = make_app(database_url, tmp_path, CACHE_URL="redis://127.0.0.1:1/0")
    build, calls = counting_builder(b"figure")
    try:
        with app.app_context():
            assert cache.cached_bytes("figure", build) == b"figure"
            assert cache.cached_bytes("figure", build) == b"figure"
            assert len(calls) == 2
    finally:
        dispose(app)


def test_cache_settings_come_from_the_environment(tmp_path):
    environ = {
        "TRACKER_ENV": "production",
        "SECRET_KEY": "k",
        "TOTP_KEYS": "2ckg8Hnx7CqR0uJHQwXJ1bgVmVd0fXWcVH0_0OZpZ7s=",
        "CACHE_URL": "redis://cache.internal:6379/2",
        "CACHE_DIR": str(tmp_path / "shared-cache"),
        "CACHE_TIMEOUT": "600",
        "CACHE_THRESHOLD": "50",
        "CACHE_KEY_PREFIX": "gap:",
    }
    config = load_config(str(tmp_path / "instance"), environ)
    assert config["CACHE_URL"] == "redis://cache.internal:6379/2"
    assert config["CACHE_DIR"] == str(tmp_path / "shared-cache")
    assert (config["CACHE_TIMEOUT"], config["CACHE_THRESHOLD"], config["CACHE_KEY_PREFIX"]) == (
        600,
        50,
        "gap:",
    )


def test_the_cache_defaults_to_a_bounded_file_cache_in_the_instance_folder(tmp_path):
    config = load_config(str(tmp_path / "instance"), {"TRACKER_ENV": "development"})
    assert config["CACHE_URL"] == ""
    assert config["CACHE_DIR"] == str(tmp_path / "instance" / "cache")
    assert (config["CACHE_TIMEOUT"], config["CACHE_THRESHOLD"]) == (24 * 3600, 500)


class Plan:
    uid = "plan-uid"


@pytest.mark.parametrize("store", ["files", "redis"])
def test_a_figure_is_rebuilt_at_most_once_per_interval_and_the_newest_stored_is_shown_meanwhile(
    database_url, tmp_path, store, request
):
    config = {"CACHE_REBUILD_SECONDS": 2}
    if store == "redis":
        config |= {
            "CACHE_URL": request.getfixturevalue("redis_url"),
            "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}:",
        }
    app = make_app(database_url, tmp_path, **config)
    builds = []

    def figure(version):
        def build():
            builds.append(version)
            return b"figure %d" % version

        return cache.single_flight("figure", Plan, version, ("2025",), build, ".svg")

    try:
        with app.app_context():
            assert figure(1) == b"figure 1"
            # A change right after a rebuild waits for the interval: the last figure is shown.
            assert figure(2) == b"figure 1"
            assert figure(3) == b"figure 1"
            assert builds == [1]
            time.sleep(2.1)
            assert figure(3) == b"figure 3"
            # Once stored, a version is shown as it is, older readers included.
            assert figure(3) == b"figure 3"
            assert figure(1) == b"figure 1"
            assert builds == [1, 3]
            cache.clear()
    finally:
        dispose(app)

"""The cache of figures built from a plan's data, on Flask-Caching.

With ``CACHE_URL=redis://...`` the entries live in Redis, shared by every worker on every host;
without it, in a file cache under ``CACHE_DIR`` shared by the workers of one host. Either way an
entry expires after ``CACHE_TIMEOUT`` seconds, and the file cache holds at most
``CACHE_THRESHOLD`` entries (the oldest go first): nothing grows without limit.

Keys carry a version of the data they were built from, so an entry never goes stale: a changed
plan simply asks for a new key, and the old one expires or is evicted.

Figures that take long to build go through :func:`single_flight`: after a write, one worker (the
one that takes a short lock in the cache) builds the new version while every other request keeps
answering the last version built, until the new one is stored; at most one rebuild starts per
``CACHE_REBUILD_SECONDS``, however fast the writes come.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable

from cachelib import FileSystemCache, RedisCache
from flask import Flask, current_app
from redis.exceptions import RedisError

from tracker.core.extensions import cache

log = logging.getLogger(__name__)

# A cache that does not answer: Redis down or unreachable, a full or unwritable disk.
UNAVAILABLE = (RedisError, OSError)


def plan_key(what: str, plan, version: int, *parts) -> str:
    """The key of something built from a plan's data: the plan, the version of its data, and
    whatever else it depends on (the year, today's date for "late", the language).

    The plan's random ``uid`` keeps a database rebuilt from scratch, whose history ids start
    again, from ever reading another database's entries.
    """
    return ":".join(str(part) for part in (what, plan.uid, version, *parts))


def init_app(app: Flask) -> None:
    """Bind the cache to ``app`` from its ``CACHE_*`` settings (see ``core/config.py``)."""
    settings = {
        "CACHE_DEFAULT_TIMEOUT": int(app.config["CACHE_TIMEOUT"]),
        "CACHE_KEY_PREFIX": app.config["CACHE_KEY_PREFIX"],
    }
    if app.config.get("CACHE_URL"):
        settings |= {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": app.config["CACHE_URL"],
            # A Redis that does not answer costs a request two seconds, not a hung worker.
            "CACHE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    else:
        # cachelib prunes before it writes, so it may hold one file past its threshold: ask for
        # one less, and the folder never holds more than CACHE_THRESHOLD entries.
        settings |= {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": app.config["CACHE_DIR"],
            "CACHE_THRESHOLD": max(1, int(app.config["CACHE_THRESHOLD"]) - 1),
        }
    cache.init_app(app, config=settings)


def _backend():
    return current_app.extensions["cache"][cache]


def cached_bytes(key: str, build: Callable[[], bytes], suffix: str = ".bin") -> bytes:
    """The bytes stored under ``key``, built and stored first if they are not there yet.

    ``suffix`` names the kind of entry (``.svg``, ``.json``); it is part of the key. If the
    cache cannot be reached the bytes are built and answered all the same, and the failure
    logged: a cache outage makes pages slower, never broken.
    """
    key = key + suffix
    try:
        data = cache.get(key)
    except UNAVAILABLE:
        log.warning("cache unavailable, building %s without it", key, exc_info=True)
        return build()
    if isinstance(data, bytes):
        return data
    data = build()
    try:
        cache.set(key, data)
    except UNAVAILABLE:
        log.warning("cache unavailable, %s not stored", key, exc_info=True)
    return data


def cached_json(key: str, build: Callable[[], object]):
    """Like :func:`cached_bytes`, for a value that JSON can hold."""
    return json.loads(cached_bytes(key, lambda: json.dumps(build()).encode(), ".json"))


# How long a builder holds its lock at most: a worker killed while building holds up no one for
# longer than this (the others serve the last version meanwhile).
BUILD_LOCK_SECONDS = 10


def single_flight(
    what: str, plan, version: int, parts: tuple, build: Callable[[], bytes], suffix: str
) -> bytes:
    """The bytes of ``what`` for ``plan`` at data version ``version`` (and ``parts``), built once
    across every worker, the last version built served while a newer one is being built.

    - The entry of ``version`` itself, when stored, is always what is answered: once a rebuild is
      stored no request that starts after reads the older copy.
    - Otherwise the request that takes the lock (``cache.add``, atomic in Redis) builds it, stores
      it under ``version`` and as the newest copy, and releases the lock (see :func:`_release`:
      at most one rebuild per ``CACHE_REBUILD_SECONDS``).
    - The others answer the newest copy stored, older but whole; with none stored yet (a cold
      cache), they build it too rather than wait.

    Nothing is ever stored under a version it was not built from: the builder's data is read
    after ``version`` was (in commit order, :func:`tracker.plans.history.data_version`), so it
    holds every change ``version`` counts.
    """
    key = plan_key(what, plan, version, *parts) + suffix
    # The newest copy and the lock are per figure, not per version: one build at a time.
    latest_key = plan_key(what, plan, "latest", *parts) + suffix
    lock_key = latest_key + ".lock"
    try:
        data = cache.get(key)
        if isinstance(data, bytes):
            return data
        if isinstance(_backend(), FileSystemCache) and cache.get(lock_key) is None:
            # The file cache's add sees an expired lock's file as taken: remove it first (the
            # workers of one host may both build then, as its add is not atomic either).
            cache.delete(lock_key)
        other_builds = not cache.add(lock_key, 1, timeout=BUILD_LOCK_SECONDS)
        if other_builds:
            stale = _newest(latest_key)
            if stale is not None:
                return stale[1]
    except UNAVAILABLE:
        log.warning("cache unavailable, building %s without it", key, exc_info=True)
        return build()
    started = time.monotonic()
    try:
        data = build()
        try:
            cache.set(key, data)
            newest = _newest(latest_key)
            if newest is None or newest[0] <= version:
                cache.set(latest_key, b"%d\n" % version + data)
        except UNAVAILABLE:
            log.warning("cache unavailable, %s not stored", key, exc_info=True)
    finally:
        if not other_builds:
            _release(lock_key, started)
    return data


# However long a build takes, the next one starts no sooner than this many builds' time after it
# started: rebuilding takes at most a quarter of one worker's time, on a slow or busy machine too.
BUILD_SHARE = 4
# ...but no later than this (seconds): a figure is never more than about half a minute behind.
MAX_WAIT = 30


def _release(lock_key: str, started: float) -> None:
    """Let the next build start: now, or once ``CACHE_REBUILD_SECONDS`` (and four times this
    build's time) have passed since this one started. The lock is kept until then, so the
    changes in between are shown by the next rebuild: a figure is never further behind than
    that and one build."""
    took = time.monotonic() - started
    interval = current_app.config.get("CACHE_REBUILD_SECONDS", 0)
    wait = min(MAX_WAIT, max(interval, BUILD_SHARE * took) - took) if interval else 0
    try:
        if wait > 0:
            cache.set(lock_key, 1, timeout=math.ceil(wait))
        else:
            cache.delete(lock_key)
    except UNAVAILABLE:
        log.warning("cache unavailable, %s left to expire", lock_key, exc_info=True)


def _newest(latest_key: str) -> tuple[int, bytes] | None:
    """The version and bytes of the newest copy stored under ``latest_key``, if any."""
    stored = cache.get(latest_key)
    if not isinstance(stored, bytes):
        return None
    version, _sep, data = stored.partition(b"\n")
    return int(version), data


def clear() -> int:
    """Remove every entry of this app (only keys under its prefix in Redis); how many there were."""
    backend = _backend()
    if isinstance(backend, RedisCache):
        keys = list(backend._write_client.scan_iter(match=backend.key_prefix + "*"))
        if keys:
            backend._write_client.delete(*keys)
        return len(keys)
    if isinstance(backend, FileSystemCache):
        count = len(list(backend._list_dir()))
        backend.clear()
        return count
    backend.clear()
    return 0

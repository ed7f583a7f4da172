"""A cache on disk shared by every worker process: what is built once is read by all.

Keys carry a version of the data they were built from, so an entry never goes stale: a changed
plan simply asks for a new key. Files are written to a temporary name and renamed, so a reader
never sees half a file even while another process writes the same key.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import current_app


def plan_key(what: str, plan, version: int, *parts) -> str:
    """The key of something built from a plan's data: the plan, the version of its data, and
    whatever else it depends on (the year, today's date for "late", the language).

    The plan's random ``uid`` keeps a database rebuilt from scratch, whose history ids start
    again, from ever reading another database's entries.
    """
    return ":".join(str(part) for part in (what, plan.uid, version, *parts))


def cache_dir() -> Path:
    """The folder of the cache (``CACHE_DIR``, by default ``instance/cache``)."""
    path = Path(current_app.config.get("CACHE_DIR") or Path(current_app.instance_path) / "cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(key: str, suffix: str) -> Path:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return cache_dir() / f"{digest}{suffix}"


def _write(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cached_bytes(key: str, build: Callable[[], bytes], suffix: str = ".bin") -> bytes:
    """The bytes stored under ``key``, built and stored first if they are not there yet."""
    path = _path(key, suffix)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        data = build()
        _write(path, data)
        return data


def cached_json(key: str, build: Callable[[], object]):
    """Like :func:`cached_bytes`, for a value that JSON can hold."""
    return json.loads(cached_bytes(key, lambda: json.dumps(build()).encode(), ".json"))


def clear() -> int:
    """Remove every entry; how many there were."""
    removed = 0
    for path in cache_dir().iterdir():
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed

"""Where the project's top-level folders are, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def resource_dir(name: str) -> Path:
    """A top-level folder of the project (``templates``, ``migrations``, ``seed``): inside the
    package when installed from the wheel, which carries them, else beside it in a checkout."""
    packaged = PACKAGE_DIR / name
    if packaged.is_dir():
        return packaged
    return PACKAGE_DIR.parent / name

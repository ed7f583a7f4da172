"""Compiling the translation catalogues (``.po``) into the ``.mo`` files Flask-Babel reads.

The ``.mo`` files are not kept in git: ``make catalogues``, the test session and the wheel build
(``setup.py``) compile them from the ``.po`` files, so a merged translation is never stale. This
module imports only Babel, so that ``setup.py`` can load it before the package's dependencies
are installed.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def catalogue_files(folder: Path = TRANSLATIONS) -> list[Path]:
    """Each language's ``messages.po``."""
    return sorted(folder.glob("*/LC_MESSAGES/messages.po"))


def compile_catalogues(folder: Path = TRANSLATIONS) -> list[Path]:
    """Write ``messages.mo`` beside each ``messages.po`` that is newer (fuzzy entries left out,
    as ``pybabel compile`` does); return the ``.mo`` files."""
    written = []
    for po in catalogue_files(folder):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalogue = read_po(source, locale=po.parent.parent.name)
            with mo.open("wb") as target:
                write_mo(target, catalogue, use_fuzzy=False)
        written.append(mo)
    return written

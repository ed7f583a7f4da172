"""Files people download: one safe ``Content-Disposition`` for every download.

A download's name comes from what people typed (a plan's or a report's title). A line break in
a header is refused by Werkzeug (a 500), a quote or a slash breaks the name, and a header carries
ASCII only. So the name is cleaned, sent as plain ASCII in ``filename`` and, when it has other
characters, also in full as RFC 5987 ``filename*`` (UTF-8), which browsers prefer.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from flask import Response

# Control characters, lone surrogates and what file systems or the header's quoting refuse.
UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f\ud800-\udfff"\\/:*?<>|;]')
SPACES = re.compile(r"\s+")
LONGEST_STEM = 120


def _clean(text: str) -> str:
    return SPACES.sub(" ", UNSAFE.sub(" ", text)).strip(" .")


def _ascii(text: str) -> str:
    """``text`` in ASCII for the plain ``filename``: "Malmö 2024–2025" gives "Malmo 2024-2025"."""
    kept = []
    for character in unicodedata.normalize("NFKD", text):
        if character.isascii():
            kept.append(" " if character == "%" else character)
        elif unicodedata.category(character) == "Pd":  # dashes
            kept.append("-")
        elif unicodedata.category(character) == "Zs":  # spaces
            kept.append(" ")
    return _clean("".join(kept))


def content_disposition(stem: str, extension: str, *, fallback: str = "download") -> str:
    """``attachment`` with the file name ``stem.extension``, safe whatever ``stem`` holds."""
    name = _clean(stem)[:LONGEST_STEM].rstrip(" .") or fallback
    plain = _ascii(name) or fallback
    header = f'attachment; filename="{plain}.{extension}"'
    if name != plain:
        header += f"; filename*=UTF-8''{quote(f'{name}.{extension}', safe='')}"
    return header


def attachment(content: bytes, mimetype: str, stem: str, extension: str) -> Response:
    """``content`` as a download called ``stem.extension``."""
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(stem, extension)
    return response

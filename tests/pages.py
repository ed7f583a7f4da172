"""Reading pages as a person does."""

from __future__ import annotations

import re


def text(response) -> str:
    """A page's visible text, tags removed and white space folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))

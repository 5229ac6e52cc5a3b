"""Making text safe for reportlab's Paragraph markup.

Paragraph parses a small XML dialect (<b>, <font>, <a>...), so any string from a client system (a display
name like `<b>Bob & Co`, a banner, a host name) must be escaped before it is placed in a paragraph, or it
would be interpreted as markup or break the build.  Everything that is not our own fixed wording goes
through `esc`.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from auditor.report.fonts import displayable

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(value: object) -> str:
    """Escape a value for Paragraph markup: &, <, > and quotes become entities; control characters go;
    characters the font lacks are shown as `[U+XXXX]` (see `fonts.displayable`)."""
    text = "" if value is None else str(value)
    text = displayable(_CONTROL.sub("", text))
    return escape(text, {'"': "&quot;", "'": "&#39;"}).replace("\n", "<br/>").replace("\r", "")


def shorten(value: str, limit: int) -> str:
    """Cut a string for a table cell in the body (the appendix and the CSV keep it whole)."""
    return value if len(value) <= limit else value[: limit - 1] + "…"

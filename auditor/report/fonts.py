"""Registering a Unicode TrueType font so accents, the euro sign and non-Latin names render.

reportlab's built-in Helvetica only covers Latin-1 (plus a few WinAnsi extras): a Polish, Greek or Hebrew
host name would come out as black boxes.  DejaVu Sans (Debian package `fonts-dejavu-core`) covers Latin,
Greek, Cyrillic, Hebrew, Arabic and many symbols.  `AUDITOR_FONT_DIR` points to another folder holding the
same file names.  Without DejaVu the report still renders with Helvetica, so a missing font never stops
a delivery.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

_SEARCH = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)
_FILES = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "italic": "DejaVuSans-Oblique.ttf",
    "bolditalic": "DejaVuSans-BoldOblique.ttf",
}


@dataclass(frozen=True)
class FontSet:
    regular: str
    bold: str
    italic: str
    bolditalic: str
    unicode: bool


_CACHE: FontSet | None = None


def _find_dir() -> Path | None:
    candidates = [os.environ["AUDITOR_FONT_DIR"]] if os.environ.get("AUDITOR_FONT_DIR") else []
    candidates.extend(_SEARCH)
    for folder in candidates:
        path = Path(folder)
        if all((path / name).is_file() for name in _FILES.values()):
            return path
    return None


def fonts() -> FontSet:
    """Register DejaVu Sans once (family mapping so <b>/<i> work in paragraphs) and return the names."""
    global _CACHE
    if _CACHE is not None:
        return _CACHE
    folder = _find_dir()
    if folder is None:
        log.warning("DejaVu Sans not found (install the Debian package fonts-dejavu-core or set "
                    "AUDITOR_FONT_DIR); falling back to Helvetica, non-Latin text may not render")
        _CACHE = FontSet("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique", False)
        return _CACHE
    names = {"regular": "AuditorSans", "bold": "AuditorSans-Bold", "italic": "AuditorSans-Italic",
             "bolditalic": "AuditorSans-BoldItalic"}
    for key, file_name in _FILES.items():
        pdfmetrics.registerFont(TTFont(names[key], str(folder / file_name)))
    addMapping("AuditorSans", 0, 0, names["regular"])
    addMapping("AuditorSans", 1, 0, names["bold"])
    addMapping("AuditorSans", 0, 1, names["italic"])
    addMapping("AuditorSans", 1, 1, names["bolditalic"])
    _CACHE = FontSet(names["regular"], names["bold"], names["italic"], names["bolditalic"], True)
    return _CACHE


_COVERED: frozenset[int] | None = None


def _covered() -> frozenset[int]:
    global _COVERED
    if _COVERED is None:
        f = fonts()
        if f.unicode:
            maps = [set(pdfmetrics.getFont(name).face.charToGlyph) for name in (f.regular, f.bold)]
            _COVERED = frozenset(set.intersection(*maps))
        else:
            _COVERED = frozenset(range(0x20, 0x7F)) | frozenset(range(0xA0, 0x100)) | {0x20AC}
    return _COVERED


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def visual_order(text: str) -> str:
    """Lay right-to-left runs (Hebrew, Arabic) out in visual order, as PDF text must be drawn.

    reportlab draws characters left to right as given; without this a Hebrew host name would read
    backwards.  Uses python-bidi when installed; without it the text is left in logical order.
    """
    if not _RTL.search(text):
        return text
    try:
        from bidi import get_display
    except ImportError:  # optional: the report still renders, RTL words read reversed
        return text
    return get_display(text, base_dir="L")


def displayable(text: str) -> str:
    """Make text drawable: RTL runs in visual order, and characters the font cannot draw replaced by a
    visible `[U+XXXX]`, so nothing silently disappears.

    Characters beyond the Basic Multilingual Plane are always replaced: reportlab writes a broken
    ToUnicode entry for them, which PDF readers reject.  Line breaks and tabs pass through.
    """
    text = visual_order(text)
    covered = _covered()
    if all((ord(ch) in covered and ord(ch) <= 0xFFFF) or ch in "\n\t" for ch in text):
        return text
    return "".join(ch if (ord(ch) in covered and ord(ch) <= 0xFFFF) or ch in "\n\t" else f"[U+{ord(ch):04X}]"
                   for ch in text)

"""The executive summary's graphics: a score gauge and a bar chart of the areas (reportlab.graphics).

Both are vector drawings, so they stay sharp when printed, and both carry their figures as text so the
numbers survive text extraction and screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String, Wedge
from reportlab.lib import colors

from auditor.report.styles import GRADE_COLOURS, INK, MUTED, RULE, score_colour

#: Grade bands on the gauge, from the worst to the best (default baseline bands).
_BANDS = (("F", 0, 30), ("E", 30, 45), ("D", 45, 60), ("C", 60, 75), ("B", 75, 90), ("A", 90, 100))


def gauge(score: float | None, grade: str, score_text: str, caption: str, *, font: str, bold: str,
          width: float = 220, height: float = 140, grade_caption: str = "") -> Drawing:
    """A half-circle gauge, coloured by grade band, with a needle at the score; the score is written under
    the pivot and the grade in a coloured badge beside the gauge."""
    drawing = Drawing(width, height)
    badge_width = 40
    outer = min((width - badge_width - 24) / 2, height - 52)
    inner = outer * 0.64
    cx, cy = 8 + outer, height - outer - 8
    for band, low, high in _BANDS:
        wedge = Wedge(cx, cy, outer, 180 - high * 1.8, 180 - low * 1.8, yradius=outer, radius1=inner)
        wedge.fillColor = GRADE_COLOURS[band]
        wedge.strokeColor = colors.white
        wedge.strokeWidth = 1.2
        drawing.add(wedge)
        middle = math.radians(180 - (low + high) / 2 * 1.8)
        r = (outer + inner) / 2
        drawing.add(String(cx + r * math.cos(middle), cy + r * math.sin(middle) - 3, band, fontName=bold,
                           fontSize=8, fillColor=colors.white, textAnchor="middle"))
    if score is not None:
        angle = math.radians(180 - max(0.0, min(100.0, score)) * 1.8)
        length = inner - 3
        tip = (cx + length * math.cos(angle), cy + length * math.sin(angle))
        side = angle + math.pi / 2
        base = 4
        drawing.add(Polygon([cx + base * math.cos(side), cy + base * math.sin(side), tip[0], tip[1],
                             cx - base * math.cos(side), cy - base * math.sin(side)],
                            fillColor=INK, strokeColor=INK, strokeWidth=0.5))
    drawing.add(Circle(cx, cy, 5, fillColor=INK, strokeColor=colors.white, strokeWidth=1))
    drawing.add(String(cx, cy - 24, score_text, fontName=bold, fontSize=17, fillColor=INK, textAnchor="middle"))
    drawing.add(String(cx, cy - 37, caption, fontName=font, fontSize=8, fillColor=MUTED, textAnchor="middle"))
    badge = GRADE_COLOURS.get(grade, GRADE_COLOURS["-"])
    bx, by = width - badge_width - 4, cy - 6
    drawing.add(Rect(bx, by, badge_width, badge_width, rx=6, ry=6, fillColor=badge, strokeColor=badge))
    drawing.add(String(bx + badge_width / 2, by + 10, grade, fontName=bold, fontSize=24, fillColor=colors.white,
                       textAnchor="middle"))
    if grade_caption:
        drawing.add(String(bx + badge_width / 2, by - 11, grade_caption, fontName=font, fontSize=8,
                           fillColor=MUTED, textAnchor="middle"))
    return drawing


def area_bars(rows: Sequence[tuple[str, float | None, str]], *, font: str, bold: str, width: float = 470,
              row_height: float = 20) -> Drawing:
    """Horizontal bars, one per area: (label, score or None, value text).  Drawn by hand for full control
    of long localised labels (reportlab's bar chart would clip them)."""
    label_width = width * 0.42
    bar_width = width - label_width - 52
    height = row_height * len(rows) + 22
    drawing = Drawing(width, height)
    top = height - 4
    for tick in (0, 25, 50, 75, 100):
        x = label_width + bar_width * tick / 100
        drawing.add(Line(x, 14, x, top, strokeColor=RULE, strokeWidth=0.5,
                         strokeDashArray=None if tick in (0, 100) else [2, 2]))
        drawing.add(String(x, 4, str(tick), fontName=font, fontSize=7, fillColor=MUTED, textAnchor="middle"))
    for index, (label, score, text) in enumerate(rows):
        y = top - (index + 1) * row_height + 4
        drawing.add(String(label_width - 6, y + 4, label, fontName=font, fontSize=8.5, fillColor=INK,
                           textAnchor="end"))
        if score is None:
            drawing.add(Rect(label_width, y, bar_width, row_height - 8, fillColor=colors.white,
                             strokeColor=RULE, strokeWidth=0.6, strokeDashArray=[2, 2]))
        else:
            drawing.add(Rect(label_width, y, max(bar_width * score / 100, 1.5), row_height - 8,
                             fillColor=score_colour(score), strokeColor=None, strokeWidth=0))
        drawing.add(String(label_width + bar_width + 6, y + 4, text, fontName=bold if score is not None else font,
                           fontSize=8.5, fillColor=INK if score is not None else MUTED))
    return drawing


def fit_label(text: str, limit: int = 46) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

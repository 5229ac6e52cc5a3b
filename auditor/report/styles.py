"""Colours and paragraph styles shared by the report and the annex, so both look like one firm's work."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle

from auditor.report.fonts import FontSet, fonts

NAVY = colors.HexColor("#1F3A5F")
TEAL = colors.HexColor("#2A7F8E")
INK = colors.HexColor("#222A33")
MUTED = colors.HexColor("#5F6B7A")
RULE = colors.HexColor("#C9D2DC")
PALE = colors.HexColor("#F1F4F8")
ZEBRA = colors.HexColor("#F7F9FB")

SEVERITY_COLOURS = {
    "critical": colors.HexColor("#9B1C1C"),
    "high": colors.HexColor("#D9480F"),
    "medium": colors.HexColor("#C98A00"),
    "low": colors.HexColor("#3B6FB6"),
}
STATUS_COLOURS = {
    "pass": colors.HexColor("#2F8A4C"),
    "fail": colors.HexColor("#B42318"),
    "partial": colors.HexColor("#C98A00"),
    "not_assessed": colors.HexColor("#7A8594"),
    "error": colors.HexColor("#7A8594"),
    "accepted": colors.HexColor("#6B4FA0"),
}
GRADE_COLOURS = {
    "A": colors.HexColor("#2F8A4C"),
    "B": colors.HexColor("#76A83A"),
    "C": colors.HexColor("#E0B000"),
    "D": colors.HexColor("#E67E22"),
    "E": colors.HexColor("#D9480F"),
    "F": colors.HexColor("#B42318"),
    "-": colors.HexColor("#7A8594"),
}


def score_colour(score: float | None) -> colors.Color:
    """Colour of a 0-100 score on the default grade bands (charts only; the grade itself comes from scoring)."""
    if score is None:
        return GRADE_COLOURS["-"]
    for grade, lowest in (("A", 90), ("B", 75), ("C", 60), ("D", 45), ("E", 30)):
        if score >= lowest:
            return GRADE_COLOURS[grade]
    return GRADE_COLOURS["F"]


@dataclass(frozen=True)
class Styles:
    fonts: FontSet
    body: ParagraphStyle
    small: ParagraphStyle
    tiny: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    header_cell: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    h3: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    label: ParagraphStyle
    callout: ParagraphStyle
    centered: ParagraphStyle


def make_styles() -> Styles:
    f = fonts()
    body = ParagraphStyle("body", fontName=f.regular, fontSize=9.5, leading=13.2, textColor=INK,
                          spaceAfter=5, alignment=TA_LEFT)
    small = ParagraphStyle("small", parent=body, fontSize=8.3, leading=11, spaceAfter=3)
    tiny = ParagraphStyle("tiny", parent=body, fontSize=7.2, leading=9.2, spaceAfter=0, textColor=MUTED)
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=10.2, spaceAfter=0)
    return Styles(
        fonts=f,
        body=body,
        small=small,
        tiny=tiny,
        cell=cell,
        cell_bold=ParagraphStyle("cell_bold", parent=cell, fontName=f.bold),
        header_cell=ParagraphStyle("header_cell", parent=cell, fontName=f.bold, textColor="white"),
        h1=ParagraphStyle("h1", parent=body, fontName=f.bold, fontSize=17, leading=21, textColor=NAVY,
                          spaceBefore=4, spaceAfter=10),
        h2=ParagraphStyle("h2", parent=body, fontName=f.bold, fontSize=12.5, leading=16, textColor=NAVY,
                          spaceBefore=10, spaceAfter=5, keepWithNext=1),
        h3=ParagraphStyle("h3", parent=body, fontName=f.bold, fontSize=10.2, leading=13.5, textColor=INK,
                          spaceBefore=8, spaceAfter=3, keepWithNext=1),
        title=ParagraphStyle("title", parent=body, fontName=f.bold, fontSize=26, leading=31, textColor=NAVY,
                             spaceAfter=8),
        subtitle=ParagraphStyle("subtitle", parent=body, fontSize=14, leading=18, textColor=TEAL,
                                spaceAfter=6),
        label=ParagraphStyle("label", parent=body, fontSize=8, leading=10, textColor=MUTED, spaceAfter=1),
        callout=ParagraphStyle("callout", parent=body, backColor=PALE, borderPadding=(6, 8, 6, 8),
                               spaceBefore=6, spaceAfter=10),
        centered=ParagraphStyle("centered", parent=body, alignment=TA_CENTER),
    )

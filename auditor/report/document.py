"""The page machinery shared by the report and the annex: page templates, header and footer, "page X of
Y", PDF bookmarks and the table of contents.

Headings are `Heading` paragraphs: after each one is laid out, the document adds a bookmark (the PDF
outline a reader's sidebar shows) and, for the report, a table-of-contents entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph
from reportlab.platypus.tableofcontents import TableOfContents

from auditor.report.fonts import displayable
from auditor.report.styles import MUTED, NAVY, RULE, Styles
from auditor.report.text import esc

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X


class Heading(Paragraph):
    """A heading that becomes a PDF bookmark (and a contents entry when `toc` is true)."""

    def __init__(self, text: str, style: Any, level: int, plain: str, *, toc: bool = True) -> None:
        super().__init__(text, style)
        self.level = level
        self.plain = plain
        self.toc = toc


def numbered_canvas(footer_text: Callable[[int, int], str], font: str, *, skip_first: bool = True) -> type[Canvas]:
    """A canvas that writes "page X of Y" once the total is known (pages are kept until `save`).

    `skip_first` leaves the cover page without a number.
    """

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                if self._pageNumber > 1 or not skip_first:
                    self.setFont(font, 7.5)
                    self.setFillColor(MUTED)
                    self.drawRightString(PAGE_WIDTH - MARGIN_X, 10 * mm, footer_text(self._pageNumber, total))
                super().showPage()
            super().save()

    return NumberedCanvas


class AuditDocTemplate(BaseDocTemplate):
    """A4 portrait: a cover page without header, then body pages with header and footer."""

    def __init__(self, target: Any, *, styles: Styles, header_left: str, header_right: str, footer_left: str,
                 title: str, author: str, subject: str, lang: str = "en", with_toc: bool = True,
                 with_cover: bool = True) -> None:
        super().__init__(target, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
                         bottomMargin=MARGIN_BOTTOM, title=title, author=author, subject=subject,
                         creator="msp-posture-auditor", lang="fr-FR" if lang == "fr" else "en-GB",
                         invariant=1)
        self.styles = styles
        self.header_left = header_left
        self.header_right = header_right
        self.footer_left = footer_left
        self.with_toc = with_toc
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, CONTENT_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        cover = Frame(MARGIN_X, MARGIN_BOTTOM, CONTENT_WIDTH, PAGE_HEIGHT - 2 * MARGIN_BOTTOM, id="cover",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        templates = [
            PageTemplate(id="cover", frames=[cover], onPage=self._cover_page),
            PageTemplate(id="body", frames=[frame], onPage=self._body_page),
        ]
        self.addPageTemplates(templates if with_cover else templates[::-1])
        self._outline_keys = 0
        self._outline_level = -1

    def _cover_page(self, canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(NAVY)
        canvas.rect(0, PAGE_HEIGHT - 14 * mm, PAGE_WIDTH, 14 * mm, stroke=0, fill=1)
        canvas.rect(0, 0, PAGE_WIDTH, 8 * mm, stroke=0, fill=1)
        canvas.restoreState()

    def _body_page(self, canvas: Canvas, doc: Any) -> None:
        f = self.styles.fonts
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        rule_y = PAGE_HEIGHT - MARGIN_TOP + 6 * mm
        canvas.line(MARGIN_X, rule_y, PAGE_WIDTH - MARGIN_X, rule_y)
        canvas.line(MARGIN_X, 14 * mm, PAGE_WIDTH - MARGIN_X, 14 * mm)
        canvas.setFont(f.regular, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN_X, PAGE_HEIGHT - MARGIN_TOP + 8 * mm, _fit(canvas, self.header_left, f.regular, 7.5,
                                                                          CONTENT_WIDTH * 0.68))
        canvas.setFont(f.bold, 7.5)
        canvas.setFillColor(NAVY)
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, PAGE_HEIGHT - MARGIN_TOP + 8 * mm, self.header_right)
        canvas.setFont(f.regular, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN_X, 10 * mm, _fit(canvas, self.footer_left, f.regular, 7.5, CONTENT_WIDTH * 0.7))
        canvas.restoreState()

    def afterFlowable(self, flowable: Any) -> None:
        if isinstance(flowable, Heading):
            key = f"h{self._outline_keys}"
            self._outline_keys += 1
            # The PDF outline cannot skip a level (reportlab raises): clamp to one below the previous entry.
            level = min(flowable.level, self._outline_level + 1)
            self._outline_level = level
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(displayable(flowable.plain), key, level=level, closed=level > 0)
            if self.with_toc and flowable.toc:
                # The contents entry is paragraph markup: the plain heading text must be escaped again.
                self.notify("TOCEntry", (flowable.level, esc(flowable.plain), self.page, key))

    def beforeDocument(self) -> None:
        self._outline_keys = 0
        self._outline_level = -1


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> str:
    """Cut a header/footer string so it never runs into the other side."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    while text and canvas.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def make_toc(styles: Styles) -> TableOfContents:
    from reportlab.lib.styles import ParagraphStyle

    toc = TableOfContents()
    toc.levelStyles = [
        ParagraphStyle("toc0", parent=styles.body, fontName=styles.fonts.bold, fontSize=10, leading=15,
                       leftIndent=0, firstLineIndent=0, spaceBefore=3),
        ParagraphStyle("toc1", parent=styles.body, fontSize=9, leading=12.5, leftIndent=14, firstLineIndent=0,
                       spaceAfter=0),
    ]
    toc.dotsMinLevel = 0
    return toc


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()

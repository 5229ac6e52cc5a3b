"""The client report as a PDF: cover, contents, executive summary, one section per area, roadmap,
methodology and appendices.

Written for a client's manager first: the summary fits on one or two pages and speaks of risks, not of
LDAP attributes; every technical detail stays available further on.  Long asset lists are cut in the
body ("and 212 more, see appendix A.3") and given whole in the appendix, so a 1,000-machine estate still
reads well.  Every string that came from a client system goes through `esc` before it meets Paragraph
markup.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from auditor.i18n import (
    EXPLOITABILITY_LABELS,
    KIND_LABELS,
    RUN_STATUS_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    area_title,
    format_date,
    format_datetime,
    format_hours,
    format_money,
    format_month,
    format_number,
    format_percent,
    label,
    phase_label,
)
from auditor.models import UNTRUSTED_TEXT_MAX, Audit, CheckResult, Language, RoadmapItem
from auditor.report.charts import area_bars, fit_label, gauge
from auditor.report.document import CONTENT_WIDTH, AuditDocTemplate, Heading, make_toc, numbered_canvas, today
from auditor.report.fonts import displayable
from auditor.report.labels import role_label, t, translate_warning
from auditor.report.options import Branding, resolve_branding
from auditor.report.styles import (
    INK,
    MUTED,
    NAVY,
    PALE,
    RULE,
    SEVERITY_COLOURS,
    STATUS_COLOURS,
    TEAL,
    ZEBRA,
    Styles,
    make_styles,
)
from auditor.report.text import esc, shorten
from auditor.report.view import AuditView, display_status
from auditor.roadmap import month_end

log = logging.getLogger(__name__)

#: Affected assets shown under a finding in the body; the rest go to the appendix.
BODY_ASSET_LIMIT = 12
#: Phase 1 items listed on the executive summary.
FIRST_MONTH_ITEMS = 8
#: Months shown one by one in the month-by-month view; later months are summarised in one row.
MONTHS_IN_DETAIL = 12
#: Rows per table chunk in long appendix tables (smaller tables lay out much faster than one huge table).
APPENDIX_CHUNK = 60
APPENDIX_FIRST_CHUNK = 15


def render_report_pdf(
    audit: Audit,
    out: str | Path | io.BytesIO,
    *,
    lang: Language | None = None,
    branding: Branding | None = None,
    issued: dt.date | None = None,
    body_asset_limit: int = BODY_ASSET_LIMIT,
) -> None:
    """Render the client report for `audit` in `lang` (default: the audit's language) to `out`.

    `branding` overrides the MSP name, logo and contact the audit carries.
    """
    builder = _ReportBuilder(audit, lang or audit.language, resolve_branding(audit, branding), issued or today(),
                             body_asset_limit)
    builder.build(out)


def _singular(word: str, lang: Language) -> str:
    if lang == "en" and word.endswith("ies"):
        return word[:-3] + "y"
    if lang == "fr" and word.endswith("aux"):
        return word[:-3] + "ail"  # travaux -> travail
    if word.endswith("s") and len(word) > 2:
        return word[:-1]
    return word


def logo_flowable(path: Path | None, max_width: float, max_height: float) -> Flowable | None:
    """The MSP's logo scaled into a box, or None when there is none or it cannot be read (never fatal)."""
    if path is None:
        return None
    if not Path(path).is_file():
        log.warning("MSP logo %s not found; the cover shows the MSP's name instead", path)
        return None
    try:
        reader = ImageReader(str(path))
        width, height = reader.getSize()
    except Exception as exc:
        log.warning("MSP logo %s cannot be read (%s); the cover shows the MSP's name instead", path, exc)
        return None
    scale = min(max_width / width, max_height / height, 1.0 if width > max_width / 4 else 4.0)
    image = Image(str(path), width=width * scale, height=height * scale)
    image.hAlign = "LEFT"
    return image


class _ReportBuilder:
    def __init__(self, audit: Audit, lang: Language, branding: Branding, issued: dt.date, limit: int) -> None:
        self.audit = audit
        self.lang: Language = lang
        self.branding = branding
        self.issued = issued
        self.limit = max(1, limit)
        self.view = AuditView(audit)
        self.s: Styles = make_styles()
        self.appendix_refs: dict[str, str] = {}

    # --- small helpers -------------------------------------------------------------------------------
    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    def plain_lbl(self, key: str) -> str:
        """A label followed by a colon, typeset the French way in French ("Statut :")."""
        return f"{self.t(key)}\u00a0:" if self.lang == "fr" else f"{self.t(key)}:"

    def lbl(self, key: str) -> str:
        return esc(self.plain_lbl(key))

    def p(self, text: str, style: Any = None) -> Paragraph:
        """A paragraph from plain text (escaped here)."""
        return Paragraph(esc(text), style or self.s.body)

    def pm(self, markup: str, style: Any = None) -> Paragraph:
        """A paragraph from markup built by this module (untrusted parts already escaped)."""
        return Paragraph(markup, style or self.s.body)

    def heading(self, text: str, level: int, *, toc: bool = True) -> Heading:
        style = {0: self.s.h1, 1: self.s.h2}.get(level, self.s.h3)
        return Heading(esc(text), style, level, text, toc=toc)

    def severity(self, value: str) -> str:
        return label(SEVERITY_LABELS, value, self.lang)

    def status(self, value: str) -> str:
        return label(STATUS_LABELS, value, self.lang)

    def badge(self, text: str, colour: colors.Color) -> str:
        return f'<font color="{colour.hexval()}"><b>{esc(text)}</b></font>'

    def money(self, value: float) -> str:
        return format_money(value, self.audit.roadmap.currency, self.lang)

    def score_text(self, value: float | None) -> str:
        """Scores as the CLI prints them: one decimal (48.5 must not read as 48 or 49)."""
        if value is None:
            return "–"
        return format_number(value, self.lang, 0 if float(value).is_integer() else 1)

    def table(self, rows: list[list[Any]], widths: Sequence[float], *, header: bool = True,
              zebra: bool = True, extra: Sequence[tuple] = ()) -> Table:
        # splitInRow: a row taller than a page (a huge error message) splits instead of failing the build.
        table = Table(rows, colWidths=list(widths), repeatRows=1 if header else 0, hAlign="LEFT", splitInRow=1)
        commands: list[tuple] = [
            ("FONTNAME", (0, 0), (-1, -1), self.s.fonts.regular),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("LEADING", (0, 0), (-1, -1), 10.2),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ]
        if header:
            commands += [("BACKGROUND", (0, 0), (-1, 0), NAVY), ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                         ("FONTNAME", (0, 0), (-1, 0), self.s.fonts.bold)]
        if zebra and len(rows) > 2:
            commands.append(("ROWBACKGROUNDS", (0, 1 if header else 0), (-1, -1), [colors.white, ZEBRA]))
        commands.extend(extra)
        table.setStyle(TableStyle(commands))
        return table

    def hcell(self, text: str) -> Paragraph:
        return Paragraph(esc(text), self.s.header_cell)

    def cell(self, text: str, *, bold: bool = False) -> Paragraph:
        return Paragraph(esc(text), self.s.cell_bold if bold else self.s.cell)

    # --- document ------------------------------------------------------------------------------------
    def build(self, out: str | Path | io.BytesIO) -> None:
        audit = self.audit
        msp = self.branding.msp_name or ""
        title = self.t("report_title")
        header_left = displayable(" — ".join(x for x in (msp, audit.client_name, title) if x))
        footer_left = f"{self.t('audit_id')} {audit.id} · {format_date(audit.collected_at.date(), self.lang)}"
        target = str(out) if isinstance(out, Path) else out
        doc = AuditDocTemplate(target, styles=self.s, header_left=header_left,
                               header_right=self.branding.confidentiality or self.t("confidential"),
                               footer_left=footer_left, title=f"{title} — {audit.client_name}",
                               author=msp or "msp-posture-auditor", subject=audit.id, lang=self.lang)
        self._plan_appendix()
        story: list[Flowable] = []
        story += self.cover()
        story += [NextPageTemplate("body"), PageBreak()]
        story += [Paragraph(esc(self.t("contents")), self.s.h1), make_toc(self.s), PageBreak()]
        story += self.summary()
        story += [PageBreak(), *self.areas()]
        story += [PageBreak(), *self.roadmap()]
        story += [PageBreak(), *self.methodology()]
        story += self.appendix()
        canvas = numbered_canvas(lambda page, total: t("page_of", self.lang, page=page, total=total),
                                 self.s.fonts.regular)
        doc.multiBuild(story, canvasmaker=canvas, maxPasses=4)

    def _plan_appendix(self) -> None:
        index = 0
        for area in self.view.areas():
            for result in self.view.results_in(area):
                if len(result.affected) > self.limit and display_status(result) in ("fail", "partial", "accepted"):
                    index += 1
                    self.appendix_refs[result.check_id] = f"A.{index}"

    # --- cover ---------------------------------------------------------------------------------------
    def cover(self) -> list[Flowable]:
        audit, s = self.audit, self.s
        story: list[Flowable] = [Spacer(1, 12 * mm)]
        logo = logo_flowable(self.branding.msp_logo, 60 * mm, 24 * mm)
        if logo is not None:
            story.append(logo)
        elif self.branding.msp_name:
            story.append(self.p(self.branding.msp_name, s.subtitle))
        story.append(Spacer(1, 42 * mm))
        story.append(self.p(self.t("report_title"), s.title))
        story.append(self.p(audit.client_name, s.subtitle))
        story.append(Spacer(1, 3 * mm))
        kind = label(KIND_LABELS, audit.kind, self.lang)
        story.append(self.pm(f'<font color="{TEAL.hexval()}"><b>{esc(kind)}</b></font>', s.body))
        story.append(Spacer(1, 22 * mm))
        rows = [
            [self.p(self.t("prepared_for"), s.label), self.p(audit.client_name, s.body)],
            [self.p(self.t("audit_type"), s.label), self.p(kind, s.body)],
            [self.p(self.t("audit_date"), s.label), self.p(format_date(audit.collected_at.date(), self.lang), s.body)],
            [self.p(self.t("report_date"), s.label), self.p(format_date(self.issued, self.lang), s.body)],
            [self.p(self.t("audit_id"), s.label), self.p(audit.id, s.body)],
        ]
        if self.branding.msp_name:
            prepared = self.branding.msp_name + (f" — {self.branding.msp_contact}" if self.branding.msp_contact else "")
            rows.append([self.p(self.t("prepared_by"), s.label), self.p(prepared, s.body)])
        table = Table(rows, colWidths=[45 * mm, CONTENT_WIDTH - 45 * mm], hAlign="LEFT")
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEABOVE", (0, 0), (-1, 0), 1, NAVY),
                                   ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
        story.append(table)
        story.append(Spacer(1, 18 * mm))
        mark = self.branding.confidentiality or self.t("confidential")
        note = self.t("confidential_note", client=audit.client_name)
        box = Table([[self.pm(f'<font color="#B42318"><b>{esc(mark)}</b></font>', s.body)], [self.p(note, s.small)]],
                    colWidths=[CONTENT_WIDTH], hAlign="LEFT")
        box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#B42318")),
                                 ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#FDF3F2")),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                                 ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
        story.append(box)
        return story

    # --- executive summary ---------------------------------------------------------------------------
    def summary(self) -> list[Flowable]:
        audit, s, lang = self.audit, self.s, self.lang
        scores = audit.scores
        story: list[Flowable] = [self.heading(self.t("summary"), 0)]
        score_text = f"{self.score_text(scores.overall)}/100" if scores.overall is not None else self.t("no_score")
        drawing = gauge(scores.overall, scores.grade, score_text, self.t("overall_score"),
                        font=s.fonts.regular, bold=s.fonts.bold, width=80 * mm, height=46 * mm,
                        grade_caption=self.t("grade"))
        findings = self.view.findings()
        critical = sum(1 for r in findings if (c := self.view.check(r.check_id)) and c.severity.value == "critical")
        figures = [
            [self.p(self.t("coverage"), s.label)],
            [self.pm(f'<font size="18" color="{NAVY.hexval()}"><b>{esc(format_percent(scores.coverage, lang))}'
                     f"</b></font>", ParagraphStyleLike(s.body, leading=22))],
            [self.p(self.t("coverage_explained", assessed=scores.assessed_checks, total=scores.total_checks,
                           coverage=format_percent(scores.coverage, lang)), s.small)],
            [self.pm(f"{self.lbl('findings_count')} <b>{len(findings)}</b> · {self.lbl('critical_count')} "
                     f'<font color="{SEVERITY_COLOURS["critical"].hexval()}"><b>{critical}</b></font>', s.small)],
            [self.pm(f"{self.lbl('assets_count')} <b>{len(audit.inventory)}</b>", s.small)],
        ]
        right = Table(figures, colWidths=[CONTENT_WIDTH - 84 * mm])
        right.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
        top = Table([[drawing, right]], colWidths=[84 * mm, CONTENT_WIDTH - 84 * mm])
        top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("BACKGROUND", (0, 0), (-1, -1), PALE), ("BOX", (0, 0), (-1, -1), 0.4, RULE),
                                 ("LEFTPADDING", (1, 0), (1, 0), 8), ("TOPPADDING", (0, 0), (-1, -1), 6),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        story += [top, Spacer(1, 3 * mm)]
        baseline = f"{audit.provenance.baseline} {audit.provenance.baseline_version}".strip()
        story.append(self.p(self.t("score_explained", baseline=baseline), s.small))
        if scores.capped_by and scores.grade != scores.grade_before_cap:
            story.append(self.p(self.t("grade_capped", grade=scores.grade, before=scores.grade_before_cap), s.small))
        if scores.managed_overall is not None:
            story.append(self.p(self.t("managed_score", score=self.score_text(scores.managed_overall),
                                       grade=scores.managed_grade or "-"), s.small))

        story.append(self.heading(self.t("area_scores"), 1, toc=False))
        rows = []
        for area in self.view.areas():
            value = self.view.area_score(area)
            rows.append((fit_label(area_title(area, lang)), value,
                         f"{self.score_text(value)}/100" if value is not None else self.t("not_assessed_short")))
        if rows:
            story.append(area_bars(rows, font=s.fonts.regular, bold=s.fonts.bold, width=CONTENT_WIDTH))

        story.append(self.heading(self.t("top_risks"), 1, toc=False))
        story.append(self.p(self.t("top_risks_intro"), s.small))
        if not findings:
            story.append(self.p(self.t("no_risks")))
        for number, result in enumerate(findings[:5], start=1):
            story.append(self.risk_block(number, result))
        story += self.roadmap_glance()
        story += self.first_month()
        return story

    def first_month(self) -> list[Flowable]:
        """The first phase's items in one line each: what the manager approves first."""
        s, lang = self.s, self.lang
        items = [i for i in self.audit.roadmap.items if i.phase == 1]
        if not items:
            return []
        story: list[Flowable] = [Spacer(1, 2 * mm), self.heading(self.t("first_month"), 2, toc=False)]
        for item in items[:FIRST_MONTH_ITEMS]:
            colour = SEVERITY_COLOURS[item.severity.value]
            story.append(self.pm(
                f'<font color="{colour.hexval()}">■</font> <b>{esc(shorten(item.title.get(lang), 160))}</b> — '
                f"{esc(format_hours(item.effort_hours, lang))}, {esc(self.money(item.price))}", s.small))
        if len(items) > FIRST_MONTH_ITEMS:
            story.append(self.p(self.t("more_items", count=len(items) - FIRST_MONTH_ITEMS), s.small))
        return story

    def risk_block(self, number: int, result: CheckResult) -> Flowable:
        s, lang = self.s, self.lang
        check = self.view.check(result.check_id)
        title = check.title.get(lang) if check else result.check_id
        severity = check.severity.value if check else "medium"
        colour = SEVERITY_COLOURS.get(severity, MUTED)
        meta = [self.badge(self.severity(severity), colour)]
        if result.affected:
            meta.append(esc(self.t("risk_assets", count=len(result.affected))))
        item = self.view.item_of_check.get(result.check_id)
        if item is not None:
            if item.in_contract and item.target_month is not None:
                month = self.view.item_month(item)
                phase_name = phase_label(item.phase, lang).split(" (")[0]
                meta.append(esc(self.t("risk_planned", phase=phase_name.lower() if lang == "fr" else phase_name,
                                       month=format_month(month, lang) if month else "")))
            elif not item.in_contract:
                meta.append(esc(self.t("risk_outside")))
        body = [self.pm(f"<b>{number}. {esc(title)}</b>", s.body), self.pm(" · ".join(meta), s.small)]
        if check is not None:
            body.append(self.p(check.rationale.get(lang), s.small))
        table = Table([[None, body]], colWidths=[2.2 * mm, CONTENT_WIDTH - 2.2 * mm])
        table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, 0), colour), ("LEFTPADDING", (1, 0), (1, 0), 7),
                                   ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return KeepTogether([table, Spacer(1, 2.5 * mm)])

    def roadmap_glance(self) -> list[Flowable]:
        roadmap, lang, s = self.audit.roadmap, self.lang, self.s
        story: list[Flowable] = [CondPageBreak(45 * mm), self.heading(self.t("roadmap_glance"), 1, toc=False)]
        if not roadmap.items:
            return [*story, self.p(self.t("no_roadmap"))]
        story.append(self.p(self.t(
            "roadmap_glance_text", items=len(self.view.planned_items()), hours=format_hours(roadmap.total_hours, lang),
            price=self.money(roadmap.total_price), rate=self.money(roadmap.hourly_rate),
            monthly=format_hours(roadmap.monthly_hours, lang), start=format_date(roadmap.start_date, lang))))
        rows: list[list[Any]] = [[self.hcell(self.t("phase")), self.hcell(self.t("items")),
                                  self.hcell(self.t("effort")), self.hcell(self.t("price")),
                                  self.hcell(self.t("by_end_of"))]]
        for phase, items in self.view.phases():
            months = [m for i in items if (m := self.view.item_month(i)) is not None]
            rows.append([self.cell(phase_label(phase, lang), bold=True), str(len(items)),
                         format_hours(sum(i.effort_hours for i in items), lang),
                         self.money(sum(i.price for i in items)),
                         format_month(max(months), lang) if months else "–"])
        rows.append([self.cell(self.t("total"), bold=True), str(len(self.view.planned_items())),
                     format_hours(roadmap.total_hours, lang), self.money(roadmap.total_price), ""])
        widths = [62 * mm, 18 * mm, 24 * mm, 32 * mm, CONTENT_WIDTH - 136 * mm]
        story.append(self.table(rows, widths, extra=[("ALIGN", (1, 1), (3, -1), "RIGHT"),
                                                     ("FONTNAME", (0, -1), (-1, -1), s.fonts.bold),
                                                     ("LINEABOVE", (0, -1), (-1, -1), 0.8, NAVY)]))
        return story

    # --- areas ---------------------------------------------------------------------------------------
    def areas(self) -> list[Flowable]:
        story: list[Flowable] = [self.heading(self.t("findings_by_area"), 0)]
        for index, area in enumerate(self.view.areas()):
            if index:
                story.append(CondPageBreak(90 * mm))
            story += self.area_section(area)
        return story

    def area_section(self, area: str) -> list[Flowable]:
        s, lang = self.s, self.lang
        results = self.view.results_in(area)
        story: list[Flowable] = [self.heading(area_title(area, lang), 1)]
        figures = next((a for a in self.audit.scores.areas if a.area == area), None)
        if figures is not None:
            value = f"{self.score_text(figures.score)}/100" if figures.score is not None else self.t("no_score")
            story.append(self.p(self.t("area_score_line", score=value, passed=figures.passed, failed=figures.failed,
                                       partial=figures.partial, accepted=figures.accepted,
                                       na=figures.not_assessed), s.small))
        if not results:
            return [*story, self.p(self.t("no_checks_area"))]
        story.append(self.heading(self.t("what_was_checked"), 2, toc=False))
        rows: list[list[Any]] = [[self.hcell(self.t("check")), self.hcell(self.t("severity")),
                                  self.hcell(self.t("status")), self.hcell(self.t("affected"))]]
        for result in results:
            check = self.view.check(result.check_id)
            status = display_status(result)
            severity = check.severity.value if check else ""
            rows.append([
                self.cell(shorten(check.title.get(lang), 250) if check else result.check_id),
                self.pm(self.badge(self.severity(severity), SEVERITY_COLOURS.get(severity, MUTED)), s.cell),
                self.pm(self.badge(self.status(status), STATUS_COLOURS.get(status, MUTED)), s.cell),
                str(len(result.affected)) if result.affected else "–",
            ])
        story.append(self.table(rows, [CONTENT_WIDTH - 86 * mm, 24 * mm, 40 * mm, 22 * mm],
                                extra=[("ALIGN", (3, 1), (3, -1), "RIGHT")]))
        for result in results:
            if display_status(result) in ("fail", "partial", "accepted"):
                story += self.finding_block(result)
        unassessed = [r for r in results if not r.status.assessed]
        if unassessed:
            story.append(self.heading(self.t("not_assessed_list"), 2, toc=False))
            for result in unassessed:
                check = self.view.check(result.check_id)
                reason = result.reason.get(lang) if result.reason else ""
                story.append(self.pm(f"<b>{esc(check.title.get(lang) if check else result.check_id)}</b> — "
                                     f"{esc(reason)}", s.small))
        return story

    def finding_block(self, result: CheckResult) -> list[Flowable]:
        s, lang = self.s, self.lang
        check = self.view.check(result.check_id)
        status = display_status(result)
        severity = check.severity.value if check else "medium"
        title = check.title.get(lang) if check else result.check_id
        story: list[Flowable] = [Spacer(1, 2 * mm), self.heading(title, 2, toc=False)]
        meta = [f"{self.lbl('severity')} {self.badge(self.severity(severity), SEVERITY_COLOURS[severity])}",
                f"{self.lbl('status')} {self.badge(self.status(status), STATUS_COLOURS.get(status, MUTED))}"]
        if check is not None:
            meta.append(f"{self.lbl('exploitability')} "
                        f"{esc(label(EXPLOITABILITY_LABELS, check.exploitability.value, lang))}")
        if result.measured is not None:
            measured = self.value(result.measured) + self.unit(result, result.measured)
            meta.append(f"{self.lbl('measured')} <b>{esc(measured)}</b>")
        if result.threshold is not None:
            threshold = self.value(result.threshold) + self.unit(result, result.threshold)
            meta.append(f"{self.lbl('threshold')} {esc(threshold)}")
        story.append(self.pm(" · ".join(meta), s.small))
        story.append(self.pm(f"<font color='#0B6B55'>{esc(result.check_id)}</font>", s.tiny))
        if result.accepted_risk is not None:
            risk = result.accepted_risk
            story.append(self.p(self.t("accepted_by", who=risk.accepted_by, until=format_date(risk.expires, lang),
                                       why=risk.justification), s.callout))
        elif result.acceptance_expired:
            story.append(self.p(self.t("acceptance_expired"), s.small))
        if result.accepted_risk is None:
            for risk in result.asset_acceptances:
                names = ", ".join(a.name for a in result.accepted_assets if a.name.lower() in
                                  {n.lower() for n in risk.assets})
                story.append(self.p(self.t("accepted_assets", assets=names, who=risk.accepted_by,
                                           until=format_date(risk.expires, lang), why=risk.justification),
                                    s.callout))
        if result.reason is not None:
            story.append(self.p(result.reason.get(lang), s.small))
        if check is not None:
            story.append(self.pm(f"<b>{esc(self.t('why_it_matters'))}.</b> {esc(check.rationale.get(lang))}", s.body))
        if result.affected:
            story.append(self.pm(f"<b>{esc(self.t('affected_assets'))}</b> ({len(result.affected)})", s.small))
            shown = result.affected[: self.limit]
            rows = [[self.cell(shorten(a.name, 120)), self.cell(shorten(a.detail_in(lang), 160))] for a in shown]
            table = self.table(rows, [CONTENT_WIDTH * 0.38, CONTENT_WIDTH * 0.62], header=False, zebra=True,
                               extra=[("TOPPADDING", (0, 0), (-1, -1), 1.5),
                                      ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)])
            story += [table, Spacer(1, 1.5 * mm)]
            rest = len(result.affected) - len(shown)
            if rest > 0:
                story.append(self.p(self.t("and_more", count=format_number(rest, lang, 0),
                                           ref=self.appendix_refs.get(result.check_id, "A")), s.small))
        if check is not None:
            story.append(self.pm(f"<b>{esc(self.t('remediation'))}.</b> {esc(check.remediation.get(lang))}", s.body))
            if check.references:
                refs = ", ".join(f"{r.framework} {r.control}" for r in check.references)
                story.append(self.p(f"{self.plain_lbl('references')} {refs}", s.tiny))
        return story

    def unit(self, result: CheckResult, value: object) -> str:
        """The result's unit after a value, singular where the language wants it (1 compte, 0 compte, 1 day)."""
        if result.unit is None:
            return ""
        text = result.unit.get(self.lang)
        singular = isinstance(value, int | float) and not isinstance(value, bool) and (
            value == 1 or (self.lang == "fr" and value == 0))
        if singular:
            text = " ".join(_singular(word, self.lang) for word in text.split(" "))
        return f"\u00a0{text}"

    def value(self, value: object) -> str:
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, float):
            return format_number(value, self.lang, 0 if value.is_integer() else 1)
        if isinstance(value, int):
            return format_number(value, self.lang, 0)
        return str(value)

    # --- roadmap -------------------------------------------------------------------------------------
    def roadmap(self) -> list[Flowable]:
        s, lang, roadmap = self.s, self.lang, self.audit.roadmap
        story: list[Flowable] = [self.heading(self.t("roadmap"), 0)]
        if not roadmap.items:
            return [*story, self.p(self.t("no_roadmap"))]
        story.append(self.p(self.t("roadmap_intro")))
        story.append(self.p(self.t(
            "roadmap_glance_text", items=len(self.view.planned_items()), hours=format_hours(roadmap.total_hours, lang),
            price=self.money(roadmap.total_price), rate=self.money(roadmap.hourly_rate),
            monthly=format_hours(roadmap.monthly_hours, lang), start=format_date(roadmap.start_date, lang)), s.small))
        if roadmap.warnings:
            story.append(self.heading(self.t("roadmap_warnings"), 2, toc=False))
            texts = ([w.get(lang) for w in roadmap.warnings_localized] if roadmap.warnings_localized
                     else [translate_warning(w, lang) for w in roadmap.warnings])
            for warning in texts:
                story.append(self.p(f"• {warning}", s.small))
        for phase, items in self.view.phases():
            story.append(self.heading(phase_label(phase, lang), 1))
            if phase == 0:
                story.append(self.p(self.t("outside_contract_note"), s.small))
            story.append(self.roadmap_table(items))
        story += self.month_view()
        return story

    def roadmap_table(self, items: Sequence[RoadmapItem]) -> Table:
        """One row per item; what the item depends on and how it is accepted sit under its title, where
        long check ids have room to wrap."""
        s, lang = self.s, self.lang
        rows: list[list[Any]] = [[self.hcell(self.t("item")), self.hcell(self.t("severity")),
                                  self.hcell(self.t("effort")), self.hcell(self.t("price")),
                                  self.hcell(self.t("target"))]]
        for item in items:
            month = self.view.item_month(item)
            item_cell = [self.pm(f"<b>{esc(item.title.get(lang))}</b>", s.cell),
                         self.pm(f"{esc(item.id)} · {self.lbl('assets_in_scope')} {len(item.assets)} · "
                                 f"{self.lbl('score_gain')} +{esc(format_number(item.score_gain, lang, 1))}",
                                 s.tiny)]
            if item.depends_on:
                item_cell.append(self.pm(f"{self.lbl('depends_on')} {esc(', '.join(item.depends_on))}", s.tiny))
            item_cell.append(self.pm(f"{self.lbl('acceptance')} {esc(', '.join(item.acceptance_checks))}", s.tiny))
            severity = item.severity.value
            rows.append([
                item_cell,
                self.pm(self.badge(self.severity(severity), SEVERITY_COLOURS[severity]), s.cell),
                format_hours(item.effort_hours, lang),
                self.money(item.price),
                self.cell(format_month(month, lang) if month and item.in_contract else "–"),
            ])
        widths = [CONTENT_WIDTH - 92 * mm, 20 * mm, 17 * mm, 25 * mm, 30 * mm]
        return self.table(rows, widths, extra=[("ALIGN", (2, 1), (3, -1), "RIGHT")])

    def month_view(self) -> list[Flowable]:
        """The first months one by one, then the remaining months in one row, so a very long plan stays a
        short table."""
        s, lang, roadmap = self.s, self.lang, self.audit.roadmap
        plan = self.view.month_plan()
        if not plan:
            return []
        story: list[Flowable] = [CondPageBreak(60 * mm), self.heading(self.t("month_view"), 1)]
        rows: list[list[Any]] = [[self.hcell(self.t("month")), self.hcell(self.t("items")),
                                  self.hcell(self.t("hours_planned")), self.hcell(self.t("cumulative_price"))]]
        cumulative = 0.0
        detailed, rest = plan[:MONTHS_IN_DETAIL], plan[MONTHS_IN_DETAIL:]
        for month, work in detailed:
            cumulative += sum(hours for _, hours in work) * roadmap.hourly_rate
            names = "<br/>".join(f"{esc(i.id)} — {esc(shorten(i.title.get(lang), 64))}" for i, _ in work)
            rows.append([self.cell(format_month(month_end(roadmap.start_date, month), lang), bold=True),
                         self.pm(names, s.cell),
                         f"{format_hours(sum(h for _, h in work), lang)} / {format_hours(roadmap.monthly_hours, lang)}",
                         self.money(cumulative)])
        if rest:
            hours = sum(h for _, work in rest for _, h in work)
            cumulative += hours * roadmap.hourly_rate
            items = list(dict.fromkeys(i for _, work in rest for i, _ in work))
            names = "<br/>".join(f"{esc(i.id)} — {esc(shorten(i.title.get(lang), 64))}" for i in items[:10])
            if len(items) > 10:
                names += f"<br/>… (+{len(items) - 10})"
            period = self.t("month_range", first=format_month(month_end(roadmap.start_date, rest[0][0]), lang),
                            last=format_month(month_end(roadmap.start_date, rest[-1][0]), lang))
            rows.append([self.cell(period, bold=True), self.pm(names, s.cell), format_hours(hours, lang),
                         self.money(cumulative)])
        story.append(self.table(rows, [30 * mm, CONTENT_WIDTH - 94 * mm, 32 * mm, 32 * mm],
                                extra=[("ALIGN", (2, 1), (3, -1), "RIGHT")]))
        return story

    # --- methodology ---------------------------------------------------------------------------------
    def methodology(self) -> list[Flowable]:
        s, lang, audit = self.s, self.lang, self.audit
        prov = audit.provenance
        story: list[Flowable] = [self.heading(self.t("methodology"), 0)]
        story.append(self.heading(self.t("authorisation"), 1))
        auth = prov.authorisation
        if auth:
            rows = [[self.cell(self.t("auth_reference"), bold=True), self.cell(auth.get("reference", ""))],
                    [self.cell(self.t("auth_signed_by"), bold=True), self.cell(auth.get("signed_by", ""))],
                    [self.cell(self.t("auth_date"), bold=True), self.cell(self._iso_date(auth.get("date", "")))]]
            story.append(self.table(rows, [50 * mm, CONTENT_WIDTH - 50 * mm], header=False, zebra=False))
        else:
            story.append(self.p(self.t("no_authorisation")))
        if prov.scope:
            story += [Spacer(1, 2 * mm), self.p(f"{self.plain_lbl('scope')} {', '.join(prov.scope)}", s.body)]

        story.append(self.heading(self.t("plugin_runs"), 1))
        kinds = {run.source.kind for run in audit.runs if run.source is not None}
        if kinds == {"recorded"}:
            story.append(self.p(self.t("all_recorded"), s.callout))
        rows: list[list[Any]] = [[self.hcell(self.t("plugin")), self.hcell(self.t("run_phase")),
                                  self.hcell(self.t("status")), self.hcell(self.t("source")),
                                  self.hcell(self.t("duration"))]]
        status_colours = {"ok": STATUS_COLOURS["pass"], "error": STATUS_COLOURS["fail"],
                          "timeout": STATUS_COLOURS["fail"], "skipped": STATUS_COLOURS["not_assessed"]}
        for run in audit.runs:
            source_parts: list[str] = []
            if run.source is not None:
                source_parts.append(f"<b>{self.lbl(run.source.kind)}</b> {esc(shorten(run.source.description, 500))}")
                if run.source.servers:
                    source_parts.append(f"{self.lbl('servers')} {esc(shorten(', '.join(run.source.servers), 600))}")
                if run.source.identity:
                    source_parts.append(f"{esc(self.t('identity'))} {esc(run.source.identity)}")
                if run.source.files:
                    files = ", ".join(shorten(f, 120) for f in run.source.files[:6])
                    more = f" (+{len(run.source.files) - 6})" if len(run.source.files) > 6 else ""
                    source_parts.append(f"{self.lbl('files')} {esc(files + more)}")
                if run.source.options:
                    options = ", ".join(f"{k}={shorten(str(v), 80)}" for k, v in sorted(run.source.options.items()))
                    source_parts.append(f"{self.lbl('options')} {esc(shorten(options, 600))}")
            if run.reason:
                source_parts.append(f"<font color='#B42318'>{esc(shorten(run.reason, 1000))}</font>")
            seconds = run.seconds
            rows.append([
                self.cell(f"{run.plugin} {run.version}".strip(), bold=True),
                self.cell(self.t(run.phase)),
                self.pm(self.badge(label(RUN_STATUS_LABELS, run.status.value, lang),
                                   status_colours.get(run.status.value, MUTED)), s.cell),
                self.pm("<br/>".join(source_parts) or "–", s.cell),
                f"{format_number(seconds, lang, 1)} s" if seconds is not None else "–",
            ])
        story.append(self.table(rows, [34 * mm, 22 * mm, 24 * mm, CONTENT_WIDTH - 98 * mm, 18 * mm],
                                extra=[("ALIGN", (4, 1), (4, -1), "RIGHT")]))
        unassessed = sum(1 for r in audit.results if not r.status.assessed)
        if unassessed:
            story.append(Spacer(1, 2 * mm))
            story.append(self.p(self.t("not_assessed_summary", count=unassessed), s.small))

        story.append(self.heading(self.t("scoring_method"), 1))
        story.append(self.p(self.t("scoring_text", cap=self._grade_cap()), s.body))

        story.append(self.heading(self.t("provenance"), 1))
        rows = [
            [self.t("tool_version"), prov.tool_version],
            [self.t("baseline"), f"{prov.baseline} {prov.baseline_version}"],
            [self.t("ran_on"), prov.hostname],
            [self.t("ran_as"), prov.operator],
            [self.t("collected_at"), format_datetime(audit.collected_at, lang)],
            [self.t("evaluated_at"), format_datetime(audit.evaluated_at, lang)],
            [self.t("audit_id"), audit.id],
            [self.t("bundle_digest"), prov.bundle_digest],
            [self.t("profile_digest"), prov.profile_digest],
        ]
        story.append(self.table([[self.cell(k, bold=True), self.cell(shorten(v, 300))] for k, v in rows],
                                [58 * mm, CONTENT_WIDTH - 58 * mm], header=False, zebra=False))
        return story

    def _grade_cap(self) -> str:
        scores = self.audit.scores
        return scores.grade if scores.capped_by and scores.grade != scores.grade_before_cap else "D"

    def _iso_date(self, value: str) -> str:
        try:
            return format_date(dt.date.fromisoformat(value), self.lang)
        except ValueError:
            return value

    # --- appendix ------------------------------------------------------------------------------------
    def appendix(self) -> list[Flowable]:
        _s, lang = self.s, self.lang
        story: list[Flowable] = [PageBreak(), self.heading(self.t("appendix"), 0)]
        if self.appendix_refs:
            story.append(self.heading(f"A. {self.t('appendix_assets')}", 1))
            for check_id, ref in self.appendix_refs.items():
                result = next(r for r in self.audit.results if r.check_id == check_id)
                check = self.view.check(check_id)
                title = check.title.get(lang) if check else check_id
                story.append(self.heading(f"{ref} {title} ({len(result.affected)})", 2, toc=False))
                header = [self.hcell(self.t("name")), self.hcell(self.t("kind")), self.hcell(self.t("detail"))]
                widths = [CONTENT_WIDTH * 0.4, 18 * mm, CONTENT_WIDTH * 0.6 - 18 * mm]
                body = [[self._fit_cell(a.name, widths[0]), a.kind, self._fit_cell(a.detail_in(self.lang), widths[2])]
                        for a in result.affected]
                story += self.chunked(header, body, widths)
        story.append(self.heading(f"B. {self.t('appendix_inventory')}", 1))
        if not self.audit.inventory:
            story.append(self.p(self.t("no_inventory")))
            return story
        header = [self.hcell(self.t("name")), self.hcell(self.t("ips")), self.hcell(self.t("role")),
                  self.hcell(self.t("os")), self.hcell(self.t("sources"))]
        widths = [36 * mm, 28 * mm, 22 * mm, 52 * mm, CONTENT_WIDTH - 138 * mm]
        cut = UNTRUSTED_TEXT_MAX  # inventory fields are not bounded by the model; a name longer than this is noise
        body = [[self._fit_cell(shorten(a.name, cut), widths[0]),
                 self._fit_cell(shorten(", ".join(a.ips), cut), widths[1]),
                 self._fit_cell(role_label(a.role, self.lang), widths[2]),
                 self._fit_cell(shorten(a.os, cut), widths[3]),
                 self._fit_cell(shorten(", ".join(a.sources), cut), widths[4])] for a in self.audit.inventory]
        story += self.chunked(header, body, widths)
        return story

    def _fit_cell(self, text: str, width: float) -> Any:
        """Strings that fit the column go in as plain table text (fast); others as wrapped paragraphs."""
        if text.isprintable():
            shown = displayable(text)
            if stringWidth(shown, self.s.fonts.regular, 8) <= width - 9:
                return shown
        return Paragraph(esc(text), self.s.cell)

    def chunked(self, header: list[Any], body: list[list[Any]], widths: Sequence[float]) -> list[Flowable]:
        """Long tables as a short first chunk (so it stays with its heading on the current page) followed
        by larger chunks; many small tables lay out far faster than one table of thousands of rows."""
        out: list[Flowable] = []
        start = 0
        while start < len(body):
            size = APPENDIX_FIRST_CHUNK if start == 0 else APPENDIX_CHUNK
            out.append(self.table([header, *body[start:start + size]], widths))
            start += size
        return out


def ParagraphStyleLike(parent: Any, **changes: Any) -> Any:
    from reportlab.lib.styles import ParagraphStyle

    return ParagraphStyle(f"{parent.name}-x", parent=parent, **changes)

"""The re-audit report (PDF, French or English): progress since the previous audit, for the review meeting.

What a client's manager needs to see at a quarterly review, in this order: the scores before and after,
with the score on the *previous audit's scope* beside the new overall score (so new machines or newly
assessed checks never hide real progress, nor pass for it); the trend of the overall and area scores over
all audits; what changed, said plainly (resolved, regressions, new, persisting, accepted, not assessed this
time); the roadmap items verified done by evidence, still open (and late) or regressed; and the meeting's
indicators (findings recurring audit after audit, median time to remediate, critical findings over time).

Built on the report package's page machinery, fonts and styles (read-only reuse); the figures all come
from `auditor.history`, so the PDF says exactly what `auditor diff` says.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from auditor.history import CATEGORIES, AuditDiff, Indicators, compare, indicators, summary_lines
from auditor.i18n import SEVERITY_LABELS, area_title, format_date, format_number, format_short_date, label
from auditor.models import Audit, Language
from auditor.report.document import CONTENT_WIDTH, AuditDocTemplate, Heading, numbered_canvas, today
from auditor.report.fonts import displayable
from auditor.report.options import Branding, resolve_branding
from auditor.report.styles import (
    GRADE_COLOURS,
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

#: Findings listed per category in the body; the rest are counted ("and 40 more").
ROWS_PER_CATEGORY = 25

WORDS: dict[str, tuple[str, str]] = {
    "title": ("Re-audit: progress report", "Ré-audit : bilan des progrès"),
    "since": ("Changes between the audit of {old} and the audit of {new}",
              "Évolution entre l'audit du {old} et l'audit du {new}"),
    "refs": ("Audit references: {old} (previous) and {new} (this audit)",
             "Références : {old} (audit précédent) et {new} (cet audit)"),
    "issued": ("Report issued on {date}", "Rapport émis le {date}"),
    "key_figures": ("Key figures", "Chiffres clés"),
    "figure": ("", ""),
    "before": ("Previous audit", "Audit précédent"),
    "after": ("This audit", "Cet audit"),
    "change": ("Change", "Évolution"),
    "overall": ("Overall score", "Score global"),
    "scope_score": ("Score on the previous audit's scope", "Score sur le périmètre de l'audit précédent"),
    "grade": ("Grade", "Note"),
    "coverage": ("Coverage (checks assessed)", "Couverture (contrôles évalués)"),
    "scope_explained": (
        "The overall score covers everything assessed today, including machines and checks the previous audit "
        "did not cover. The score on the previous audit's scope compares like with like: the same checks on the "
        "same machines. It is the honest measure of the work done since the previous audit.",
        "Le score global porte sur tout ce qui a été évalué aujourd'hui, y compris des machines et des contrôles "
        "que l'audit précédent ne couvrait pas. Le score sur le périmètre de l'audit précédent compare ce qui "
        "est comparable : les mêmes contrôles sur les mêmes machines. C'est la mesure honnête du travail "
        "accompli depuis le précédent audit.",
    ),
    "in_short": ("In short", "En bref"),
    "trend": ("Score trend over all audits", "Évolution des scores sur tous les audits"),
    "trend_note": ("The thick line is the overall score; thin lines are the areas. A gap means the area could "
                   "not be assessed at that audit.",
                   "Le trait épais est le score global ; les traits fins sont les domaines. Une interruption "
                   "signifie que le domaine n'a pas pu être évalué lors de cet audit."),
    "audits": ("Audits", "Audits"),
    "date": ("Date", "Date"),
    "kind": ("Type", "Type"),
    "score": ("Score", "Score"),
    "critical": ("Critical findings", "Constats critiques"),
    "findings": ("Findings", "Constats"),
    "areas": ("Scores by area", "Scores par domaine"),
    "area": ("Area", "Domaine"),
    "what_changed": ("What changed", "Ce qui a changé"),
    "cat_resolved": ("Resolved", "Corrigés"),
    "cat_regressed": ("Regressions (on what the previous audit covered)",
                      "Dégradations (sur ce que couvrait l'audit précédent)"),
    "cat_new": ("New findings (machines or checks not covered before)",
                "Nouveaux constats (machines ou contrôles non couverts auparavant)"),
    "cat_persisting": ("Still present", "Toujours présents"),
    "cat_accepted": ("Now covered by an accepted risk (not a fix)",
                     "Désormais couverts par un risque accepté (ce n'est pas une correction)"),
    "cat_unverified": ("Could not be assessed this time (not counted as resolved)",
                       "Non évalués cette fois (non comptés comme corrigés)"),
    "severity": ("Severity", "Gravité"),
    "check": ("Check", "Contrôle"),
    "asset": ("Affected", "Concerné"),
    "whole_check": ("(the check as a whole)", "(le contrôle dans son ensemble)"),
    "reopened": ("came back after a fix", "réapparu après correction"),
    "more": ("… and {count} more (see `auditor diff`)", "… et {count} autres (voir `auditor diff`)"),
    "nothing": ("Nothing in this category.", "Rien dans cette catégorie."),
    "coverage_changes": ("Changes in coverage", "Changements de couverture"),
    "coverage_intro": ("These checks were assessed at one audit and not at the other. They are shown as such: "
                       "they are neither progress nor deterioration.",
                       "Ces contrôles ont été évalués lors d'un audit et pas de l'autre. Ils sont présentés "
                       "comme tels : ce n'est ni un progrès ni une dégradation."),
    "newly_assessed": ("Assessed for the first time", "Évalué pour la première fois"),
    "no_longer_assessed": ("Not assessed this time", "Non évalué cette fois"),
    "reason": ("Why", "Pourquoi"),
    "machines": ("Machines new to the inventory: {new}. Machines no longer seen: {gone}.",
                 "Machines nouvelles dans l'inventaire : {new}. Machines qui n'apparaissent plus : {gone}."),
    "roadmap": ("Roadmap progress", "Avancement de la feuille de route"),
    "roadmap_intro": ("An item is done only when the checks that define it pass at this audit: progress is "
                      "verified by evidence, not declared.",
                      "Une action n'est terminée que lorsque les contrôles qui la définissent sont conformes "
                      "lors de cet audit : l'avancement est vérifié par les faits, pas déclaré."),
    "item": ("Item", "Action"),
    "status": ("Status", "Statut"),
    "target": ("Target date", "Échéance"),
    "remaining": ("Still affected", "Encore concernés"),
    "st_done": ("Done (verified)", "Terminée (vérifiée)"),
    "st_open": ("Still open", "Encore ouverte"),
    "st_regressed": ("Regressed", "Régressée"),
    "st_unverified": ("Not verifiable this time", "Non vérifiable cette fois"),
    "st_accepted": ("Risk accepted", "Risque accepté"),
    "st_new": ("New", "Nouvelle"),
    "overdue": ("late", "en retard"),
    "indicators": ("Indicators for the review meeting", "Indicateurs pour la réunion de suivi"),
    "recurring": ("Findings present at several consecutive audits", "Constats présents à plusieurs audits consécutifs"),
    "recurring_value": ("{count} finding(s), of which the longest-standing:",
                        "{count} constat(s), dont les plus anciens :"),
    "consecutive": ("Consecutive audits", "Audits consécutifs"),
    "reopened_count": ("Findings that came back after being fixed (whole history)",
                       "Constats réapparus après correction (tout l'historique)"),
    "median": ("Median time to remediate a finding", "Délai médian de correction d'un constat"),
    "median_value": ("{days} days ({count} findings remediated; measured from the audit that first found them to "
                     "the first audit that no longer did)",
                     "{days} jours ({count} constats corrigés ; mesuré de l'audit qui les a relevés à "
                     "l'audit suivant qui ne les relève plus)"),
    "no_median": ("Not yet measurable: no finding has been seen fixed at a later audit.",
                  "Pas encore mesurable : aucun constat n'a encore été constaté corrigé lors d'un audit suivant."),
    "critical_over_time": ("Critical findings at each audit", "Constats critiques à chaque audit"),
    "method": ("How to read this report", "Comment lire ce rapport"),
    "method_text": (
        "Findings are compared check by check and machine by machine (or account by account). <b>Resolved</b>: "
        "present before, assessed again and gone. <b>Regression</b>: something the previous audit covered and "
        "found fine is now a finding. <b>New</b>: a finding on a machine or a check the previous audit did not "
        "cover. Something that could not be assessed this time is never counted as resolved.",
        "Les constats sont comparés contrôle par contrôle et machine par machine (ou compte par compte). "
        "<b>Corrigé</b> : présent auparavant, évalué de nouveau et disparu. <b>Dégradation</b> : un point que "
        "l'audit précédent couvrait et jugeait conforme est devenu un constat. <b>Nouveau</b> : un constat sur "
        "une machine ou un contrôle que l'audit précédent ne couvrait pas. Ce qui n'a pas pu être évalué cette "
        "fois n'est jamais compté comme corrigé.",
    ),
    "baseline_note": ("Note: {note}", "Remarque : {note}"),
    "kind_onboarding": ("Onboarding", "Audit initial"),
    "kind_re-audit": ("Re-audit", "Ré-audit"),
    "page_of": ("Page {page} of {total}", "Page {page} sur {total}"),
    "confidential": ("CONFIDENTIAL", "CONFIDENTIEL"),
}

AREA_COLOURS = (colors.HexColor("#2A7F8E"), colors.HexColor("#D9480F"), colors.HexColor("#6B4FA0"),
                colors.HexColor("#2F8A4C"), colors.HexColor("#C98A00"), colors.HexColor("#3B6FB6"),
                colors.HexColor("#9B1C1C"), colors.HexColor("#7A8594"))
CATEGORY_COLOURS = {"resolved": STATUS_COLOURS["pass"], "regressed": STATUS_COLOURS["fail"],
                    "new": SEVERITY_COLOURS["high"], "persisting": STATUS_COLOURS["partial"],
                    "accepted": STATUS_COLOURS["accepted"], "unverified": STATUS_COLOURS["not_assessed"]}
ITEM_COLOURS = {"done": STATUS_COLOURS["pass"], "open": STATUS_COLOURS["partial"], "regressed": STATUS_COLOURS["fail"],
                "unverified": STATUS_COLOURS["not_assessed"], "accepted": STATUS_COLOURS["accepted"], "new": TEAL}


def w(key: str, lang: Language, **values: object) -> str:
    en, fr = WORDS[key]
    text = fr if lang == "fr" else en
    return text.format(**values) if values else text


def render_reaudit_pdf(store: object, new_id: str, out: str | Path | io.BytesIO, *, lang: Language | None = None,
                       old_id: str | None = None, branding: Branding | None = None,
                       issued: dt.date | None = None) -> None:
    """Render the re-audit report of a stored audit against the one before it (or `old_id`)."""
    from auditor.store import Store

    assert isinstance(store, Store)
    diff = compare(store, new_id, old_id)
    new = store.get(diff.new_id)
    figures = indicators(store, diff.client_id, up_to=diff.new_id)
    render_reaudit(diff, figures, new, out, lang=lang, branding=branding, issued=issued)


def render_reaudit(diff: AuditDiff, figures: Indicators, new: Audit, out: str | Path | io.BytesIO, *,
                   lang: Language | None = None, branding: Branding | None = None,
                   issued: dt.date | None = None) -> None:
    """Render from an already computed diff and indicators (pure: no store)."""
    _Builder(diff, figures, new, lang or new.language, resolve_branding(new, branding), issued or today()).build(out)


class _Builder:
    def __init__(self, diff: AuditDiff, figures: Indicators, new: Audit, lang: Language, branding: Branding,
                 issued: dt.date) -> None:
        self.diff, self.figures, self.new, self.lang = diff, figures, new, lang
        self.branding, self.issued = branding, issued
        self.s: Styles = make_styles()
        self.titles = {c.id: c.title for c in new.checks}
        self.titles.update({c.check_id: c.title for c in diff.checks if c.check_id not in self.titles})

    # helpers
    def w(self, key: str, **values: object) -> str:
        return w(key, self.lang, **values)

    def p(self, text: str, style: Any = None) -> Paragraph:
        return Paragraph(esc(displayable(text)), style or self.s.body)

    def pm(self, markup: str, style: Any = None) -> Paragraph:
        return Paragraph(markup, style or self.s.body)

    def cell(self, text: str, *, bold: bool = False, colour: colors.Color | None = None) -> Paragraph:
        markup = esc(displayable(text))
        if colour is not None:
            markup = f'<font color="{colour.hexval()}">{markup}</font>'
        return Paragraph(markup, self.s.cell_bold if bold else self.s.cell)

    def hcell(self, text: str) -> Paragraph:
        return Paragraph(esc(text), self.s.header_cell)

    def heading(self, text: str, level: int) -> Heading:
        style = self.s.h1 if level == 0 else self.s.h2
        return Heading(esc(text), ParagraphStyle(f"reaudit{level}", parent=style, spaceBefore=14), level, text)

    def num(self, value: float | None, digits: int = 1, signed: bool = False) -> str:
        if value is None:
            return "–"
        text = format_number(abs(value) if signed else value, self.lang, digits)
        return (("+" if value >= 0 else "−") + text) if signed else text

    def date(self, value: dt.date) -> str:
        return format_date(value, self.lang)

    def table(self, rows: list[list[Any]], widths: Sequence[float], extra: Sequence[tuple] = ()) -> Table:
        table = Table(rows, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
        commands: list[tuple] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4), ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ]
        if len(rows) > 2:
            commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]))
        table.setStyle(TableStyle([*commands, *extra]))
        return table

    # document
    def build(self, out: str | Path | io.BytesIO) -> None:
        title = self.w("title")
        msp = self.branding.msp_name or ""
        header_left = displayable(" — ".join(x for x in (msp, self.diff.client_name, title) if x))
        doc = AuditDocTemplate(str(out) if isinstance(out, Path) else out, styles=self.s, header_left=header_left,
                               header_right=self.branding.confidentiality or self.w("confidential"),
                               footer_left=f"{self.diff.old_id} → {self.diff.new_id}",
                               title=f"{title} — {self.diff.client_name}", author=msp or "msp-posture-auditor",
                               subject=self.diff.new_id, lang=self.lang, with_toc=False, with_cover=False)
        story: list[Flowable] = []
        story += self.opening()
        story += self.trend()
        story += self.changes()
        story += self.coverage()
        story += self.roadmap()
        story += self.meeting()
        story += self.method()
        canvas = numbered_canvas(lambda page, total: self.w("page_of", page=page, total=total),
                                 self.s.fonts.regular, skip_first=False)
        doc.multiBuild(story, canvasmaker=canvas, maxPasses=3)

    def opening(self) -> list[Flowable]:
        d, s = self.diff, self.diff.scores
        story: list[Flowable] = [self.p(self.w("title"), self.s.title), self.p(d.client_name, self.s.subtitle)]
        story.append(self.p(self.w("since", old=self.date(d.old_collected_at.date()),
                                   new=self.date(d.new_collected_at.date()))))
        story.append(self.p(self.w("refs", old=d.old_id, new=d.new_id) + " · "
                            + self.w("issued", date=self.date(self.issued)), self.s.tiny))
        story.append(Spacer(1, 4 * mm))
        story.append(Heading(esc(self.w("key_figures")), self.s.h2, 0, self.w("key_figures")))

        def delta_cell(value: float | None) -> Paragraph:
            colour = MUTED if value is None or value == 0 else (STATUS_COLOURS["pass"] if value > 0
                                                               else STATUS_COLOURS["fail"])
            return self.cell(self.num(value, signed=True), bold=True, colour=colour)

        rows = [
            [self.hcell(""), self.hcell(self.w("before")), self.hcell(self.w("after")), self.hcell(self.w("change"))],
            [self.cell(self.w("overall"), bold=True), self.cell(self.num(s.old_overall)),
             self.cell(self.num(s.new_overall), bold=True), delta_cell(s.delta)],
            [self.cell(self.w("scope_score"), bold=True), self.cell(self.num(s.baseline_scope_previous)),
             self.cell(self.num(s.baseline_scope), bold=True), delta_cell(s.baseline_scope_delta)],
            [self.cell(self.w("grade")), self.cell(s.old_grade, colour=GRADE_COLOURS.get(s.old_grade), bold=True),
             self.cell(s.new_grade, colour=GRADE_COLOURS.get(s.new_grade), bold=True), self.cell("")],
            [self.cell(self.w("coverage")), self.cell(self.num(s.old_coverage, 0) + " %"),
             self.cell(self.num(s.new_coverage, 0) + " %"), self.cell(self.num(s.coverage_delta, 0, True))],
        ]
        widths = [CONTENT_WIDTH * 0.46, CONTENT_WIDTH * 0.18, CONTENT_WIDTH * 0.18, CONTENT_WIDTH * 0.18]
        story.append(self.table(rows, widths, extra=[("BACKGROUND", (0, 2), (-1, 2), PALE),
                                                     ("BOX", (0, 2), (-1, 2), 1, TEAL)]))
        story.append(Spacer(1, 2 * mm))
        story.append(self.p(self.w("scope_explained"), self.s.small))
        counts = d.counts()
        tiles = [[self.pm(f'<font size="17" color="{CATEGORY_COLOURS[c].hexval()}"><b>{counts[c]}</b></font>',
                          self.s.centered) for c in CATEGORIES[:4]],
                 [self.p(self.w(f"cat_{c}").split(" (")[0], self.s.centered) for c in CATEGORIES[:4]]]
        grid = Table(tiles, colWidths=[CONTENT_WIDTH / 4] * 4, rowHeights=[24, None])
        grid.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, RULE), ("INNERGRID", (0, 0), (-1, -1), 0.5, RULE),
                                  ("BACKGROUND", (0, 0), (-1, -1), PALE), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        story += [Spacer(1, 3 * mm), grid, Spacer(1, 4 * mm)]
        story.append(Heading(esc(self.w("in_short")), self.s.h2, 0, self.w("in_short")))
        for line in summary_lines(d, self.lang):
            story.append(self.p("• " + line))
        if s.baseline_note:
            story.append(self.p(self.w("baseline_note", note=s.baseline_note), self.s.tiny))
        return story

    def trend(self) -> list[Flowable]:
        points = self.figures.trend
        story: list[Flowable] = [CondPageBreak(110 * mm), self.heading(self.w("trend"), 0)]
        areas = sorted({a for p in points for a in p.areas})
        story.append(trend_chart(points, areas, [area_title(a, self.lang) for a in areas],
                                 [self.short_date(p.collected_at.date()) for p in points],
                                 overall_label=self.w("overall"), font=self.s.fonts.regular,
                                 bold=self.s.fonts.bold, width=CONTENT_WIDTH))
        story.append(self.p(self.w("trend_note"), self.s.tiny))
        rows = [[self.hcell(self.w("date")), self.hcell(self.w("kind")), self.hcell(self.w("score")),
                 self.hcell(self.w("grade")), self.hcell(self.w("coverage").split(" (")[0]),
                 self.hcell(self.w("findings")), self.hcell(self.w("critical"))]]
        for p in points:
            rows.append([self.cell(self.date(p.collected_at.date())), self.cell(self.w(f"kind_{p.kind}")),
                         self.cell(self.num(p.overall), bold=True),
                         self.cell(p.grade, bold=True, colour=GRADE_COLOURS.get(p.grade)),
                         self.cell(self.num(p.coverage, 0) + " %"), self.cell(str(p.findings)),
                         self.cell(str(p.critical_findings))])
        story += [Spacer(1, 2 * mm), self.table(rows, [CONTENT_WIDTH * x for x in
                                                       (0.22, 0.16, 0.11, 0.09, 0.14, 0.12, 0.16)])]
        rows = [[self.hcell(self.w("area")), self.hcell(self.w("before")), self.hcell(self.w("after")),
                 self.hcell(self.w("change"))]]
        for area in self.diff.scores.areas:
            rows.append([self.cell(area_title(area.area, self.lang)), self.cell(self.num(area.old)),
                         self.cell(self.num(area.new), bold=True),
                         self.cell(self.num(area.delta, signed=True), colour=None if area.delta is None else
                                   (STATUS_COLOURS["pass"] if area.delta > 0 else STATUS_COLOURS["fail"]
                                    if area.delta < 0 else MUTED))])
        story += [Spacer(1, 3 * mm), KeepTogether([self.p(self.w("areas"), self.s.h3),
                                                   self.table(rows, [CONTENT_WIDTH * x
                                                                     for x in (0.52, 0.16, 0.16, 0.16)])])]
        return story

    def short_date(self, value: dt.date) -> str:
        return format_short_date(value, self.lang)

    def changes(self) -> list[Flowable]:
        story: list[Flowable] = [CondPageBreak(60 * mm), self.heading(self.w("what_changed"), 0)]
        for category in CATEGORIES:
            members = self.diff.of(category)
            if not members and category in ("accepted", "unverified"):
                continue
            colour = CATEGORY_COLOURS[category]
            story.append(self.pm(f'<font color="{colour.hexval()}">■</font> {esc(self.w("cat_" + category))} '
                                 f"({len(members)})", self.s.h3))
            if not members:
                story.append(self.p(self.w("nothing"), self.s.small))
                continue
            rows = [[self.hcell(self.w("severity")), self.hcell(self.w("check")), self.hcell(self.w("asset"))]]
            for finding in members[:ROWS_PER_CATEGORY]:
                title = self.titles[finding.check_id].get(self.lang) if finding.check_id in self.titles \
                    else finding.check_id
                asset = shorten(finding.asset, 80) if finding.asset else self.w("whole_check")
                if finding.reopened:
                    asset += f" ({self.w('reopened')})"
                rows.append([self.cell(label(SEVERITY_LABELS, finding.severity.value, self.lang),
                                       colour=SEVERITY_COLOURS[finding.severity.value], bold=True),
                             self.cell(title), self.cell(asset)])
            story.append(self.table(rows, [CONTENT_WIDTH * x for x in (0.14, 0.50, 0.36)]))
            if len(members) > ROWS_PER_CATEGORY:
                story.append(self.p(self.w("more", count=len(members) - ROWS_PER_CATEGORY), self.s.tiny))
        return story

    def coverage(self) -> list[Flowable]:
        d = self.diff
        if not d.coverage and not d.assets:
            return []
        story: list[Flowable] = [CondPageBreak(50 * mm), self.heading(self.w("coverage_changes"), 0),
                                 self.p(self.w("coverage_intro"), self.s.small)]
        if d.coverage:
            rows = [[self.hcell(self.w("check")), self.hcell(self.w("change")), self.hcell(self.w("reason"))]]
            for change in d.coverage:
                rows.append([self.cell(change.title.get(self.lang)), self.cell(self.w(change.change)),
                             self.cell(change.reason.get(self.lang) if change.reason else "")])
            story.append(self.table(rows, [CONTENT_WIDTH * x for x in (0.40, 0.22, 0.38)]))
        if d.assets:
            new = ", ".join(shorten(a.name, 40) for a in d.assets if a.change == "new")[:900] or "–"
            gone = ", ".join(shorten(a.name, 40) for a in d.assets if a.change == "gone")[:900] or "–"
            story.append(Spacer(1, 2 * mm))
            story.append(self.p(self.w("machines", new=new, gone=gone), self.s.small))
        return story

    def roadmap(self) -> list[Flowable]:
        items = self.diff.roadmap
        story: list[Flowable] = [CondPageBreak(60 * mm), self.heading(self.w("roadmap"), 0),
                                 self.p(self.w("roadmap_intro"), self.s.small)]
        if not items:
            return [*story, self.p(self.w("nothing"), self.s.small)]
        rows = [[self.hcell(self.w("item")), self.hcell(self.w("status")), self.hcell(self.w("target")),
                 self.hcell(self.w("remaining"))]]
        for item in items:
            target = self.short_date(item.target_date) if item.target_date else "–"
            if item.overdue:
                target += f" ({self.w('overdue')})"
            remaining = ", ".join(shorten(a, 40) for a in item.remaining_assets[:6])
            if len(item.remaining_assets) > 6:
                remaining += f" (+{len(item.remaining_assets) - 6})"
            rows.append([self.cell(item.title.get(self.lang)),
                         self.cell(self.w(f"st_{item.status}"), bold=True, colour=ITEM_COLOURS[item.status]),
                         self.cell(target, colour=STATUS_COLOURS["fail"] if item.overdue else None),
                         self.cell(remaining)])
        story.append(self.table(rows, [CONTENT_WIDTH * x for x in (0.38, 0.22, 0.17, 0.23)]))
        return story

    def meeting(self) -> list[Flowable]:
        f = self.figures
        story: list[Flowable] = [CondPageBreak(80 * mm), self.heading(self.w("indicators"), 0)]
        story.append(self.p(self.w("recurring"), self.s.h3))
        story.append(self.p(self.w("recurring_value", count=f.recurring_count), self.s.small))
        if f.recurring:
            rows = [[self.hcell(self.w("check")), self.hcell(self.w("asset")), self.hcell(self.w("consecutive"))]]
            for r in f.recurring:
                title = self.titles[r.check_id].get(self.lang) if r.check_id in self.titles else r.check_id
                rows.append([self.cell(title), self.cell(shorten(r.asset, 60) or self.w("whole_check")),
                             self.cell(str(r.consecutive_audits), bold=True)])
            story.append(self.table(rows, [CONTENT_WIDTH * x for x in (0.50, 0.32, 0.18)]))
        story.append(self.p(self.w("median"), self.s.h3))
        if f.median_days_to_remediate is None:
            story.append(self.p(self.w("no_median"), self.s.small))
        else:
            story.append(self.p(self.w("median_value", days=self.num(f.median_days_to_remediate, 0),
                                       count=f.remediated_count), self.s.body))
        story.append(self.p(self.w("reopened_count"), self.s.h3))
        story.append(self.p(str(f.reopened_count), self.s.body))
        story.append(KeepTogether([
            self.p(self.w("critical_over_time"), self.s.h3),
            count_bars([p.critical_findings for p in f.trend], [self.short_date(p.collected_at.date())
                                                                 for p in f.trend],
                       font=self.s.fonts.regular, bold=self.s.fonts.bold, width=CONTENT_WIDTH,
                       colour=SEVERITY_COLOURS["critical"]),
        ]))
        return story

    def method(self) -> list[Flowable]:
        return [CondPageBreak(40 * mm), self.heading(self.w("method"), 0),
                self.pm(self.w("method_text"), self.s.small)]


def _ticks(count: int, most: int = 8) -> set[int]:
    """Which points get a date label: evenly spaced, always the last one, never two labels too close."""
    step = max(1, -(-count // most))
    shown = set(range(0, count, step))
    if count - 1 not in shown:
        shown.discard(max(shown))
        shown.add(count - 1)
    return shown


def trend_chart(points: Sequence[Any], areas: Sequence[str], area_labels: Sequence[str], x_labels: Sequence[str],
                *, font: str, bold: str, width: float, height: float = 72 * mm,
                overall_label: str = "Overall score") -> Drawing:
    """Overall score (thick) and area scores (thin) per audit on a 0-100 scale; a gap where not assessed.

    Drawn by hand (like the report's area bars) so long localised legends and many audits lay out
    predictably; the overall values are written above their points so they survive text extraction.
    """
    legend_rows = -(-(len(areas) + 1) // 3)
    legend_height = legend_rows * 12 + 6
    drawing = Drawing(width, height + legend_height)
    left, right, bottom, top = 28, width - 10, legend_height + 22, height + legend_height - 10
    for tick in (0, 25, 50, 75, 100):
        y = bottom + (top - bottom) * tick / 100
        drawing.add(Line(left, y, right, y, strokeColor=RULE, strokeWidth=0.5,
                         strokeDashArray=None if tick in (0, 100) else [2, 2]))
        drawing.add(String(left - 4, y - 3, str(tick), fontName=font, fontSize=7, fillColor=MUTED, textAnchor="end"))
    count = len(points)

    def x_of(index: int) -> float:
        return (left + right) / 2 if count == 1 else left + 12 + (right - left - 24) * index / (count - 1)

    def y_of(value: float) -> float:
        return bottom + (top - bottom) * max(0.0, min(100.0, value)) / 100

    def series(values: Sequence[float | None], colour: colors.Color, stroke: float) -> None:
        run: list[float] = []
        for index, value in enumerate([*values, None]):
            if value is None:
                if len(run) >= 4:
                    drawing.add(PolyLine(run, strokeColor=colour, strokeWidth=stroke))
                elif len(run) == 2:
                    drawing.add(Circle(run[0], run[1], stroke + 0.6, fillColor=colour, strokeColor=colour))
                run = []
            else:
                run += [x_of(index), y_of(value)]

    for index, area in enumerate(areas):
        series([p.areas.get(area) for p in points], AREA_COLOURS[index % len(AREA_COLOURS)], 1.0)
    overall = [p.overall for p in points]
    series(overall, NAVY, 2.6)
    shown = _ticks(count)
    for index, value in enumerate(overall):
        if value is not None:
            drawing.add(Circle(x_of(index), y_of(value), 2.6, fillColor=NAVY, strokeColor=colors.white,
                               strokeWidth=0.6))
            if index in shown:
                drawing.add(String(x_of(index), y_of(value) + 5, f"{value:.0f}", fontName=bold, fontSize=7.5,
                                   fillColor=INK, textAnchor="middle"))
    for index, text in enumerate(x_labels):
        if index in shown:
            drawing.add(String(x_of(index), bottom - 12, text, fontName=font, fontSize=7, fillColor=MUTED,
                               textAnchor="middle"))
    entries = [(overall_label, NAVY, 2.6)] + [(lbl, AREA_COLOURS[i % len(AREA_COLOURS)], 1.0)
                                              for i, lbl in enumerate(area_labels)]
    column = (right - left) / 3
    for index, (text, colour, stroke) in enumerate(entries):
        x = left + column * (index % 3)
        y = legend_height - 10 - 12 * (index // 3)
        drawing.add(Line(x, y + 3, x + 14, y + 3, strokeColor=colour, strokeWidth=stroke))
        drawing.add(String(x + 18, y, text[:44], fontName=bold if index == 0 else font, fontSize=7.5,
                           fillColor=INK))
    return drawing


def count_bars(values: Sequence[int], x_labels: Sequence[str], *, font: str, bold: str, width: float,
               colour: colors.Color, height: float = 40 * mm) -> Drawing:
    """One bar per audit with its count written on top (critical findings over time)."""
    drawing = Drawing(width, height)
    left, right, bottom, top = 10, width - 10, 16, height - 12
    drawing.add(Line(left, bottom, right, bottom, strokeColor=RULE, strokeWidth=0.6))
    most = max([*values, 1])
    count = max(len(values), 1)
    slot = (right - left) / count
    shown = _ticks(count)
    for index, value in enumerate(values):
        x = left + slot * index + slot * 0.2
        bar = (top - bottom) * value / most
        drawing.add(Rect(x, bottom, slot * 0.6, max(bar, 0.8), fillColor=colour if value else RULE, strokeColor=None))
        drawing.add(String(x + slot * 0.3, bottom + bar + 3, str(value), fontName=bold, fontSize=7.5, fillColor=INK,
                           textAnchor="middle"))
        if index in shown:
            drawing.add(String(x + slot * 0.3, bottom - 10, x_labels[index], fontName=font, fontSize=7,
                               fillColor=MUTED, textAnchor="middle"))
    return drawing

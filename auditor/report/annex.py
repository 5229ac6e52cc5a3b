"""The contract annex: the improvement plan as the maintenance contract attaches it.

Unlike the report, the annex is a commitment: scope, planned items with effort, price and target date,
how each item is accepted (its checks pass at the next audit), and a signature block for both parties.
It stays short and factual; the findings themselves are in the report.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, NextPageTemplate, Spacer, Table, TableStyle

from auditor.i18n import format_date, format_hours, phase_label
from auditor.models import Audit, Language, RoadmapItem
from auditor.report.document import CONTENT_WIDTH, AuditDocTemplate, numbered_canvas, today
from auditor.report.fonts import displayable
from auditor.report.labels import t
from auditor.report.options import Branding, resolve_branding
from auditor.report.pdf import _ReportBuilder, logo_flowable
from auditor.report.styles import NAVY, RULE, SEVERITY_COLOURS
from auditor.report.text import esc, shorten


def render_annex_pdf(
    audit: Audit,
    out: str | Path | io.BytesIO,
    *,
    lang: Language | None = None,
    branding: Branding | None = None,
    issued: dt.date | None = None,
) -> None:
    """Render the contract annex (improvement plan with signature block) for `audit` to `out`."""
    _AnnexBuilder(audit, lang or audit.language, resolve_branding(audit, branding), issued or today(),
                  12).build_annex(out)


class _AnnexBuilder(_ReportBuilder):
    def build_annex(self, out: str | Path | io.BytesIO) -> None:
        audit, s, lang = self.audit, self.s, self.lang
        roadmap = audit.roadmap
        msp = self.branding.msp_name or ""
        title = self.t("annex_title")
        doc = AuditDocTemplate(
            str(out) if isinstance(out, Path) else out, styles=s,
            header_left=displayable(" — ".join(x for x in (msp, audit.client_name, title) if x)),
            header_right=self.branding.confidentiality or self.t("confidential"),
            footer_left=f"{self.t('audit_id')} {audit.id}", title=f"{title} — {audit.client_name}",
            author=msp or "msp-posture-auditor", subject=audit.id, lang=lang, with_toc=False, with_cover=False)
        story: list[Flowable] = [NextPageTemplate("body")]
        logo = logo_flowable(self.branding.msp_logo, 45 * mm, 16 * mm)
        if logo is not None:
            story += [logo, Spacer(1, 4 * mm)]
        story.append(self.heading(title, 0))
        story.append(self.p(self.t("annex_basis", audit_id=audit.id,
                                   date=format_date(audit.collected_at.date(), lang),
                                   score=self.score_text(audit.scores.overall), grade=audit.scores.grade)))
        story.append(self.heading(self.t("annex_parties"), 1))
        parties = [[self.cell(self.t("annex_service_provider"), bold=True),
                    self.cell(" — ".join(x for x in (msp, self.branding.msp_contact or "") if x) or "…")],
                   [self.cell(self.t("annex_client"), bold=True), self.cell(audit.client_name)]]
        story.append(self.table(parties, [50 * mm, CONTENT_WIDTH - 50 * mm], header=False, zebra=False))
        story.append(self.heading(self.t("annex_scope"), 1))
        scope = ", ".join(audit.provenance.scope) or self.t("none")
        story.append(self.p(self.t("annex_scope_text", scope=scope)))
        story.append(self.heading(self.t("annex_terms"), 1))
        story.append(self.p(self.t("annex_terms_text", rate=self.money(roadmap.hourly_rate),
                                   monthly=format_hours(roadmap.monthly_hours, lang),
                                   start=format_date(roadmap.start_date, lang))))
        story += self.roadmap_glance()[2:]  # the at-a-glance sentence and phase table, without its heading
        story.append(self.heading(self.t("annex_plan"), 1))
        if not roadmap.items:
            story.append(self.p(self.t("no_roadmap")))
        for phase, items in self.view.phases():
            story.append(self.heading(phase_label(phase, lang), 2))
            if phase == 0:
                story.append(self.p(self.t("outside_contract_note"), s.small))
            story.append(self.annex_table(items))
        # Acceptance terms and signatures stay on one page: a signature page must not stand alone.
        story.append(KeepTogether([self.heading(self.t("annex_acceptance"), 1),
                                   self.p(self.t("annex_acceptance_text")), *self.signature_block()]))
        canvas = numbered_canvas(lambda page, total: t("page_of", lang, page=page, total=total),
                                 s.fonts.regular, skip_first=False)
        doc.build(story, canvasmaker=canvas)

    def annex_table(self, items: list[RoadmapItem]) -> Table:
        s, lang = self.s, self.lang
        rows: list[list[Any]] = [[self.hcell(self.t("item")), self.hcell(self.t("effort")),
                                  self.hcell(self.t("price")), self.hcell(self.t("target")),
                                  self.hcell(self.t("acceptance"))]]
        for item in items:
            assets = ", ".join(shorten(a, 80) for a in item.assets[:8])
            assets += f" (+{len(item.assets) - 8})" if len(item.assets) > 8 else ""
            cell = [self.pm(f"<b>{esc(item.id)}</b> · "
                            f"{self.badge(self.severity(item.severity.value), SEVERITY_COLOURS[item.severity.value])}",
                            s.tiny),
                    self.pm(f"<b>{esc(item.title.get(lang))}</b>", s.cell),
                    self.p(item.remediation.get(lang), s.tiny)]
            if assets:
                cell.append(self.pm(f"{self.lbl('assets_in_scope')} {esc(assets)}", s.tiny))
            if item.depends_on:
                cell.append(self.pm(f"{self.lbl('depends_on')} {esc(', '.join(item.depends_on))}", s.tiny))
            acceptance = "<br/>".join(f"{esc(title)} <font color='#5F6B7A'>({esc(cid)})</font>" for cid, title in
                                      zip(item.acceptance_checks,
                                          self.view.check_titles(item.acceptance_checks, lang), strict=True))
            rows.append([cell, format_hours(item.effort_hours, lang), self.money(item.price),
                         self.cell(format_date(item.target_date, lang) if item.target_date else "–"),
                         self.pm(acceptance, s.tiny)])
        widths = [62 * mm, 14 * mm, 21 * mm, 31 * mm]
        widths.append(CONTENT_WIDTH - sum(widths))
        return self.table(rows, widths, extra=[("ALIGN", (1, 1), (2, -1), "RIGHT")])

    def signature_block(self) -> list[Flowable]:
        s = self.s
        msp = self.branding.msp_name or self.t("the_msp")

        def column(party: str) -> list[Flowable]:
            return [self.pm(f"<b>{esc(self.t('sign_for', party=party))}</b>", s.body), Spacer(1, 4 * mm),
                    self.p(self.t("sign_name"), s.small), Spacer(1, 7 * mm),
                    self.p(self.t("sign_date"), s.small), Spacer(1, 7 * mm),
                    self.p(self.t("sign_signature"), s.small), Spacer(1, 22 * mm)]

        half = CONTENT_WIDTH / 2
        table = Table([[column(msp), column(self.audit.client_name)]], colWidths=[half, half])
        table.setStyle(TableStyle([("BOX", (0, 0), (0, 0), 0.6, RULE), ("BOX", (1, 0), (1, 0), 0.6, RULE),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 8),
                                   ("LINEABOVE", (0, 0), (-1, 0), 1.2, NAVY), ("TOPPADDING", (0, 0), (-1, -1), 6)]))
        return [self.heading(self.t("signatures"), 1), table]


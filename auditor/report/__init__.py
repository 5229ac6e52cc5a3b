"""Client-ready deliverables rendered from an `Audit`: the PDF report and the contract annex.

The report is what an MSP hands a client's manager, so it is written for a non-technical reader, in
French or English, with every technical detail (complete asset lists, plugin runs, digests) kept for the
appendix and the methodology section.  Rendering is a pure function of an audit plus branding options:
no network, no evidence files, so any stored audit can be re-rendered later in either language.
"""

from __future__ import annotations

from auditor.report.annex import render_annex_pdf
from auditor.report.options import Branding, branding_from_profile, branding_from_profile_json
from auditor.report.pdf import render_report_pdf

__all__ = ["Branding", "branding_from_profile", "branding_from_profile_json", "render_annex_pdf", "render_report_pdf"]

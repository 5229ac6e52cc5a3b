"""The client PDF report: essential content in both languages, hostile strings as text, long lists cut in
the body and complete in the appendix, bookmarks, page numbers, and pages that render to images."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from auditor.models import AffectedAsset
from auditor.report.fonts import displayable
from auditor.report.labels import TEXT
from auditor.report.text import esc
from tests.report.conftest import pdf_text, render
from tests.report.factory import (
    HOSTILE_FORMULA,
    HOSTILE_LONG,
    HOSTILE_NAME,
    HOSTILE_QUOTE,
    make_audit,
)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_french_report_has_the_essential_content(report_fr: bytes, audit) -> None:
    text = pdf_text(report_fr)
    for expected in (
        "Audit de sécurité du système",
        "Cabinet Durand & Associés",
        "Alpes Infogérance",
        "Audit initial",
        "CONFIDENTIEL",
        "Synthèse pour la direction",
        "Les cinq risques les plus importants",
        "Le plan d'action en un coup d'œil",
        "Ports ouverts et services exposés",
        "Hygiène des comptes (Active Directory)",
        "Sauvegarde et restauration",
        "Bureau à distance exposé sur Internet",
        "Fermer le port 3389 sur le pare-feu",
        "Les attaquants recherchent le bureau à distance",
        "Graph a répondu 403",
        "Plan d'amélioration",
        "Mois par mois",
        "décembre 2026",
        "Méthodologie et périmètre",
        "AUT-2026-031",
        "Hélène Durand, gérante",
        "10.20.0.0/24",
        "20 novembre 2026",
        "3 363,00 €",
        "Page 3 sur",
        "Inventaire des machines",
        "Risque accepté par Hélène Durand, valable jusqu'au 31 mars 2027",
    ):
        assert expected in text, expected
    assert "b" * 64 in squash(text)  # the evidence bundle digest (wrapped in its cell)
    # Grade and score of the summary, and every plugin's run status (error and skipped included).
    assert f"{audit.scores.overall:.1f}/100".replace(".", ",") in text
    for status in ("Terminé", "Erreur", "Ignoré"):
        assert status in text
    assert "HTTP 500 from <console> & co" in text
    assert "Remote Desktop exposed" not in text  # no English check text leaks into the French report


def test_english_report_has_the_essential_content(report_en: bytes) -> None:
    text = pdf_text(report_en)
    for expected in (
        "Security posture audit",
        "Onboarding audit",
        "CONFIDENTIAL",
        "Executive summary",
        "The five most important risks",
        "Open ports and exposed services",
        "Remote Desktop exposed to the internet",
        "Close port 3389 on the firewall and use a VPN with MFA.",
        "Improvement roadmap",
        "Month by month",
        "December 2026",
        "Methodology and scope",
        "How the score is computed",
        "20 November 2026",
        "€3,363.00",
        "Page 3 of",
        "Graph answered 403",
    ):
        assert expected in text, expected
    assert "Bureau à distance" not in text


def test_hostile_strings_appear_verbatim(report_fr: bytes, report_en: bytes) -> None:
    for data in (report_fr, report_en):
        text = pdf_text(data)
        assert HOSTILE_NAME in text  # `<b>Bob & Co` is text, not markup
        assert HOSTILE_QUOTE in text
        assert HOSTILE_FORMULA in text
        # Every right-to-left letter is there (their order depends on python-bidi, tested below).
        assert set("שרתקבצים") <= set(text)
        # The 304-character name is wrapped, never cut, in the appendix.
        assert HOSTILE_LONG in squash(text)


def test_right_to_left_names_read_in_order(report_en: bytes) -> None:
    """With python-bidi, RTL runs are drawn in visual order, so extractors give them back in reading order
    (digits may be moved by the extractor's own reordering)."""
    pytest.importorskip("bidi", reason="python-bidi is not installed: RTL names are drawn in logical order")
    assert "שרת-קבצים" in pdf_text(report_en)


def test_long_lists_are_cut_in_the_body_and_complete_in_the_appendix() -> None:
    audit = make_audit(extra_affected=60, hostile=False)
    text = pdf_text(render(audit, lang="en"))
    assert "… and 52 more, see appendix A.1." in text  # 64 end-of-support machines, 12 shown in the body
    for index in range(60):
        assert text.count(f"PC-{index:05d}.durand.local") == (2 if index < 8 else 1)
    assert "A.1 Operating systems past end of support (64)" in text


def test_bookmarks_and_contents(report_fr: bytes) -> None:
    reader = PdfReader(io.BytesIO(report_fr))
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top == ["Synthèse pour la direction", "Constats par domaine", "Plan d'amélioration",
                   "Méthodologie et périmètre", "Annexes"]
    outline = list(reader.outline)
    children = outline[outline.index(next(i for i in outline if getattr(i, "title", "") == "Constats par domaine")) + 1]
    assert "Ports ouverts et services exposés" in [c.title for c in children if not isinstance(c, list)]
    contents_page = reader.pages[1].extract_text()
    assert "Sommaire" in contents_page and "Méthodologie et périmètre" in contents_page
    assert reader.metadata.title == "Audit de sécurité du système d'information — Cabinet Durand & Associés"


def test_every_page_but_the_cover_is_numbered(report_en: bytes) -> None:
    reader = PdfReader(io.BytesIO(report_en))
    total = len(reader.pages)
    assert "Page 1 of" not in reader.pages[0].extract_text()
    for number, page in enumerate(reader.pages[1:], start=2):
        assert f"Page {number} of {total}" in page.extract_text()


def test_msp_logo_on_the_cover_and_a_broken_logo_is_not_fatal(tmp_path) -> None:
    from auditor.report import Branding, render_report_pdf

    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 90), (31, 58, 95)).save(logo)
    audit = make_audit(hostile=False)
    buffer = io.BytesIO()
    render_report_pdf(audit, buffer, lang="fr", branding=Branding(msp_name="Alpes", msp_logo=logo))
    cover = PdfReader(io.BytesIO(buffer.getvalue())).pages[0]
    assert len(cover.images) == 1
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    buffer = io.BytesIO()
    render_report_pdf(audit, buffer, lang="fr", branding=Branding(msp_name="Alpes", msp_logo=broken))
    cover_text = PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text()
    assert "Alpes" in cover_text


def test_the_msp_carried_by_the_audit_brands_the_report_unless_overridden() -> None:
    from auditor.report import Branding, render_report_pdf

    audit = make_audit(hostile=False).model_copy(update={"msp_name": "Infogérance du Lac",
                                                         "msp_logo": "/nonexistent/logo.png"})
    buffer = io.BytesIO()
    render_report_pdf(audit, buffer, lang="fr")
    assert "Infogérance du Lac" in PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text()
    buffer = io.BytesIO()
    render_report_pdf(audit, buffer, lang="fr", branding=Branding(msp_name="Autre MSP"))
    cover = PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text()
    assert "Autre MSP" in cover and "Infogérance du Lac" not in cover


def test_re_audit_and_managed_scope_are_stated() -> None:
    audit = make_audit(kind="re-audit", hostile=False)
    audit = audit.model_copy(update={"scores": audit.scores.model_copy(
        update={"managed_overall": 42.0, "managed_grade": "E"})})
    text = pdf_text(render(audit, lang="fr"))
    assert "Audit de suivi" in text
    assert "Score du périmètre couvert par le contrat de maintenance : 42 (note E)." in text


def test_planning_warnings_are_listed() -> None:
    audit = make_audit(hostile=False)
    warnings = ("RM-close_rdp: critical work exceeds the first month's contract hours (planned for month 2); "
                "the contract's monthly hours are too few", "RM-x: a warning the report does not know")
    audit = audit.model_copy(update={"roadmap": audit.roadmap.model_copy(update={"warnings": warnings})})
    text = " ".join(pdf_text(render(audit, lang="fr")).split())
    assert "Alertes de planification" in text
    assert ("RM-close_rdp : les travaux critiques dépassent les heures du premier mois du contrat (prévus au "
            "mois 2) ; les heures mensuelles du contrat sont insuffisantes") in text
    assert "RM-x: a warning the report does not know" in text
    english = " ".join(pdf_text(render(audit, lang="en")).split())
    assert warnings[0] in english


def test_items_outside_the_contract_are_priced_not_planned() -> None:
    audit = make_audit(hostile=False, not_covered=("patch_level.eol_os",))
    text = pdf_text(render(audit, lang="en"))
    assert "Outside the contract" in text
    assert "These items are priced but not planned" in text


def test_an_empty_audit_renders() -> None:
    audit = make_audit(hostile=False)
    empty = audit.model_copy(update={
        "results": (), "checks": (), "inventory": (), "runs": (),
        "scores": audit.scores.model_copy(update={"overall": None, "grade": "-", "areas": (), "coverage": 0.0,
                                                  "assessed_checks": 0, "total_checks": 0, "capped_by": ()}),
        "roadmap": audit.roadmap.model_copy(update={"items": (), "total_hours": 0, "total_price": 0}),
        "provenance": audit.provenance.model_copy(update={"authorisation": {}, "scope": ()}),
    })
    text = pdf_text(render(empty, lang="en"))
    assert "Nothing to plan: no open weakness." in text
    assert "No open weakness was found" in text
    assert "No authorisation record" in text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=120))
def test_any_client_text_renders(name: str) -> None:
    audit = make_audit(hostile=False, hosts=3)
    results = tuple(
        r.model_copy(update={"affected": (AffectedAsset(name=name, kind="host", detail=name),)})
        if r.check_id == "backup.unprotected_servers" else r for r in audit.results)
    audit = audit.model_copy(update={"client_name": name.strip() or "x", "results": results})
    data = render(audit, lang="en")
    assert data.startswith(b"%PDF")
    expected = squash(displayable(name.replace("\r", "")))
    if expected and not re.search("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u202a-\u202e\u2066-\u2069]", name):
        extracted = squash(pdf_text(data))
        assert squash(re.sub(r"[\x00-\x1f\x7f]", "", expected)) in extracted or not name.isprintable()


def test_escaping_and_unsupported_characters() -> None:
    assert esc('<b>Bob & Co "x" \'y\'') == "&lt;b&gt;Bob &amp; Co &quot;x&quot; &#39;y&#39;"
    assert displayable("a😀b") == "a[U+1F600]b"  # beyond the BMP: shown by code point, never dropped
    assert displayable("中") == "[U+4E2D]"  # DejaVu has no CJK glyphs


def test_labels_exist_in_both_languages_with_the_same_placeholders() -> None:
    for key, (en, fr) in TEXT.items():
        assert en and fr, key
        assert sorted(re.findall(r"{(\w+)}", en)) == sorted(re.findall(r"{(\w+)}", fr)), key


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_summary_page_renders_to_an_image(report_fr: bytes, tmp_path) -> None:
    source = tmp_path / "report.pdf"
    source.write_bytes(report_fr)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "3", "-l", "3", str(source), str(tmp_path / "p")],
                   check=True, capture_output=True, timeout=60)
    image = Image.open(next(tmp_path.glob("p-*.png"))).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # gauge, bars and text, not a blank page


def test_month_plan_fills_the_contract_hours_in_roadmap_order() -> None:
    from auditor.report.view import AuditView

    audit = make_audit(hostile=False)
    plan = AuditView(audit).month_plan()
    capacity = audit.roadmap.monthly_hours
    hours = [round(sum(h for _, h in work), 2) for _, work in plan]
    assert all(h == capacity for h in hours[:-1]) and 0 < hours[-1] <= capacity
    assert round(sum(hours), 2) == audit.roadmap.total_hours
    last_month = {}
    for month, work in plan:
        for item, _ in work:
            last_month[item.id] = month
    assert last_month == {i.id: i.target_month for i in audit.roadmap.items if i.in_contract}


def test_contract_annex_content_in_both_languages() -> None:
    audit = make_audit()
    text = " ".join(pdf_text(render(audit, lang="fr", annex=True)).split())  # table cells wrap
    for expected in ("Annexe : plan d'amélioration de la sécurité", "Parties", "Alpes Infogérance",
                     "Cabinet Durand & Associés", "10.20.0.0/24", "95,00 €", "31 décembre 2026",
                     "Bureau à distance exposé sur Internet", "(open_ports.rdp_external)", "Réception",
                     "Signatures", "Pour Alpes Infogérance", "Pour Cabinet Durand & Associés", "Nom et fonction :",
                     "Page 1 sur"):
        assert expected in text, expected
    english = " ".join(pdf_text(render(audit, lang="en", annex=True)).split())
    for expected in ("Annex: security improvement plan", "31 December 2026", "€3,363.00", "Acceptance",
                     "For Alpes Infogérance", "Name and title:", "RM-close_rdp"):
        assert expected in english, expected


def test_oversized_texts_never_break_the_build() -> None:
    """Table rows taller than a page (a 20,000-character error, 2,000-character catalogue texts, assets of 512
    characters) split across pages instead of raising reportlab's LayoutError."""
    from auditor.models import LocalizedText
    from auditor.report import render_annex_pdf, render_report_pdf

    audit = make_audit()
    long = LocalizedText(en="word " * 390 + "end", fr="mot " * 480 + "fin")
    checks = tuple(c.model_copy(update={"title": long, "rationale": long, "remediation": long}) for c in audit.checks)
    runs = tuple(r.model_copy(update={"reason": "E" * 20000}) for r in audit.runs)
    items = tuple(i.model_copy(update={"title": long, "remediation": long,
                                       "assets": tuple("A" * 512 + str(n) for n in range(10)),
                                       "acceptance_checks": tuple(f"x.check_{n}" for n in range(60))})
                  for i in audit.roadmap.items)
    results = tuple(r.model_copy(update={"affected": tuple(AffectedAsset(name="n" * 511 + str(k), detail="d " * 256)
                                                           for k in range(14))}) if r.affected else r
                    for r in audit.results)
    audit = audit.model_copy(update={
        "checks": checks, "runs": runs, "results": results,
        "roadmap": audit.roadmap.model_copy(update={"items": items}),
        "inventory": tuple(a.model_copy(update={"name": "N" * 1000, "os": "O" * 1000}) for a in audit.inventory[:3]),
        "provenance": audit.provenance.model_copy(update={"hostname": "h" * 5000}),
    })
    report = io.BytesIO()
    render_report_pdf(audit, report, lang="fr")
    assert "E" * 900 in squash(pdf_text(report.getvalue()))  # the error is shown (cut at 1,000 characters)
    annex = io.BytesIO()
    render_annex_pdf(audit, annex, lang="en")
    assert len(PdfReader(io.BytesIO(annex.getvalue())).pages) > 3


def test_units_agree_with_their_number() -> None:
    from auditor.report.pdf import _singular

    assert [_singular(w, "fr") for w in ("comptes", "travaux", "%", "postes")] == ["compte", "travail", "%", "poste"]
    assert [_singular(w, "en") for w in ("copies", "days", "%")] == ["copy", "day", "%"]

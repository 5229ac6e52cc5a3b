"""Fixtures for the report tests: rendered PDFs are built once per session (rendering takes ~0.3 s each)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from auditor.report import Branding, render_annex_pdf, render_report_pdf
from tests.report.factory import make_audit

BRANDING = Branding(msp_name="Alpes Infogérance", msp_contact="support@alpes.example")


def pdf_text(data: bytes) -> str:
    """All pages' text with the spacing babel uses (no-break and narrow no-break spaces) made plain."""
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\u00a0\u202f]", " ", text)


def render(audit: object, *, lang: str, annex: bool = False, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    (render_annex_pdf if annex else render_report_pdf)(audit, buffer, lang=lang, branding=BRANDING, **kwargs)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def audit():
    return make_audit()


@pytest.fixture(scope="session")
def report_fr(audit) -> bytes:
    return render(audit, lang="fr")


@pytest.fixture(scope="session")
def report_en(audit) -> bytes:
    return render(audit, lang="en")

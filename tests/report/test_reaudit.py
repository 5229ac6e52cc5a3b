"""The re-audit PDF in both languages: text extracted with pypdf, a page rendered with pdftoppm.

The audits are the hand-built A (June), B (September), C (December) of tests/auditor/test_history.py, whose
figures are worked out by hand there; C here also names a hostile account to prove escaping.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from auditor.history import carry_forward
from auditor.report.reaudit import render_reaudit_pdf
from auditor.store import Store
from tests.auditor.test_history import C_DATE, _result, audit_a, audit_b, make

HOSTILE = "<b>Eve & Co</b>"


def audit_c_hostile():
    return make("acme-c", C_DATE, [
        _result("ports.rdp", "fail", ("srv1:3389",)),
        _result("ports.telnet", "pass"),
        _result("accounts.stale", "fail", ("bob", HOSTILE)),
        _result("accounts.policy", "pass"),
        _result("backup.servers", "pass"),
        _result("backup.restore", "pass"),
        _result("edr.coverage", "pass"),
    ], ("srv1", "srv2", "wks1", "srv3"))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('reaudit') / 'audits.sqlite'}")
    a = audit_a()
    b = carry_forward(a, audit_b())
    c = carry_forward(b, audit_c_hostile())
    store.save_many([a, b, c])
    return store


def text_of(path: Path) -> str:
    reader = PdfReader(str(path))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_english_report(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "reaudit-en.pdf"
    render_reaudit_pdf(store, "acme-c", out, lang="en", issued=dt.date(2026, 12, 5))
    text = text_of(out)
    assert "Re-audit: progress report" in text and "Acme & Fils" in text
    assert "Changes between the audit of 1 September 2026 and the audit of 1 December 2026" in text
    # B -> C: overall 54.2 -> 74.4; on B's scope 54.2 -> 66.7 (C's RDP finding weighs on both)
    assert "Overall score 54.2 74.4 +20.2" in text
    assert "Score on the previous audit's scope 54.2 66.7 +12.5" in text
    assert "Overall score: 54.2 → 74.4 (+20.2), grade D → D." in text
    assert "Resolved (4)" in text and "Regressions (on what the previous audit covered) (2)" in text
    assert "srv1:3389 (came back after a fix)" in text
    assert HOSTILE in text  # shown literally, not interpreted as markup
    # RM-ports.close_risky was carried (unverified) through B, so at C it is open, not regressed
    assert "Done (verified)" in text and "Still open" in text
    assert "Score trend over all audits" in text and "1 June 2026" in text
    assert "92 days (10 findings remediated" in text
    assert "Critical findings at each audit" in text
    assert "Page 1 of" in text


def test_french_report(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "reaudit-fr.pdf"
    render_reaudit_pdf(store, "acme-c", out, lang="fr", old_id="acme-a", issued=dt.date(2026, 12, 5))
    text = text_of(out)
    assert "Ré-audit : bilan des progrès" in text
    assert "Évolution entre l'audit du 1er juin 2026 et l'audit du 1er décembre 2026" in text
    assert "Score global 4,8 74,4 +69,6" in text
    assert "Score sur le périmètre de l'audit précédent" in text
    assert "Corrigés" in text and "Toujours présents" in text
    assert "Terminée (vérifiée)" in text
    assert "Avancement de la feuille de route" in text and "Indicateurs pour la réunion de suivi" in text
    assert "92 jours" in text and "Page 1 sur" in text
    assert "Overall score" not in text and "Resolved" not in text  # no English left in the French report


def test_long_history_renders_and_a_page_rasterises(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'long.sqlite'}")
    audits = []
    base = audit_b()
    for month in range(24):
        when = dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=30 * month)
        results = [r if month % 3 or r.check_id != "backup.restore" else _result("backup.restore", "pass")
                   for r in base.results]
        audits.append(make(f"acme-{month:02d}", when, results, ("srv1", "srv2", "wks1", "srv3")))
    store.save_many(audits)
    out = tmp_path / "long.pdf"
    render_reaudit_pdf(store, "acme-23", out, lang="fr")
    reader = PdfReader(str(out))
    assert 2 <= len(reader.pages) <= 8
    assert "Évolution des scores sur tous les audits" in text_of(out)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "2", "-l", "2", str(out), str(tmp_path / "page")],
                   check=True, timeout=60)
    [png] = list(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 10_000


def test_header_carries_the_msp_from_the_audit(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'b.sqlite'}")
    store.save_many([audit_a(), audit_b().model_copy(update={"msp_name": "Alpes Infogérance"})])
    out = tmp_path / "branded.pdf"
    render_reaudit_pdf(store, "acme-b", out, lang="fr")
    assert PdfReader(str(out)).pages[0].extract_text().startswith(
        "Alpes Infogérance — Acme & Fils — Ré-audit : bilan des progrès")

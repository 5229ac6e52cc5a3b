"""`auditor report` and `auditor roadmap export` on an audit file, an output folder, a bundle and the store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from auditor.bundle import write_bundle
from auditor.cli import main
from auditor.exports import ROADMAP_COLUMNS
from auditor.pluginmanager import PluginRegistry
from auditor.profile import load_profile
from auditor.runner import collect, evaluate
from tests.report.conftest import pdf_text
from tests.report.factory import make_audit

DEMO_PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "demo-client.toml"


@pytest.fixture()
def audit_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit.json"
    path.write_text(make_audit().model_dump_json(), encoding="utf-8")
    return path


@pytest.fixture()
def output_folder(tmp_path: Path) -> Path:
    """What `auditor audit --out` leaves: a bundle (here with no plugin enabled) and its audit.json."""
    registry = PluginRegistry.build()
    profile = load_profile(DEMO_PROFILE, registry).model_copy(update={"plugins": {}})
    bundle, files = collect(profile, registry)
    out = tmp_path / "out"
    write_bundle(files, out / "evidence.zip")
    (out / "audit.json").write_text(evaluate(bundle, registry, profile=profile).model_dump_json(), encoding="utf-8")
    return out


def test_report_pdf_from_an_audit_file_in_both_languages(audit_file: Path, tmp_path: Path) -> None:
    for lang, title in (("fr", "Audit de sécurité"), ("en", "Security posture audit")):
        target = tmp_path / f"r-{lang}.pdf"
        assert main(["report", str(audit_file), "--lang", lang, "--out", str(target), "--msp-name", "Alpes"]) == 0
        text = pdf_text(target.read_bytes())
        assert title in text and "Alpes" in text


def test_report_other_formats(audit_file: Path, tmp_path: Path) -> None:
    assert main(["report", str(audit_file), "--format", "ocsf", "--out", str(tmp_path / "f.json")]) == 0
    events = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    assert {e["class_uid"] for e in events} == {2003}
    assert main(["report", str(audit_file), "--format", "csv", "--excel", "--out", str(tmp_path / "f.csv")]) == 0
    assert (tmp_path / "f.csv").read_text(encoding="utf-8").startswith("\ufeffAuditId;")
    assert main(["report", str(audit_file), "--format", "json", "--out", str(tmp_path / "a.json")]) == 0
    assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["id"] == make_audit().id


def test_roadmap_exports(audit_file: Path, tmp_path: Path) -> None:
    assert main(["roadmap", "export", str(audit_file), "--format", "csv", "--out", str(tmp_path / "r.csv")]) == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == ROADMAP_COLUMNS and len(rows) == len(make_audit().roadmap.items) + 1
    assert main(["roadmap", "export", str(audit_file), "--format", "json", "--lang", "en",
                 "--out", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["language"] == "en"
    annex = tmp_path / "annex.pdf"
    assert main(["roadmap", "export", str(audit_file), "--format", "annex-pdf", "--out", str(annex)]) == 0
    text = pdf_text(annex.read_bytes())
    assert "Annexe : plan d'amélioration de la sécurité" in text and "Signatures" in text


def test_output_folder_and_bundle_carry_the_msp_from_the_profile(output_folder: Path, tmp_path: Path) -> None:
    from_folder = tmp_path / "folder.pdf"
    assert main(["report", str(output_folder), "--out", str(from_folder)]) == 0
    cover = PdfReader(io.BytesIO(from_folder.read_bytes())).pages[0].extract_text()
    assert "Alpes Infogérance" in cover and "Cabinet Durand & Associés" in cover
    from_bundle = tmp_path / "bundle.pdf"
    assert main(["report", str(output_folder / "evidence.zip"), "--lang", "en", "--out", str(from_bundle)]) == 0
    assert "Alpes Infogérance" in PdfReader(io.BytesIO(from_bundle.read_bytes())).pages[0].extract_text()


def test_stored_audit_by_id(tmp_path: Path) -> None:
    from auditor.store import Store

    db = tmp_path / "store.sqlite"
    audit = make_audit()
    Store(str(db)).save(audit)
    target = tmp_path / "stored.csv"
    assert main(["roadmap", "export", audit.id[:20], "--db", str(db), "--out", str(target)]) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [r["ItemId"] for r in rows] == [i.id for i in audit.roadmap.items]


def test_user_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "x"}', encoding="utf-8")
    assert main(["report", str(bad), "--out", str(tmp_path / "x.pdf")]) == 2
    assert "bad.json: not an audit file written by `auditor audit`" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing.json")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["report", str(bad), "--lang", "de"]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert "neither an evidence bundle" in capsys.readouterr().err


def test_report_on_the_demo_audit(tmp_path: Path) -> None:
    """End to end on the recorded demo: `auditor audit` then `auditor report` in both languages."""
    out = tmp_path / "demo"
    assert main(["audit", str(DEMO_PROFILE), "--out", str(out), "--no-store", "--quiet"]) in (0, 1)
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    for lang in ("fr", "en"):
        target = tmp_path / f"demo-{lang}.pdf"
        assert main(["report", str(out), "--lang", lang, "--out", str(target)]) == 0
        text = " ".join(pdf_text(target.read_bytes()).split())
        assert "Cabinet Durand & Associés" in text and "Alpes Infogérance" in text
        assert audit["id"] in text
        for run in audit["runs"]:
            assert run["plugin"] in text
    annex = tmp_path / "annex.pdf"
    assert main(["roadmap", "export", str(out), "--format", "annex-pdf", "--out", str(annex)]) == 0
    assert len(PdfReader(io.BytesIO(annex.read_bytes())).pages) >= 2

"""Recorded mode: the demo client's evidence, recorded JSON errors, the CSV export as a source."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import auditor_plugins.mfa as plugin
from auditor.models import Status
from auditor_plugins.mfa.checks import evaluate
from auditor_plugins.mfa.errors import RecordedEvidenceError, RegistrationCsvError
from auditor_plugins.mfa.settings import MfaParameters, MfaSettings
from auditor_plugins.mfa.sources import load_recorded_json
from tests.plugins.mfa.conftest import make_context

ROOT = Path(__file__).resolve().parents[3]
PROFILES = ROOT / "profiles"
ESTATE = (ROOT / "samples" / "demo-client" / "ESTATE.md").read_text(encoding="utf-8")


def demo_settings() -> dict:
    data = tomllib.loads((PROFILES / "demo-client.toml").read_text(encoding="utf-8"))
    return data["plugins"]["mfa"]


def test_demo_client_recorded_evidence() -> None:
    section = demo_settings()
    context = make_context(PROFILES, **section)
    collected = plugin.auditor_collect(context=context)
    m365 = collected.evidence.microsoft365
    assert collected.source.kind == "recorded" and collected.source.options["collection_path"] == "per_user_methods"
    assert m365.enforcement.security_defaults_enabled is False and m365.enforcement.policies == ()
    # Every staff member of ESTATE.md is in the tenant with the same first.last name.
    staff = {line.split("|")[1].strip() for line in ESTATE.splitlines()
             if line.startswith("| ") and "." in line.split("|")[1] and "@" not in line and " " not in
             line.split("|")[1].strip()}
    upns = {u.upn.split("@")[0] for u in m365.users if u.upn.endswith("@cabinet-durand.fr")}
    assert len(staff) == 36 and staff <= upns
    results = {r.check_id: r for r in evaluate(collected.evidence, MfaParameters(), section["break_glass_accounts"])}
    member = results["mfa.member_registration"]
    assert member.status is Status.partial and member.measured == 71.1  # 27 / 38
    assert len(member.affected) == 11
    assert [a.name for a in results["mfa.admin_registration"].affected] == ["adm.it@cabinet-durand.fr"]
    assert results["mfa.enforcement"].status is Status.failed
    assert results["mfa.phone_only_methods"].measured == 4
    assert results["mfa.break_glass"].measured == 1
    assert "break.glass@cabinetdurand.onmicrosoft.com" in results["mfa.break_glass"].reason.en
    assert "break.glass@cabinetdurand.onmicrosoft.com" in results["mfa.break_glass"].reason.fr
    # The French report reads French details and units, never English prose.
    assert all(a.detail_fr.startswith("Membre Microsoft 365 ; méthodes : ") for a in member.affected)
    assert member.unit is not None and member.unit.fr == "%"
    assert results["mfa.enforcement"].measured is None and results["mfa.enforcement"].threshold is None
    assert "break.glass@cabinetdurand.onmicrosoft.com" not in {a.name for r in results.values() for a in r.affected}


def test_demo_strict_baseline_is_tighter() -> None:
    section = demo_settings()
    evidence = plugin.auditor_collect(context=make_context(PROFILES, **section)).evidence
    strict = tomllib.loads((PROFILES / "baselines" / "smb-strict.toml").read_text())["parameters"]["mfa"]
    results = {r.check_id: r for r in evaluate(evidence, MfaParameters(**strict), section["break_glass_accounts"])}
    assert results["mfa.member_registration"].score_share == pytest.approx(round(27 / 38, 4))
    assert results["mfa.guest_coverage"].status is Status.failed and len(results["mfa.guest_coverage"].affected) == 2


def test_recorded_json_errors_name_file_and_field(tmp_path) -> None:
    bad = tmp_path / "mfa.json"
    bad.write_text('{"microsoft365": {"collection_path": "telepathy", "users": []}}', encoding="utf-8")
    with pytest.raises(RecordedEvidenceError, match=rf"^{bad}: field microsoft365.collection_path: Input should be"):
        load_recorded_json(bad)
    bad.write_text('{"microsoft365": ', encoding="utf-8")
    with pytest.raises(RecordedEvidenceError, match=r"line 1, column 18: invalid JSON"):
        load_recorded_json(bad)
    with pytest.raises(RecordedEvidenceError, match="cannot read the file"):
        load_recorded_json(tmp_path / "absent.json")


def test_bundle_document_is_accepted(tmp_path) -> None:
    payload = json.loads((ROOT / "samples/demo-client/mfa/mfa-evidence.json").read_text(encoding="utf-8"))
    document = tmp_path / "mfa.json"
    document.write_text(json.dumps({"plugin": "mfa", "plugin_version": "1.0.0", "payload": payload}), encoding="utf-8")
    assert len(load_recorded_json(document).microsoft365.users) == 43


def test_csv_export_as_recorded_source(tmp_path) -> None:
    (tmp_path / "export.csv").write_text(
        "\ufeffUser principal name;User type;Admin;MFA registered;Methods registered\n"
        "a@firm.test;Member;True;True;Microsoft Authenticator\n"
        "b@firm.test;Member;False;False;\n"
        "c@firm.test;Member;False;True;\"Mobile phone\"\n", encoding="utf-8")
    context = make_context(tmp_path, mode="recorded", recorded_registration_csv="export.csv")
    collected = plugin.auditor_collect(context=context)
    assert collected.evidence.microsoft365.collection_path == "csv_export"
    results = {r.check_id: r for r in evaluate(collected.evidence, MfaParameters())}
    assert results["mfa.member_registration"].measured == 66.7
    assert results["mfa.admin_registration"].status is Status.passed
    assert results["mfa.enforcement"].status is Status.not_assessed
    assert [a.name for a in results["mfa.phone_only_methods"].affected] == ["c@firm.test"]


def test_csv_error_surfaces_through_collect(tmp_path) -> None:
    (tmp_path / "export.csv").write_text("User principal name,MFA registered\na@x,perhaps\n", encoding="utf-8")
    context = make_context(tmp_path, mode="recorded", recorded_registration_csv="export.csv")
    with pytest.raises(RegistrationCsvError, match=r"export\.csv: line 2, column 'MFA registered'"):
        plugin.auditor_collect(context=context)


def test_recorded_mode_needs_a_file() -> None:
    with pytest.raises(ValueError, match="recorded_evidence"):
        MfaSettings(mode="recorded")


@settings(max_examples=80, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=15), inner,
                                                                                 max_size=4), max_leaves=20))
def test_arbitrary_json_gives_evidence_or_a_clear_error(tmp_path_factory, data) -> None:
    path = tmp_path_factory.mktemp("j") / "mfa.json"
    path.write_text(json.dumps({"microsoft365": data}), encoding="utf-8")
    try:
        load_recorded_json(path)
    except RecordedEvidenceError as exc:
        assert str(exc).startswith(f"{path}: ")

"""The demo client's recorded Defender evidence against its estate (samples/demo-client/ESTATE.md), the
plugin inside the real runner, recorded-file errors, settings safety and skipped runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from auditor.inventory import reconcile
from auditor.models import AssetObservation, LocalizedText, RunStatus, Status
from auditor.plugin_api import EvaluationContext
from auditor.pluginmanager import PluginRegistry
from auditor.profile import BaselineSelection, baseline_parameters, load_baseline, load_profile
from auditor.runner import run_audit
from auditor_plugins import edr
from auditor_plugins.edr.config import EdrParameters, EdrSettings
from auditor_plugins.edr.sources import EdrFileError, RecordedEvidenceSource

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "samples" / "demo-client" / "edr" / "defender-evidence.json"

# AD computers and scanned hosts of ESTATE.md, as the account hygiene and open ports plugins report them.
_AD = [
    ("DC01", "domain_controller"), ("DC02", "domain_controller"), ("SRV-FILE01", "server"), ("SRV-APP01", "server"),
    ("SRV-BACKUP01", "server"), ("WKS-001", "workstation"), ("WKS-002", "workstation"), ("WKS-003", "workstation"),
    ("WKS-004", "workstation"), ("WKS-005", "workstation"), ("WKS-006", "workstation"), ("LAP-007", "workstation"),
    ("LAP-008", "workstation"),
]
_SCAN = [
    ("10.20.0.1", "fw01.durand.local", "network"), ("10.20.0.10", "dc01.durand.local", "unknown"),
    ("10.20.0.11", "dc02.durand.local", "unknown"), ("10.20.0.20", "srv-file01.durand.local", "unknown"),
    ("10.20.0.21", "srv-app01.durand.local", "unknown"), ("10.20.0.22", "srv-backup01.durand.local", "unknown"),
    ("10.20.0.30", "srv-linux01.durand.local", "server"), ("10.20.0.40", "nas01.durand.local", "network"),
    ("10.20.0.50", "", "network"),
    *[(f"10.20.0.{100 + i}", f"wks-00{i}.durand.local", "unknown") for i in range(1, 7)],
]
ESTATE = [
    *(AssetObservation(source="account_hygiene", name=n, role=r) for n, r in _AD),  # type: ignore[arg-type]
    AssetObservation(source="account_hygiene", name="WKS-OLD-03", role="workstation", stale=True),
    *(AssetObservation(source="open_ports", name=n, ips=(ip,), role=r) for ip, n, r in _SCAN),  # type: ignore[arg-type]
]


def _demo_results(baseline: str = "smb-essential") -> dict:
    evidence = RecordedEvidenceSource(DEMO).load()
    inventory = reconcile([*ESTATE, *edr.auditor_assets(evidence=evidence)])
    parameters = baseline_parameters(load_baseline(BaselineSelection(name=baseline)), "edr", EdrParameters)
    context = EvaluationContext(plugin="edr", now=evidence.collected_at, parameters=parameters, inventory=inventory,
                                settings=EdrSettings(mode="recorded", recorded_files=[str(DEMO)]))
    return {r.check_id: r for r in edr.auditor_evaluate(evidence=evidence, context=context)}


def test_demo_evidence_matches_the_estate() -> None:
    evidence = RecordedEvidenceSource(DEMO).load()
    assert evidence.collected_at == dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    assert len(evidence.devices) == 14
    results = _demo_results()

    servers = results["edr.servers_without_agent"]
    assert (servers.status, servers.measured, servers.score_share) == (Status.partial, 83.3, 0.8333)
    assert [(a.name, a.detail) for a in servers.affected] == [
        ("SRV-FILE01", "server seen by AD, network scan; 10.20.0.20; no EDR record")]
    workstations = results["edr.workstations_without_agent"]
    # WKS-OLD-03 is a stale AD object (every source saw it stale), so it is not a machine to cover: 7 of 8.
    assert (workstations.status, workstations.measured, workstations.score_share) == (Status.partial, 87.5, 0.9211)
    assert [(a.name, a.detail) for a in workstations.affected] == [
        ("WKS-004", "workstation seen by AD, network scan; 10.20.0.104; "
                    "Microsoft Defender for Endpoint record not onboarded (CanBeOnboarded)"),
    ]
    assert [(a.name, a.detail) for a in results["edr.agents_inactive"].affected] == [
        ("LAP-008", "last seen 2026-10-11 (40 days ago); status Inactive")]
    assert [a.name for a in results["edr.agents_outdated"].affected] == ["SRV-APP01"]
    assert [(a.name, a.detail) for a in results["edr.signatures_outdated"].affected] == [
        ("LAP-008", "signatures and engine out of date")]
    assert [(a.name, a.detail) for a in results["edr.av_not_active"].affected] == [
        ("SRV-BACKUP01", "antivirus mode passive")]
    assert results["edr.av_not_active"].affected[0].detail_in("fr") == "antivirus en mode passif"
    assert results["edr.agents_outdated"].affected[0].detail_in("fr").endswith(
        "de l'agent n'est pas la dernière")
    assert (servers.measured, servers.threshold, servers.unit) == (83.3, 100.0, LocalizedText(en="%", fr="%"))
    for result in results.values():  # every check is assessed on the demo: a count or a share, with its unit
        assert result.unit is not None, result.check_id
        assert all(isinstance(v, int | float) for v in (result.measured, result.threshold)), result.check_id
        for asset in result.affected:
            assert asset.detail_fr and asset.detail_fr != asset.detail, (result.check_id, asset.name)
    assert [(a.name, a.detail) for a in results["edr.stale_duplicate_records"].affected] == [
        ("wks-002.durand.local", "stale record f9b3d7a1e5c8: last seen 2026-07-14 (129 days ago)")]
    for check in ("edr.detect_only", "edr.active_threats", "edr.unknown_console_devices"):
        assert results[check].status is Status.passed, check


def test_strict_baseline_is_tighter() -> None:
    results = _demo_results("smb-strict")
    # 87.5 % of workstations against a 100 % target with 75 % fail line: partial 0.875.
    assert (results["edr.workstations_without_agent"].status,
            results["edr.workstations_without_agent"].score_share) == (Status.partial, 0.875)
    inactive = results["edr.agents_inactive"]
    assert (inactive.measured, inactive.threshold) == (1, 0)
    assert inactive.reason is not None and inactive.reason.fr == (
        "1 agent(s) concerné(s) sur 12 (sans contact depuis plus de 14 jours ou signalé inactif).")


def _profile(tmp_path: Path, edr_table: str) -> Path:
    path = tmp_path / "client.toml"
    path.write_text(
        '[client]\nid = "edr-test"\nname = "EDR test"\n[msp]\nname = "MSP"\n'
        '[contract]\nhourly_rate = 90.0\nmonthly_hours = 10\n'
        '[baseline]\nname = "smb-essential"\n' + edr_table, encoding="utf-8")
    return path


def test_recorded_demo_through_the_runner(tmp_path: Path) -> None:
    registry = PluginRegistry.build()
    profile = load_profile(_profile(tmp_path, f'[plugins.edr]\nmode = "recorded"\nrecorded_files = ["{DEMO}"]\n'),
                           registry)
    audit, _bundle, files = run_audit(profile, registry)
    (run,) = [r for r in audit.runs if r.plugin == "edr" and r.phase == "collect"]
    assert run.status is RunStatus.ok and run.source is not None and run.source.kind == "recorded"
    stored = json.loads(files["evidence/edr.json"])
    assert stored["payload"]["collected_at"] == "2026-11-20T09:30:00Z"
    results = {r.check_id: r for r in audit.results if r.check_id.startswith("edr.")}
    assert len(results) == 10
    assert [a.name for a in results["edr.av_not_active"].affected] == ["SRV-BACKUP01"]
    # Only the console's own devices are in this audit: coverage cannot be judged.
    assert results["edr.servers_without_agent"].status is Status.not_assessed


def test_live_without_credentials_is_skipped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("EDR_ABSENT_SECRET", raising=False)
    registry = PluginRegistry.build()
    profile = load_profile(_profile(tmp_path, '[plugins.edr]\nproviders = ["defender"]\ntenant_id = "t"\n'
                                              'client_id = "c"\n'), registry)
    audit, _bundle, _files = run_audit(profile, registry)
    (run,) = [r for r in audit.runs if r.plugin == "edr" and r.phase == "collect"]
    assert run.status is RunStatus.skipped and "plugins.edr.client_secret" in (run.reason or "")
    assert all(r.status is Status.not_assessed for r in audit.results if r.check_id.startswith("edr."))


def test_inline_secrets_are_refused() -> None:
    with pytest.raises(ValidationError):
        EdrSettings(client_secret="PlainTextSecret")
    with pytest.raises(ValidationError):
        EdrSettings(sentinelone_api_token="eyJhbGciOi")
    assert EdrSettings(client_secret="env:X").client_secret == "env:X"


def test_recorded_file_errors_name_the_file_and_place(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"collected_at": "2026-11-20T09:30:00Z",\n "devices": [}', encoding="utf-8")
    with pytest.raises(EdrFileError, match=r"broken\.json: line 2, column 14: invalid JSON"):
        RecordedEvidenceSource(broken).load()
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"collected_at": "2026-11-20T09:30:00Z", "devices": [
        {"provider": "defender", "console_id": "1", "name": "x", "av_mode": "sleeping"}]}), encoding="utf-8")
    with pytest.raises(EdrFileError, match=r"wrong\.json: field devices\.0\.av_mode: Input should be"):
        RecordedEvidenceSource(wrong).load()
    with pytest.raises(EdrFileError, match="not found"):
        RecordedEvidenceSource(tmp_path / "absent.json").load()


def test_live_run_through_the_runner_keeps_secrets_out_of_the_bundle(tmp_path: Path, monkeypatch,
                                                                     defender_emulator) -> None:
    from tests.servers.edr_emulators import DefenderEstate, defender_av, defender_machine

    estate = DefenderEstate(machines=[defender_machine("m1", "wks-001.durand.local", "10.20.0.101")],
                            av_info=[defender_av("m1", "wks-001.durand.local")])
    emulator = defender_emulator(estate)
    monkeypatch.setenv("EDR_RUNNER_SECRET", estate.client_secret)
    registry = PluginRegistry.build()
    profile = load_profile(_profile(tmp_path, (
        f'[plugins.edr]\nproviders = ["defender"]\ntenant_id = "{estate.tenant_id}"\n'
        f'client_id = "{estate.client_id}"\nclient_secret = "env:EDR_RUNNER_SECRET"\n'
        f'defender_base_url = "{emulator.base_url}"\nlogin_url = "{emulator.login_url}"\n')), registry)
    audit, _bundle, files = run_audit(profile, registry)
    (run,) = [r for r in audit.runs if r.plugin == "edr" and r.phase == "collect"]
    assert run.status is RunStatus.ok, run.reason
    everything = b"".join(files.values())
    assert estate.client_secret.encode() not in everything
    assert all(token.encode() not in everything for token in emulator.tokens)
    assert json.loads(files["evidence/edr.json"])["payload"]["devices"][0]["name"] == "wks-001.durand.local"


def test_demo_with_the_directory_leaves_the_stale_computer_out(tmp_path: Path) -> None:
    """With the AD plugin's recorded demo evidence, WKS-OLD-03 (stale object) is not a machine to cover."""
    ad_sample = ROOT / "samples" / "demo-client" / "account_hygiene" / "ad.json"
    registry = PluginRegistry.build()
    if "account_hygiene" not in registry.infos or not ad_sample.is_file():
        pytest.skip("the account hygiene plugin or its demo evidence is not available")
    profile = load_profile(_profile(tmp_path, (
        f'[plugins.account_hygiene]\nmode = "recorded"\nevidence_file = "{ad_sample}"\n'
        f'[plugins.edr]\nmode = "recorded"\nrecorded_files = ["{DEMO}"]\n')), registry)
    audit, _bundle, _files = run_audit(profile, registry)
    results = {r.check_id: r for r in audit.results if r.check_id.startswith("edr.")}
    workstations = results["edr.workstations_without_agent"]
    # WKS-001..006, LAP-007, LAP-008 from AD; WKS-004 only discovered by Defender: 7 of 8 = 87.5 %.
    assert (workstations.status, workstations.measured, [a.name for a in workstations.affected]) == (
        Status.partial, 87.5, ["WKS-004"])
    servers = results["edr.servers_without_agent"]
    assert (servers.measured, [a.name for a in servers.affected]) == (80.0, ["SRV-FILE01"])


def test_demo_csv_example_gives_the_same_findings_as_the_defender_evidence() -> None:
    """samples/demo-client/edr/generic-example.csv is the same tenant in the documented CSV format (`;`, BOM,
    French booleans, day-first dates): it must lead to the same results."""
    import ipaddress

    from auditor_plugins.edr.csvexport import CsvExportSource
    from auditor_plugins.edr.evidence import EdrEvidence

    recorded = RecordedEvidenceSource(DEMO).load()
    read = CsvExportSource(DEMO.with_name("generic-example.csv"), networks=(ipaddress.ip_network("10.20.0.0/24"),)
                           ).read()
    from_csv = EdrEvidence(collected_at=recorded.collected_at, consoles=read.consoles, devices=read.devices)

    def findings(evidence: EdrEvidence) -> dict:
        inventory = reconcile([*ESTATE, *edr.auditor_assets(evidence=evidence)])
        context = EvaluationContext(plugin="edr", now=recorded.collected_at, parameters=EdrParameters(),
                                    inventory=inventory)
        return {r.check_id: (r.status, r.measured, [a.name for a in r.affected])
                for r in edr.auditor_evaluate(evidence=evidence, context=context)}

    assert findings(from_csv) == findings(recorded)
    assert len(from_csv.devices) == 14

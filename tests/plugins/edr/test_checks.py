"""Unit tests of the EDR checks with hand-built evidence and inventories, figures computed by hand."""

from __future__ import annotations

import datetime as dt

from auditor.models import Asset, LocalizedText, Status
from auditor_plugins.edr.checks import CHECKS, evaluate
from auditor_plugins.edr.config import EdrParameters
from auditor_plugins.edr.evidence import ConsoleInfo, EdrDevice, EdrEvidence
from tests.plugins.edr.helpers import NOW

CONSOLE = ConsoleInfo(provider="defender", source="https://api.security.microsoft.com")


def _asset(name: str, role: str = "workstation", sources: tuple[str, ...] = ("account_hygiene",)) -> Asset:
    return Asset(key=name.lower(), name=name, names=(name,), role=role, sources=sources)  # type: ignore[arg-type]


def _device(name: str, days: float = 1, **fields: object) -> EdrDevice:
    values: dict[str, object] = {"provider": "defender", "product": "Microsoft Defender for Endpoint",
                                 "console_id": f"id-{name}", "name": name,
                                 "last_seen": NOW - dt.timedelta(days=days), "active": True,
                                 "agent_up_to_date": True, "av_mode": "active", "signatures_up_to_date": True,
                                 "engine_up_to_date": True, "protection_mode": "protect", "active_threats": 0,
                                 "infected": False}
    values.update(fields)
    return EdrDevice(**values)  # type: ignore[arg-type]


def _run(devices, inventory, parameters=None, now=NOW, exempt=()):  # type: ignore[no-untyped-def]
    evidence = EdrEvidence(collected_at=NOW, consoles=(CONSOLE,), devices=tuple(devices))
    return {r.check_id: r for r in evaluate(evidence, now=now, parameters=parameters or EdrParameters(),
                                            inventory=inventory, exempt=exempt)}


WORKSTATIONS = [_asset(f"WKS-{i:03}") for i in range(1, 21)]


def test_workstation_coverage_pass_partial_fail() -> None:
    # 19 of 20 = 95 % = target -> pass, the missing one still listed.
    results = _run([_device(f"wks-{i:03}.corp.local") for i in range(1, 20)], WORKSTATIONS)
    result = results["edr.workstations_without_agent"]
    assert (result.status, result.measured, [a.name for a in result.affected]) == (Status.passed, 95.0, ["WKS-020"])
    # 15 of 20 = 75 % -> partial, 75 / 95 of the points.
    result = _run([_device(f"WKS-{i:03}") for i in range(1, 16)], WORKSTATIONS)["edr.workstations_without_agent"]
    assert (result.status, result.measured, result.score_share) == (Status.partial, 75.0, 0.7895)
    assert len(result.affected) == 5
    # 9 of 20 = 45 % < 50 % -> fail.
    result = _run([_device(f"WKS-{i:03}") for i in range(1, 10)], WORKSTATIONS)["edr.workstations_without_agent"]
    assert (result.status, result.measured, result.score_share) == (Status.failed, 45.0, None)


def test_records_that_do_not_protect_do_not_cover() -> None:
    inventory = [_asset("SRV-A", "server"), _asset("SRV-B", "server"), _asset("SRV-C", "server"),
                 _asset("SRV-D", "server"), _asset("DC01", "domain_controller")]
    devices = [
        _device("srv-a", days=91),  # stale record
        _device("srv-b", onboarded=False, onboarding="CanBeOnboarded"),
        _device("srv-c", merged_into="id-other"),
        _device("srv-d", days=89),  # old but not stale: covers, and is inactive
        _device("DC01.corp.local"),
    ]
    results = _run(devices, inventory)
    servers = results["edr.servers_without_agent"]
    assert (servers.status, servers.measured) == (Status.failed, 40.0)
    assert [(a.name, a.detail.rsplit("; ", 1)[-1]) for a in servers.affected] == [
        ("SRV-A", "only a stale agent record (last seen 2026-08-21)"),
        ("SRV-B", "Microsoft Defender for Endpoint record not onboarded (CanBeOnboarded)"),
        ("SRV-C", "record merged into id-other"),
    ]
    assert [a.name for a in results["edr.agents_inactive"].affected] == ["SRV-D"]
    assert [a.name for a in results["edr.stale_duplicate_records"].affected] == ["srv-a"]


def test_scan_only_machine_of_unknown_role_is_a_server_when_its_os_says_so() -> None:
    inventory = [Asset(key="10.0.0.5", name="10.0.0.5", ips=("10.0.0.5",), role="unknown",
                       os="Microsoft Windows Server 2016", sources=("open_ports",)),
                 Asset(key="10.0.0.6", name="10.0.0.6", ips=("10.0.0.6",), role="unknown", os="Linux 5.x",
                       sources=("open_ports",))]
    results = _run([], inventory)
    assert [a.name for a in results["edr.servers_without_agent"].affected] == ["10.0.0.5"]
    assert [a.name for a in results["edr.workstations_without_agent"].affected] == ["10.0.0.6"]


def test_stale_directory_objects_are_left_out_unless_the_scan_saw_them() -> None:
    from auditor.inventory import reconcile
    from auditor.models import AssetObservation

    inventory = reconcile([
        AssetObservation(source="account_hygiene", name="WKS-001", role="workstation"),
        AssetObservation(source="account_hygiene", name="wks-old-03.durand.local", role="workstation", stale=True),
        AssetObservation(source="account_hygiene", name="WKS-OLD-04", role="workstation", stale=True),
        AssetObservation(source="open_ports", name="wks-old-04.durand.local", ips=("10.0.0.4",)),
    ])
    evidence = EdrEvidence(collected_at=NOW, consoles=(CONSOLE,), devices=(_device("WKS-001"),))
    (_servers, workstations, *_rest) = evaluate(evidence, now=NOW, parameters=EdrParameters(), inventory=inventory)
    # WKS-OLD-03 is only a stale AD object; WKS-OLD-04 is stale in AD but answered the scan: still a machine.
    assert (workstations.measured, [a.name for a in workstations.affected]) == (50.0, ["WKS-OLD-04"])


def test_no_server_in_the_inventory_passes() -> None:
    result = _run([_device("WKS-001")], [_asset("WKS-001")])["edr.servers_without_agent"]
    assert result.status is Status.passed and result.affected == ()
    assert result.reason is not None and result.reason.fr == "Aucun serveur ni contrôleur de domaine dans l'inventaire."


def test_network_devices_other_plugins_and_exempt_machines_are_not_counted() -> None:
    inventory = [_asset("WKS-001"), _asset("PRN-01", "network", ("open_ports",)),
                 _asset("NAS01", "unknown", ("open_ports",)), _asset("VEEAM-PROXY", "server", ("backup",))]
    results = _run([_device("WKS-001")], inventory, exempt=["nas01.durand.local"])
    assert results["edr.workstations_without_agent"].status is Status.passed
    assert results["edr.workstations_without_agent"].measured == 100.0
    assert results["edr.servers_without_agent"].status is Status.passed


def test_empty_tenant_is_zero_coverage() -> None:
    results = _run([], [_asset("WKS-001"), _asset("SRV-01", "server")])
    assert results["edr.servers_without_agent"].status is Status.failed
    assert results["edr.workstations_without_agent"].measured == 0.0
    for check in ("edr.agents_inactive", "edr.agents_outdated", "edr.av_not_active", "edr.active_threats",
                  "edr.stale_duplicate_records"):
        assert results[check].status is Status.not_assessed


def test_unknown_values_are_not_assessed_not_passed() -> None:
    devices = [_device("WKS-001", protection_mode="unknown", av_mode="unknown", active_threats=None, infected=None,
                       signatures_up_to_date=None, engine_up_to_date=None, agent_up_to_date=None)]
    results = _run(devices, [_asset("WKS-001")])
    for check in ("edr.detect_only", "edr.av_not_active", "edr.active_threats", "edr.signatures_outdated",
                  "edr.agents_outdated"):
        assert results[check].status is Status.not_assessed, check
        assert "Microsoft Defender for Endpoint" in results[check].reason.en  # type: ignore[union-attr]


def test_partly_unknown_values_are_assessed_on_what_is_known() -> None:
    devices = [_device("WKS-001", protection_mode="detect"), _device("WKS-002", protection_mode="unknown")]
    result = _run(devices, [_asset("WKS-001"), _asset("WKS-002")])["edr.detect_only"]
    assert result.status is Status.failed and [a.name for a in result.affected] == ["WKS-001"]
    assert result.reason is not None and "1 agent(s) did not report" in result.reason.en


def test_av_modes_and_signatures() -> None:
    devices = [_device("A", av_mode="passive"), _device("B", av_mode="disabled"), _device("C", av_mode="edr_blocked"),
               _device("D", av_mode="other"), _device("E", engine_up_to_date=False),
               _device("F", signatures_up_to_date=False, engine_up_to_date=False)]
    results = _run(devices, [_asset(n) for n in "ABCDEF"])
    assert [(a.name, a.detail) for a in results["edr.av_not_active"].affected] == [
        ("A", "antivirus mode passive"), ("B", "antivirus mode disabled"), ("C", "antivirus mode edr blocked")]
    assert [(a.name, a.detail) for a in results["edr.signatures_outdated"].affected] == [
        ("E", "engine out of date"), ("F", "signatures and engine out of date")]
    assert [a.detail_in("fr") for a in results["edr.av_not_active"].affected] == [
        "antivirus en mode passif", "antivirus désactivé", "antivirus passif, EDR en mode blocage"]
    assert [a.detail_fr for a in results["edr.signatures_outdated"].affected] == [
        "moteur pas à jour", "signatures et moteur pas à jour"]
    for check in ("edr.av_not_active", "edr.signatures_outdated"):
        result = results[check]
        assert (result.measured, result.threshold, result.unit) == (3 if check == "edr.av_not_active" else 2, 0,
                                                                    LocalizedText(en="agents", fr="agents"))


def test_duplicates_keep_the_most_recent_record() -> None:
    devices = [_device("wks-001.corp.local", days=2, console_id="new"),
               _device("WKS-001", days=20, console_id="old"),
               _device("WKS-002", console_id="dup", potential_duplicate=True)]
    result = _run(devices, [_asset("WKS-001"), _asset("WKS-002")])["edr.stale_duplicate_records"]
    assert [(a.name, a.detail) for a in result.affected] == [
        ("WKS-001", "duplicate record old of new (last seen 2026-10-31)"),
        ("WKS-002", "record dup flagged as a potential duplicate by the console"),
    ]
    assert [a.detail_fr for a in result.affected] == [
        "fiche old en double de new (dernier contact le 2026-10-31)",
        "fiche dup signalée comme doublon possible par la console",
    ]
    assert result.unit == LocalizedText(en="records", fr="fiches")


def test_evaluation_uses_the_collection_time_not_the_clock() -> None:
    devices = [_device("WKS-001", days=10)]
    assert _run(devices, [_asset("WKS-001")])["edr.agents_inactive"].status is Status.passed
    later = NOW + dt.timedelta(days=25)
    assert _run(devices, [_asset("WKS-001")], now=later)["edr.agents_inactive"].status is Status.failed


def test_catalogue_is_complete_in_both_languages() -> None:
    assert len({c.id for c in CHECKS}) == 10
    for check in CHECKS:
        assert check.id.startswith("edr.") and check.area == "edr" and check.plugin == "edr"
        for text in (check.title, check.rationale, check.remediation):
            assert text.en and text.fr and text.en != text.fr
        assert check.references and check.remediation_group
    critical = [c.id for c in CHECKS if c.severity.value == "critical"]
    assert critical == ["edr.servers_without_agent"]

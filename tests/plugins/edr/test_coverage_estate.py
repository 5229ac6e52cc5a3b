"""End to end through the plugin's hooks: an estate of known composition, AD computers and scanned hosts
as those plugins report them, a Defender tenant and a SentinelOne console on loopback emulators; the
inventory is reconciled by the core and the exact coverage figures and affected lists are asserted.

Name mismatches the reconciliation must resolve: AD short names vs console FQDNs, upper vs lower case,
an nmap host without reverse DNS joined to its AD computer through the console's IP, two laptops that
share a home-router address (must stay two machines)."""

from __future__ import annotations

import threading
from pathlib import Path

from auditor.inventory import reconcile
from auditor.models import AssetObservation, LocalizedText, Status
from auditor.plugin_api import CollectContext, EvaluationContext, ScopeGuard
from auditor_plugins import edr
from auditor_plugins.edr.config import EdrParameters, EdrSettings
from tests.plugins.edr.helpers import NOW
from tests.servers.edr_emulators import (
    DefenderEstate,
    SentinelOneEstate,
    defender_alert,
    defender_av,
    defender_machine,
    s1_agent,
)

AD = [
    AssetObservation(source="account_hygiene", name=name, role=role, os=os_name)
    for name, role, os_name in [
        ("DC01", "domain_controller", "Windows Server 2019 Standard"),
        ("SRV-FILE01", "server", "Windows Server 2012 R2 Standard"),
        ("SRV-APP01", "server", "Windows Server 2016 Standard"),
        ("WKS-001", "workstation", "Windows 11 Professionnel"),
        ("WKS-002", "workstation", "Windows 11 Professionnel"),
        ("WKS-003", "workstation", "Windows 10 Professionnel"),
        ("LAP-007", "workstation", "Windows 11 Professionnel"),
        ("LAP-008", "workstation", "Windows 10 Professionnel"),
    ]
]
NMAP = [
    AssetObservation(source="open_ports", name=name, ips=(ip,), role=role)
    for ip, name, role in [
        ("10.0.0.1", "fw01.corp.example", "network"),
        ("10.0.0.10", "dc01.corp.example", "unknown"),
        ("10.0.0.20", "srv-file01.corp.example", "unknown"),
        ("10.0.0.21", "SRV-APP01", "unknown"),
        ("10.0.0.30", "srv-linux01.corp.example", "server"),
        ("10.0.0.50", "", "network"),
        ("10.0.0.101", "WKS-001.CORP.EXAMPLE", "unknown"),
        ("10.0.0.102", "", "unknown"),
        ("10.0.0.103", "wks-003.corp.example", "unknown"),
    ]
]


def _defender() -> DefenderEstate:
    machines = [
        defender_machine("m-dc01", "dc01.corp.example", "10.0.0.10", platform="WindowsServer2019", version="1809"),
        defender_machine("m-w1", "wks-001.corp.example", "10.0.0.101"),
        defender_machine("m-w2", "WKS-002", "10.0.0.102"),
        defender_machine("m-w3", "wks-003.corp.example", "10.0.0.103", onboarding="CanBeOnboarded",
                         health="Inactive"),
        defender_machine("m-l7", "lap-007.corp.example", "192.168.1.23"),
        defender_machine("m-l8", "LAP-008.corp.example", "192.168.1.23", platform="Windows10", version="22H2",
                         health="Inactive", last_seen="2026-10-11T07:12:00.5Z"),
        defender_machine("m-ghost", "ghost-pc.corp.example", "10.0.0.150"),
        defender_machine("m-w1old", "wks-001.corp.example", "10.0.0.117", health="Inactive",
                         last_seen="2026-07-01T10:00:00Z"),
    ]
    av = [defender_av(m["id"], m["computerDnsName"]) for m in machines if m["id"] not in ("m-w3", "m-w2", "m-l7")]
    av += [defender_av("m-w2", "WKS-002", mode="1"), defender_av("m-l7", "lap-007", platform="False")]
    alerts = [defender_alert("al1", "m-w1", "wks-001.corp.example", status="Resolved")]
    return DefenderEstate(machines=machines, av_info=av, alerts=alerts, next_link=False)


def _sentinelone() -> SentinelOneEstate:
    return SentinelOneEstate(agents=[
        s1_agent("s-app", "SRV-APP01", "10.0.0.21", machine_type="server", os_name="Windows Server 2016 Standard",
                 mode="detect", infected=True, threats=1),
    ])


def _collect(defender, sentinelone, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EDR_TEST_CLIENT_SECRET", defender.estate.client_secret)
    monkeypatch.setenv("EDR_TEST_S1_TOKEN", sentinelone.estate.api_token)
    settings = EdrSettings(
        providers=["defender", "sentinelone"],
        tenant_id=defender.estate.tenant_id,
        client_id=defender.estate.client_id,
        client_secret="env:EDR_TEST_CLIENT_SECRET",
        defender_base_url=defender.base_url,
        login_url=defender.login_url,
        defender_page_size=3,
        sentinelone_base_url=sentinelone.base_url,
        sentinelone_api_token="env:EDR_TEST_S1_TOKEN",
        timeout_seconds=30,
    )
    context = CollectContext(plugin="edr", settings=settings, profile_dir=Path("."),
                             scope=ScopeGuard(["10.0.0.0/24"], "AUT-TEST"), client_id="test",
                             cancelled=threading.Event())
    return settings, edr.auditor_collect(context=context)


def test_coverage_against_reconciled_inventory(defender_emulator, sentinelone_emulator, monkeypatch) -> None:
    defender = defender_emulator(_defender())
    sentinelone = sentinelone_emulator(_sentinelone())
    settings, collected = _collect(defender, sentinelone, monkeypatch)
    evidence = collected.evidence
    assert len(evidence.devices) == 9 and {c.provider for c in evidence.consoles} == {"defender", "sentinelone"}
    assert collected.source.kind == "live" and set(collected.source.servers) == {defender.base_url,
                                                                                 sentinelone.base_url}

    inventory = reconcile([*AD, *NMAP, *edr.auditor_assets(evidence=evidence)])
    by_key = {a.key: a for a in inventory}
    assert set(by_key) == {"dc01", "srv-file01", "srv-app01", "srv-linux01", "fw01", "10.0.0.50", "wks-001",
                           "wks-002", "wks-003", "lap-007", "lap-008", "ghost-pc"}
    # The nmap host without reverse DNS was joined to its AD computer through the console's IP.
    assert by_key["wks-002"].sources == ("account_hygiene", "edr", "open_ports")
    assert by_key["wks-002"].ips == ("10.0.0.102",)
    # The two laptops sharing a home address stayed two machines (home IPs are not used for matching).
    assert by_key["lap-007"].ips == () and by_key["lap-008"].ips == ()
    # The stale record's old DHCP address (10.0.0.117) is not reported: it may belong to another machine now.
    assert by_key["wks-001"].ips == ("10.0.0.101",)

    context = EvaluationContext(plugin="edr", now=NOW, parameters=EdrParameters(), inventory=inventory,
                                settings=settings)
    results = {r.check_id: r for r in edr.auditor_evaluate(evidence=evidence, context=context)}

    servers = results["edr.servers_without_agent"]
    assert (servers.status, servers.measured, servers.score_share, servers.threshold) == (Status.partial, 50.0, 0.5,
                                                                                        100.0)
    assert [(a.name, a.detail) for a in servers.affected] == [
        ("SRV-FILE01", "server seen by AD, network scan; 10.0.0.20; no EDR record"),
        ("SRV-LINUX01", "server seen by network scan; 10.0.0.30; no EDR record"),
    ]
    assert [a.detail_fr for a in servers.affected] == [
        "serveur vu par AD, scan réseau ; 10.0.0.20 ; aucune fiche EDR",
        "serveur vu par scan réseau ; 10.0.0.30 ; aucune fiche EDR",
    ]
    assert servers.unit == LocalizedText(en="%", fr="%")
    assert servers.reason is not None and servers.reason.fr == (
        "2 serveurs et contrôleurs de domaine sur 4 ont un agent EDR (50 %) ; objectif 100 %.")

    workstations = results["edr.workstations_without_agent"]
    assert (workstations.status, workstations.measured, workstations.score_share) == (Status.partial, 80.0, 0.8421)
    assert [(a.name, a.detail) for a in workstations.affected] == [
        ("WKS-003", "workstation seen by AD, network scan; 10.0.0.103; "
                    "Microsoft Defender for Endpoint record not onboarded (CanBeOnboarded)"),
    ]
    assert workstations.affected[0].detail_fr == (
        "poste de travail vu par AD, scan réseau ; 10.0.0.103 ; "
        "fiche Microsoft Defender for Endpoint non enrôlée (CanBeOnboarded)")

    def names(check: str) -> list[str]:
        return [a.name for a in results[check].affected]

    assert results["edr.agents_inactive"].status is Status.failed
    assert [(a.name, a.detail) for a in results["edr.agents_inactive"].affected] == [
        ("LAP-008", "last seen 2026-10-11 (40 days ago); status Inactive")]
    assert results["edr.agents_inactive"].affected[0].detail_fr == (
        "dernier contact le 2026-10-11 (il y a 40 jours) ; état Inactive")
    assert names("edr.agents_outdated") == ["LAP-007"]
    assert results["edr.signatures_outdated"].status is Status.passed
    assert [(a.name, a.detail) for a in results["edr.av_not_active"].affected] == [
        ("WKS-002", "antivirus mode passive")]
    assert names("edr.detect_only") == ["SRV-APP01"]
    assert [(a.name, a.detail) for a in results["edr.active_threats"].affected] == [
        ("SRV-APP01", "1 unresolved threat(s)")]
    assert results["edr.active_threats"].affected[0].detail_fr == "1 menace(s) non résolue(s)"
    assert results["edr.detect_only"].affected[0].detail_fr == "stratégie en mode détection seule"
    assert [(a.name, a.detail) for a in results["edr.stale_duplicate_records"].affected] == [
        ("wks-001.corp.example", "stale record m-w1old: last seen 2026-07-01 (141 days ago)")]
    assert results["edr.stale_duplicate_records"].affected[0].detail_fr == (
        "fiche obsolète m-w1old : dernier contact le 2026-07-01 (il y a 141 jours)")
    assert names("edr.unknown_console_devices") == ["ghost-pc.corp.example"]
    assert results["edr.unknown_console_devices"].affected[0].detail == (
        "Microsoft Defender for Endpoint device m-ghost, 10.0.0.150, last seen 2026-11-19; "
        "not in AD nor found by the scan")
    assert results["edr.unknown_console_devices"].affected[0].detail_fr == (
        "appareil Microsoft Defender for Endpoint m-ghost, 10.0.0.150, dernier contact le 2026-11-19 ; "
        "absent de l'AD et non trouvé par le scan")
    # Nothing of either credential reached the evidence.
    dumped = evidence.model_dump_json()
    assert defender.estate.client_secret not in dumped and sentinelone.estate.api_token not in dumped


def test_exempt_machines_and_stricter_targets(defender_emulator, sentinelone_emulator, monkeypatch) -> None:
    settings, collected = _collect(defender_emulator(_defender()), sentinelone_emulator(_sentinelone()), monkeypatch)
    settings = settings.model_copy(update={"exempt_machines": ["srv-linux01.corp.example"]})
    inventory = reconcile([*AD, *NMAP, *edr.auditor_assets(evidence=collected.evidence)])
    strict = EdrParameters(server_coverage_target=100, workstation_coverage_target=100, coverage_fail_below=75,
                           inactive_days=14)
    context = EvaluationContext(plugin="edr", now=NOW, parameters=strict, inventory=inventory, settings=settings)
    results = {r.check_id: r for r in edr.auditor_evaluate(evidence=collected.evidence, context=context)}
    servers = results["edr.servers_without_agent"]
    # SRV-LINUX01 exempted: 2 of 3 servers covered = 66.7 % < 75 % -> fail.
    assert (servers.status, servers.measured) == (Status.failed, 66.7)
    assert [a.name for a in servers.affected] == ["SRV-FILE01"]
    workstations = results["edr.workstations_without_agent"]
    assert (workstations.status, workstations.score_share) == (Status.partial, 0.8)


def test_without_ad_or_scan_the_coverage_is_not_assessed(defender_emulator, sentinelone_emulator,
                                                         monkeypatch) -> None:
    settings, collected = _collect(defender_emulator(_defender()), sentinelone_emulator(_sentinelone()), monkeypatch)
    inventory = reconcile(edr.auditor_assets(evidence=collected.evidence))
    context = EvaluationContext(plugin="edr", now=NOW, parameters=EdrParameters(), inventory=inventory,
                                settings=settings)
    results = {r.check_id: r for r in edr.auditor_evaluate(evidence=collected.evidence, context=context)}
    for check in ("edr.servers_without_agent", "edr.workstations_without_agent", "edr.unknown_console_devices"):
        assert results[check].status is Status.not_assessed
        assert results[check].reason is not None and "AD" in results[check].reason.en
    # The per-agent checks still run on the console's own data.
    assert results["edr.detect_only"].status is Status.failed

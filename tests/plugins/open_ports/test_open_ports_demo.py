"""The demo client's recorded nmap XML through the real profile, runner and plugin (no nmap needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.models import RunStatus, Status
from auditor.plugin_api import CollectContext, ScopeGuard
from auditor.pluginmanager import PluginRegistry
from auditor.profile import load_profile
from auditor.runner import run_audit
from auditor_plugins import open_ports as plugin

REPO = Path(__file__).resolve().parents[3]
PROFILE = REPO / "profiles" / "demo-client.toml"


@pytest.fixture(scope="module")
def demo_audit():
    registry = PluginRegistry.build()
    profile = load_profile(PROFILE, registry)
    audit, _bundle, _files = run_audit(profile, registry)
    return audit


def test_demo_findings(demo_audit):
    run = next(r for r in demo_audit.runs if r.plugin == "open_ports" and r.phase == "collect")
    assert run.status is RunStatus.ok, run.reason
    assert run.source.kind == "recorded"
    results = {r.check_id: r for r in demo_audit.results if r.check_id.startswith("open_ports.")}
    failed = {cid: [a.name for a in r.affected] for cid, r in results.items() if r.status is Status.failed}
    workstations = [f"10.20.0.{n}:{p}/tcp" for n in range(101, 107) for p in (139, 445)]
    assert failed == {
        "open_ports.rdp_external": ["203.0.113.10:3389/tcp"],
        "open_ports.database_internal": ["10.20.0.30:3306/tcp"],
        "open_ports.ftp_internal": ["10.20.0.40:21/tcp"],
        "open_ports.http_admin_internal": ["10.20.0.1:80/tcp", "10.20.0.40:5000/tcp", "10.20.0.50:80/tcp"],
        "open_ports.smb_internal": ["10.20.0.40:139/tcp", "10.20.0.40:445/tcp", *workstations],
        "open_ports.snmp_internal": ["10.20.0.50:161/udp"],
        # the printer's Telnet port is an accepted risk in the demo profile (until 2027-03-31)
        "open_ports.telnet_internal": ["10.20.0.40:23/tcp"],
        "open_ports.unexpected_internal": ["10.20.0.103:7070/tcp"],
        "open_ports.vnc_internal": ["10.20.0.104:5900/tcp"],
    }
    assert all(r.status is Status.passed for cid, r in results.items() if cid not in failed)
    telnet = results["open_ports.telnet_internal"]
    assert [a.name for a in telnet.accepted_assets] == ["10.20.0.50:23/tcp"]
    assert telnet.asset_acceptances[0].expires.isoformat() == "2027-03-31"
    rdp = results["open_ports.rdp_external"].affected[0]
    assert rdp.detail == "ms-wbt-server Microsoft Terminal Services"
    mysql = results["open_ports.database_internal"].affected[0]
    assert mysql.detail == "mysql MySQL 5.5.5-10.5.21-MariaDB-0+deb11u1 — srv-linux01.durand.local"


def test_demo_hosts_join_the_inventory(demo_audit):
    scanned = {a.key: a for a in demo_audit.inventory if "open_ports" in a.sources}
    assert len(scanned) == 15
    assert {"dc01", "dc02", "srv-file01", "srv-app01", "srv-linux01", "nas01", "prn-01", "fw01", "wks-004"} <= set(
        scanned)
    assert scanned["prn-01"].role == "network" and scanned["fw01"].role == "network"
    assert scanned["nas01"].role == "network"


def test_demo_roadmap_merges_shared_fixes(demo_audit):
    items = {i.remediation_group: i for i in demo_audit.roadmap.items}
    assert items["open_ports.rdp_external"].phase == 1  # critical items land in the first phase
    https = items["open_ports.https_admin"]
    assert https.assets == ("10.20.0.1:80/tcp", "10.20.0.40:5000/tcp", "10.20.0.50:80/tcp")
    assert https.effort_hours == 1 + 0.5 * 3


def test_recorded_mode_needs_no_nmap_binary(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    registry = PluginRegistry.build()
    profile = load_profile(PROFILE, registry)
    context = CollectContext(plugin="open_ports", settings=profile.plugins["open_ports"],
                             profile_dir=PROFILE.parent, scope=ScopeGuard((), None), client_id="cabinet-durand")
    collected = plugin.auditor_collect(context=context)
    assert len(collected.evidence.internal.hosts) == 15
    assert collected.source.files == ("../samples/demo-client/open_ports/internal.xml",
                                      "../samples/demo-client/open_ports/external.xml")
    assert "-sV" in collected.source.options["internal.command"]
    # The evidence is dated by the scan itself: the external run finished last, at 09:35:06 on 2026-11-20.
    assert collected.collected_at.isoformat() == "2026-11-20T09:35:06+00:00"


def test_evidence_round_trips_through_its_recorded_json():
    registry = PluginRegistry.build()
    info = registry.infos["open_ports"]
    assert info.evidence_model is plugin.OpenPortsEvidence and info.area == "open_ports"
    assert len(registry.checks_of("open_ports")) == 20
    profile = load_profile(PROFILE, registry)
    context = CollectContext(plugin="open_ports", settings=profile.plugins["open_ports"],
                             profile_dir=PROFILE.parent, scope=ScopeGuard((), None), client_id="cabinet-durand")
    evidence = plugin.auditor_collect(context=context).evidence
    payload = evidence.model_dump(mode="json")
    assert plugin.OpenPortsEvidence.model_validate(payload) == evidence
    assert payload["schema_version"] == 1

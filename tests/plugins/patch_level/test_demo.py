"""The demo estate end to end: recorded AD + nmap evidence of the other plugins, plus the RMM export.

Expectations follow samples/demo-client/ESTATE.md and samples/demo-client/patch_level/README.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.models import Status
from auditor.pluginmanager import PluginRegistry
from auditor.profile import load_profile
from auditor.runner import collect, evaluate, load_evidence
from auditor_plugins.patch_level.inputs import from_account_hygiene, from_open_ports, software_in

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    registry = PluginRegistry.build()
    profile = load_profile(ROOT / "profiles" / "demo-client.toml", registry)
    bundle, _files = collect(profile, registry)
    audit = evaluate(bundle, registry, profile=profile)
    models, problems = load_evidence(bundle, registry)
    return audit, models, problems


def _affected(audit, check_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    result = next(r for r in audit.results if r.check_id == check_id)
    return [a.name for a in result.affected]


def test_adapters_read_the_other_plugins_demo_evidence(demo) -> None:  # type: ignore[no-untyped-def]
    audit, models, problems = demo
    assert "account_hygiene" in models and "open_ports" in models, problems
    ad = {o.host: o for o in from_account_hygiene(models["account_hygiene"])}
    assert {"DC01", "SRV-FILE01", "WKS-003", "WKS-OLD-03", "LAP-008"} <= set(ad)
    assert (ad["SRV-FILE01"].build, ad["WKS-003"].build, ad["WKS-OLD-03"].build) == (9600, 19045, 7601)
    assert ad["WKS-001"].os_name == "Windows 11 Professionnel" and ad["WKS-001"].confidence == "release-level"
    services = from_open_ports(models["open_ports"], audit.inventory)
    ssh = next(s for s in services if s.ip == "10.20.0.30" and s.port == 22)
    assert ssh.host == "SRV-LINUX01"
    assert ssh.cpes == ("cpe:/a:openbsd:openssh:8.4p1", "cpe:/o:linux:linux_kernel")  # every CPE, not the last
    assert [(s.product, s.version) for s in software_in(ssh)] == [("openssh", "8.4p1 Debian 5+deb11u3")]


def test_demo_findings(demo) -> None:  # type: ignore[no-untyped-def]
    audit, _models, _problems = demo
    run = next(r for r in audit.runs if r.plugin == "patch_level" and r.phase == "collect")
    assert run.status.value == "ok" and run.source is not None
    assert run.source.options["lifecycle_data"] == "2026.11.20-1 (2026-11-20)"
    assert _affected(audit, "patch_level.server_os_unsupported") == ["SRV-FILE01", "SRV-LINUX01"]
    assert _affected(audit, "patch_level.workstation_os_unsupported") == ["LAP-008", "WKS-003", "WKS-004"]
    assert _affected(audit, "patch_level.windows_feature_release_behind") == [
        "LAP-007", "WKS-001", "WKS-002", "WKS-005", "WKS-006"]
    assert _affected(audit, "patch_level.os_support_ending") == ["SRV-APP01"]
    assert _affected(audit, "patch_level.updates_outdated") == ["SRV-APP01"]
    assert _affected(audit, "patch_level.stale_device_records") == ["WKS-OLD-03"]
    assert _affected(audit, "patch_level.services_unsupported") == [
        "SRV-APP01 10.20.0.21:1433/tcp internal", "SRV-LINUX01 10.20.0.30:22/tcp internal",
        "SRV-LINUX01 10.20.0.30:80/tcp internal"]
    by_id = {r.check_id: r for r in audit.results}
    assert by_id["patch_level.services_known_exploited"].status is Status.passed
    assert by_id["patch_level.server_os_unsupported"].confidence == "patch-level"
    stale = by_id["patch_level.stale_device_records"]
    assert stale.affected[0].detail_in("fr") == (
        "Windows 7 : vue pour la dernière fois le 12 juin 2023 (il y a 1262 jours ; ad, csv) - données trop "
        "anciennes, machine non jugée")
    for result in by_id.values():
        if result.check_id.startswith("patch_level.") and result.measured is not None:
            assert result.unit is not None, result.check_id
    assert by_id["patch_level.os_coverage"].status in (Status.passed, Status.partial)
    area = next(a for a in audit.scores.areas if a.area == "patch_level")
    assert area.score is not None and (area.failed, area.passed, area.not_assessed) == (7, 2, 0)

"""The demo client's recorded AD evidence (samples/demo-client/account_hygiene/ad.json), read as the profile does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditor.models import Status
from auditor.plugin_api import CollectContext, EvaluationContext, ScopeGuard
from auditor.pluginmanager import PluginRegistry, get_plugin_manager
from auditor_plugins import account_hygiene as plugin
from auditor_plugins.account_hygiene.checks import AccountHygieneParameters

ROOT = Path(__file__).resolve().parents[3]
PROFILES = ROOT / "profiles"
STAFF = 36


def _collect():  # type: ignore[no-untyped-def]
    settings = plugin.AccountHygieneSettings(mode="recorded",
                                             evidence_file="../samples/demo-client/account_hygiene/ad.json")
    context = CollectContext(plugin="account_hygiene", settings=settings, profile_dir=PROFILES,
                             scope=ScopeGuard((), None), client_id="cabinet-durand")
    return plugin.auditor_collect(context=context)


def test_demo_evidence_matches_the_estate() -> None:
    collected = _collect()
    evidence = collected.evidence
    assert collected.collected_at == dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    assert collected.source.kind == "recorded" and collected.source.options == {"format": "json"}
    assert evidence.domain.dns_name == "durand.local" and evidence.domain.base_dn == "DC=durand,DC=local"
    names = {u.sam_account_name for u in evidence.users}
    assert len(names) == STAFF + 9 and {"stagiaire2023", "adm.it", "svc_sql", "scanner", "Guest"} <= names
    assert "break.glass" not in names  # cloud-only account
    assert sorted(c.name for c in evidence.computers) == sorted([
        "DC01", "DC02", "SRV-FILE01", "SRV-APP01", "SRV-BACKUP01", "WKS-001", "WKS-002", "WKS-003", "WKS-004",
        "WKS-005", "WKS-006", "LAP-007", "LAP-008", "WKS-OLD-03"])
    assets = {a.name: a for a in plugin.auditor_assets(evidence=evidence)}
    assert assets["dc01.durand.local"].role == "domain_controller"
    assert assets["srv-file01.durand.local"].os == "Windows Server 2012 R2 Standard 6.3 (9600)"
    assert [name for name, a in assets.items() if a.stale] == ["wks-old-03.durand.local"]


def test_demo_findings() -> None:
    evidence = _collect().evidence
    context = EvaluationContext(plugin="account_hygiene", now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
                                parameters=AccountHygieneParameters())
    results = {r.check_id.split(".", 1)[1]: r for r in plugin.auditor_evaluate(evidence=evidence, context=context)}
    affected = {name: [a.name for a in r.affected] for name, r in results.items()}
    assert affected["stale_users"] == ["adm.it", "lucie.garnier", "stagiaire2023", "yann.legrand"]
    assert affected["stale_computers"] == ["WKS-OLD-03"]
    assert affected["kerberoastable_users"] == ["svc_sql"]
    assert affected["privileged_group_sprawl"] == ["adm.durand", "adm.it", "Administrator", "marie.durand",
                                                   "svc_backup"]
    assert affected["privileged_old_passwords"] == ["adm.it", "Administrator", "svc_backup"]
    assert affected["password_never_expires"] == ["adm.it", "Administrator", "scanner", "svc_backup", "svc_sql"]
    assert affected["orphaned_admincount"] == ["julien.david"]
    assert affected["laps_coverage"] == ["LAP-008", "SRV-APP01", "SRV-FILE01", "WKS-003", "WKS-004"]
    assert (results["laps_coverage"].status, results["laps_coverage"].measured) == (Status.partial, 55)  # 6/11
    krbtgt = results["krbtgt_password_age"]
    assert (krbtgt.measured, krbtgt.threshold, krbtgt.unit.fr) == (3550, 180, "jours")  # type: ignore[union-attr]
    old = results["privileged_old_passwords"]
    assert (old.threshold, old.unit.fr) == (365, "jours") and old.measured > 365  # type: ignore[union-attr]
    assert all(a.detail_fr for a in results["stale_users"].affected)
    assert results["lockout_policy"].affected[0].detail == "lockoutThreshold 50 > 10; lockoutDuration 5 min < 15 min"
    assert results["fine_grained_policies"].status is Status.not_assessed
    assert {n for n, r in results.items() if r.status is Status.passed} == {
        "reversible_encryption", "asrep_roastable", "kerberoastable_privileged", "guest_enabled"}


def test_plugin_registers_cleanly() -> None:
    registry = PluginRegistry.build(get_plugin_manager(load_entry_points=False, extra_plugins=[plugin]))
    assert registry.infos["account_hygiene"].evidence_model.__name__ == "AdEvidence"
    assert len(registry.checks_of("account_hygiene")) == 20

"""The plugin against a real Samba AD domain controller seeded with known defects (tests/servers/samba_ad.py).

Every check's affected set is asserted exactly against the construction in ``samba_ad.USERS`` /
``COMPUTERS``.  Facts of the construction worth remembering when reading the expectations:

* the domain was provisioned 1,100 days ago, so krbtgt and Administrator have 1,100-day-old passwords and
  the Guest account (enabled on purpose) was created then and never logged on;
* Administrator's password never expires (as in most SMB domains) and it logs on every time the fixture
  binds, so it is "in use";
* adm.carol is a Domain Admin only through primaryGroupID=512 (absent from ``member``), adm.bob only
  through the nested group IT-Admins.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from auditor.errors import CredentialsMissing
from auditor.models import RunStatus, Status
from auditor.plugin_api import CollectContext, EvaluationContext, ScopeGuard
from auditor.pluginmanager import PluginRegistry, get_plugin_manager
from auditor.profile import load_profile
from auditor.runner import collect, evaluate
from auditor_plugins import account_hygiene as plugin
from auditor_plugins.account_hygiene.checks import AccountHygieneParameters
from auditor_plugins.account_hygiene.evidence import AdEvidence
from auditor_plugins.account_hygiene.sources import (
    DirectoryBindError,
    DirectoryConnectError,
    DirectoryTlsError,
    LdifSource,
    NotActiveDirectoryError,
)

pytestmark = pytest.mark.samba

EXPECTED: dict[str, list[str]] = {
    "stale_users": ["carla.petit", "Guest", "stagiaire2023"],
    "stale_computers": ["LAP-OLD-01", "WKS-OLD-03"],
    "password_never_expires": ["Administrator", "Guest", "svc_backup", "svc_sql"],
    "password_not_required": ["Guest", "scanner"],
    "reversible_encryption": ["legacy.app"],
    "asrep_roastable": ["asrep.user"],
    "kerberoastable_users": ["svc_sql", "svc_web"],
    "kerberoastable_privileged": ["adm.bob"],
    "privileged_group_sprawl": ["adm.alice", "adm.bob", "adm.carol", "Administrator", "svc_backup"],
    "privileged_old_passwords": ["adm.alice", "Administrator", "svc_backup"],
    "privileged_not_protected": ["adm.alice", "Administrator", "svc_backup"],
    "orphaned_admincount": ["old.admin"],
    "krbtgt_password_age": ["krbtgt"],
    "builtin_admin_in_use": ["Administrator"],
    "guest_enabled": ["Guest"],
    "password_policy": ["Default Domain Policy"],
    "lockout_policy": ["Default Domain Policy"],
    "laps_coverage": ["SRV-APP01", "WKS-002", "WKS-NEW-09"],
    "unconstrained_delegation": ["SRV-APP01"],
}
PASSWORD_VARIABLE = "AUDITOR_TEST_AD_PASSWORD"


def _context(tmp_path: Path, **settings: object) -> CollectContext:
    return CollectContext(plugin="account_hygiene", settings=plugin.AccountHygieneSettings(**settings),
                          profile_dir=tmp_path, scope=ScopeGuard((), None), client_id="testlab")


def _settings(samba_ad, **overrides: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"server": samba_ad.host, "ca_file": str(samba_ad.ca_file),
                                 "bind_user": samba_ad.reader_upn, "bind_password": f"env:{PASSWORD_VARIABLE}"}
    values.update(overrides)
    return values


def _evaluate(evidence: AdEvidence) -> dict[str, object]:
    context = EvaluationContext(plugin="account_hygiene", now=evidence.collected_at,  # type: ignore[arg-type]
                                parameters=AccountHygieneParameters())
    return {r.check_id.split(".", 1)[1]: r for r in plugin.auditor_evaluate(evidence=evidence, context=context)}


@pytest.fixture(scope="module")
def reader_collection(samba_ad, tmp_path_factory):  # type: ignore[no-untyped-def]
    os.environ[PASSWORD_VARIABLE] = samba_ad.reader_password
    collected = plugin.auditor_collect(context=_context(tmp_path_factory.mktemp("ah"), **_settings(samba_ad)))
    return collected


def test_reader_collection_reports_exactly_the_seeded_defects(reader_collection, samba_ad) -> None:  # type: ignore[no-untyped-def]
    evidence = reader_collection.evidence
    results = _evaluate(evidence)
    for name, expected in EXPECTED.items():
        result = results[name]
        assert result.status in (Status.failed, Status.partial), name
        assert [a.name for a in result.affected] == sorted(expected, key=str.lower), name
    # The reader may not read fine-grained policies: not assessed, with the reason.
    fgpp = results["fine_grained_policies"]
    assert fgpp.status is Status.not_assessed
    assert "Password Settings Container" in fgpp.reason.en
    # Coverage and the figures behind the verdicts.
    laps = results["laps_coverage"]
    assert (laps.status, laps.measured, laps.score_share) == (Status.partial, 40, 0.4)  # 2/5
    assert results["krbtgt_password_age"].measured == 1100
    assert results["password_policy"].affected[0].detail == "minPwdLength 7 < 12"
    assert results["lockout_policy"].affected[0].detail == "lockoutThreshold 0"
    stale = {a.name: a.detail for a in results["stale_users"].affected}
    seeded = samba_ad.seeded_at
    assert stale["carla.petit"].startswith(f"last logon {(seeded - dt.timedelta(days=200)).date()} (")
    assert stale["stagiaire2023"] == f"never logged on; created {(seeded - dt.timedelta(days=500)).date()}"
    sprawl = {a.name: a.detail for a in results["privileged_group_sprawl"].affected}
    assert sprawl["adm.carol"] == "Domain Admins (4 > 3)"  # primaryGroupID membership counted
    assert sprawl["svc_backup"] == "Backup Operators (1 > 0)"


def test_reader_collection_source_and_evidence(reader_collection, samba_ad) -> None:  # type: ignore[no-untyped-def]
    evidence, source = reader_collection.evidence, reader_collection.source
    assert source.kind == "live" and source.servers == (samba_ad.host,)
    assert source.identity == samba_ad.reader_upn
    assert source.options["tls_validation"] == "enabled" and source.options["base_dn"] == samba_ad.base_dn
    assert evidence.domain.base_dn == samba_ad.base_dn  # discovered from the RootDSE
    assert evidence.domain.sid == samba_ad.domain_sid
    assert evidence.laps_legacy_schema is True and evidence.laps_windows_schema is True
    domain_admins = evidence.group("domain_admins")
    assert domain_admins is not None and domain_admins.name == "Domain Admins"
    assert {dn.split(",", 1)[0] for dn in domain_admins.nested_members} == {
        "CN=Administrator", "CN=adm.alice", "CN=IT-Admins", "CN=adm.bob"}
    computers = {c.name: c for c in evidence.computers}
    assert computers["DC1"].role == "domain_controller" and computers["DC1"].operating_system == "Samba"
    assert computers["SRV-FILE01"].role == "server" and computers["SRV-FILE01"].laps_legacy
    assert computers["WKS-001"].role == "workstation" and computers["WKS-001"].laps_windows
    assert computers["WKS-001"].operating_system == "Windows 11 Professionnel"
    assets = {a.name: a for a in plugin.auditor_assets(evidence=evidence)}
    assert assets["wks-old-03.testlab.example"].stale and not assets["wks-001.testlab.example"].stale
    assert assets["dc1.testlab.example"].role == "domain_controller"
    assert assets["wks-dis-05.testlab.example"].stale  # disabled


def test_admin_reads_fine_grained_policies(samba_ad, tmp_path) -> None:  # type: ignore[no-untyped-def]
    os.environ[PASSWORD_VARIABLE] = samba_ad.admin_password
    collected = plugin.auditor_collect(context=_context(tmp_path, **_settings(samba_ad, bind_user=samba_ad.admin_dn)))
    results = _evaluate(collected.evidence)
    fgpp = results["fine_grained_policies"]
    assert fgpp.status is Status.failed
    assert [(a.name, a.detail) for a in fgpp.affected] == [(
        "PSO-Legacy",
        "minPwdLength 4 < 12; pwdHistoryLength 0 < 12; maxPwdAge 0 (∞); lockoutThreshold 0; "
        "msDS-PSOAppliesTo: Legacy-Apps",
    )]
    assert collected.evidence.unreadable == {}


def test_starttls_gives_the_same_evidence(samba_ad, reader_collection, tmp_path) -> None:  # type: ignore[no-untyped-def]
    os.environ[PASSWORD_VARIABLE] = samba_ad.reader_password
    collected = plugin.auditor_collect(context=_context(tmp_path, **_settings(samba_ad, transport="starttls")))
    assert collected.source.options["transport"] == "starttls"
    assert [u.dn for u in collected.evidence.users] == [u.dn for u in reader_collection.evidence.users]
    assert [c.dn for c in collected.evidence.computers] == [c.dn for c in reader_collection.evidence.computers]


def test_extra_computers_fixture_for_other_plugins(samba_ad, samba_ad_computers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    samba_ad_computers("SRV-EXTRA01", operating_system="Windows Server 2012 R2 Standard",
                       operating_system_version="6.3 (9600)", last_logon_days_ago=2)
    os.environ[PASSWORD_VARIABLE] = samba_ad.reader_password
    evidence = plugin.auditor_collect(context=_context(tmp_path, **_settings(samba_ad))).evidence
    extra = next(c for c in evidence.computers if c.name == "SRV-EXTRA01")
    assert (extra.role, extra.os_text, extra.enabled) == ("server", "Windows Server 2012 R2 Standard 6.3 (9600)", True)
    assert extra.last_logon is not None and (evidence.collected_at - extra.last_logon).days == 2


def test_ldapsearch_dump_gives_the_same_findings(samba_ad, reader_collection, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A real ldapsearch LDIF dump (paged, with comments) read by the LDIF source: same verdicts as live."""
    if shutil.which("ldapsearch") is None:
        pytest.skip("ldapsearch (ldap-utils) is not installed")
    password_file = tmp_path / "pw"
    password_file.write_text(samba_ad.admin_password)
    password_file.chmod(0o600)
    dump = tmp_path / "testlab.ldif"
    env = {**os.environ, "LDAPTLS_CACERT": str(samba_ad.ca_file)}
    with dump.open("wb") as out:
        subprocess.run(["ldapsearch", "-x", "-H", samba_ad.url, "-D", samba_ad.admin_upn, "-y", str(password_file),
                        "-E", "pr=1000/noprompt", "-o", "ldif-wrap=76", "-b", samba_ad.base_dn, "(objectClass=*)",
                        "*", "msDS-User-Account-Control-Computed"],
                       stdout=out, stderr=subprocess.PIPE, env=env, check=True, timeout=60)
    password_file.unlink()
    evidence = LdifSource(dump, collected_at=reader_collection.evidence.collected_at).read()
    results = _evaluate(evidence)
    for name, expected in EXPECTED.items():
        if name == "builtin_admin_in_use":
            continue  # the dump was made as Administrator a moment later; still in use
        assert [a.name for a in results[name].affected] == sorted(expected, key=str.lower), name
    assert [a.name for a in results["fine_grained_policies"].affected] == ["PSO-Legacy"]
    assert evidence.laps_legacy_schema is None  # the schema is not in a domain dump


# ---------------------------------------------------------------------------------------------------
# Faults: each gives a clear reason, checks are not assessed, and the password never leaks.
# ---------------------------------------------------------------------------------------------------

def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_wrong_password(samba_ad, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    os.environ[PASSWORD_VARIABLE] = "Wrong-" + samba_ad.reader_password
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DirectoryBindError) as caught:
        plugin.auditor_collect(context=_context(tmp_path, **_settings(samba_ad)))
    assert "refused the credentials of 'auditor.ro@testlab.example' (wrong password)" in str(caught.value)
    assert os.environ[PASSWORD_VARIABLE] not in str(caught.value) + caplog.text


def test_unreachable_server(tmp_path) -> None:  # type: ignore[no-untyped-def]
    os.environ[PASSWORD_VARIABLE] = "irrelevant-secret"
    context = _context(tmp_path, server="127.0.0.1", port=_closed_port(), bind_user="x@y",
                       bind_password=f"env:{PASSWORD_VARIABLE}", connect_timeout_seconds=3)
    with pytest.raises(DirectoryConnectError, match="cannot connect"):
        plugin.auditor_collect(context=context)


def test_certificate_name_mismatch(samba_ad, tmp_path) -> None:  # type: ignore[no-untyped-def]
    os.environ[PASSWORD_VARIABLE] = samba_ad.reader_password
    with pytest.raises(DirectoryTlsError, match="does not name this server"):
        plugin.auditor_collect(context=_context(tmp_path, **_settings(samba_ad, server=samba_ad.mismatch_host)))


def test_untrusted_certificate(samba_ad, tmp_path) -> None:  # type: ignore[no-untyped-def]
    os.environ[PASSWORD_VARIABLE] = samba_ad.reader_password
    with pytest.raises(DirectoryTlsError, match="not trusted"):
        plugin.auditor_collect(context=_context(tmp_path, **_settings(samba_ad, ca_file=None)))


def test_skipping_validation_is_explicit_and_recorded(samba_ad, tmp_path) -> None:  # type: ignore[no-untyped-def]
    os.environ[PASSWORD_VARIABLE] = samba_ad.reader_password
    collected = plugin.auditor_collect(context=_context(
        tmp_path, **_settings(samba_ad, server=samba_ad.mismatch_host, ca_file=None, tls_skip_verify=True)))
    assert collected.source.options["tls_validation"] == "disabled (tls_skip_verify)"
    assert len(collected.evidence.users) == len(samba_ad_users())


def samba_ad_users() -> list[str]:
    from tests.servers.samba_ad import USERS

    return [u.name for u in USERS] + ["Administrator", "Guest", "krbtgt"]


def test_base_dn_that_is_not_a_domain(samba_ad, tmp_path) -> None:  # type: ignore[no-untyped-def]
    os.environ[PASSWORD_VARIABLE] = samba_ad.reader_password
    with pytest.raises(NotActiveDirectoryError, match="is not the head of an AD domain"):
        plugin.auditor_collect(context=_context(
            tmp_path, **_settings(samba_ad, base_dn=f"CN=Configuration,{samba_ad.base_dn}")))


def test_missing_credentials_skip(samba_ad, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CredentialsMissing):
        plugin.auditor_collect(context=_context(tmp_path, server=samba_ad.host, bind_user="x@y"))


def _profile(tmp_path: Path, settings: dict[str, object]) -> Path:
    lines = ["[client]", 'id = "testlab"', 'name = "Testlab"', "[msp]", 'name = "MSP"', "[contract]",
             "hourly_rate = 90.0", "monthly_hours = 10", "[plugins.account_hygiene]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    path = tmp_path / "profile.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("fault", ["wrong_password", "mismatch"])
def test_faults_through_the_runner(samba_ad, tmp_path, caplog, fault) -> None:  # type: ignore[no-untyped-def]
    """Run record says why, every check is not_assessed, and the password is nowhere in the outputs."""
    secret = "Wrong-" + samba_ad.reader_password if fault == "wrong_password" else samba_ad.reader_password
    os.environ[PASSWORD_VARIABLE] = secret
    caplog.set_level(logging.DEBUG)
    registry = PluginRegistry.build(get_plugin_manager(load_entry_points=False, extra_plugins=[plugin]))
    overrides = {"server": samba_ad.mismatch_host} if fault == "mismatch" else {}
    profile = load_profile(_profile(tmp_path, _settings(samba_ad, **overrides)), registry)
    bundle, files = collect(profile, registry)
    run = next(r for r in bundle.manifest.runs if r.plugin == "account_hygiene")
    assert run.status is RunStatus.error
    expected = "wrong password" if fault == "wrong_password" else "does not name this server"
    assert expected in (run.reason or "")
    audit = evaluate(bundle, registry, profile=profile)
    mine = [r for r in audit.results if r.check_id.startswith("account_hygiene.")]
    assert len(mine) == 20 and all(r.status is Status.not_assessed for r in mine)
    assert expected in mine[0].reason.en
    blob = b"".join(files.values()).decode("utf-8", errors="replace") + caplog.text + audit.model_dump_json()
    assert secret not in blob


def test_password_never_in_evidence_or_logs(samba_ad, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    os.environ[PASSWORD_VARIABLE] = samba_ad.reader_password
    caplog.set_level(logging.DEBUG)
    registry = PluginRegistry.build(get_plugin_manager(load_entry_points=False, extra_plugins=[plugin]))
    profile = load_profile(_profile(tmp_path, _settings(samba_ad)), registry)
    bundle, files = collect(profile, registry)
    run = next(r for r in bundle.manifest.runs if r.plugin == "account_hygiene")
    assert run.status is RunStatus.ok, run.reason
    audit = evaluate(bundle, registry, profile=profile)
    blob = b"".join(files.values()).decode("utf-8") + caplog.text + audit.model_dump_json()
    assert samba_ad.reader_password not in blob
    assert "auditor.ro@testlab.example" in blob  # provenance does name the identity
    assert audit.collected_at.tzinfo is not None and audit.collected_at <= dt.datetime.now(dt.UTC)

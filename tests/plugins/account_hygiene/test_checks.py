"""Unit tests of the account-hygiene checks on hand-built evidence, expectations computed by hand."""

from __future__ import annotations

import pytest

from auditor.models import LocalizedText, Status
from auditor_plugins.account_hygiene.checks import CATALOGUE, AccountHygieneParameters, evaluate
from auditor_plugins.account_hygiene.evidence import (
    UF_DONT_EXPIRE_PASSWD,
    UF_DONT_REQ_PREAUTH,
    UF_ENCRYPTED_TEXT_PWD_ALLOWED,
    UF_NOT_DELEGATED,
    UF_PASSWD_NOTREQD,
    UF_TRUSTED_FOR_DELEGATION,
    DomainPolicy,
    PasswordSettings,
)
from tests.plugins.account_hygiene.helpers import GOOD_POLICY, NOW, computer, evidence, group, user

PARAMS = AccountHygieneParameters()


def run(ev, params: AccountHygieneParameters = PARAMS):  # type: ignore[no-untyped-def]
    return {r.check_id.split(".", 1)[1]: r for r in evaluate(ev, params, NOW)}


def names(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.name for a in result.affected]


def test_catalogue_is_complete_and_bilingual() -> None:
    assert len(CATALOGUE) == 20
    results = run(evidence())
    assert set(results) == {c.id.split(".", 1)[1] for c in CATALOGUE}
    for check in CATALOGUE:
        assert check.area == "account_hygiene" and check.references
        assert check.title.fr != check.title.en and check.remediation.fr != check.remediation.en


def test_stale_users_allow_for_the_replication_lag() -> None:
    ev = evidence([
        user("active", logon=10),
        user("within.lag", logon=104),  # 104 <= 90 + 14: not stale
        user("beyond.lag", logon=105),
        user("never.old", logon=None, created=31),
        user("never.new", logon=None, created=30),
        user("disabled.old", logon=500, disabled=True),
    ])
    result = run(ev)["stale_users"]
    assert result.status is Status.failed
    assert [(a.name, a.detail, a.detail_fr) for a in result.affected] == [
        ("beyond.lag", "last logon 2026-08-07 (105 days ago)", "dernière connexion le 2026-08-07 (il y a 105 jours)"),
        ("never.old", "never logged on; created 2026-10-20", "jamais connecté ; créé le 2026-10-20"),
    ]
    assert (result.measured, result.threshold, result.unit) == (2, 0, LocalizedText(en="accounts", fr="comptes"))
    assert result.affected[0].detail_in("fr") == "dernière connexion le 2026-08-07 (il y a 105 jours)"
    strict = AccountHygieneParameters(stale_user_days=60)
    assert names(run(ev, strict)["stale_users"]) == ["Administrator", "beyond.lag", "never.old", "within.lag"]


def test_stale_computers_and_what_they_say_about_the_os() -> None:
    ev = evidence(computers=[
        computer("WKS-OK"), computer("WKS-OLD", "Windows 7 Professionnel", logon=400),
        computer("LAP-NEVER", logon=None, created=200), computer("WKS-NEW", logon=None, created=2),
        computer("WKS-OFF", logon=900, disabled=True),
    ])
    result = run(ev)["stale_computers"]
    assert [(a.name, a.detail, a.detail_fr) for a in result.affected] == [
        ("LAP-NEVER", "never logged on; created 2026-05-04; Windows 11 Pro",
         "jamais connecté ; créé le 2026-05-04 ; Windows 11 Pro"),
        ("WKS-OLD", "last logon 2025-10-16 (400 days ago); Windows 7 Professionnel",
         "dernière connexion le 2025-10-16 (il y a 400 jours) ; Windows 7 Professionnel"),
    ]
    assert (result.measured, result.threshold, result.unit.fr) == (2, 0, "ordinateurs")  # type: ignore[union-attr]


def test_account_flags_only_on_enabled_users() -> None:
    ev = evidence([
        user("svc_forever", flags=UF_DONT_EXPIRE_PASSWD), user("printer", flags=UF_PASSWD_NOTREQD),
        user("legacy", flags=UF_ENCRYPTED_TEXT_PWD_ALLOWED), user("roast", flags=UF_DONT_REQ_PREAUTH),
        user("gone", flags=UF_DONT_REQ_PREAUTH | UF_DONT_EXPIRE_PASSWD | UF_PASSWD_NOTREQD, disabled=True),
    ])
    results = run(ev)
    assert names(results["password_never_expires"]) == ["svc_forever"]
    assert names(results["password_not_required"]) == ["printer"]
    assert names(results["reversible_encryption"]) == ["legacy"]
    assert names(results["asrep_roastable"]) == ["roast"]
    assert results["asrep_roastable"].measured == 1


def test_reversible_encryption_in_policies_is_reported_too() -> None:
    weak = DomainPolicy(**{**GOOD_POLICY.model_dump(), "reversible_encryption": True})
    pso = PasswordSettings(dn="CN=PSO-X,CN=Password Settings Container,CN=System,DC=corp,DC=example", name="PSO-X",
                           policy=weak)
    result = run(evidence(policy=weak, password_settings=(pso,)))["reversible_encryption"]
    assert [(a.name, a.kind) for a in result.affected] == [("Default Domain Policy", "policy"), ("PSO-X", "policy")]


def test_privileged_membership_nested_and_primary_group() -> None:
    admins = [user("Administrator", rid=500, logon=100), user("adm.direct", pwd=400),
              user("adm.nested", spns=("HTTP/tools",), flags=UF_NOT_DELEGATED),
              user("adm.primary", primary=512), user("adm.protected"), user("svc_sql", spns=("MSSQLSvc/db:1433",)),
              user("adm.disabled", disabled=True), user("bk", pwd=800)]
    groups = [
        group("domain_admins", 512, ["Administrator", "adm.direct", "CN=IT,CN=Users,DC=corp,DC=example", "adm.nested",
                                      "adm.disabled"], nested_rids=(1105,)),
        group("backup_operators", "S-1-5-32-551", ["bk"]),
        group("protected_users", 525, ["adm.protected", "adm.primary"]),
        group("administrators", "S-1-5-32-544", ["adm.protected"]),
    ]
    results = run(evidence(admins, groups=groups))
    sprawl = results["privileged_group_sprawl"]
    # Domain Admins: Administrator, adm.direct, adm.nested, adm.primary (disabled one not counted) = 4 > 3.
    assert [(a.name, a.detail) for a in sprawl.affected] == [
        ("adm.direct", "Domain Admins (4 > 3)"), ("adm.nested", "Domain Admins (4 > 3)"),
        ("adm.primary", "Domain Admins (4 > 3)"), ("Administrator", "Domain Admins (4 > 3)"),
        ("bk", "Backup Operators (1 > 0)"),
    ]
    # Measured: privileged groups over their limit (Domain Admins, Backup Operators), in groups.
    assert (sprawl.measured, sprawl.threshold, sprawl.unit.fr) == (2, 0, "groupes")  # type: ignore[union-attr]
    assert names(results["kerberoastable_privileged"]) == ["adm.nested"]
    roast = results["kerberoastable_privileged"].affected[0]
    assert (roast.detail, roast.detail_fr) == ("HTTP/tools; member of Domain Admins",
                                               "HTTP/tools ; membre de Domain Admins")
    old = results["privileged_old_passwords"]
    # Measured: the oldest privileged password (bk, 800 days) against 365 days, both in days.
    assert (old.measured, old.threshold, old.unit) == (800, 365, LocalizedText(en="days", fr="jours"))
    assert (old.affected[0].detail, old.affected[0].detail_fr) == (
        "password set 2025-10-16 (400 days ago); Domain Admins",
        "mot de passe défini le 2025-10-16 (il y a 400 jours) ; Domain Admins")
    assert names(results["kerberoastable_users"]) == ["svc_sql"]
    assert names(results["privileged_old_passwords"]) == ["adm.direct", "bk"]
    # adm.nested is sensitive, adm.protected and adm.primary are in Protected Users.
    assert names(results["privileged_not_protected"]) == ["adm.direct", "Administrator", "bk"]
    relaxed = AccountHygieneParameters(privileged_group_max_members={"domain_admins": 4, "backup_operators": 1})
    within = run(evidence(admins, groups=groups), relaxed)["privileged_group_sprawl"]
    assert (within.status, within.measured) == (Status.passed, 0)
    # The distinct privileged accounts (adm.protected via Administrators) are counted in the pass reason.
    assert within.reason.fr.startswith("6 compte(s) à privilèges")  # type: ignore[union-attr]


def test_orphaned_admincount() -> None:
    ev = evidence([user("old.admin", admin_count=True), user("adm.now", admin_count=True),
                   user("krbtgt", rid=502, disabled=True, admin_count=True),
                   user("Administrator", rid=500, admin_count=True, logon=100)],
                  groups=[group("domain_admins", 512, ["adm.now", "Administrator"])])
    assert names(run(ev)["orphaned_admincount"]) == ["old.admin"]


def test_krbtgt_builtin_admin_and_guest() -> None:
    ev = evidence([user("krbtgt", rid=502, disabled=True, pwd=181), user("Administrator", rid=500, logon=35),
                   user("Guest", rid=501, logon=None)])
    results = run(ev)
    krbtgt = results["krbtgt_password_age"]
    assert (krbtgt.status, krbtgt.measured, krbtgt.threshold, krbtgt.unit.fr) == (  # type: ignore[union-attr]
        Status.failed, 181, 180, "jours")
    assert krbtgt.affected[0].detail_fr == "mot de passe défini le 2026-05-23 (il y a 181 jours)"
    admin = results["builtin_admin_in_use"]
    assert (admin.measured, admin.threshold, admin.unit.en) == (35, 35, "days")  # type: ignore[union-attr]
    assert (admin.affected[0].detail, admin.affected[0].detail_fr) == (
        "last logon 2026-10-16 (35 days ago)", "dernière connexion le 2026-10-16 (il y a 35 jours)")
    assert names(results["guest_enabled"]) == ["Guest"]
    guest = results["guest_enabled"]
    # An on/off state: no English word as measured or threshold, the detail says it in both languages.
    assert (guest.measured, guest.threshold) == (None, None)
    assert guest.affected[0].detail_in("fr") == "activé (userAccountControl 512)"
    quiet = run(evidence([user("krbtgt", rid=502, disabled=True, pwd=180), user("Administrator", rid=500, logon=36)]))
    assert quiet["krbtgt_password_age"].status is Status.passed
    assert quiet["builtin_admin_in_use"].status is Status.passed and quiet["guest_enabled"].status is Status.passed


def test_domain_policies() -> None:
    weak = DomainPolicy(min_password_length=8, password_history=5, max_password_age_days=0, complexity=True,
                        reversible_encryption=False, lockout_threshold=50, lockout_duration_minutes=5)
    results = run(evidence(policy=weak))
    assert results["password_policy"].affected[0].detail == (
        "minPwdLength 8 < 12; pwdHistoryLength 5 < 12; maxPwdAge 0 (∞)")
    assert results["lockout_policy"].affected[0].detail == "lockoutThreshold 50 > 10; lockoutDuration 5 min < 15 min"
    good = run(evidence())
    assert good["password_policy"].status is Status.passed and good["lockout_policy"].status is Status.passed
    no_expiry_ok = AccountHygieneParameters(max_password_age_days=0)
    policy = DomainPolicy(**{**GOOD_POLICY.model_dump(), "max_password_age_days": 0})
    assert run(evidence(policy=policy), no_expiry_ok)["password_policy"].status is Status.passed
    unreadable = run(evidence(policy=DomainPolicy()))
    assert unreadable["password_policy"].status is Status.not_assessed
    assert unreadable["lockout_policy"].status is Status.not_assessed


def test_fine_grained_policies() -> None:
    weak = PasswordSettings(dn="CN=PSO-Svc,CN=Password Settings Container,CN=System,DC=corp,DC=example",
                            name="PSO-Svc", precedence=5,
                            policy=DomainPolicy(min_password_length=6, password_history=24, max_password_age_days=90,
                                                lockout_threshold=3, lockout_duration_minutes=30),
                            applies_to=("CN=Services,CN=Users,DC=corp,DC=example",))
    good = PasswordSettings(dn="CN=PSO-Admins,CN=Password Settings Container,CN=System,DC=corp,DC=example",
                            name="PSO-Admins", precedence=1, policy=GOOD_POLICY)
    result = run(evidence(password_settings=(good, weak)))["fine_grained_policies"]
    assert [(a.name, a.detail) for a in result.affected] == [
        ("PSO-Svc", "minPwdLength 6 < 12; msDS-PSOAppliesTo: Services")]
    assert run(evidence(password_settings=(good,)))["fine_grained_policies"].status is Status.passed
    hidden = run(evidence(unreadable={"fine_grained_policies": "not readable by this account"}))
    assert hidden["fine_grained_policies"].status is Status.not_assessed
    assert "not readable by this account" in hidden["fine_grained_policies"].reason.en
    assert "seuls les Admins du domaine" in hidden["fine_grained_policies"].reason.fr


def test_laps_coverage_partial_pass_fail() -> None:
    machines = [computer("DC01", "Windows Server 2022 Standard", dc=True), computer("SRV-A", "Windows Server 2019",
                laps="legacy"), computer("WKS-1", laps="windows"), computer("WKS-2"), computer("WKS-3"),
                computer("WKS-STALE", logon=300), computer("WKS-OFF", disabled=True),
                computer("SRV-LINUX", "Red Hat Enterprise Linux 9"), computer("SMB-NAS", "Samba")]
    result = run(evidence(computers=machines))["laps_coverage"]
    assert (result.status, result.measured, result.threshold, result.score_share) == (Status.partial, 50, 100, 0.5)
    assert result.unit == LocalizedText(en="%", fr="%")
    assert [(a.name, a.detail) for a in result.affected] == [
        ("WKS-2", "ms-Mcs-AdmPwdExpirationTime, msLAPS-PasswordExpirationTime absent; Windows 11 Pro"),
        ("WKS-3", "ms-Mcs-AdmPwdExpirationTime, msLAPS-PasswordExpirationTime absent; Windows 11 Pro")]
    assert result.affected[0].detail_fr == (
        "LAPS non actif (ms-Mcs-AdmPwdExpirationTime, msLAPS-PasswordExpirationTime absents) ; Windows 11 Pro")
    none = run(evidence(computers=[computer("WKS-2", None)], laps_legacy_schema=False, laps_windows_schema=False))
    assert none["laps_coverage"].status is Status.failed
    assert none["laps_coverage"].affected[0].detail == "LAPS schema absent; unknown"
    assert none["laps_coverage"].affected[0].detail_fr == "schéma LAPS absent de l'annuaire ; système inconnu"
    full = run(evidence(computers=[computer("WKS-1", laps="windows")]))["laps_coverage"]
    assert (full.status, full.measured) == (Status.passed, 100)
    assert run(evidence(computers=[computer("DC01", dc=True)]))["laps_coverage"].status is Status.not_assessed


def test_unconstrained_delegation_excludes_domain_controllers() -> None:
    ev = evidence(computers=[computer("DC01", "Windows Server 2022", dc=True, flags=UF_TRUSTED_FOR_DELEGATION),
                             computer("SRV-APP", "Windows Server 2016 Standard", flags=UF_TRUSTED_FOR_DELEGATION),
                             computer("SRV-OFF", "Windows Server 2016", flags=UF_TRUSTED_FOR_DELEGATION,
                                      disabled=True)])
    result = run(ev)["unconstrained_delegation"]
    assert [(a.name, a.detail) for a in result.affected] == [("SRV-APP", "TRUSTED_FOR_DELEGATION; "
                                                                         "Windows Server 2016 Standard")]


@pytest.mark.parametrize(("key", "blocked"), [
    ("lastLogonTimestamp", {"stale_users", "stale_computers", "builtin_admin_in_use"}),
    ("userAccountControl", {"stale_users", "stale_computers", "password_never_expires", "password_not_required",
                            "reversible_encryption", "asrep_roastable", "kerberoastable_users",
                            "kerberoastable_privileged", "privileged_group_sprawl", "privileged_old_passwords",
                            "privileged_not_protected", "laps_coverage", "unconstrained_delegation"}),
    ("servicePrincipalName", {"kerberoastable_users", "kerberoastable_privileged"}),
    ("privileged_groups", {"kerberoastable_users", "kerberoastable_privileged", "privileged_group_sprawl",
                           "privileged_old_passwords", "privileged_not_protected", "orphaned_admincount"}),
])
def test_unreadable_attributes_are_not_assessed_never_failed(key: str, blocked: set[str]) -> None:
    ev = evidence([user("stale", logon=500, spns=("HTTP/x",))], computers=[computer("WKS-OLD", logon=500)],
                  unreadable={key: "not readable by this account"})
    results = run(ev)
    not_assessed = {name for name, r in results.items() if r.status is Status.not_assessed}
    assert blocked <= not_assessed
    for name in blocked:
        assert results[name].reason is not None and key in results[name].reason.en


def test_evidence_time_wins_over_bundle_time() -> None:
    """A recorded file read days later is still evaluated as of its own collection time."""
    ev = evidence([user("borderline", logon=104)])
    later = NOW.replace(day=28)
    assert evaluate(ev, PARAMS, later)[0].status is Status.passed

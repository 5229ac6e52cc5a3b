"""Unit tests of the MFA checks on hand-built evidence, with hand-computed expectations."""

from __future__ import annotations

import pytest

from auditor.models import LocalizedText, Status
from auditor.pluginmanager import PluginRegistry
from auditor_plugins.mfa.checks import CHECK_IDS, CHECKS, evaluate
from auditor_plugins.mfa.evidence import (
    ConditionalAccessPolicy,
    Enforcement,
    GoogleUser,
    GoogleWorkspaceEvidence,
    M365User,
    MfaEvidence,
    Microsoft365Evidence,
)
from auditor_plugins.mfa.settings import MfaParameters

BG = "break.glass@firm.test"


def user(name: str, *, registered: bool = True, admin: bool | None = False, enabled: bool | None = True,
         guest: bool = False, methods: tuple[str, ...] | None = None, uid: str | None = None) -> M365User:
    if methods is None:
        methods = ("microsoftAuthenticatorPush",) if registered else ()
    return M365User(id=uid or f"id-{name}", upn=f"{name}@firm.test", display_name=name.title(),
                    user_type="guest" if guest else "member", enabled=enabled, is_admin=admin,
                    mfa_registered=registered, methods=methods)


def policy(name: str = "Require MFA", *, state: str = "enabled", users: tuple[str, ...] = ("All",),
           apps: tuple[str, ...] = ("All",), controls: tuple[str, ...] = ("mfa",), exclude: tuple[str, ...] = (),
           exclude_upn: tuple[str, ...] = (), strength: str | None = None, groups: tuple[str, ...] = (),
           guests: bool = False) -> ConditionalAccessPolicy:
    return ConditionalAccessPolicy(id=f"pol-{name}", display_name=name, state=state, include_users=users,
                                   include_applications=apps, built_in_controls=controls, exclude_users=exclude,
                                   exclude_users_upn=exclude_upn, authentication_strength_requirements=strength,
                                   exclude_groups=groups, includes_guests=guests)


def m365(users: list[M365User], *, defaults: bool | None = False, policies: tuple[ConditionalAccessPolicy, ...] = (),
         ca_read: bool = True, path: str = "registration_report", roles: bool = True,
         enforcement: Enforcement | str | None = "build") -> MfaEvidence:
    if enforcement == "build":
        enforcement = Enforcement(security_defaults_enabled=defaults, conditional_access_read=ca_read,
                                  policies=policies,
                                  conditional_access_error=None if ca_read else "HTTP 403; needs Policy.Read.All")
    return MfaEvidence(microsoft365=Microsoft365Evidence(tenant_id="t1", collection_path=path, users=tuple(users),
                                                         enforcement=enforcement, admin_roles_read=roles))


def results(evidence: MfaEvidence, params: MfaParameters | None = None, bg: tuple[str, ...] = ()) -> dict:
    out = evaluate(evidence, params or MfaParameters(), bg)
    assert [r.check_id for r in out] == list(CHECK_IDS)
    return {r.check_id: r for r in out}


def names(result) -> list[str]:
    return [a.name for a in result.affected]


def tenant_70() -> list[M365User]:
    """20 enabled members: 14 registered (70 %); 2 disabled unregistered; 1 unregistered guest; 1 break-glass."""
    users = [user(f"reg{i:02d}") for i in range(14)] + [user(f"unreg{i:02d}", registered=False) for i in range(6)]
    users += [user(f"gone{i}", registered=False, enabled=False) for i in range(2)]
    users += [user("partner", registered=False, guest=True)]
    users += [M365User(id="id-bg", upn=BG, enabled=True, is_admin=True, mfa_registered=False)]
    return users


def test_catalogue_is_complete_and_bilingual() -> None:
    assert len(CHECKS) == 6
    for check in CHECKS:
        assert check.area == "mfa" and check.plugin == "mfa" and check.id.startswith("mfa.")
        assert check.title.fr != check.title.en and check.remediation.fr != check.remediation.en
        assert check.references
    import auditor_plugins.mfa as plugin
    from auditor.pluginmanager import get_plugin_manager

    registry = PluginRegistry.build(get_plugin_manager(load_entry_points=False, extra_plugins=[plugin]))
    assert [c.id for c in registry.checks_of("mfa")] == sorted(CHECK_IDS)
    assert registry.catalogue["mfa.admin_registration"].severity.value == "critical"
    assert registry.catalogue["mfa.admin_registration"].exploitability.value == "exposed"


def test_member_coverage_is_partial_against_target() -> None:
    r = results(m365(tenant_70()), bg=(BG,))["mfa.member_registration"]
    assert r.status is Status.partial
    assert r.measured == 70.0 and r.threshold == 95.0
    assert r.score_share == pytest.approx(round(0.70 / 0.95, 4))
    assert names(r) == [f"unreg{i:02d}@firm.test" for i in range(6)]  # disabled, guest and break-glass not counted
    assert r.unit == LocalizedText(en="%", fr="%")
    assert (r.affected[0].detail, r.affected[0].detail_fr) == ("Microsoft 365 member; methods: none",
                                                               "Membre Microsoft 365 ; méthodes : aucune")
    assert "14 of 20" in r.reason.en and "14 comptes membres actifs sur 20" in r.reason.fr


def test_member_coverage_with_strict_target_and_full_coverage() -> None:
    strict = MfaParameters(registration_target_percent=100)
    r = results(m365(tenant_70()), strict, (BG,))["mfa.member_registration"]
    assert r.score_share == pytest.approx(0.7)
    full = [user(f"u{i}") for i in range(5)]
    r = results(m365(full), strict)["mfa.member_registration"]
    assert r.status is Status.passed and r.measured == 100.0 and r.affected == ()


def test_member_coverage_zero_is_fail_and_empty_is_not_assessed() -> None:
    r = results(m365([user("a", registered=False), user("b", registered=False)]))["mfa.member_registration"]
    assert r.status is Status.failed and names(r) == ["a@firm.test", "b@firm.test"]
    r = results(m365([user("x", enabled=False)]))["mfa.member_registration"]
    assert r.status is Status.not_assessed


def test_break_glass_not_counted_without_listing_it_is() -> None:
    r = results(m365(tenant_70()))["mfa.member_registration"]
    assert r.measured == pytest.approx(66.7)  # 14 / 21 when break.glass is not listed
    assert BG in names(r)


def test_admin_without_mfa_fails_critical_and_break_glass_admin_is_excluded() -> None:
    users = [*tenant_70(), user("boss", registered=False, admin=True), user("it", admin=True)]
    r = results(m365(users), bg=(BG,))["mfa.admin_registration"]
    assert r.status is Status.failed
    assert names(r) == ["boss@firm.test"]
    assert r.measured == 50.0 and r.threshold == 100.0 and r.unit == LocalizedText(en="%", fr="%")
    assert r.affected[0].detail_in("fr") == "Administrateur Microsoft 365 ; méthodes : aucune"


def test_admins_unknown_is_not_assessed() -> None:
    users = [user("a", admin=None), user("b", admin=None)]
    r = results(m365(users, roles=False))["mfa.admin_registration"]
    assert r.status is Status.not_assessed
    assert "RoleManagement.Read.Directory" in r.reason.en


def test_admins_all_registered_pass() -> None:
    r = results(m365([user("a", admin=True), user("b")]))["mfa.admin_registration"]
    assert r.status is Status.passed and r.measured == 100.0


def test_enforcement_security_defaults_on_passes() -> None:
    r = results(m365([user("a")], defaults=True))["mfa.enforcement"]
    assert r.status is Status.passed and "security defaults" in r.reason.en


@pytest.mark.parametrize("pol", [
    policy(),
    policy(controls=(), strength="mfa"),
    policy(exclude=("id-bg",), exclude_upn=(BG,)),
])
def test_enforcement_by_conditional_access_passes(pol: ConditionalAccessPolicy) -> None:
    r = results(m365([user("a")], policies=(pol,)), bg=(BG,))["mfa.enforcement"]
    assert r.status is Status.passed, r.reason.en


@pytest.mark.parametrize(("pol", "problem"), [
    (policy(state="enabledForReportingButNotEnforced"), "report-only"),
    (policy(state="disabled"), "disabled"),
    (policy(users=("id-a",)), "does not target all users"),
    (policy(apps=("00000002-0000-0ff1-ce00-000000000000",)), "does not target all cloud apps"),
    (policy(exclude=("id-a",), exclude_upn=("a@firm.test",)), "not listed break-glass accounts: a@firm.test"),
    (policy(groups=("grp-1",)), "excludes 1 group(s)"),
])
def test_enforcement_policies_that_do_not_count(pol: ConditionalAccessPolicy, problem: str) -> None:
    r = results(m365([user("a")], policies=(pol,)), bg=(BG,))["mfa.enforcement"]
    assert r.status is Status.failed
    assert [(a.name, a.kind) for a in r.affected] == [("Require MFA", "policy")]
    assert problem in r.affected[0].detail
    assert r.affected[0].detail_fr and r.affected[0].detail_fr != r.affected[0].detail
    # Enforcement is a state, not a quantity: no English words such as "enforced" in measured/threshold.
    assert r.measured is None and r.threshold is None and r.unit is None


@pytest.mark.parametrize(("pol", "detail_fr"), [
    (policy(state="enabledForReportingButNotEnforced"), "en mode rapport uniquement"),
    (policy(state="disabled", users=("id-a",)), "désactivée ; ne vise pas tous les utilisateurs"),
    (policy(apps=("00000002-0000-0ff1-ce00-000000000000",)), "ne vise pas toutes les applications cloud"),
    (policy(exclude=("id-a",), exclude_upn=("a@firm.test",)),
     "exclut des comptes qui ne sont pas des comptes d'urgence déclarés : a@firm.test"),
    (policy(groups=("grp-1",)), "exclut 1 groupe(s)"),
])
def test_enforcement_policy_problems_in_french(pol: ConditionalAccessPolicy, detail_fr: str) -> None:
    r = results(m365([user("a")], policies=(pol,)), bg=(BG,))["mfa.enforcement"]
    assert r.affected[0].detail_fr == detail_fr
    assert r.affected[0].detail_in("fr") == detail_fr


def test_enforcement_nothing_at_all_names_the_tenant() -> None:
    r = results(m365([user("a")], policies=(policy(controls=("compliantDevice",)),)))["mfa.enforcement"]
    assert r.status is Status.failed
    assert names(r) == ["Microsoft 365 tenant t1"]
    assert r.affected[0].detail == "security defaults off; no Conditional Access policy requires MFA"
    assert r.affected[0].detail_fr == ("paramètres de sécurité par défaut désactivés ; aucune stratégie d'accès "
                                       "conditionnel n'exige la MFA")


def test_enforcement_unreadable_is_not_assessed() -> None:
    r = results(m365([user("a")], defaults=None, ca_read=False))["mfa.enforcement"]
    assert r.status is Status.not_assessed and "Policy.Read.All" in r.reason.en
    r = results(m365([user("a")], enforcement=None, path="csv_export"))["mfa.enforcement"]
    assert r.status is Status.not_assessed and "CSV" in r.reason.en


def test_phone_only_users_listed() -> None:
    users = [user("sms", methods=("mobilePhone",)), user("voice", methods=("officePhone", "email")),
             user("mixed", methods=("mobilePhone", "microsoftAuthenticatorPush")), user("none", registered=False),
             user("old", methods=("mobilePhone",), enabled=False)]
    r = results(m365(users))["mfa.phone_only_methods"]
    assert r.status is Status.failed and r.measured == 2 and r.threshold == 0
    assert r.unit == LocalizedText(en="accounts", fr="comptes")
    assert names(r) == ["sms@firm.test", "voice@firm.test"]
    assert [(a.detail, a.detail_fr) for a in r.affected] == [
        ("methods: mobilePhone", "méthodes : mobilePhone"),
        ("methods: officePhone, email", "méthodes : officePhone, email"),
    ]
    r = results(m365(users), MfaParameters(max_phone_only_users=2))["mfa.phone_only_methods"]
    assert r.status is Status.passed and r.affected == ()


def test_guests_per_baseline() -> None:
    users = [user("a"), user("g1", guest=True, registered=False), user("g2", guest=True),
             user("g3", guest=True, registered=False, uid="id-g3")]
    r = results(m365(users))["mfa.guest_coverage"]
    assert r.status is Status.passed and r.measured == 3 and r.threshold is None
    assert r.unit == LocalizedText(en="accounts", fr="comptes")
    strict = MfaParameters(guests_require_mfa=True)
    r = results(m365(users), strict)["mfa.guest_coverage"]
    assert r.status is Status.partial and r.measured == pytest.approx(33.3)
    assert r.unit == LocalizedText(en="%", fr="%")
    assert names(r) == ["g1@firm.test", "g3@firm.test"]
    assert {(a.detail, a.detail_fr) for a in r.affected} == {("Microsoft 365 guest; no MFA",
                                                              "Invité Microsoft 365 ; sans MFA")}
    # A policy covering guests makes them covered, except the one it excludes.
    covering = policy(users=("GuestsOrExternalUsers",), guests=True, exclude=("id-g3",))
    r = results(m365(users, policies=(covering,)), strict)["mfa.guest_coverage"]
    assert r.status is Status.partial and names(r) == ["g3@firm.test"]


def test_break_glass_reported_as_information() -> None:
    evidence = m365(tenant_70(), policies=(policy(exclude=("id-bg",), exclude_upn=(BG,)),))
    r = results(evidence, bg=(BG, "missing@firm.test"))["mfa.break_glass"]
    assert r.status is Status.passed
    assert r.measured == 1 and r.threshold is None and r.unit == LocalizedText(en="accounts", fr="comptes")
    expected = "break.glass@firm.test (Microsoft 365: enabled, administrator, no MFA method, excluded from CA)"
    assert expected in r.reason.en
    assert "listed but not found in the directory: missing@firm.test" in r.reason.en
    assert ("break.glass@firm.test (Microsoft 365 : actif, administrateur, aucune méthode MFA, exclu de l’accès "
            "conditionnel)") in r.reason.fr
    assert "déclarés mais absents de l'annuaire : missing@firm.test" in r.reason.fr
    r = results(evidence)["mfa.break_glass"]
    assert r.status is Status.passed and r.measured == 0 and r.threshold is None


def test_csv_path_counts_unknown_state_and_says_so() -> None:
    users = [user("a", enabled=None), user("b", enabled=None, registered=False)]
    r = results(m365(users, path="csv_export", enforcement=None))["mfa.member_registration"]
    assert r.measured == 50.0 and "does not say whether accounts are disabled" in r.reason.en


def test_fallback_path_is_named_in_the_reason() -> None:
    r = results(m365([user("a")], path="per_user_methods"))["mfa.member_registration"]
    assert "no Entra ID P1/P2" in r.reason.en and "P1/P2" in r.reason.fr


def google(users: list[GoogleUser]) -> MfaEvidence:
    return MfaEvidence(google_workspace=GoogleWorkspaceEvidence(users=tuple(users)))


def g(name: str, *, enrolled: bool = True, enforced: bool = True, admin: bool = False,
      suspended: bool = False) -> GoogleUser:
    return GoogleUser(id=name, primary_email=f"{name}@firm.test", enrolled_2sv=enrolled, enforced_2sv=enforced,
                      is_admin=admin, suspended=suspended)


def test_google_only_tenant() -> None:
    users = [g("a"), g("b"), g("c", enrolled=False, enforced=False), g("boss", admin=True, enrolled=False,
             enforced=False), g("left", enrolled=False, enforced=False, suspended=True)]
    out = results(google(users))
    assert out["mfa.member_registration"].measured == 50.0
    assert names(out["mfa.member_registration"]) == ["boss@firm.test", "c@firm.test"]
    assert out["mfa.admin_registration"].status is Status.failed
    assert names(out["mfa.admin_registration"]) == ["boss@firm.test"]
    assert out["mfa.enforcement"].status is Status.failed
    assert names(out["mfa.enforcement"]) == ["boss@firm.test", "c@firm.test"]
    assert out["mfa.phone_only_methods"].status is Status.not_assessed


def test_both_providers_are_counted_together() -> None:
    evidence = MfaEvidence(microsoft365=m365([user("a"), user("b", registered=False)], defaults=True).microsoft365,
                           google_workspace=GoogleWorkspaceEvidence(users=(g("c"), g("d"))))
    out = results(evidence)
    assert out["mfa.member_registration"].measured == 75.0
    assert out["mfa.enforcement"].status is Status.passed


def test_no_provider_is_not_assessed() -> None:
    assert all(r.status is Status.not_assessed for r in evaluate(MfaEvidence(), MfaParameters()))


def test_coverage_just_below_target_does_not_pass_by_rounding() -> None:
    users = [user(f"r{i:04d}") for i in range(1899)] + [user(f"u{i}", registered=False) for i in range(101)]
    r = results(m365(users))["mfa.member_registration"]  # 1899 / 2000 = 94.95 %, shown as 95.0
    assert r.status is Status.partial and r.measured == 95.0 and r.score_share == pytest.approx(0.9995)

"""The live Microsoft 365 source against the Graph emulator: both collection paths, paging, throttling,
permissions, credentials, token expiry, and that the secret never leaks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import auditor_plugins.mfa as plugin
from auditor.errors import CredentialsMissing
from auditor.models import Status
from auditor_plugins.mfa.checks import evaluate
from auditor_plugins.mfa.errors import MfaAuthError, MfaPermissionError
from auditor_plugins.mfa.evidence import MfaEvidence
from auditor_plugins.mfa.settings import MfaParameters
from tests.plugins.mfa.conftest import make_context
from tests.servers.graph_emulator import ALL_PERMISSIONS, Fault, GraphEmulator, GraphTenant, ca_policy, compose_users

SECRET_VAR = "MFA_TEST_GRAPH_SECRET"

# 75 users: enabled members 57 (43 registered: 37 + 4 phone-only + 2 admins), 3 admins (1 unregistered),
# 7 guests (3 registered), 11 disabled (never counted).
COMPOSITION = dict(members_registered=37, members_unregistered=13, members_phone_only=4, admins_registered=2,
                   admins_unregistered=1, guests_registered=3, guests_unregistered=4, disabled_registered=5,
                   disabled_unregistered=6)
ENABLED = 75 - 11


def tenant(**overrides) -> GraphTenant:
    return GraphTenant(users=compose_users(**COMPOSITION), page_size_max=10, **overrides)


def collect(tmp_path: Path, emu: GraphEmulator, monkeypatch: pytest.MonkeyPatch, **settings):
    monkeypatch.setenv(SECRET_VAR, emu.tenant.client_secret)
    context = make_context(tmp_path, tenant_id=emu.tenant.tenant_id, client_id=emu.tenant.client_id,
                           client_secret=f"env:{SECRET_VAR}", graph_base_url=emu.url, login_base_url=emu.url,
                           **settings)
    return plugin.auditor_collect(context=context)


def check(evidence: MfaEvidence, params: MfaParameters | None = None) -> dict:
    return {r.check_id: r for r in evaluate(evidence, params or MfaParameters())}


def assert_expected_figures(evidence: MfaEvidence, *, guests_covered_by_ca: bool = False) -> None:
    results = check(evidence)
    member = results["mfa.member_registration"]
    assert member.status is Status.partial
    assert member.measured == 75.4  # 43 / 57
    assert member.score_share == pytest.approx(round((43 / 57) / 0.95, 4))
    assert [a.name for a in member.affected] == ["admin-unreg-00000@contoso.test"] + [
        f"member-unreg-{i:05d}@contoso.test" for i in range(13)]
    admin = results["mfa.admin_registration"]
    assert admin.status is Status.failed and [a.name for a in admin.affected] == ["admin-unreg-00000@contoso.test"]
    phone = results["mfa.phone_only_methods"]
    assert [a.name for a in phone.affected] == [f"member-phone-{i:05d}@contoso.test" for i in range(4)]
    strict_guests = check(evidence, MfaParameters(guests_require_mfa=True))["mfa.guest_coverage"]
    assert strict_guests.measured == (100.0 if guests_covered_by_ca else 42.9)  # 3 / 7 registered


def assert_read_only(emu: GraphEmulator) -> None:
    assert set(emu.methods) <= {"GET", "POST"}
    assert emu.methods["POST"] == emu.counts["token"]


def test_registration_report_path_with_paging(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant(ca_policies=[ca_policy("Require MFA for everyone")]))
    collected = collect(tmp_path, emu, monkeypatch)
    m365 = collected.evidence.microsoft365
    assert m365.collection_path == "registration_report"
    assert len(m365.users) == 75
    # 75 users, 10 per page; the report lists the 64 enabled ones only
    assert emu.counts["users"] == 8 and emu.counts["registration-v1.0"] == 7
    assert emu.counts["methods"] == 0 and emu.counts["token"] == 1
    assert collected.source.options["collection_path"] == "registration_report"
    assert_expected_figures(collected.evidence, guests_covered_by_ca=True)
    assert check(collected.evidence)["mfa.enforcement"].status is Status.passed
    assert m365.users[0].default_method == "push"  # v1.0 userPreferredMethodForSecondaryAuthentication
    assert_read_only(emu)


def test_beta_report_gives_default_method(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant())
    m365 = collect(tmp_path, emu, monkeypatch, use_beta_registration_report=True).evidence.microsoft365
    assert emu.counts["registration-beta"] == 7
    assert {u.upn: u.default_method for u in m365.users}["member-phone-00000@contoso.test"] == "mobilePhone"


def test_fallback_per_user_methods_on_non_premium_tenant(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant(premium=False))
    collected = collect(tmp_path, emu, monkeypatch)
    m365 = collected.evidence.microsoft365
    assert m365.collection_path == "per_user_methods"
    assert "Authentication_RequestFromNonPremiumTenantOrB2CTenant" in m365.collection_note
    assert emu.counts["registration-v1.0"] == 1 and emu.counts["methods"] == ENABLED
    assert m365.enforcement.conditional_access_unlicensed
    assert_expected_figures(collected.evidence)
    enforcement = check(collected.evidence)["mfa.enforcement"]
    assert enforcement.status is Status.failed and "no Entra ID P1/P2" in enforcement.reason.en
    assert "user by user" in check(collected.evidence)["mfa.member_registration"].reason.en
    assert_read_only(emu)


def test_fallback_without_role_permission_leaves_admins_unknown(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant(premium=False, granted=ALL_PERMISSIONS - {"RoleManagement.Read.Directory"}))
    evidence = collect(tmp_path, emu, monkeypatch).evidence
    assert evidence.microsoft365.admin_roles_read is False
    admin = check(evidence)["mfa.admin_registration"]
    assert admin.status is Status.not_assessed and "RoleManagement.Read.Directory" in admin.reason.en
    assert check(evidence)["mfa.member_registration"].measured == 75.4


def test_throttling_and_transient_errors_are_recovered(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant())
    emu.add_fault(Fault("/v1.0/users", 429, times=2, retry_after="0.05"))      # fractional Retry-After
    emu.add_fault(Fault("/userRegistrationDetails", 429, times=2))             # no Retry-After: back off
    emu.add_fault(Fault("/userRegistrationDetails", 503, times=1))
    emu.add_fault(Fault("/identity/conditionalAccess", 429, times=2))          # CA: 429 without Retry-After
    started = time.monotonic()
    evidence = collect(tmp_path, emu, monkeypatch).evidence
    assert emu.faults_served == {429: 6, 503: 1}
    assert time.monotonic() - started >= 0.1  # the two 0.05 s Retry-After were honoured
    assert_expected_figures(evidence)


def test_conditional_access_rate_limit(graph_emulator, tmp_path, monkeypatch) -> None:
    policies = [ca_policy(f"Policy {i}", state="disabled") for i in range(25)] + [ca_policy("Require MFA")]
    emu = graph_emulator(tenant(ca_policies=policies, ca_min_interval=0.15))  # 3 pages of CA policies
    evidence = collect(tmp_path, emu, monkeypatch, retry_backoff_seconds=0.1).evidence
    assert emu.counts["ca-throttled"] >= 2
    assert len(evidence.microsoft365.enforcement.policies) == 26
    assert check(evidence)["mfa.enforcement"].status is Status.passed


def test_throttling_that_never_ends_is_a_clear_error(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant())
    emu.add_fault(Fault("/v1.0/users", 429, times=100, retry_after="0.01"))
    with pytest.raises(plugin.sources.MfaThrottledError, match=r"GET .*/v1.0/users answered HTTP 429.*gave up after 3"):
        collect(tmp_path, emu, monkeypatch, retry_attempts=3)


@pytest.mark.parametrize(("missing", "path"), [("AuditLog.Read.All", "userRegistrationDetails"),
                                               ("User.Read.All", "/v1.0/users")])
def test_missing_permission_is_named(graph_emulator, tmp_path, monkeypatch, missing, path) -> None:
    emu = graph_emulator(tenant(granted=ALL_PERMISSIONS - {missing}))
    with pytest.raises(MfaPermissionError) as info:
        collect(tmp_path, emu, monkeypatch)
    message = str(info.value)
    assert path in message and "HTTP 403 Authorization_RequestDenied" in message
    assert f"needs the Microsoft Graph application permission {missing}" in message


def test_missing_policy_permission_makes_enforcement_not_assessed(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant(granted=ALL_PERMISSIONS - {"Policy.Read.All"}))
    evidence = collect(tmp_path, emu, monkeypatch).evidence
    result = check(evidence)["mfa.enforcement"]
    assert result.status is Status.not_assessed
    assert "Policy.Read.All" in result.reason.en and "Policy.Read.All" in result.reason.fr


def test_bad_secret_is_a_clear_auth_error(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant())
    monkeypatch.setenv(SECRET_VAR, "wrong-secret-value-123")
    context = make_context(tmp_path, tenant_id=emu.tenant.tenant_id, client_id=emu.tenant.client_id,
                           client_secret=f"env:{SECRET_VAR}", graph_base_url=emu.url, login_base_url=emu.url)
    with pytest.raises(MfaAuthError) as info:
        plugin.auditor_collect(context=context)
    message = str(info.value)
    assert "refused the credentials (HTTP 401, invalid_client)" in message and "AADSTS7000215" in message
    assert "wrong-secret-value-123" not in message
    assert emu.counts["users"] == 0


def test_no_secret_configured_skips(tmp_path) -> None:
    context = make_context(tmp_path, tenant_id="t", client_id="c")
    with pytest.raises(CredentialsMissing, match=r"plugins\.mfa\.client_secret is not set"):
        plugin.auditor_collect(context=context)


def test_token_expiring_mid_collection_is_renewed(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant(premium=False, token_max_requests=20))
    evidence = collect(tmp_path, emu, monkeypatch).evidence
    assert emu.counts["401"] >= 3 and emu.tokens.issued == emu.counts["401"] + 1
    assert_expected_figures(evidence)


def test_certificate_credential(graph_emulator, tmp_path, monkeypatch, throwaway_rsa_keypair) -> None:
    private, public = throwaway_rsa_keypair
    emu = graph_emulator(tenant(certificate_public_key=public))
    (tmp_path / "app.pem").write_text(private)
    context = make_context(tmp_path, tenant_id=emu.tenant.tenant_id, client_id=emu.tenant.client_id,
                           certificate_private_key="file:app.pem", certificate_thumbprint="AB" * 20,
                           graph_base_url=emu.url, login_base_url=emu.url)
    collected = plugin.auditor_collect(context=context)
    assert len(collected.evidence.microsoft365.users) == 75 and emu.counts["token"] == 1
    dumped = collected.evidence.model_dump_json()
    body = "".join(private.splitlines()[1:-1])
    assert all(line not in dumped for line in private.splitlines()[1:-1]) and body not in dumped


def test_secret_never_in_bundle_or_audit(graph_emulator, tmp_path, monkeypatch) -> None:
    from auditor.pluginmanager import PluginRegistry
    from auditor.profile import load_profile
    from auditor.runner import run_audit

    emu = graph_emulator(tenant(premium=False))
    monkeypatch.setenv(SECRET_VAR, emu.tenant.client_secret)
    profile_path = tmp_path / "client.toml"
    profile_path.write_text(f"""
[client]
id = "emulated-client"
name = "Emulated"
[msp]
name = "MSP"
[contract]
hourly_rate = 90.0
monthly_hours = 10
[plugins.mfa]
tenant_id = "{emu.tenant.tenant_id}"
client_id = "{emu.tenant.client_id}"
client_secret = "env:{SECRET_VAR}"
graph_base_url = "{emu.url}"
login_base_url = "{emu.url}"
conditional_access_pause_seconds = 0
break_glass_accounts = ["member-reg-00000@contoso.test"]
""", encoding="utf-8")
    from auditor.pluginmanager import get_plugin_manager

    registry = PluginRegistry.build(get_plugin_manager(load_entry_points=False, extra_plugins=[plugin]))
    profile = load_profile(profile_path, registry)
    audit, _bundle, files = run_audit(profile, registry)
    run = next(r for r in audit.runs if r.plugin == "mfa")
    assert run.status.value == "ok", run.reason
    secret = emu.tenant.client_secret.encode()
    assert files and all(secret not in content for content in files.values())
    assert secret.decode() not in audit.model_dump_json()
    payload = json.loads(files["evidence/mfa.json"])
    assert payload["payload"]["microsoft365"]["collection_path"] == "per_user_methods"
    member = next(r for r in audit.results if r.check_id == "mfa.member_registration")
    assert member.measured == pytest.approx(round(100 * 42 / 56, 1))  # break-glass member left out


def test_cancellation_stops_the_collection(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant(premium=False))
    monkeypatch.setenv(SECRET_VAR, emu.tenant.client_secret)
    context = make_context(tmp_path, tenant_id=emu.tenant.tenant_id, client_id=emu.tenant.client_id,
                           client_secret=f"env:{SECRET_VAR}", graph_base_url=emu.url, login_base_url=emu.url)
    context.cancelled.set()
    with pytest.raises(plugin.sources.MfaSourceError, match="cancelled"):
        plugin.auditor_collect(context=context)
    assert emu.counts["methods"] == 0


def test_token_renewed_before_expiry(graph_emulator, tmp_path, monkeypatch) -> None:
    """A 1-second token is renewed at half-life, before the server would refuse it (no 401 at all)."""
    emu = graph_emulator(tenant(token_lifetime=1.0))
    collect(tmp_path, emu, monkeypatch, conditional_access_pause_seconds=0.6)
    assert emu.counts["token"] == 2 and emu.counts["401"] == 0


def test_authentication_strength_policy_over_http(graph_emulator, tmp_path, monkeypatch) -> None:
    bg = "member-reg-00000@contoso.test"
    bg_id = next(u.id for u in compose_users(**COMPOSITION) if u.upn == bg)
    policies = [ca_policy("MFA strength", built_in_controls=(), authentication_strength="Multifactor authentication",
                          exclude_users=(bg_id,)),
                ca_policy("Report-only pilot", state="enabledForReportingButNotEnforced")]
    emu = graph_emulator(tenant(ca_policies=policies))
    evidence = collect(tmp_path, emu, monkeypatch).evidence
    policy = evidence.microsoft365.enforcement.policies[0]
    assert policy.authentication_strength_requirements == "mfa" and policy.exclude_users_upn == (bg,)
    assert {r.check_id: r for r in evaluate(evidence, MfaParameters(), (bg,))}["mfa.enforcement"].status \
        is Status.passed
    failed = {r.check_id: r for r in evaluate(evidence, MfaParameters())}["mfa.enforcement"]
    assert failed.status is Status.failed
    assert [(a.name, a.detail) for a in failed.affected] == [
        ("MFA strength", f"excludes accounts that are not listed break-glass accounts: {bg}"),
        ("Report-only pilot", "report-only")]


def test_report_refusing_our_page_size_falls_back_to_server_paging(graph_emulator, tmp_path, monkeypatch) -> None:
    emu = graph_emulator(tenant(registration_max_top=500))
    evidence = collect(tmp_path, emu, monkeypatch).evidence
    assert evidence.microsoft365.collection_path == "registration_report"
    assert emu.counts["registration-v1.0"] == 1 + 7  # the refused request, then 64 rows at 10 per page
    assert_expected_figures(evidence)

"""The live Google Workspace source against the Google emulator: JWT bearer auth, paging, errors."""

from __future__ import annotations

import pytest

import auditor_plugins.mfa as plugin
from auditor.models import Status
from auditor_plugins.mfa.checks import evaluate
from auditor_plugins.mfa.errors import MfaAuthError, MfaPermissionError
from auditor_plugins.mfa.settings import MfaParameters
from tests.plugins.mfa.conftest import make_context
from tests.servers.google_emulator import (
    GoogleEmulator,
    GoogleTenant,
    compose_google_users,
    generate_rsa_keypair,
    service_account_json,
)
from tests.servers.graph_emulator import Fault

# 16 users: 14 active (9 enrolled: 5 enforced + 3 not enforced + 1 admin), 2 admins (1 without 2SV), 2 suspended.
COMPOSITION = dict(enrolled_enforced=5, enrolled_not_enforced=3, not_enrolled=4, admins_enrolled=1,
                   admins_not_enrolled=1, suspended=2)


def start(google_emulator, keypair, **overrides) -> GoogleEmulator:
    return google_emulator(GoogleTenant(users=compose_google_users(**COMPOSITION), public_key_pem=keypair[1],
                                        **overrides))


def context(tmp_path, emu: GoogleEmulator, private_key: str, **settings):
    key_file = tmp_path / "service-account.json"
    key_file.write_text(service_account_json(emu.tenant, private_key, emu.token_url), encoding="utf-8")
    values = {"providers": ("google_workspace",), "google_credentials": "file:service-account.json",
              "google_admin_email": emu.tenant.admin_email, "google_base_url": emu.url, "google_page_size": 3,
              **settings}
    return make_context(tmp_path, **values)


def test_users_paged_and_figures_exact(google_emulator, throwaway_rsa_keypair, tmp_path) -> None:
    emu = start(google_emulator, throwaway_rsa_keypair)
    collected = plugin.auditor_collect(context=context(tmp_path, emu, throwaway_rsa_keypair[0]))
    google = collected.evidence.google_workspace
    assert len(google.users) == 16 and emu.counts["users"] == 6 and emu.counts["token"] == 1  # 3 per page
    results = {r.check_id: r for r in evaluate(collected.evidence, MfaParameters())}
    member = results["mfa.member_registration"]
    assert member.status is Status.partial and member.measured == 64.3  # 9 / 14
    assert [a.name for a in member.affected] == ["admin-no2sv-00000@example.test"] + [
        f"noenrol-{i:05d}@example.test" for i in range(4)]
    admin = results["mfa.admin_registration"]
    assert admin.status is Status.failed and [a.name for a in admin.affected] == ["admin-no2sv-00000@example.test"]
    enforcement = results["mfa.enforcement"]
    assert enforcement.status is Status.failed and len(enforcement.affected) == 8  # 3 + 4 + 1 not enforced
    assert {a.detail_fr for a in member.affected} == {"Utilisateur Google Workspace ; validation en deux étapes "
                                                      "non activée"}
    assert admin.affected[0].detail_fr.endswith("Google Workspace ; validation en deux étapes non activée")
    assert {a.detail_fr for a in enforcement.affected} == {"Google Workspace ; validation en deux étapes non imposée"}
    assert "Google service account auditor@msp-audit.iam.gserviceaccount.com" in collected.source.identity
    dumped = collected.evidence.model_dump_json()
    assert all(line not in dumped for line in throwaway_rsa_keypair[0].splitlines()[1:-1])
    assert set(emu.methods) <= {"GET", "POST"} and emu.methods["POST"] == 1


def test_throttling_and_5xx_recovered(google_emulator, throwaway_rsa_keypair, tmp_path) -> None:
    emu = start(google_emulator, throwaway_rsa_keypair)
    emu.add_fault(Fault("/admin/directory/v1/users", 429, times=2, retry_after="0.02"))
    emu.add_fault(Fault("/admin/directory/v1/users", 503, times=1))
    collected = plugin.auditor_collect(context=context(tmp_path, emu, throwaway_rsa_keypair[0]))
    assert len(collected.evidence.google_workspace.users) == 16
    assert emu.faults_served == {429: 2, 503: 1}


def test_wrong_key_is_an_auth_error(google_emulator, throwaway_rsa_keypair, tmp_path) -> None:
    emu = start(google_emulator, throwaway_rsa_keypair)
    other_private, _ = generate_rsa_keypair()
    with pytest.raises(MfaAuthError, match=r"Google OAuth token endpoint refused the credentials \(HTTP 400, "
                                           r"invalid_grant\): Invalid JWT Signature"):
        plugin.auditor_collect(context=context(tmp_path, emu, other_private))


def test_admin_not_delegated_is_an_auth_error(google_emulator, throwaway_rsa_keypair, tmp_path) -> None:
    emu = start(google_emulator, throwaway_rsa_keypair)
    with pytest.raises(MfaAuthError, match="unauthorized_client"):
        plugin.auditor_collect(context=context(tmp_path, emu, throwaway_rsa_keypair[0],
                                               google_admin_email="someone@example.test"))


def test_forbidden_names_the_delegation_scope(google_emulator, throwaway_rsa_keypair, tmp_path) -> None:
    emu = start(google_emulator, throwaway_rsa_keypair)
    emu.add_fault(Fault("/admin/directory/v1/users", 403, code="forbidden", message="Not Authorized to access this "
                                                                                    "resource/api"))
    with pytest.raises(MfaPermissionError, match=r"HTTP 403 PERMISSION_DENIED.*admin\.directory\.user\.readonly"):
        plugin.auditor_collect(context=context(tmp_path, emu, throwaway_rsa_keypair[0]))


def test_key_file_that_is_not_json(tmp_path) -> None:
    (tmp_path / "key.json").write_text("-----BEGIN PRIVATE KEY-----\nabc\n", encoding="utf-8")
    ctx = make_context(tmp_path, providers=("google_workspace",), google_credentials="file:key.json",
                       google_admin_email="a@b.test")
    with pytest.raises(MfaAuthError, match=r"google_credentials: not a service account JSON key"):
        plugin.auditor_collect(context=ctx)


def test_both_providers_and_missing_google_key_skips_before_any_request(graph_emulator, tmp_path, monkeypatch) -> None:
    from auditor.errors import CredentialsMissing
    from tests.servers.graph_emulator import GraphTenant, compose_users

    emu = graph_emulator(GraphTenant(users=compose_users(members_registered=3)))
    monkeypatch.setenv("MFA_BOTH_SECRET", emu.tenant.client_secret)
    ctx = make_context(tmp_path, providers=("microsoft365", "google_workspace"), tenant_id=emu.tenant.tenant_id,
                       client_id=emu.tenant.client_id, client_secret="env:MFA_BOTH_SECRET", graph_base_url=emu.url,
                       login_base_url=emu.url)
    with pytest.raises(CredentialsMissing, match="google_credentials"):
        plugin.auditor_collect(context=ctx)
    assert emu.requests_served == 0


def test_both_providers_counted_together(graph_emulator, google_emulator, throwaway_rsa_keypair, tmp_path,
                                         monkeypatch) -> None:
    from tests.servers.graph_emulator import GraphTenant, compose_users

    graph = graph_emulator(GraphTenant(users=compose_users(members_registered=6, members_unregistered=4),
                                       security_defaults=True))
    google = start(google_emulator, throwaway_rsa_keypair)
    monkeypatch.setenv("MFA_BOTH_SECRET", graph.tenant.client_secret)
    ctx = context(tmp_path, google, throwaway_rsa_keypair[0], providers=("microsoft365", "google_workspace"),
                  tenant_id=graph.tenant.tenant_id, client_id=graph.tenant.client_id,
                  client_secret="env:MFA_BOTH_SECRET", graph_base_url=graph.url, login_base_url=graph.url)
    collected = plugin.auditor_collect(context=ctx)
    results = {r.check_id: r for r in evaluate(collected.evidence, MfaParameters())}
    assert results["mfa.member_registration"].measured == 62.5  # (6 + 9) / (10 + 14)
    enforcement = results["mfa.enforcement"]
    assert enforcement.status is Status.failed and "security defaults are on" in enforcement.reason.en
    assert len(collected.source.servers) == 3

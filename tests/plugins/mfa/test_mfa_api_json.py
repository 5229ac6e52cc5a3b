"""Property tests: whatever JSON the vendor APIs send, the mapping gives valid evidence or a clear error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import auditor_plugins.mfa as plugin
from auditor_plugins.mfa.errors import MfaSourceError
from auditor_plugins.mfa.evidence import ConditionalAccessPolicy, GoogleUser
from auditor_plugins.mfa.google import GoogleDirectorySource
from auditor_plugins.mfa.graph import method_name, summarise_policy
from tests.plugins.mfa.conftest import make_context
from tests.servers.graph_emulator import GraphEmulator, GraphTenant, compose_users

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
keys = st.sampled_from(["id", "displayName", "state", "conditions", "users", "applications", "grantControls",
                        "includeUsers", "excludeUsers", "builtInControls", "authenticationStrength",
                        "requirementsSatisfied", "includeApplications", "operator", "@odata.type", "phoneType",
                        "primaryEmail", "name", "fullName", "isAdmin", "isEnrolledIn2Sv", "isEnforcedIn2Sv"])
shaped = st.recursive(json_values, lambda inner: st.dictionaries(keys, inner, max_size=6), max_leaves=15)


@settings(max_examples=80, deadline=None)
@given(raw=shaped)
def test_any_policy_json_summarises(raw: Any) -> None:
    policy = summarise_policy(raw, {"u1": "a@b.test"})
    assert isinstance(policy, ConditionalAccessPolicy)
    assert all(isinstance(item, str) for item in policy.include_users + policy.exclude_users)


@settings(max_examples=80, deadline=None)
@given(raw=shaped)
def test_any_method_json_maps_to_a_name_or_none(raw: Any) -> None:
    name = method_name(raw)
    assert name is None or isinstance(name, str)


@settings(max_examples=80, deadline=None)
@given(raw=shaped)
def test_any_google_user_json_maps(raw: Any) -> None:
    if isinstance(raw, dict):
        assert isinstance(GoogleDirectorySource._user(raw), GoogleUser)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policies=st.lists(shaped, max_size=3), extra_user=shaped)
def test_hostile_graph_answers_through_the_emulator(tmp_path, monkeypatch, policies, extra_user) -> None:
    """Hostile CA policies and an odd registration row served over HTTP: evidence or an MfaSourceError."""
    tenant = GraphTenant(users=compose_users(members_registered=2, members_unregistered=1),
                         ca_policies=[p for p in policies if isinstance(p, dict)])
    emu = GraphEmulator(tenant).start()
    try:
        emu._registrations.append(extra_user if isinstance(extra_user, dict) else {"id": extra_user})
        monkeypatch.setenv("MFA_HOSTILE_SECRET", tenant.client_secret)
        context = make_context(tmp_path, tenant_id=tenant.tenant_id, client_id=tenant.client_id,
                               client_secret="env:MFA_HOSTILE_SECRET", graph_base_url=emu.url,
                               login_base_url=emu.url)
        try:
            evidence = plugin.auditor_collect(context=context).evidence
        except MfaSourceError:
            return
        assert len(evidence.microsoft365.users) == 3
    finally:
        emu.stop()


@pytest.mark.parametrize("raw", [{"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "phoneType": "office"},
                                 {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod"},
                                 {"@odata.type": "#microsoft.graph.somethingNewAuthenticationMethod"}])
def test_method_names(raw: dict) -> None:
    assert method_name(raw) in ("officePhone", "fido2", "somethingNew")

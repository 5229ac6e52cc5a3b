"""The scope guard: no authorisation, no scan; nothing outside the authorised ranges; no host names."""

from __future__ import annotations

import pytest

from auditor.errors import ScopeError
from auditor.plugin_api import ScopeGuard


def test_targets_inside_the_scope_are_accepted() -> None:
    guard = ScopeGuard(["127.0.0.0/24", "::1/128"], "AUT-1")
    assert guard.require(["127.0.0.21", "127.0.0.0/28", "::1"]) == ["127.0.0.21", "127.0.0.0/28", "::1"]


@pytest.mark.parametrize(("target", "message"), [
    ("127.0.1.5", "outside the authorised scope"),
    ("127.0.0.0/16", "outside the authorised scope"),
    ("10.0.0.1", "outside the authorised scope"),
    ("dc01.example.com", "host names are not accepted"),
])
def test_targets_outside_the_scope_are_refused(target, message) -> None:
    with pytest.raises(ScopeError, match=message):
        ScopeGuard(["127.0.0.0/24"], "AUT-1").require([target])


def test_no_or_expired_authorisation_refuses_everything() -> None:
    with pytest.raises(ScopeError, match=r"needs an \[authorisation\] record"):
        ScopeGuard(["127.0.0.0/24"], None).require(["127.0.0.1"])
    with pytest.raises(ScopeError, match="expired on 2026-01-01"):
        ScopeGuard(["127.0.0.0/24"], None, refusal="the scan authorisation A expired on 2026-01-01").require(
            ["127.0.0.1"])

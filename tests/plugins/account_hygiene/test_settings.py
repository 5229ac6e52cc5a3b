"""Settings and source selection: what the profile says decides the source, and mistakes are explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from auditor.errors import CredentialsMissing, SourceError
from auditor.plugin_api import CollectContext, ScopeGuard
from auditor_plugins import account_hygiene as plugin
from auditor_plugins.account_hygiene.sources import (
    DirectoryTlsError,
    LdapOptions,
    LdifSource,
    LiveLdapSource,
    RecordedJsonSource,
)


def _context(tmp_path: Path, **settings: object) -> CollectContext:
    return CollectContext(plugin="account_hygiene", settings=plugin.AccountHygieneSettings(**settings),
                          profile_dir=tmp_path, scope=ScopeGuard((), None), client_id="c")


def test_password_must_be_a_reference() -> None:
    with pytest.raises(ValidationError, match="never the secret itself"):
        plugin.AccountHygieneSettings(bind_password="hunter2")


def test_recorded_format_follows_the_extension(tmp_path: Path) -> None:
    source, info = plugin.choose_source(_context(tmp_path, mode="recorded", evidence_file="dump.LDIF"))
    assert isinstance(source, LdifSource) and info.options == {"format": "ldif"}
    assert info.files == (str(tmp_path / "dump.LDIF"),)
    source, info = plugin.choose_source(_context(tmp_path, mode="recorded", evidence_file="ad.json"))
    assert isinstance(source, RecordedJsonSource)
    source, _ = plugin.choose_source(_context(tmp_path, mode="recorded", evidence_file="x.txt",
                                              evidence_format="ldif"))
    assert isinstance(source, LdifSource)
    with pytest.raises(SourceError, match="evidence_file is required in recorded mode"):
        plugin.choose_source(_context(tmp_path, mode="recorded"))


def test_live_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SourceError, match="server is required in live mode"):
        plugin.choose_source(_context(tmp_path))
    with pytest.raises(CredentialsMissing, match="bind_user is not set"):
        plugin.choose_source(_context(tmp_path, server="dc01.corp.example"))
    with pytest.raises(CredentialsMissing, match="bind_password is not set"):
        plugin.choose_source(_context(tmp_path, server="dc01.corp.example", bind_user="audit@corp.example"))
    monkeypatch.setenv("AH_TEST_SECRET", "s3cret-value")
    source, info = plugin.choose_source(_context(
        tmp_path, server="dc01.corp.example", bind_user="audit@corp.example", bind_password="env:AH_TEST_SECRET",
        transport="starttls", tls_skip_verify=True))
    assert isinstance(source, LiveLdapSource) and source.describe() == "starttls://dc01.corp.example:389"
    assert info.options["tls_validation"] == "disabled (tls_skip_verify)"
    assert "s3cret-value" not in repr(source.options) + info.model_dump_json()


def test_missing_ca_file_is_a_tls_error() -> None:
    source = LiveLdapSource(LdapOptions(server="127.0.0.1", bind_user="a@b", password="pw",
                                        ca_file="/nonexistent/ca.pem"))
    with pytest.raises(DirectoryTlsError, match=r"CA file /nonexistent/ca\.pem not found"):
        source.read()


def test_baselines_validate_and_strict_is_tighter() -> None:
    import tomllib

    from auditor_plugins.account_hygiene.checks import AccountHygieneParameters

    baselines = Path(__file__).resolve().parents[3] / "profiles" / "baselines"
    essential = AccountHygieneParameters.model_validate(
        tomllib.loads((baselines / "smb-essential.toml").read_text())["parameters"]["account_hygiene"])
    strict = AccountHygieneParameters.model_validate(
        tomllib.loads((baselines / "smb-strict.toml").read_text())["parameters"]["account_hygiene"])
    assert strict.stale_user_days < essential.stale_user_days
    assert strict.min_password_length > essential.min_password_length
    assert strict.max_lockout_threshold < essential.max_lockout_threshold
    assert all(strict.privileged_group_max_members[k] <= v for k, v in essential.privileged_group_max_members.items())

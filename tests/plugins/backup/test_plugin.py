"""The plugin through the core: profile settings, the runner, secrets, skipped and failed runs, the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import ProfileError
from auditor.models import RunStatus, Status
from auditor.pluginmanager import PluginRegistry, get_plugin_manager
from auditor.profile import load_profile
from auditor.runner import run_audit
from tests.servers.veeam_emulator import demo_estate

ROOT = Path(__file__).resolve().parents[3]
HEAD = """
[client]
id = "test-client"
name = "Test client"
[msp]
name = "Test MSP"
[contract]
hourly_rate = 90.0
monthly_hours = 10
[baseline]
name = "smb-essential"
"""


@pytest.fixture(scope="module")
def registry() -> PluginRegistry:
    import auditor_plugins.backup as plugin

    return PluginRegistry.build(get_plugin_manager(load_entry_points=False, extra_plugins=[plugin]))


def profile(tmp_path: Path, section: str, registry: PluginRegistry):  # type: ignore[no-untyped-def]
    path = tmp_path / "profile.toml"
    path.write_text(HEAD + "[plugins.backup]\n" + section, encoding="utf-8")
    return load_profile(path, registry)


def backup_results(audit) -> dict:  # type: ignore[no-untyped-def]
    return {r.check_id: r for r in audit.results if r.check_id.startswith("backup.")}


def test_live_audit_keeps_secrets_out_of_every_output(tmp_path: Path, registry: PluginRegistry,
                                                      veeam_emulator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    emulator = veeam_emulator(demo_estate())
    monkeypatch.setenv("TEST_VEEAM_PASSWORD", emulator.password)
    prof = profile(tmp_path, f'''mode = "live"
base_url = "{emulator.url}"
username = 'DURAND\\svc_audit'
password = "env:TEST_VEEAM_PASSWORD"
verify_tls = false
''', registry)
    audit, _, files = run_audit(prof, registry)
    (run,) = [r for r in audit.runs if r.plugin == "backup" and r.phase == "collect"]
    assert run.status is RunStatus.ok
    assert run.source is not None and run.source.options["restore points"] == "restorePoints"
    assert run.source.identity == "DURAND\\svc_audit"
    results = backup_results(audit)
    assert [a.name for a in results["backup.failing_jobs"].affected] == ["Fichiers - SRV-FILE01"]
    tokens = list(emulator.tokens)
    blobs = [*files.values(), audit.model_dump_json().encode()]
    for blob in blobs:
        assert emulator.password.encode() not in blob
        for token in tokens:
            assert token.encode() not in blob


def test_collected_evidence_holds_no_secret_before_any_redaction(tmp_path: Path, registry: PluginRegistry,
                                                                 veeam_emulator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from auditor.plugin_api import CollectContext, ScopeGuard
    from auditor_plugins.backup import auditor_collect

    emulator = veeam_emulator(demo_estate())
    monkeypatch.setenv("TEST_VEEAM_PASSWORD", emulator.password)
    prof = profile(tmp_path, f'base_url = "{emulator.url}"\nusername = "DURAND\\\\svc_audit"\n'
                             'password = "env:TEST_VEEAM_PASSWORD"\n', registry)
    messages: list[str] = []
    context = CollectContext(plugin="backup", settings=prof.plugins["backup"], profile_dir=tmp_path,
                             scope=ScopeGuard((), None), client_id="test-client", progress=messages.append)
    collected = auditor_collect(context=context)
    text = collected.evidence.model_dump_json() + collected.source.model_dump_json() + "\n".join(messages)
    assert emulator.password not in text
    assert all(token not in text for token in emulator.tokens)
    assert "reading /api/v1/restorePoints" in messages


def test_wrong_password_is_an_error_run_with_a_clear_reason(tmp_path: Path, registry: PluginRegistry,
                                                            veeam_emulator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    emulator = veeam_emulator(demo_estate())
    monkeypatch.setenv("TEST_VEEAM_PASSWORD", "Not-The-Right-One-42")
    prof = profile(tmp_path, f'base_url = "{emulator.url}"\nusername = "svc"\npassword = "env:TEST_VEEAM_PASSWORD"\n',
                   registry)
    audit, _, files = run_audit(prof, registry)
    (run,) = [r for r in audit.runs if r.plugin == "backup" and r.phase == "collect"]
    assert run.status is RunStatus.error
    assert "HTTP 401, Unauthorized" in (run.reason or "") and "plugins.backup.username 'svc'" in (run.reason or "")
    assert all(r.status is Status.not_assessed for r in backup_results(audit).values())
    assert all(b"Not-The-Right-One-42" not in blob for blob in files.values())


def test_missing_credentials_skip_the_plugin(tmp_path: Path, registry: PluginRegistry) -> None:
    prof = profile(tmp_path, 'base_url = "https://127.0.0.1:9"\n', registry)
    audit, _, _ = run_audit(prof, registry)
    (run,) = [r for r in audit.runs if r.plugin == "backup" and r.phase == "collect"]
    assert run.status is RunStatus.skipped and "plugins.backup" in (run.reason or "")
    results = backup_results(audit)
    assert len(results) == 10 and all(r.status is Status.not_assessed for r in results.values())


def test_settings_are_validated(tmp_path: Path, registry: PluginRegistry) -> None:
    with pytest.raises(ProfileError, match="inline secret refused"):
        profile(tmp_path, 'password = "hunter2"\n', registry)
    with pytest.raises(ProfileError, match="provider 'generic' needs 'files'"):
        profile(tmp_path, 'provider = "generic"\n', registry)
    with pytest.raises(ProfileError, match="api_version"):
        profile(tmp_path, 'api_version = "12.1"\n', registry)
    with pytest.raises(ProfileError, match="exactly one file"):
        profile(tmp_path, 'mode = "recorded"\n', registry)


def test_generic_provider_through_the_runner(tmp_path: Path, registry: PluginRegistry) -> None:
    example = ROOT / "samples" / "demo-client" / "backup" / "generic-example.csv"
    prof = profile(tmp_path, f'provider = "generic"\nfiles = ["{example}"]\nexported_at = 2026-11-20T09:30:00Z\n',
                   registry)
    audit, _, _ = run_audit(prof, registry)
    results = backup_results(audit)
    assert [a.name for a in results["backup.rpo_exceeded"].affected] == ["NAS01"]
    assert results["backup.repository_nearly_full"].status is Status.not_assessed


def test_broken_generic_file_names_the_line(tmp_path: Path, registry: PluginRegistry) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("asset;last_successful_backup\nSRV-A;hier\n", encoding="utf-8")
    prof = profile(tmp_path, 'provider = "generic"\nfiles = ["bad.csv"]\n', registry)
    audit, _, _ = run_audit(prof, registry)
    (run,) = [r for r in audit.runs if r.plugin == "backup" and r.phase == "collect"]
    assert run.status is RunStatus.error
    assert f"{bad}, line 2, column 'last_successful_backup': 'hier' is not an ISO 8601 date" in (run.reason or "")


def test_demo_profile_runs_from_recorded_evidence() -> None:
    registry = PluginRegistry.build()
    prof = load_profile(ROOT / "profiles" / "demo-client.toml", registry)
    audit, bundle, _ = run_audit(prof, registry)
    (run,) = [r for r in audit.runs if r.plugin == "backup" and r.phase == "collect"]
    assert run.status is RunStatus.ok and run.source is not None and run.source.kind == "recorded"
    results = backup_results(audit)
    assert len(results) == 10
    assert [a.name for a in results["backup.failing_jobs"].affected] == ["Fichiers - SRV-FILE01"]
    assert [a.name for a in results["backup.rpo_exceeded"].affected] == ["SRV-FILE01"]
    assert {a.name for a in audit.inventory if "backup" in a.sources} >= {"DC01", "SRV-APP01", "SRV-BACKUP01",
                                                                         "SRV-FILE01"}
    payload = bundle.documents["backup"].payload
    assert {row["name"]: row["worst_case_data_loss_hours"] for row in payload["protection"]} == {
        "DC01": 12.3, "srv-app01.durand.local": 12.2, "SRV-BACKUP01.durand.local": 8.1, "SRV-FILE01": 75.8}

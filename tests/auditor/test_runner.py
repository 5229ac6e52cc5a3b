"""The runner isolates plugins: one that raises, hangs or lacks credentials never stops the audit."""

from __future__ import annotations

import json
import time

import pytest

from auditor.bundle import read_bundle, write_bundle
from auditor.errors import EvidenceError
from auditor.models import RunStatus, Status
from auditor.pluginmanager import PluginRegistry, get_plugin_manager
from auditor.profile import ClientInfo, Contract, MspInfo, Profile
from auditor.runner import evaluate, run_audit
from tests.factories import FakePlugin, FakeSettings


def registry_with(*plugins: FakePlugin) -> PluginRegistry:
    return PluginRegistry.build(get_plugin_manager(load_entry_points=False, extra_plugins=plugins))


def profile_with(**settings: FakeSettings) -> Profile:
    return Profile(client=ClientInfo(id="acme", name="Acme"), msp=MspInfo(name="MSP"),
                   contract=Contract(hourly_rate=100, monthly_hours=10), plugins=settings)


def test_failing_hanging_and_credential_less_plugins_leave_a_complete_audit() -> None:
    plugins = [FakePlugin("good"), FakePlugin("crashy"), FakePlugin("sleepy"), FakePlugin("nokey")]
    registry = registry_with(*plugins)
    profile = profile_with(
        good=FakeSettings(value="bad"),
        crashy=FakeSettings(behaviour="raise"),
        sleepy=FakeSettings(behaviour="hang", timeout_seconds=0.5),
        nokey=FakeSettings(behaviour="nocreds"),
    )
    started = time.monotonic()
    audit, bundle, _files = run_audit(profile, registry)
    assert time.monotonic() - started < 10
    plugins[2].release.set()
    runs = {r.plugin: r for r in audit.runs if r.phase == "collect"}
    assert runs["good"].status is RunStatus.ok
    assert runs["crashy"].status is RunStatus.error and "the console exploded" in runs["crashy"].reason
    assert runs["sleepy"].status is RunStatus.timeout and "0.5 s timeout" in runs["sleepy"].reason
    assert runs["nokey"].status is RunStatus.skipped and "plugins.nokey.api_key" in runs["nokey"].reason
    by_id = {r.check_id: r for r in audit.results}
    assert by_id["good.one"].status is Status.failed
    assert by_id["good.two"].status is Status.not_assessed  # declared but not produced: never a silent pass
    for name in ("crashy", "sleepy", "nokey"):
        for suffix in ("one", "two"):
            assert by_id[f"{name}.{suffix}"].status is Status.not_assessed
    assert "exploded" in by_id["crashy.one"].reason.en and "Échec" in by_id["crashy.one"].reason.fr
    assert audit.scores.coverage == pytest.approx(round(1 / 8 * 100, 1))
    assert set(bundle.documents) == {"good"}


def test_secrets_are_redacted_from_evidence_and_bundle(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FAKE_API_KEY", "s3cr3t-value-123")
    registry = registry_with(FakePlugin("leaky"))
    profile = profile_with(leaky=FakeSettings(api_key="env:FAKE_API_KEY"))
    audit, bundle, files = run_audit(profile, registry)
    for content in files.values():
        assert b"s3cr3t-value-123" not in content
    assert "s3cr3t-value-123" not in audit.model_dump_json()
    assert bundle.documents["leaky"].payload["values"][1] == "leaked *** here"
    assert b"env:FAKE_API_KEY" in files["profile.json"]


def _comparable(audit) -> dict:
    data = json.loads(audit.model_dump_json())
    data.pop("evaluated_at")
    for run in data["runs"]:
        if run["phase"] == "evaluate":
            run.pop("started_at"), run.pop("finished_at")
    return data


@pytest.mark.parametrize("suffix", ["bundle", "bundle.zip"])
def test_bundle_round_trip_evaluates_identically(tmp_path, suffix) -> None:
    registry = registry_with(FakePlugin("good"))
    profile = profile_with(good=FakeSettings(value="bad"))
    audit, bundle, files = run_audit(profile, registry)
    path = write_bundle(files, tmp_path / suffix)
    again = read_bundle(path)
    assert again.digest == bundle.digest
    first = evaluate(again, registry)
    second = evaluate(read_bundle(path), registry)
    assert _comparable(first) == _comparable(second) == _comparable(audit)
    assert first.provenance.bundle_digest == bundle.digest


def test_tampered_bundle_is_refused_naming_the_file(tmp_path) -> None:
    registry = registry_with(FakePlugin("good"))
    _audit, _bundle, files = run_audit(profile_with(good=FakeSettings()), registry)
    path = write_bundle(files, tmp_path / "b")
    target = path / "evidence" / "good.json"
    target.write_text(target.read_text().replace('"x"', '"y"'))
    with pytest.raises(EvidenceError, match=r"evidence/good.json: content does not match"):
        read_bundle(path)
    with pytest.raises(EvidenceError, match="no such evidence bundle"):
        read_bundle(tmp_path / "missing")


def test_evidence_that_no_longer_validates_is_an_error_not_a_pass(tmp_path) -> None:
    registry = registry_with(FakePlugin("good"))
    _audit, _bundle, files = run_audit(profile_with(good=FakeSettings()), registry)
    files["evidence/good.json"] = files["evidence/good.json"].replace(b'"values"', b'"values_renamed"')
    bundle = read_bundle(write_bundle(_rehash(files), tmp_path / "b"))
    audit = evaluate(bundle, registry)
    statuses = {r.check_id: r.status for r in audit.results}
    # FakeEvidence has a default for `values`, so an unknown key is ignored; an invalid type is not:
    files["evidence/good.json"] = files["evidence/good.json"].replace(b'"values_renamed"', b'"values": 5, "x"')
    bundle = read_bundle(write_bundle(_rehash(files), tmp_path / "c"))
    audit = evaluate(bundle, registry)
    statuses = {r.check_id: r.status for r in audit.results}
    assert statuses == {"good.one": Status.error, "good.two": Status.error}
    assert any(r.phase == "evaluate" and "payload.values" in (r.reason or "") for r in audit.runs)


def _rehash(files: dict[str, bytes]) -> dict[str, bytes]:
    import hashlib

    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        entry["sha256"] = hashlib.sha256(files[entry["path"]]).hexdigest()
    return {**files, "manifest.json": json.dumps(manifest).encode()}


def _zip_bundle(tmp_path):
    registry = registry_with(FakePlugin("good"))
    _audit, _bundle, files = run_audit(profile_with(good=FakeSettings()), registry)
    return write_bundle(files, tmp_path / "b.zip"), files


def test_members_the_manifest_does_not_list_are_never_read(tmp_path) -> None:
    import zipfile

    path, _files = _zip_bundle(tmp_path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("junk/bomb.json", b"0" * 50_000_000)  # compresses to a few kB
    assert read_bundle(path).documents["good"].plugin == "good"


def test_corrupt_or_hostile_zips_are_one_clear_error(tmp_path) -> None:
    path, files = _zip_bundle(tmp_path)
    data = bytearray(path.read_bytes())
    start = data.index(b"evidence/good.json") + len(b"evidence/good.json")
    data[start + 5:start + 25] = b"\xff" * 20  # damage the deflated member
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(data))
    with pytest.raises(EvidenceError, match=r"broken.zip/evidence/good.json: (unreadable|content does not match)"):
        read_bundle(broken)
    manifest = json.loads(files["manifest.json"])
    manifest["files"].append({"path": "../../etc/passwd", "sha256": "0" * 64})
    with pytest.raises(EvidenceError, match=r"lists '../../etc/passwd', which is outside the bundle"):
        read_bundle(write_bundle({**files, "manifest.json": json.dumps(manifest).encode()}, tmp_path / "evil"))

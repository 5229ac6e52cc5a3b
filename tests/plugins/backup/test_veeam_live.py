"""The live Veeam source against the loopback emulator: API generations, paging, tokens, errors, throttling."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from auditor.http import RetryPolicy
from auditor_plugins.backup.checks import evaluate
from auditor_plugins.backup.evidence import BackupEvidence
from auditor_plugins.backup.sources import (
    VeeamAuthError,
    VeeamError,
    VeeamPermissionError,
    VeeamProtocolError,
    VeeamRestSource,
    VeeamUnavailable,
)
from tests.plugins.backup.helpers import ad, by_id, context, names
from tests.servers.veeam_emulator import (
    DEMO_COLLECTED_AT,
    EstateBuilder,
    VeeamEmulator,
    VeeamEstate,
    daily,
    demo_estate,
)

DEMO = Path(__file__).resolve().parents[3] / "samples" / "demo-client" / "backup" / "veeam-evidence.json"
NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def source(emulator: VeeamEmulator, api_version: str = "1.1-rev1", **options: object) -> VeeamRestSource:
    return VeeamRestSource(emulator.url, emulator.username, emulator.password, api_version=api_version,
                           clock=lambda: NOW, **options)  # type: ignore[arg-type]


def _get_paths(emulator: VeeamEmulator) -> list[str]:
    return [path.split("?")[0] for method, path, _ in emulator.log if method == "GET"]


def test_demo_estate_12_1_matches_the_recorded_sample(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    emulator = veeam_emulator(demo_estate())
    evidence = source(emulator).collect()
    assert evidence.restore_point_api == "restorePoints"
    recorded = json.loads(DEMO.read_text(encoding="utf-8"))
    assert evidence.collected_at == DEMO_COLLECTED_AT
    assert evidence.model_dump(mode="json") == recorded
    # Read-only: one token POST, GETs otherwise, x-api-version on every single request.
    assert {method for method, _, _ in emulator.log} == {"GET", "POST"}
    assert [path for method, path, _ in emulator.log if method == "POST"] == ["/api/oauth2/token"]
    assert all(headers.get("x-api-version") == "1.1-rev1" for _, _, headers in emulator.log)
    assert "/api/v1/objectRestorePoints" not in _get_paths(emulator)


def test_12_0_uses_object_restore_points_and_gives_the_same_machines(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    estate = demo_estate()
    estate.version = "12.0"
    emulator = veeam_emulator(estate)
    evidence = source(emulator, "1.1-rev0").collect()
    assert evidence.restore_point_api == "objectRestorePoints"
    assert evidence.product_version == "12.0.0.1420"
    assert "/api/v1/restorePoints" not in _get_paths(emulator)
    recorded = BackupEvidence.model_validate_json(DEMO.read_text(encoding="utf-8"))
    assert evidence.objects == recorded.objects and evidence.protection == recorded.protection


def test_when_no_restore_point_route_answers_the_error_names_both(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    # restorePoints fails with 404, the source then tries the 12.0 route, which a 1.1-rev1 client is not served.
    emulator = veeam_emulator(demo_estate(), failures={"/api/v1/restorePoints": (404, "NotFound", "gone")})
    with pytest.raises(VeeamError, match=r"GET .*/api/v1/objectRestorePoints answered HTTP 404 NotFound"):
        source(emulator).collect()
    assert _get_paths(emulator)[-2:] == ["/api/v1/restorePoints", "/api/v1/objectRestorePoints"]


def test_api_version_refused_by_an_older_server_is_a_clear_error(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    estate = demo_estate()
    estate.version = "12.0"
    emulator = veeam_emulator(estate)
    with pytest.raises(VeeamError) as caught:
        source(emulator, "1.1-rev1").collect()
    assert not isinstance(caught.value, VeeamAuthError)  # a version mismatch is not a credentials problem
    message = str(caught.value)
    assert "HTTP 400, BadRequest" in message and "API version 1.1-rev1 is not supported" in message
    assert emulator.password not in message


def test_v13_lower_case_status_is_normalised(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    b = EstateBuilder(version="13")
    repo = b.repository("R", host="VBR01")
    b.job("Nightly", repository=repo, status="Inactive", last_result="Warning", last_run=NOW - dt.timedelta(hours=9),
          objects={"SRV-A": daily(NOW - dt.timedelta(hours=9), 3)})
    b.job("Legacy", repository=repo, status="Disabled", last_result="Success", last_run=NOW - dt.timedelta(days=90))
    emulator = veeam_emulator(b.build())
    evidence = source(emulator, "1.3-rev1").collect()
    statuses = {j.name: (j.status, j.disabled, j.last_result) for j in evidence.jobs}
    assert statuses == {"Nightly": ("inactive", False, "warning"), "Legacy": ("disabled", True, "success")}
    wire = [h for m, p, h in emulator.log if p.startswith("/api/v1/jobs/states")]
    assert wire, "jobs/states was read"
    results = by_id(evaluate(evidence, context(evidence, [ad("SRV-A")])))
    assert names(results["backup.failing_jobs"]) == ["Nightly"]
    assert names(results["backup.disabled_jobs"]) == ["Legacy"]


def _big_estate(version: str = "12.1") -> VeeamEstate:
    b = EstateBuilder(version=version)
    repo = b.repository("R", host="VBR01")
    machines = {f"SRV-{n:02d}": daily(NOW - dt.timedelta(hours=n), 4) for n in range(1, 8)}
    b.job("Big", repository=repo, last_run=NOW - dt.timedelta(hours=1), objects=machines)
    b.surebackup("SB", NOW - dt.timedelta(days=3), objects=tuple(machines)[:5])
    return b.build()


def test_paging_reads_every_item(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    emulator = veeam_emulator(_big_estate(), max_page_size=2)
    evidence = source(emulator, page_size=50).collect()
    assert [o.name for o in evidence.objects] == [f"SRV-{n:02d}" for n in range(1, 8)]
    assert sum(len(o.restore_points) for o in evidence.objects) == 28
    skips = [p for m, p, _ in emulator.log if p.startswith("/api/v1/restorePoints?")]
    assert len(skips) == 14 and "skip=26" in skips[-1]
    tested = {o.name for o in evidence.objects if o.last_restore_test}
    assert tested == {f"SRV-{n:02d}" for n in range(1, 6)}


def test_token_expiring_server_side_mid_collection_is_refreshed(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    reference = source(veeam_emulator(_big_estate()), page_size=1).collect()
    emulator = veeam_emulator(_big_estate(), server_token_ttl=0.25, latency=0.02)
    evidence = source(emulator, page_size=1).collect()
    assert emulator.expired_rejections >= 1
    assert emulator.token_requests == emulator.expired_rejections + 1
    assert evidence == reference


def test_short_advertised_lifetime_renews_before_expiry(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    emulator = veeam_emulator(_big_estate(), token_lifetime=1, latency=0.02)
    evidence = source(emulator, page_size=1).collect()
    assert emulator.token_requests >= 2 and emulator.expired_rejections == 0
    assert len(evidence.objects) == 7


def test_error_envelope_becomes_a_clear_message(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    emulator = veeam_emulator(demo_estate(), failures={
        "/api/v1/backupInfrastructure/repositories": (403, "AccessDenied", "Access is denied for this account.")})
    with pytest.raises(VeeamPermissionError) as caught:
        source(emulator).collect()
    message = str(caught.value)
    assert "GET " in message and "/api/v1/backupInfrastructure/repositories answered HTTP 403 AccessDenied" in message
    assert "Access is denied for this account." in message and "Backup Viewer" in message


def test_wrong_password_names_the_user_never_the_password(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    emulator = veeam_emulator(demo_estate())
    bad = VeeamRestSource(emulator.url, emulator.username, "Wrong-Passw0rd!", clock=lambda: NOW)
    with pytest.raises(VeeamAuthError) as caught:
        bad.collect()
    message = str(caught.value)
    assert "HTTP 401, Unauthorized" in message and "Invalid user name or password." in message
    assert "svc_audit" in message and "Wrong-Passw0rd!" not in message


def test_429_is_retried_honouring_retry_after(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    emulator = veeam_emulator(demo_estate(), throttle={"/api/v1/jobs/states": 2, "/api/v1/restorePoints": 1})
    collector = source(emulator)
    evidence = collector.collect()
    assert collector.client.throttled == 3
    assert [j.name for j in evidence.jobs] == ["Agent - SRV-BACKUP01", "Fichiers - SRV-FILE01",
                                              "Serveurs - quotidien"]


def test_429_that_never_stops_gives_up(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    emulator = veeam_emulator(demo_estate(), throttle={"/api/v1/backups": 100})
    waits: list[float] = []
    collector = source(emulator, retry=RetryPolicy(attempts=3, sleep=waits.append))
    with pytest.raises(VeeamUnavailable, match=r"HTTP 429 TooManyRequests.*gave up after 3 attempts"):
        collector.collect()
    assert waits == [0.05, 0.05]


def test_rich_estate_derivations(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    b = EstateBuilder(version="12.3")
    hardened = b.repository("HR-01", type="LinuxHardened", host="LNX-REPO01", immutable_days=14, path="/backups",
                            capacity_gb=1000, free_gb=100)
    local = b.repository("Local", host="VBR01")
    wasabi = b.repository("Wasabi", type="WasabiCloud", capacity_gb=0, free_gb=0, bucket_immutability=(True, 30))
    s3 = b.repository("S3-capacity", type="AmazonS3", capacity_gb=0, free_gb=0)
    sobr = b.scale_out("SOBR-01", [local], capacity_extent=s3)
    recent = NOW - dt.timedelta(hours=20)
    b.job("Daily HR", repository=hardened, last_run=recent, objects={"SRV-A": daily(recent, 5),
                                                                    "SRV-D": daily(NOW - dt.timedelta(days=20), 3)})
    b.job("Copy to Wasabi", repository=wasabi, type="BackupCopy", last_run=recent,
          objects={"SRV-A": daily(recent, 2)})
    b.job("Daily SOBR", repository=sobr, last_run=recent, objects={"SRV-B": daily(recent, 5)})
    b.job("Local only", repository=local, last_run=recent, objects={"SRV-C": daily(recent, 5)})
    b.job("Second site", repository=hardened, last_run=recent, objects={"SRV-C": daily(recent, 1)})
    emulator = veeam_emulator(b.build())
    evidence = source(emulator, "1.2-rev1").collect()
    objects = {o.name: o for o in evidence.objects}
    a, b_, c, d = objects["SRV-A"], objects["SRV-B"], objects["SRV-C"], objects["SRV-D"]
    assert (a.copies, a.offsite, a.immutable) == (2, True, True)
    assert "object storage / cloud repository (WasabiCloud)" in a.offsite_basis
    assert "processed by backup copy job 'Copy to Wasabi' (to Wasabi (WasabiCloud))" in a.offsite_basis
    assert "makeRecentBackupsImmutableDays = 14" in a.immutable_basis
    assert "immutability.isEnabled = true, 30 days" in a.immutable_basis
    assert (b_.copies, b_.offsite, b_.immutable) == (2, True, False)
    assert "capacity tier (copy policy) on S3-capacity" in b_.offsite_basis
    assert (c.copies, c.offsite, c.immutable) == (2, True, True)
    assert "different hosts: HR-01 (LNX-REPO01), Local (VBR01)" in c.offsite_basis
    assert (d.copies, d.offsite, d.immutable) == (1, False, False)
    assert "no restore point is younger than 14 days" in d.immutable_basis
    repos = {r.name: r for r in evidence.repositories}
    assert repos["SOBR-01"].scale_out and repos["SOBR-01"].capacity_tier
    assert (repos["HR-01"].immutable, repos["HR-01"].immutable_days) == (True, 14)
    results = by_id(evaluate(evidence, context(evidence, [ad(n) for n in ("SRV-A", "SRV-B", "SRV-C", "SRV-D")])))
    assert names(results["backup.too_few_copies"]) == ["SRV-D"]
    assert names(results["backup.no_offsite_copy"]) == ["SRV-D"]
    assert names(results["backup.no_immutable_copy"]) == ["SRV-B", "SRV-D"]
    assert names(results["backup.repository_nearly_full"]) == ["HR-01"]
    assert names(results["backup.rpo_exceeded"]) == ["SRV-D"]


def test_https_with_the_servers_ca_bundle_and_untrusted_certificate(veeam_emulator, veeam_tls_certificate
                                                                    ) -> None:  # type: ignore[no-untyped-def]
    emulator = veeam_emulator(demo_estate(), tls=veeam_tls_certificate)
    assert emulator.url.startswith("https://127.0.0.1:")
    evidence = source(emulator, verify=veeam_tls_certificate[0]).collect()
    assert len(evidence.objects) == 4
    with pytest.raises(VeeamUnavailable, match=r"TLS certificate.*plugins\.backup\.ca_bundle"):
        source(emulator, retry=RetryPolicy(attempts=1)).collect()


def test_malformed_api_values_are_a_protocol_error_not_a_crash(veeam_emulator) -> None:  # type: ignore[no-untyped-def]
    estate = demo_estate()
    estate.restore_points[3]["creationTime"] = "yesterday"
    emulator = veeam_emulator(estate)
    with pytest.raises(VeeamProtocolError, match=r"a restore point is not in the documented shape .*yesterday"):
        source(emulator).collect()
    assert any("typeFilter=SureBackup" in path for _, path, _ in emulator.log)


@pytest.mark.parametrize("with_definitions", [True, False])
def test_machines_configured_but_never_backed_up(veeam_emulator, with_definitions: bool) -> None:  # type: ignore[no-untyped-def]
    b = EstateBuilder(version="12.1")
    repo = b.repository("R", host="VBR01")
    b.job("Nightly", repository=repo, last_result="Failed", last_run=NOW - dt.timedelta(hours=8),
          objects={"SRV-A": daily(NOW - dt.timedelta(hours=8), 2)}, members=("SRV-NEW.corp.local",))
    estate = b.build()
    if not with_definitions:
        estate.job_specs = None  # /api/v1/jobs answers 404 on this server
    evidence = source(veeam_emulator(estate)).collect()
    (job,) = evidence.jobs
    results = by_id(evaluate(evidence, context(evidence, [ad("SRV-A.corp.local"), ad("SRV-NEW.corp.local")])))
    servers = results["backup.server_without_backup"]
    assert names(servers) == ["SRV-NEW"]
    if with_definitions:
        assert job.objects == ("SRV-A", "SRV-NEW.corp.local")
        assert [o.name for o in evidence.objects] == ["SRV-A", "SRV-NEW.corp.local"]
        assert servers.affected[0].detail.startswith("configured in Nightly but no restore point")
    else:
        assert job.objects == ("SRV-A",)
        assert servers.affected[0].detail.startswith("no restore point in the backup console")

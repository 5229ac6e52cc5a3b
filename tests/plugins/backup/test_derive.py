"""Immutability and offsite derivations from repository definitions, checked one repository type at a time."""

from __future__ import annotations

import datetime as dt

import pytest

from auditor_plugins.backup.derive import (
    job_members,
    last_restore_test,
    normalise_job,
    parse_time,
    repository_from_api,
    scale_out_from_api,
)
from auditor_plugins.backup.evidence import RestoreTest

UTC = dt.UTC


@pytest.mark.parametrize(("raw", "immutable", "days", "offsite", "basis"), [
    ({"type": "LinuxHardened", "repository": {"makeRecentBackupsImmutableDays": 7}}, True, 7, False,
     "hardened Linux repository: makeRecentBackupsImmutableDays = 7"),
    ({"type": "LinuxHardened", "repository": {"makeRecentBackupsImmutableDays": 0}}, False, None, False,
     "makeRecentBackupsImmutableDays is 0"),
    ({"type": "LinuxHardened", "repository": {}}, False, None, False, "makeRecentBackupsImmutableDays is not set"),
    ({"type": "AmazonS3", "bucket": {"immutability": {"isEnabled": True, "daysCount": 30}}}, True, 30, True,
     "object storage (AmazonS3): immutability.isEnabled = true, 30 days"),
    ({"type": "S3Compatible", "bucket": {"immutability": {"isEnabled": False, "daysCount": 30}}}, False, None, True,
     "immutability.isEnabled = false"),
    ({"type": "AzureBlob", "immutability": {"isEnabled": True}}, True, None, True, "immutability.isEnabled = true"),
    ({"type": "WasabiCloud"}, False, None, True, "without an immutability setting"),
    ({"type": "WinLocal", "repository": {"makeRecentBackupsImmutableDays": 14}}, False, None, False,
     "WinLocal repository: this repository type cannot make backups immutable"),
    ({"type": "Smb"}, False, None, False, "cannot make backups immutable"),
    ({"type": "DDBoost"}, None, None, False, "the API does not say whether backups are immutable"),
    ({"type": "linuxhardened", "repository": {"makeRecentBackupsImmutableDays": "10"}}, True, 10, False,
     "= 10"),
])
def test_repository_derivations(raw: dict, immutable: bool | None, days: int | None, offsite: bool,
                                basis: str) -> None:
    repo = repository_from_api({"id": "r", "name": "R", **raw}, {"capacityGB": 100, "freeGB": 40, "hostName": "H"})
    assert (repo.immutable, repo.immutable_days, repo.offsite) == (immutable, days, offsite)
    assert basis in repo.immutability_basis
    assert repo.used_percent == 60.0


def test_repository_state_values_are_checked() -> None:
    repo = repository_from_api({"id": "r", "name": "R", "type": "WinLocal"}, {"capacityGB": "lots", "freeGB": -5})
    assert (repo.capacity_gb, repo.free_gb, repo.used_percent) == (None, None, None)


def test_scale_out_immutable_through_its_capacity_tier() -> None:
    perf = repository_from_api({"id": "p", "name": "Perf", "type": "WinLocal"}, {"hostName": "H1"})
    cap = repository_from_api({"id": "c", "name": "Cap", "type": "AmazonS3",
                               "bucket": {"immutability": {"isEnabled": True, "daysCount": 30}}})
    sobr = scale_out_from_api({"id": "s", "name": "SOBR", "performanceTier": {"performanceExtents": [{"id": "p"}]},
                               "capacityTier": {"isEnabled": True, "extentId": "c", "copyPolicyEnabled": False,
                                                "movePolicyEnabled": True}}, {"p": perf, "c": cap})
    assert (sobr.offsite, sobr.immutable, sobr.capacity_tier) == (True, True, False)  # move policy: no extra copy
    assert "capacity tier (move policy) on Cap" in sobr.offsite_basis
    assert sobr.immutability_basis.startswith("capacity tier Cap: object storage (AmazonS3)")
    off = scale_out_from_api({"id": "s", "name": "SOBR", "performanceTier": {"performanceExtents": [{"id": "p"}]},
                              "capacityTier": {"isEnabled": False}}, {"p": perf, "c": cap})
    assert (off.offsite, off.immutable) == (False, False)


@pytest.mark.parametrize(("status", "result", "expected"), [
    ("Inactive", "Success", ("inactive", "success", False)),
    ("inactive", "Warning", ("inactive", "warning", False)),
    ("Disabled", "None", ("disabled", "none", True)),
    ("disabled", "FAILED", ("disabled", "failed", True)),
    ("Running", "", ("running", "", False)),
])
def test_job_status_case(status: str, result: str, expected: tuple) -> None:
    job = normalise_job({"id": "j", "name": "J", "type": "SomeFutureJobType", "status": status, "lastResult": result,
                         "lastRun": "2026-11-19T23:00:00.1234567+01:00"})
    assert (job.status, job.last_result, job.disabled) == expected
    assert job.type == "SomeFutureJobType" and job.last_run == dt.datetime(2026, 11, 19, 22, 0, 0, 123456,
                                                                             tzinfo=UTC)


def test_parse_time_variants() -> None:
    assert parse_time("2026-11-19T22:05:13Z") == dt.datetime(2026, 11, 19, 22, 5, 13, tzinfo=UTC)
    assert parse_time("2026-11-19T22:05:13") == dt.datetime(2026, 11, 19, 22, 5, 13, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time("19/11/2026")


def test_job_members_shapes() -> None:
    assert job_members({"virtualMachines": {"includes": [{"name": "DC01"}, {"name": " "}, {"x": 1}]}}) == ["DC01"]
    assert job_members({"computers": [{"name": "srv-a"}], "objects": ["srv-b"]}) == ["srv-b", "srv-a"]
    assert job_members({"virtualMachines": "weird"}) == []


def test_restore_test_matching_by_short_name_and_result() -> None:
    tests = [RestoreTest(name="old", time=dt.datetime(2026, 1, 1, tzinfo=UTC), result="success", objects=("DC01",)),
             RestoreTest(name="failed", time=dt.datetime(2026, 6, 1, tzinfo=UTC), result="failed", objects=("DC01",)),
             RestoreTest(name="all", time=dt.datetime(2026, 3, 1, tzinfo=UTC), result="warning")]
    when, basis = last_restore_test("dc01.corp.local", tests)
    assert when == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert basis == "SureBackup session 'all' of 2026-03-01 (warning); it did not list the machines it verified"
    assert last_restore_test("SRV-X", tests[:2]) == (None, "no successful restore test (SureBackup) covered this "
                                                           "machine")

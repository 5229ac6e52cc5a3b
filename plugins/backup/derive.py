"""Deriving what Veeam does not say outright: immutability, offsite copies, copies per machine, restore tests.

Veeam B&R has no "immutable" or "offsite" flag.  They follow from the repository type and settings
(hardened Linux `makeRecentBackupsImmutableDays`, object storage `immutability.isEnabled`), from where a
machine's restore points sit (object storage, a scale-out capacity tier, two repositories on different
hosts) and from backup copy jobs.  Each derivation returns the sentence explaining it, which the
evidence keeps so a report reader can check the reasoning.  Pure functions: easy to test by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from auditor.inventory import short_name
from auditor_plugins.backup.evidence import (
    Job,
    ProtectedObject,
    Repository,
    RestorePoint,
    RestoreTest,
    ServerProtection,
)

#: Repository types that are object storage or a cloud service, i.e. not on the client's site.
OBJECT_STORAGE_TYPES = frozenset({
    "amazons3", "amazons3glacier", "amazonsnowballedge", "azureblob", "azurearchive", "azuredatabox",
    "s3compatible", "wasabicloud", "googlecloud", "ibmcloud", "veeamdatacloudvault", "cloud",
})
#: Repository types that cannot make backups immutable at all.
NEVER_IMMUTABLE_TYPES = frozenset({"winlocal", "linuxlocal", "smb", "nfs", "cifs"})
#: How many restore points per machine the evidence keeps (newest first); the rest only count.
MAX_RESTORE_POINTS = 100


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def repository_from_api(raw: Mapping[str, Any], state: Mapping[str, Any] | None = None) -> Repository:
    """A plain repository from `/backupInfrastructure/repositories` (+ its `/states` entry)."""
    state = state or {}
    rtype = str(raw.get("type") or state.get("type") or "")
    kind = rtype.lower()
    settings = _dict(raw.get("repository"))
    bucket = _dict(raw.get("bucket"))
    immutability = _dict(bucket.get("immutability")) or _dict(raw.get("immutability"))
    immutable: bool | None
    days: int | None = None
    if kind == "linuxhardened":
        days = _int(settings.get("makeRecentBackupsImmutableDays"))
        immutable = bool(days and days > 0)
        basis = (f"hardened Linux repository: makeRecentBackupsImmutableDays = {days}" if immutable else
                 "hardened Linux repository, but makeRecentBackupsImmutableDays is "
                 f"{'0' if days == 0 else 'not set'}: backups on it are not immutable")
    elif kind in OBJECT_STORAGE_TYPES:
        if immutability:
            immutable = immutability.get("isEnabled") is True
            days = _int(immutability.get("daysCount"))
            basis = (f"object storage ({rtype}): immutability.isEnabled = true"
                     f"{f', {days} days' if days else ''}" if immutable else
                     f"object storage ({rtype}): immutability.isEnabled = false")
        else:
            immutable = False
            basis = f"object storage ({rtype}) without an immutability setting"
    elif kind in NEVER_IMMUTABLE_TYPES:
        immutable = False
        basis = f"{rtype} repository: this repository type cannot make backups immutable"
    else:
        immutable = None
        basis = f"{rtype or 'unknown'} repository: the API does not say whether backups are immutable"
    offsite = kind in OBJECT_STORAGE_TYPES
    offsite_basis = (f"object storage / cloud repository ({rtype})" if offsite
                     else f"{rtype or 'unknown'} repository on {state.get('hostName') or 'a local host'}")
    return Repository(
        id=str(raw.get("id") or state.get("id") or ""),
        name=str(raw.get("name") or state.get("name") or ""),
        type=rtype,
        host_name=str(state.get("hostName") or _dict(raw.get("server")).get("name") or ""),
        capacity_gb=_float(state.get("capacityGB")),
        free_gb=_float(state.get("freeGB")),
        immutable=immutable,
        immutable_days=days if immutable and days and days > 0 else None,
        immutability_basis=basis,
        offsite=offsite,
        offsite_basis=offsite_basis,
    )


def scale_out_from_api(raw: Mapping[str, Any], extents: Mapping[str, Repository],
                       state: Mapping[str, Any] | None = None) -> Repository:
    """A scale-out repository: immutable/offsite through its extents and its capacity tier."""
    state = state or {}
    performance = [_dict(e) for e in _dict(raw.get("performanceTier")).get("performanceExtents") or []]
    perf_repos = [extents[str(e.get("id"))] for e in performance if str(e.get("id")) in extents]
    capacity = _dict(raw.get("capacityTier"))
    tier_on = capacity.get("isEnabled") is True
    tier_extent = extents.get(str(capacity.get("extentId") or ""))
    copy_policy = capacity.get("copyPolicyEnabled") is True
    move_policy = capacity.get("movePolicyEnabled") is True
    offsite = tier_on and (copy_policy or move_policy)
    tier_name = tier_extent.name if tier_extent else "its capacity extent"
    offsite_basis = (f"scale-out repository with a capacity tier ({'copy' if copy_policy else 'move'} policy) "
                     f"on {tier_name}" if offsite else "scale-out repository without an enabled capacity tier")
    immutable: bool | None
    if perf_repos and all(r.immutable for r in perf_repos):
        immutable, basis = True, "every performance extent is immutable: " + "; ".join(
            r.immutability_basis for r in perf_repos)
    elif offsite and tier_extent is not None and tier_extent.immutable:
        immutable, basis = True, f"capacity tier {tier_extent.name}: {tier_extent.immutability_basis}"
    elif any(r.immutable is None for r in perf_repos):
        immutable, basis = None, "the immutability of some performance extents is not known"
    else:
        immutable, basis = False, "neither the performance extents nor the capacity tier are immutable"
    capacity_gb = _float(state.get("capacityGB"))
    free_gb = _float(state.get("freeGB"))
    if capacity_gb is None and perf_repos and all(r.capacity_gb is not None for r in perf_repos):
        capacity_gb = sum(r.capacity_gb or 0 for r in perf_repos)
        free_gb = sum(r.free_gb or 0 for r in perf_repos)
    return Repository(
        id=str(raw.get("id") or ""), name=str(raw.get("name") or ""), type="ScaleOut",
        host_name=", ".join(sorted({r.host_name for r in perf_repos if r.host_name})),
        capacity_gb=capacity_gb, free_gb=free_gb, immutable=immutable,
        immutable_days=min((r.immutable_days for r in perf_repos if r.immutable_days), default=None),
        immutability_basis=basis, offsite=offsite, offsite_basis=offsite_basis, scale_out=True,
        capacity_tier=tier_on and copy_policy,
    )


def normalise_job(raw: Mapping[str, Any]) -> Job:
    """A job state; status and result lower-cased (their case changed in v13), type kept opaque."""
    status = str(raw.get("status") or "")
    jtype = str(raw.get("type") or "")
    disabled = status.lower() == "disabled" or raw.get("isDisabled") is True
    last_run = raw.get("lastRun")
    return Job(
        id=str(raw.get("id") or ""),
        name=str(raw.get("name") or ""),
        type=jtype,
        status=status.lower(),
        last_result=str(raw.get("lastResult") or "").lower(),
        last_run=parse_time(last_run) if last_run else None,
        disabled=disabled,
        is_copy_job="copy" in jtype.lower(),
        objects_count=_int(raw.get("objectsCount")),
        repository_id=str(raw.get("repositoryId") or ""),
        repository_name=str(raw.get("repositoryName") or ""),
    )


def parse_time(value: Any) -> dt.datetime:
    """ISO 8601 from the API ("2026-11-19T22:05:13.27+01:00" or "...Z"), as aware UTC."""
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def job_members(raw: Mapping[str, Any]) -> list[str]:
    """Machine names a job definition (`/api/v1/jobs`) includes: VM jobs list `virtualMachines.includes`,
    agent and other jobs `objects`/`computers`; containers (hosts, folders) are kept as named."""
    names: list[str] = []
    candidates = [_dict(raw.get("virtualMachines")).get("includes"), raw.get("includes"), raw.get("objects"),
                  raw.get("computers"), _dict(raw.get("computers")).get("includes")]
    for candidate in candidates:
        if not isinstance(candidate, list):
            continue
        for item in candidate:
            name = item.get("name") if isinstance(item, dict) else item if isinstance(item, str) else None
            if isinstance(name, str) and name.strip():
                names.append(name.strip())
    return names


def restore_test_from_session(raw: Mapping[str, Any], objects: Iterable[str]) -> RestoreTest:
    result = raw.get("result")
    outcome = _dict(result).get("result") if isinstance(result, dict) else result
    when = raw.get("endTime") or raw.get("creationTime")
    return RestoreTest(
        id=str(raw.get("id") or ""), name=str(raw.get("name") or ""), kind="SureBackup",
        time=parse_time(when), result=str(outcome or "").lower(), objects=tuple(sorted(set(objects))),
    )


def build_objects(
    *,
    object_names: Iterable[str],
    restore_points: Iterable[Mapping[str, Any]],
    backups: Mapping[str, Mapping[str, Any]],
    jobs: Iterable[Job],
    repositories: Iterable[Repository],
    tests: Iterable[RestoreTest],
    now: dt.datetime,
    job_members: Mapping[str, Iterable[str]] | None = None,
) -> tuple[tuple[ProtectedObject, ...], tuple[Job, ...]]:
    """Join restore points to backups, jobs and repositories; derive copies/offsite/immutable per machine.

    Restore points name their object (`name`) and backup (`backupId`); a backup names its job and
    repository.  `job_members` (job id -> machine names from the job definitions) adds machines that are
    configured but have no restore point yet.  Returns the protected objects and the jobs with their
    object lists filled in.
    """
    jobs = list(jobs)
    job_by_id = {j.id: j for j in jobs}
    repo_by_id = {r.id: r for r in repositories}
    tests = list(tests)
    points_by_object: dict[str, list[RestorePoint]] = {}
    display: dict[str, str] = {}
    job_objects: dict[str, set[str]] = {}
    configured_in: dict[str, set[str]] = {}
    for name in object_names:
        display.setdefault(name.lower(), name)
        points_by_object.setdefault(name.lower(), [])
    for job_id, members in (job_members or {}).items():
        job = job_by_id.get(job_id)
        for name in members:
            display.setdefault(name.lower(), name)
            points_by_object.setdefault(name.lower(), [])
            if job is not None:
                job_objects.setdefault(job.id, set()).add(display[name.lower()])
                configured_in.setdefault(name.lower(), set()).add(job.name)
    for raw in restore_points:
        name = str(raw.get("name") or "")
        if not name or not raw.get("creationTime"):
            continue
        backup = backups.get(str(raw.get("backupId") or ""), {})
        repo_id = str(backup.get("repositoryId") or "")
        job = job_by_id.get(str(backup.get("jobId") or ""))
        repo = repo_by_id.get(repo_id)
        point = RestorePoint(time=parse_time(raw["creationTime"]), repository_id=repo_id,
                             repository_name=repo.name if repo else "", job_name=job.name if job else "")
        display.setdefault(name.lower(), name)
        points_by_object.setdefault(name.lower(), []).append(point)
        if job is not None:
            job_objects.setdefault(job.id, set()).add(display[name.lower()])
    objects = []
    for key in sorted(points_by_object):
        points = sorted(points_by_object[key], key=lambda p: p.time, reverse=True)
        job_names = sorted({p.job_name for p in points if p.job_name} | configured_in.get(key, set()))
        copy_jobs = sorted({j.name for j in jobs if j.is_copy_job and j.name in job_names})
        objects.append(derive_object(display[key], points, repo_by_id, copy_jobs, tests, now, job_names))
    filled = tuple(j.model_copy(update={"objects": tuple(sorted(job_objects.get(j.id, set())))}) for j in jobs)
    return tuple(objects), filled


def derive_object(name: str, points: list[RestorePoint], repo_by_id: Mapping[str, Repository],
                  copy_jobs: list[str], tests: list[RestoreTest], now: dt.datetime,
                  job_names: list[str]) -> ProtectedObject:
    """Copies, offsite and immutability of one machine, each with the sentence that justifies it."""
    repos = sorted((repo_by_id[r] for r in {p.repository_id for p in points} if r in repo_by_id),
                   key=lambda r: (r.name.lower(), r.id))
    unknown_repos = sorted({p.repository_id for p in points if p.repository_id not in repo_by_id})
    copies = len(repos) + len(unknown_repos) + sum(1 for r in repos if r.capacity_tier)
    reasons = [f"restore points in {r.name}: {r.offsite_basis}" for r in repos if r.offsite]
    for job_name in copy_jobs:
        used = [repo_by_id[p.repository_id] for p in points
                if p.job_name == job_name and p.repository_id in repo_by_id]
        targets = sorted({f"{r.name} on {r.host_name}" if r.host_name else f"{r.name} ({r.type})" for r in used})
        reasons.append(f"processed by backup copy job '{job_name}'"
                       + (f" (to {', '.join(targets)})" if targets else ""))
    hosts = {r.host_name.lower() for r in repos if r.host_name}
    if len(hosts) >= 2:
        reasons.append("copies in repositories on different hosts: " +
                       ", ".join(f"{r.name} ({r.host_name})" for r in repos))
    if points:
        offsite: bool | None = bool(reasons)
        offsite_basis = "; ".join(reasons) if reasons else (
            "no copy in object storage or a capacity tier, no backup copy job, all copies on "
            + (", ".join(sorted(r.host_name for r in repos if r.host_name)) or "one site")
            + f" ({', '.join(r.name for r in repos) or 'unknown repository'})")
    else:
        offsite, offsite_basis = None, "no restore point"
    immutable_reasons = []
    for repo in repos:
        if not repo.immutable:
            continue
        window = dt.timedelta(days=repo.immutable_days) if repo.immutable_days else None
        inside = [p for p in points if p.repository_id == repo.id and (window is None or now - p.time <= window)]
        if inside:
            immutable_reasons.append(f"{len(inside)} restore point(s) in {repo.name}: {repo.immutability_basis}")
    if points:
        immutable: bool | None = bool(immutable_reasons)
        if immutable_reasons:
            immutable_basis = "; ".join(immutable_reasons)
        elif any(r.immutable is None for r in repos):
            immutable = None
            immutable_basis = "; ".join(f"{r.name}: {r.immutability_basis}" for r in repos)
        else:
            immutable_basis = "; ".join(
                f"{r.name}: {r.immutability_basis}"
                + (f", but no restore point is younger than {r.immutable_days} days" if r.immutable else "")
                for r in repos) or "unknown repository"
    else:
        immutable, immutable_basis = None, "no restore point"
    last_test, test_basis = last_restore_test(name, tests)
    return ProtectedObject(
        name=name, jobs=tuple(job_names), restore_points=tuple(points[:MAX_RESTORE_POINTS]),
        last_success=points[0].time if points else None, copies=copies, offsite=offsite,
        offsite_basis=offsite_basis, immutable=immutable, immutable_basis=immutable_basis,
        last_restore_test=last_test, restore_test_basis=test_basis,
    )


def last_restore_test(name: str, tests: Iterable[RestoreTest]) -> tuple[dt.datetime | None, str]:
    """The newest successful test that verified this machine (or did not say which machines it verified)."""
    wanted = short_name(name)
    best: RestoreTest | None = None
    for test in tests:
        if not test.succeeded:
            continue
        if test.objects and wanted not in {short_name(o) for o in test.objects}:
            continue
        if best is None or test.time > best.time:
            best = test
    if best is None:
        return None, "no successful restore test (SureBackup) covered this machine"
    scope = "verified this machine" if best.objects else "did not list the machines it verified"
    return best.time, f"{best.kind} session '{best.name}' of {best.time:%Y-%m-%d} ({best.result}); it {scope}"


def protection_table(objects: Iterable[ProtectedObject], now: dt.datetime) -> tuple[ServerProtection, ...]:
    """The per-server table: worst-case data loss (age of the last good restore point), last restore test."""
    rows = []
    for obj in objects:
        loss = round((now - obj.last_success).total_seconds() / 3600, 1) if obj.last_success else None
        test_age = (round((now - obj.last_restore_test).total_seconds() / 86400, 1)
                    if obj.last_restore_test else None)
        rows.append(ServerProtection(
            name=obj.name, last_good_restore_point=obj.last_success, worst_case_data_loss_hours=loss,
            last_restore_test=obj.last_restore_test, days_since_restore_test=test_age, copies=obj.copies,
            offsite=obj.offsite, immutable=obj.immutable,
        ))
    return tuple(sorted(rows, key=lambda r: r.name.lower()))

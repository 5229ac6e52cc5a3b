"""The backup plugin's evidence: what a backup console says about jobs, restore points, repositories and tests.

This is also the plugin's recorded JSON format (`format = "backup-evidence/1"`).  Veeam exposes no
"immutable" or "offsite" flag, so those are *derived* at collection time; every derived value keeps the
text of how it was derived (`*_basis`) so the report can show the reasoning, not just a yes/no.
Everything here came from a client system and is untrusted: strings are bounded and stripped of control
characters, numbers are range-checked.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from auditor.models import Frozen, bound_text


def _bound(value: Any) -> Any:
    return bound_text(value) if isinstance(value, str) else value


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


Text = Annotated[str, BeforeValidator(_bound)]
Moment = Annotated[dt.datetime, AfterValidator(_utc)]
Size = Annotated[float, Field(ge=0, le=1e9)]

SCHEMA = "backup-evidence/1"


class Job(Frozen):
    """One backup job as the console lists it (`/api/v1/jobs/states`).

    `type` is kept as the vendor's opaque string; `status` and `last_result` are lower-cased because Veeam
    changed their case in v13 ("Inactive" became "inactive").
    """

    id: Text
    name: Text
    type: Text = ""
    status: Text = ""
    last_result: Text = ""
    last_run: Moment | None = None
    disabled: bool = False
    is_copy_job: bool = False
    objects: tuple[Text, ...] = ()
    objects_count: int | None = Field(default=None, ge=0)
    repository_id: Text = ""
    repository_name: Text = ""


class RestorePoint(Frozen):
    """One restore point of one protected object, and where it is stored."""

    time: Moment
    repository_id: Text = ""
    repository_name: Text = ""
    job_name: Text = ""


class Repository(Frozen):
    """A backup repository with its space and the derived immutability/offsite properties."""

    id: Text
    name: Text
    type: Text = ""
    host_name: Text = ""
    capacity_gb: Size | None = None
    free_gb: Size | None = None
    immutable: bool | None = None
    immutable_days: int | None = Field(default=None, ge=0, le=100000)
    immutability_basis: Text = ""
    offsite: bool = False
    offsite_basis: Text = ""
    scale_out: bool = False
    capacity_tier: bool = False

    @property
    def used_percent(self) -> float | None:
        if self.capacity_gb is None or self.free_gb is None or self.capacity_gb <= 0:
            return None
        return max(0.0, min(100.0, (self.capacity_gb - self.free_gb) / self.capacity_gb * 100))


class RestoreTest(Frozen):
    """A restore test (Veeam SureBackup session, or a test declared in a generic file).

    `objects` lists the machines the test verified; empty means the console did not say which.
    """

    id: Text = ""
    name: Text = ""
    kind: Text = "SureBackup"
    time: Moment
    result: Text = ""
    objects: tuple[Text, ...] = ()

    @property
    def succeeded(self) -> bool:
        return self.result.lower() in ("success", "warning")


class ProtectedObject(Frozen):
    """A machine the backup console protects, with what was derived about its protection.

    `last_success` is the newest restore point (a restore point only exists when a backup succeeded);
    `copies` counts distinct repositories (plus a capacity-tier copy) holding its restore points.
    """

    name: Text
    ips: tuple[Text, ...] = ()
    type: Text = ""
    jobs: tuple[Text, ...] = ()
    restore_points: tuple[RestorePoint, ...] = ()
    last_success: Moment | None = None
    copies: int = Field(default=0, ge=0, le=1000)
    offsite: bool | None = None
    offsite_basis: Text = ""
    immutable: bool | None = None
    immutable_basis: Text = ""
    last_restore_test: Moment | None = None
    restore_test_basis: Text = ""


class ServerProtection(Frozen):
    """One row of the per-server table the report shows: worst-case data loss and last restore test."""

    name: Text
    last_good_restore_point: Moment | None = None
    worst_case_data_loss_hours: float | None = None
    last_restore_test: Moment | None = None
    days_since_restore_test: float | None = None
    copies: int = 0
    offsite: bool | None = None
    immutable: bool | None = None


class BackupEvidence(Frozen):
    """Everything the backup plugin collected; the recorded format is exactly this model as JSON."""

    format: Literal["backup-evidence/1"] = SCHEMA
    provider: Literal["veeam", "generic"]
    product: Text = ""
    product_version: Text = ""
    api_version: Text = ""
    server: Text = ""
    #: Which restore-point API generation answered: "restorePoints" (12.1+) or "objectRestorePoints" (12.0).
    restore_point_api: Text = ""
    collected_at: Moment
    jobs: tuple[Job, ...] = ()
    objects: tuple[ProtectedObject, ...] = ()
    repositories: tuple[Repository, ...] = ()
    restore_tests: tuple[RestoreTest, ...] = ()
    protection: tuple[ServerProtection, ...] = ()
    #: Whether jobs and repositories were available (the generic format carries neither).
    has_jobs: bool = True
    has_repositories: bool = True
    has_restore_tests: bool = True
    notes: tuple[Text, ...] = ()

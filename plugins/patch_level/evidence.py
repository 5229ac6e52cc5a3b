"""The patch-level plugin's own evidence: device records from inventory exports (RMM/Intune), as recorded.

AD computers and nmap service versions are NOT copied here: they belong to the account-hygiene and
open-ports plugins and are read at evaluation time through ``context.evidence_of(...)`` (collect once,
evaluate many).  What this plugin collects itself is what only it reads: an RMM or Intune device list
with the update revision, the last patch date and pending updates -- the patch level AD cannot give.
An audit without any export still succeeds with an empty device list, so AD/nmap-based checks run.

Every string came from a client system: bounded and stripped of control characters.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from auditor.models import UNTRUSTED_TEXT_MAX, bound_text

SCHEMA_VERSION = 1


def _bounded(value: object) -> object:
    return bound_text(value) if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_bounded), Field(max_length=UNTRUSTED_TEXT_MAX)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DeviceRecord(_Model):
    """One device as an inventory export or Intune lists it."""

    name: Text
    os_name: Text = ""
    #: The version as the export wrote it ("10.0.19045.6456", "22H2", "11").
    os_version: Text = ""
    build: int | None = Field(default=None, ge=0)
    #: Cumulative-update revision (the 4th part of 10.0.BUILD.REVISION) when the export has it.
    revision: int | None = Field(default=None, ge=0)
    last_patch: dt.datetime | None = None
    pending_updates: int | None = Field(default=None, ge=0)
    last_seen: dt.datetime | None = None
    #: Intune complianceState ("compliant", "noncompliant"...) or the export's own status.
    compliance: Text = ""
    role: Literal["domain_controller", "server", "workstation", "unknown"] = "unknown"
    ips: tuple[Text, ...] = ()
    #: "csv" or "intune".
    source: Literal["csv", "intune"] = "csv"
    #: File name (CSV) and line, for a technician to find the row again.
    origin: Text = ""
    line: int | None = None


class ExportInfo(_Model):
    """One export that was read: which file or API, how many rows, how its columns were mapped."""

    kind: Literal["csv", "intune"]
    origin: Text
    rows: int = Field(ge=0)
    columns: dict[str, Text] = Field(default_factory=dict)
    ignored_columns: tuple[Text, ...] = ()
    encoding: Text = ""
    delimiter: Text = ""


class PatchEvidence(_Model):
    """The plugin's evidence payload (also its recorded JSON format)."""

    schema_version: int = SCHEMA_VERSION
    collected_at: dt.datetime
    devices: tuple[DeviceRecord, ...] = ()
    exports: tuple[ExportInfo, ...] = ()
    #: Version and date of the lifecycle data when the evidence was collected (the report states it).
    data_version: Text = ""
    data_date: dt.date | None = None

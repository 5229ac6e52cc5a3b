"""The EDR plugin's evidence: what every console said about every device, normalised across vendors.

This model is also the plugin's recorded JSON format (`mode = "recorded"` reads a file of it), so a
collection made on site can be re-evaluated at the office.  Vendors disagree on names and encodings
(Defender's AV health flags are the strings "True"/"False"/"Unknown", its AV mode a digit in a string;
SentinelOne has booleans and a mitigation mode), so each source maps its vendor's fields onto the same
normalised fields here and keeps the raw vendor value beside them (`health`, `onboarding`,
`machine_type`) for the report.  Everything in here came from a client system: strings are bounded and
stripped of control characters, and no secret is ever stored (only URLs, tenant and client ids).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from auditor.models import bound_text

SCHEMA_VERSION = 1

Provider = Literal["defender", "sentinelone", "csv"]
Role = Literal["domain_controller", "server", "workstation", "network", "unknown"]
AvMode = Literal["active", "passive", "passive_audit", "edr_blocked", "disabled", "other", "not_applicable",
                 "unknown"]
ProtectionMode = Literal["protect", "detect", "unknown"]


def _bounded(value: Any) -> Any:
    return bound_text(value.strip()) if isinstance(value, str) else value


def _short(value: Any) -> Any:
    return bound_text(value.strip(), 255) if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_bounded), StringConstraints(max_length=512)]
ShortText = Annotated[str, BeforeValidator(_short), StringConstraints(max_length=255)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EdrDevice(_Frozen):
    """One device record of one EDR console, normalised.

    `None` means "the console did not say" (e.g. Defender has no detect-only flag, a CSV export may lack a
    column): checks treat unknown values as not assessable rather than as pass or fail.
    """

    provider: Provider
    #: The product as the report names it ("Microsoft Defender for Endpoint", "SentinelOne", a CSV's product).
    product: ShortText = ""
    #: The console's own device id (Defender machine id, SentinelOne agent id, CSV `device_id`).
    console_id: ShortText
    #: The name as the console shows it (FQDN or short name, any case); reconciliation normalises it.
    name: ShortText
    #: Every address the console reports for the device (loopback and link-local removed).
    ips: tuple[ShortText, ...] = ()
    #: The subset of `ips` used to match the device with the inventory: addresses inside the audit's
    #: authorised scope when there is one, so that a laptop's home address (192.168.1.x) never merges two
    #: different laptops.
    inventory_ips: tuple[ShortText, ...] = ()
    os: Text = ""
    #: The vendor's raw machine type or OS platform ("server", "laptop", "WindowsServer2019"...).
    machine_type: ShortText = ""
    role: Role = "unknown"
    agent_version: ShortText = ""
    #: Whether the agent (Defender: the AV platform; SentinelOne: `isUpToDate`) is current.
    agent_up_to_date: bool | None = None
    last_seen: dt.datetime | None = None
    #: The console's raw health status (Defender `healthStatus`, SentinelOne `networkStatus`...).
    health: ShortText = ""
    #: Whether the console considers the agent active/reporting; None when it does not say.
    active: bool | None = None
    #: Raw onboarding status (Defender `onboardingStatus`; "Onboarded" for SentinelOne agents).
    onboarding: ShortText = ""
    #: False for devices the console merely discovered (Defender "CanBeOnboarded") or decommissioned
    #: agents: such records do not protect anything.
    onboarded: bool = True
    av_mode: AvMode = "unknown"
    signatures_up_to_date: bool | None = None
    engine_up_to_date: bool | None = None
    protection_mode: ProtectionMode = "unknown"
    active_threats: int | None = Field(default=None, ge=0)
    infected: bool | None = None
    #: Defender's `isPotentialDuplication`, or the id of the record this one was merged into.
    potential_duplicate: bool = False
    merged_into: ShortText | None = None


class ConsoleInfo(_Frozen):
    """Provenance of one console's part of the evidence, as the report's methodology section shows it."""

    provider: Provider
    #: API base URL, or the file the export was read from.
    source: Text
    tenant: ShortText = ""
    identity: ShortText = ""
    devices: int = Field(default=0, ge=0)
    #: How paging went ("odata.nextLink", "$skip", "cursor"), requests made, throttling met.
    paging: ShortText = ""
    requests: int = Field(default=0, ge=0)
    throttled: int = Field(default=0, ge=0)
    #: Things the technician must know: empty tenant (404), alerts not readable (403), and so on.
    notes: tuple[Text, ...] = ()


class EdrEvidence(_Frozen):
    """Everything the EDR plugin collected: one entry per console, every device of every console."""

    schema_version: int = SCHEMA_VERSION
    collected_at: dt.datetime
    consoles: tuple[ConsoleInfo, ...] = ()
    devices: tuple[EdrDevice, ...] = ()

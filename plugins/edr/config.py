"""The EDR plugin's profile settings (`[plugins.edr]`) and baseline thresholds (`[parameters.edr]`).

Settings say where to read (which consoles, which URLs, which files, which credentials); parameters say
what "good" means (coverage targets, how many days without a check-in is too many).  Secrets are only
ever references (`env:NAME` / `file:PATH`), resolved at collection time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from auditor.plugin_api import PluginParameters, PluginSettings
from auditor.secrets import SecretRef

ProviderName = Literal["defender", "sentinelone", "csv"]


class EdrSettings(PluginSettings):
    """`[plugins.edr]`: which consoles to read and how.

    Live mode reads each listed provider: `defender` and `sentinelone` through their APIs, `csv` from the
    export files in `csv_files` (an export is the live data for products without an API connector).
    Recorded mode reads the plugin's own JSON evidence from `recorded_files` (plus `csv_files` when
    `csv` is listed).
    """

    providers: list[ProviderName] = Field(default_factory=lambda: ["defender"], min_length=1)

    # --- Microsoft Defender for Endpoint (client credentials, application permission Machine.Read.All).
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: SecretRef | None = None
    defender_base_url: str = "https://api.security.microsoft.com"
    #: Login host; the token URL is `{login_url}/{tenant_id}/oauth2/v2.0/token`.
    login_url: str = "https://login.microsoftonline.com"
    defender_scope: str = "https://api.securitycenter.microsoft.com/.default"
    defender_page_size: int = Field(default=1000, ge=1, le=10000)
    #: Read unresolved alerts (permission Alert.Read.All) to find devices with active threats.
    defender_read_alerts: bool = True
    #: Defender allows 100 calls a minute; stay under it.
    defender_max_calls_per_minute: int = Field(default=90, ge=1, le=100)

    # --- SentinelOne management API v2.1 (`Authorization: ApiToken ...`, a Viewer-role service user).
    sentinelone_base_url: str | None = None
    sentinelone_api_token: SecretRef | None = None
    sentinelone_page_size: int = Field(default=1000, ge=1, le=1000)
    sentinelone_site_ids: list[str] = Field(default_factory=list)

    # --- Files (relative paths are resolved against the profile's folder).
    recorded_files: list[str] = Field(default_factory=list)
    csv_files: list[str] = Field(default_factory=list)
    #: Product name shown for CSV devices when the file has no `product` column.
    csv_product: str = Field(default="EDR export", max_length=80)

    #: Machines that cannot run an agent (appliances, printers the scan could not classify), by name.
    exempt_machines: list[str] = Field(default_factory=list)
    verify_tls: bool = True

    @field_validator("defender_base_url", "login_url", "sentinelone_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if value else value


class EdrParameters(PluginParameters):
    """`[parameters.edr]` in a baseline: thresholds of the EDR checks."""

    #: Percentage of servers/DCs and of workstations that must run an agent for the check to pass.
    server_coverage_target: float = Field(default=100.0, gt=0, le=100)
    workstation_coverage_target: float = Field(default=95.0, gt=0, le=100)
    #: Coverage below this percentage fails outright; between it and the target the check is partial,
    #: earning coverage / target of its points.
    coverage_fail_below: float = Field(default=50.0, ge=0, le=100)
    #: An agent that has not reported for more than this many days is inactive.
    inactive_days: int = Field(default=30, ge=1, le=3650)
    #: A record not seen for more than this many days is stale: it no longer protects anything.
    stale_record_days: int = Field(default=90, ge=1, le=3650)
    #: Plugins whose machines make up the estate to cover (AD computers, scanned hosts).
    inventory_sources: tuple[str, ...] = ("account_hygiene", "open_ports")

"""Profile settings and baseline parameters of the patch-level plugin."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from auditor.plugin_api import PluginParameters, PluginSettings
from auditor.secrets import SecretRef


class PatchLevelSettings(PluginSettings):
    """`[plugins.patch_level]`: where device lists come from.  AD and nmap data come from their plugins."""

    #: RMM / Intune / Excel inventory exports (CSV), relative to the profile's folder.
    inventory_files: list[str] = Field(default_factory=list)
    #: Our column -> the export's header, for exports whose headers are not recognised
    #: (e.g. {"name" = "Device", "os_version" = "OS Build"}).  See docs/patch-level.md.
    column_map: dict[str, str] = Field(default_factory=dict)
    #: Force the exports' encoding (default: UTF-8/UTF-16 by BOM, UTF-8, then Windows-1252).
    encoding: str | None = None
    delimiter: Literal[",", ";", "\t"] | None = None
    #: "auto" = ISO 8601 or day first (19/11/2026); "mdy" for US exports.
    date_format: Literal["auto", "dmy", "mdy", "ymd"] = "auto"
    #: Recorded evidence files of this plugin (mode = "recorded").
    recorded_files: list[str] = Field(default_factory=list)
    #: Read Intune managed devices through Microsoft Graph (live mode; needs the three settings below).
    intune: bool = False
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: SecretRef | None = None
    graph_url: str = "https://graph.microsoft.com"
    login_url: str = "https://login.microsoftonline.com"
    verify_tls: bool | str = True
    #: Edition assumed when the OS text does not say (Intune reports only "Windows"): Home/Pro dates are
    #: the earlier ones, hence the safe default.
    assume_edition: Literal["home_pro", "enterprise"] = "home_pro"
    #: Machines enrolled in Microsoft Extended Security Updates: their end of support is the ESU end.
    esu_hosts: list[str] = Field(default_factory=list)


class PatchLevelParameters(PluginParameters):
    """Baseline thresholds."""

    #: "Reaching end of support soon" window.
    eol_warning_months: int = Field(default=6, ge=0, le=36)
    #: Windows 10/11 feature releases allowed behind the newest one (besides being out of servicing).
    max_feature_releases_behind: int = Field(default=2, ge=0, le=10)
    #: Newest installed update older than this many months: the machine is not being patched.
    max_update_age_months: int = Field(default=2, ge=1, le=24)
    #: A device record not seen for this many days is "data stale", not "unpatched".
    stale_days: int = Field(default=90, ge=7, le=3650)

"""Where device records come from: inventory CSV exports, Intune (Microsoft Graph), recorded evidence.

A small abstract interface (`InventorySource.read()`), settings in the constructor, errors rooted at
`PatchSourceError`.  Only `auditor_collect` (in ``__init__``) picks the concrete sources from the profile.
Intune is read-only: the token request plus GETs of ``deviceManagement/managedDevices`` through the
shared `auditor.http.ApiClient` (paging by the whole ``@odata.nextLink``, throttling, error envelopes).
"""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditor.http import ApiClient, ApiProtocolError, client_credentials
from auditor_plugins.patch_level.errors import RecordedEvidenceError
from auditor_plugins.patch_level.evidence import DeviceRecord, ExportInfo, PatchEvidence
from auditor_plugins.patch_level.inventory_csv import DateFormat, InventoryCsvError, parse_inventory_csv
from auditor_plugins.patch_level.lifecycle import parse_windows_build

GRAPH_PERMISSION = "DeviceManagementManagedDevices.Read.All"
MANAGED_DEVICES_SELECT = ("id,deviceName,operatingSystem,osVersion,lastSyncDateTime,complianceState,"
                          "managementAgent,deviceType")


@dataclass(frozen=True)
class InventoryRead:
    devices: tuple[DeviceRecord, ...]
    export: ExportInfo


class InventorySource(ABC):
    """Something that lists devices with their OS version and, ideally, their patch level."""

    @abstractmethod
    def read(self) -> InventoryRead: ...


class CsvInventorySource(InventorySource):
    """An RMM/Intune/Excel export in the documented CSV format (see `inventory_csv`)."""

    def __init__(self, path: Path, *, column_map: Mapping[str, str] | None = None, encoding: str | None = None,
                 delimiter: str | None = None, date_format: DateFormat = "auto") -> None:
        self.path = path
        self.column_map = dict(column_map or {})
        self.encoding = encoding
        self.delimiter = delimiter
        self.date_format = date_format

    def read(self) -> InventoryRead:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raise InventoryCsvError(self.path, None, None, "file not found") from None
        except OSError as exc:
            raise InventoryCsvError(self.path, None, None, f"cannot read the file: {exc.strerror or exc}") from None
        parsed = parse_inventory_csv(raw, self.path, column_map=self.column_map, encoding=self.encoding,
                                     delimiter=self.delimiter, date_format=self.date_format)
        return InventoryRead(parsed.devices, parsed.export)


def _graph_hint(path: str, code: str | None) -> str | None:
    return f"the application needs the Microsoft Graph application permission {GRAPH_PERMISSION}"


class IntuneSource(InventorySource):
    """Intune managed devices through Microsoft Graph v1.0 (client credentials, GET only)."""

    def __init__(self, *, tenant_id: str, client_id: str, client_secret: str,
                 graph_url: str = "https://graph.microsoft.com", login_url: str = "https://login.microsoftonline.com",
                 scope: str = "https://graph.microsoft.com/.default", verify: bool | str = True,
                 timeout: float = 60.0) -> None:
        token_url = f"{login_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        auth = client_credentials(token_url, client_id, client_secret, scope, name="Microsoft identity platform",
                                  verify=verify)
        self.client = ApiClient(graph_url, name="Microsoft Graph", auth=auth, verify=verify, timeout=timeout,
                                permission_hint=_graph_hint)
        self.origin = f"{graph_url.rstrip('/')}/v1.0/deviceManagement/managedDevices"

    def read(self) -> InventoryRead:
        devices: list[DeviceRecord] = []
        for item in self.client.iter_next_link("v1.0/deviceManagement/managedDevices",
                                               {"$select": MANAGED_DEVICES_SELECT, "$top": "999"}):
            device = managed_device(item)
            if device is not None:
                devices.append(device)
        export = ExportInfo(kind="intune", origin=self.origin, rows=len(devices),
                            columns={"name": "deviceName", "os_name": "operatingSystem", "os_version": "osVersion",
                                     "last_seen": "lastSyncDateTime", "compliance": "complianceState"})
        return InventoryRead(tuple(devices), export)


def managed_device(item: Any) -> DeviceRecord | None:
    """One Graph managedDevice -> a device record (osVersion "10.0.22631.4460" carries the revision)."""
    if not isinstance(item, dict):
        raise ApiProtocolError("Microsoft Graph: a managedDevices item is not a JSON object")
    name = str(item.get("deviceName") or "").strip()
    if not name:
        return None
    os_version = str(item.get("osVersion") or "")
    build, revision = parse_windows_build(os_version)
    last_sync = item.get("lastSyncDateTime")
    seen: dt.datetime | None = None
    if isinstance(last_sync, str) and last_sync and not last_sync.startswith("0001-01-01"):
        try:
            seen = dt.datetime.fromisoformat(last_sync.replace("Z", "+00:00"))
        except ValueError:
            raise ApiProtocolError(f"Microsoft Graph: device {name[:60]!r} has an unreadable lastSyncDateTime "
                                   f"{last_sync[:40]!r}") from None
        if seen.tzinfo is None:
            seen = seen.replace(tzinfo=dt.UTC)
    try:
        return DeviceRecord(name=name, os_name=str(item.get("operatingSystem") or ""), os_version=os_version,
                            build=build, revision=revision, last_seen=seen,
                            compliance=str(item.get("complianceState") or ""), source="intune", origin="intune")
    except ValidationError as exc:
        raise ApiProtocolError(f"Microsoft Graph: device {name[:60]!r}: {exc.errors(include_url=False)[0]['msg']}") \
            from None


class RecordedEvidenceSource:
    """The plugin's own recorded evidence (a JSON file written from a previous collection)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> PatchEvidence:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RecordedEvidenceError(f"{self.path}: file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RecordedEvidenceError(f"{self.path}: cannot read: {exc}") from None
        except json.JSONDecodeError as exc:
            raise RecordedEvidenceError(f"{self.path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
        try:
            return PatchEvidence.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise RecordedEvidenceError(f"{self.path}: {where}: {first['msg']}") from None

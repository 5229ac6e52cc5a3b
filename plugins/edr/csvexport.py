"""A documented CSV export format for EDR products the plugin has no API connector for.

Most EDR/antivirus consoles (ESET PROTECT, Sophos Central, Bitdefender GravityZone, WithSecure, Trend
Micro...) can export their device list as CSV.  Rename the export's columns to the ones below (or write
the file by hand from the console) and set `providers = ["csv"]` and `csv_files = [...]`.

Format
------
- UTF-8 (a byte-order mark is tolerated; Windows-1252, as French Excel saves it, is accepted as a
  fallback), first line = header.  Delimiter `,` or `;` (or tab), detected from the header line.
- Header names are case-insensitive; spaces, dashes and underscores are ignored (`Last seen` =
  `last_seen`).  Unknown columns are ignored and listed in the console notes.  Only `name` is required.
- Empty cells mean "unknown", never "no".

Columns (aliases in brackets; docs/edr.md has the same list as a table):

- `name` [hostname, computer_name, device_name] - host name, short or FQDN.  Required.
- `device_id` [id, agent_id] - the console's id (default: the name).
- `product` - EDR product (default: the `csv_product` setting).
- `ips` [ip, ip_address, ip_addresses] - addresses separated by spaces, `,`, `;` or `|`.
- `os` [operating_system] - operating system.
- `machine_type` [type, role] - server, domain controller/dc, workstation, desktop, laptop; other text:
  the role is derived from `os`.
- `agent_version` [version] - agent version.
- `agent_up_to_date` [up_to_date] - boolean.
- `last_seen` [last_seen_utc, last_contact] - ISO 8601 (`2026-11-19T08:12:00Z`, `2026-11-19`) or day
  first `19/11/2026 08:12[:00]`; no zone means UTC.
- `status` [health] - console status; active/online/connected/healthy = active,
  inactive/offline/disconnected = not active, anything else = unknown.
- `onboarded` [managed] - boolean, default yes.
- `av_mode` - active (on, enabled, normal), passive, passive audit, edr blocked, disabled (off).
- `signatures_up_to_date`, `engine_up_to_date` - booleans.
- `protection_mode` [mitigation_mode, policy_mode] - protect (prevent, block) or detect (audit, alert).
- `active_threats` - whole number >= 0.
- `infected` - boolean (default: active_threats > 0).

Booleans: `yes/no`, `true/false`, `1/0`, `y/n`, `oui/non`, `vrai/faux`; empty or `unknown`/`inconnu` =
unknown.  Any other value is an error naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from auditor.errors import RecordedFileError
from auditor.models import bound_text
from auditor_plugins.edr.evidence import AvMode, ConsoleInfo, EdrDevice, ProtectionMode
from auditor_plugins.edr.normalise import Network, clean_ips, in_scope, role_from_machine_type
from auditor_plugins.edr.sources import ConsoleRead, EdrFileError, EdrSource

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "hostname", "computername", "devicename", "host"),
    "device_id": ("deviceid", "id", "agentid"),
    "product": ("product",),
    "ips": ("ips", "ip", "ipaddress", "ipaddresses"),
    "os": ("os", "operatingsystem"),
    "machine_type": ("machinetype", "type", "role"),
    "agent_version": ("agentversion", "version"),
    "agent_up_to_date": ("agentuptodate", "uptodate"),
    "last_seen": ("lastseen", "lastseenutc", "lastcontact"),
    "status": ("status", "health"),
    "onboarded": ("onboarded", "managed"),
    "av_mode": ("avmode",),
    "signatures_up_to_date": ("signaturesuptodate",),
    "engine_up_to_date": ("engineuptodate",),
    "protection_mode": ("protectionmode", "mitigationmode", "policymode"),
    "active_threats": ("activethreats",),
    "infected": ("infected",),
}
_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}

_TRUE = {"yes", "true", "1", "y", "oui", "vrai", "o"}
_FALSE = {"no", "false", "0", "n", "non", "faux"}
_UNKNOWN = {"", "unknown", "inconnu", "n/a", "na", "-"}
_AV_MODES: dict[str, AvMode] = {
    "active": "active", "on": "active", "enabled": "active", "normal": "active",
    "passive": "passive", "passive audit": "passive_audit", "passiveaudit": "passive_audit",
    "edr blocked": "edr_blocked", "edrblocked": "edr_blocked",
    "disabled": "disabled", "off": "disabled",
}
_PROTECTION: dict[str, ProtectionMode] = {
    "protect": "protect", "prevent": "protect", "block": "protect", "blocking": "protect",
    "detect": "detect", "audit": "detect", "alert": "detect", "detect only": "detect",
}
_ACTIVE = {"active": True, "online": True, "connected": True, "healthy": True,
           "inactive": False, "offline": False, "disconnected": False}
_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class EdrCsvError(EdrFileError, RecordedFileError):
    """A CSV export problem, naming the file, the line and the column."""


def _key(header: str) -> str:
    return re.sub(r"[\s_\-.]", "", header.strip().lstrip("\ufeff").lower())


def _decode(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise EdrCsvError(path, None, None, "not UTF-8 or Windows-1252 text; save the export as UTF-8") from None


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _bool(value: str, path: str, line: int, column: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in _UNKNOWN:
        return None
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EdrCsvError(path, line, column, f"expected yes/no, true/false or 1/0, got {value.strip()[:40]!r}")


def _time(value: str, path: str, line: int, column: str) -> dt.datetime | None:
    text = value.strip()
    if text.lower() in _UNKNOWN:
        return None
    match = _DAY_FIRST.match(text)
    try:
        if match:
            day, month, year, hour, minute, second = match.groups()
            moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                 int(second or 0))
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise EdrCsvError(path, line, column, f"expected a date such as 2026-11-19T08:12:00Z or 19/11/2026 08:12, "
                                              f"got {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _ips(value: str, path: str, line: int, column: str) -> tuple[str, ...]:
    parts = [p for p in re.split(r"[\s,;|]+", value.strip()) if p]
    for part in parts:
        try:
            ipaddress.ip_address(part.split("%", 1)[0])
        except ValueError:
            raise EdrCsvError(path, line, column, f"{part[:40]!r} is not an IP address") from None
    return clean_ips(parts)


def parse_csv(
    data: bytes | str,
    path: str | Path = "<csv>",
    *,
    product: str = "EDR export",
    networks: Sequence[Network] = (),
) -> ConsoleRead:
    """Parse an export into devices; any problem raises `EdrCsvError` naming file, line and column."""
    shown = str(path)
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise EdrCsvError(shown, None, None, f"file larger than {MAX_BYTES // (1024 * 1024)} MB")
        text = _decode(data, shown)
    else:
        text = data.lstrip("\ufeff")
    if "\x00" in text:
        raise EdrCsvError(shown, None, None, "contains NUL bytes: this is not a CSV text file")
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise EdrCsvError(shown, 1, None, "the first line must be the header (it is empty)")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise EdrCsvError(shown, 1, None, f"malformed header: {exc}") from None
    columns: dict[int, str] = {}
    ignored: list[str] = []
    for index, raw_name in enumerate(header):
        column = _ALIASES.get(_key(raw_name))
        if column is None:
            if raw_name.strip():
                ignored.append(raw_name.strip()[:40])
            continue
        if column in columns.values():
            raise EdrCsvError(shown, 1, raw_name.strip()[:40], f"column '{column}' appears twice in the header")
        columns[index] = column
    if "name" not in columns.values():
        raise EdrCsvError(shown, 1, None, "the header has no 'name' column (aliases: hostname, computer_name, "
                                         "device_name)")
    devices: list[EdrDevice] = []
    rows = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise EdrCsvError(shown, reader.line_num, None, f"malformed CSV: {exc}") from None
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        if rows > MAX_ROWS:
            raise EdrCsvError(shown, line, None, f"more than {MAX_ROWS} devices")
        if len(row) > len(header):
            raise EdrCsvError(shown, line, None, f"{len(row)} fields but the header has {len(header)} "
                                                 "(check the delimiter and quoting)")
        values = {columns[i]: row[i] for i in columns if i < len(row)}
        devices.append(_device(values, shown, line, product, networks))
    console = ConsoleInfo(
        provider="csv",
        source=shown,
        identity=product,
        devices=len(devices),
        paging="file",
        notes=(f"ignored columns: {', '.join(ignored)}",) if ignored else (),
    )
    return ConsoleRead((console,), tuple(devices))


def _device(values: dict[str, str], path: str, line: int, product: str,
            networks: Sequence[Network]) -> EdrDevice:
    def text(column: str) -> str:
        return values.get(column, "").strip()

    name = bound_text(text("name")).strip()
    if not name:
        raise EdrCsvError(path, line, "name", "the device name is empty")
    ips = _ips(values["ips"], path, line, "ips") if "ips" in values else ()
    av_raw = text("av_mode").lower()
    if av_raw in _UNKNOWN:
        av_mode: AvMode = "unknown"
    elif av_raw in _AV_MODES:
        av_mode = _AV_MODES[av_raw]
    else:
        raise EdrCsvError(path, line, "av_mode", f"expected active, passive or disabled, got {av_raw[:40]!r}")
    protection_raw = text("protection_mode").lower()
    if protection_raw in _UNKNOWN:
        protection: ProtectionMode = "unknown"
    elif protection_raw in _PROTECTION:
        protection = _PROTECTION[protection_raw]
    else:
        raise EdrCsvError(path, line, "protection_mode", f"expected protect or detect, got {protection_raw[:40]!r}")
    threats_raw = text("active_threats")
    threats: int | None = None
    if threats_raw.lower() not in _UNKNOWN:
        if not threats_raw.isdigit() or len(threats_raw) > 9:
            raise EdrCsvError(path, line, "active_threats", f"expected a whole number >= 0, got {threats_raw[:40]!r}")
        threats = int(threats_raw)
    onboarded = _bool(text("onboarded"), path, line, "onboarded")
    status = text("status")
    infected = _bool(text("infected"), path, line, "infected")
    try:
        return EdrDevice(
            provider="csv",
            product=text("product") or product,
            console_id=text("device_id") or name,
            name=name,
            ips=ips,
            inventory_ips=in_scope(ips, networks),
            os=text("os"),
            machine_type=text("machine_type"),
            role=role_from_machine_type(text("machine_type"), text("os")),
            agent_version=text("agent_version"),
            agent_up_to_date=_bool(text("agent_up_to_date"), path, line, "agent_up_to_date"),
            last_seen=_time(text("last_seen"), path, line, "last_seen"),
            health=status,
            active=_ACTIVE.get(status.lower()),
            onboarding="Onboarded" if onboarded in (None, True) else "Not onboarded",
            onboarded=True if onboarded is None else onboarded,
            av_mode=av_mode,
            signatures_up_to_date=_bool(text("signatures_up_to_date"), path, line, "signatures_up_to_date"),
            engine_up_to_date=_bool(text("engine_up_to_date"), path, line, "engine_up_to_date"),
            protection_mode=protection,
            active_threats=threats,
            infected=infected if infected is not None else (threats > 0 if threats is not None else None),
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        column = str(first["loc"][0]) if first["loc"] else None
        raise EdrCsvError(path, line, column, first["msg"]) from None


class CsvExportSource(EdrSource):
    """An EDR console's device export in the documented CSV format."""

    def __init__(self, path: Path, *, product: str = "EDR export", networks: Sequence[Network] = ()) -> None:
        self.path = Path(path)
        self.product = product
        self.networks = tuple(networks)

    def read(self) -> ConsoleRead:
        try:
            if self.path.stat().st_size > MAX_BYTES:
                raise EdrCsvError(self.path, None, None, f"file larger than {MAX_BYTES // (1024 * 1024)} MB")
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise EdrCsvError(self.path, None, None, "CSV export not found") from None
        except OSError as exc:
            raise EdrCsvError(self.path, None, None, f"cannot read: {exc.strerror or exc}") from None
        return parse_csv(data, self.path, product=self.product, networks=self.networks)

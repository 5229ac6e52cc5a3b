"""Reading the device-inventory exports MSPs already have (RMM tools, Intune, Excel sheets) as CSV.

Documented in docs/patch-level.md.  In short: first line = header; columns are matched by name,
case-, accent- and punctuation-insensitively, against the aliases below (English and French) or against
the profile's ``column_map`` (our column -> the export's header).  ``name`` and ``os_name`` are required;
every other column is optional and an empty cell means "unknown".  UTF-8 (with or without BOM), UTF-16
with BOM (Excel "Unicode text") and Windows-1252 (French Excel) are read; the delimiter (``,`` ``;`` or
tab) is detected from the header.  Dates: ISO 8601, or day first ``19/11/2026 08:12`` (``date_format``
may say ``mdy`` for US exports); no time zone means UTC.

Any problem raises `InventoryCsvError` naming the file, the line and the column: a technician fixes the
export in a minute instead of reading a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from auditor.models import bound_text
from auditor_plugins.patch_level.errors import InventoryCsvError
from auditor_plugins.patch_level.evidence import DeviceRecord, ExportInfo
from auditor_plugins.patch_level.lifecycle import parse_windows_build

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000

DateFormat = Literal["auto", "dmy", "mdy", "ymd"]

#: Our column -> accepted header names (normalised: lower case, no accents, no spaces/punctuation).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "hostname", "devicename", "computername", "computer", "device", "machine", "machinename",
             "nom", "nomdelappareil", "nomdelordinateur", "ordinateur", "poste", "appareil"),
    "os_name": ("osname", "os", "operatingsystem", "systemedexploitation", "systeme", "osfullname",
                "osdescription"),
    "os_version": ("osversion", "version", "osbuild", "build", "buildnumber", "versiondusysteme",
                   "versionos"),
    "revision": ("revision", "ubr", "updaterevision", "updatebuildrevision", "buildrevision"),
    "last_patch": ("lastpatch", "lastpatchdate", "lastpatched", "lastpatchinstall", "lastpatchinstalldate",
                   "lastupdate", "lastupdateinstalled", "lastupdatedate", "derniercorrectif",
                   "dernieremiseajour", "datedernierecorrectif", "datedernieremiseajour"),
    "pending_updates": ("pendingupdates", "pendingpatches", "missingpatches", "missingupdates",
                        "misesajourenattente", "correctifsenattente", "correctifsmanquants"),
    "last_seen": ("lastseen", "lastcontact", "lastcheckin", "lastsync", "lastsyncdatetime", "lastonline",
                  "derniercontact", "dernierevue", "derniereconnexion", "dernieresynchronisation"),
    "compliance": ("compliance", "compliancestate", "conformite", "etatdeconformite"),
    "role": ("role", "type", "devicetype", "machinetype", "typedappareil"),
    "ips": ("ip", "ips", "ipaddress", "ipaddresses", "adresseip", "adressesip"),
}
REQUIRED = ("name", "os_name")
_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
_UNKNOWN = {"", "-", "n/a", "na", "unknown", "inconnu", "none", "null"}
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def normalise_header(header: str) -> str:
    """`Dernière mise à jour` -> `dernieremiseajour`; `Last Seen (UTC)` -> `lastseenutc`."""
    text = unicodedata.normalize("NFKD", header.strip().lstrip("\ufeff")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True)
class CsvRead:
    devices: tuple[DeviceRecord, ...]
    export: ExportInfo


def decode(raw: bytes, path: str, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding used): the configured encoding, else UTF-8/UTF-16 by BOM, UTF-8, then Windows-1252."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InventoryCsvError(path, None, None, f"cannot decode as {encoding}: {exc}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InventoryCsvError(path, None, None, "starts with a UTF-16 byte-order mark but is not UTF-16 "
                                                      "text") from None
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InventoryCsvError(path, line, None, "not UTF-8 or Windows-1252 text; save the export as UTF-8 "
                                                  "(or set encoding in the profile)") from None


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_date(value: str, path: str, line: int, column: str, date_format: DateFormat = "auto") -> (
    dt.datetime | None
):
    """A timestamp as exports write it; the error names file, line and column."""
    text = value.strip()
    if text.lower() in _UNKNOWN:
        return None
    moment: dt.datetime | None = None
    try:
        match = _DAY_FIRST.match(text)
        ymd = _YMD_SLASH.match(text)
        if match:
            a, b, year, hour, minute, second = match.groups()
            day, month = (b, a) if date_format == "mdy" else (a, b)
            moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                 int(second or 0))
        elif ymd:
            year, month, day, hour, minute, second = ymd.groups()
            moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                 int(second or 0))
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        moment = None
    if moment is None:
        expected = "02/19/2026 08:12" if date_format == "mdy" else "19/11/2026 08:12"
        raise InventoryCsvError(path, line, column, f"expected a date such as 2026-11-19T08:12:00Z or {expected}, "
                                                    f"got {text[:40]!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _count(value: str, path: str, line: int, column: str) -> int | None:
    text = value.strip()
    if text.lower() in _UNKNOWN:
        return None
    if not re.fullmatch(r"\d{1,7}", text):
        raise InventoryCsvError(path, line, column, f"expected a whole number >= 0, got {text[:40]!r}")
    return int(text)


def _role(value: str) -> Literal["domain_controller", "server", "workstation", "unknown"]:
    text = value.strip().lower()
    if not text:
        return "unknown"
    if "domain controller" in text or "contrôleur" in text or text in ("dc", "controleur de domaine"):
        return "domain_controller"
    if "server" in text or "serveur" in text:
        return "server"
    if any(w in text for w in ("workstation", "desktop", "laptop", "poste", "portable", "ordinateur", "pc")):
        return "workstation"
    return "unknown"


def _ips(value: str, path: str, line: int, column: str) -> tuple[str, ...]:
    parts = [p for p in re.split(r"[\s,;|]+", value.strip()) if p]
    for part in parts:
        try:
            ipaddress.ip_address(part)
        except ValueError:
            raise InventoryCsvError(path, line, column, f"{part[:40]!r} is not an IP address") from None
    return tuple(parts)


def parse_inventory_csv(
    data: bytes | str,
    path: str | Path = "<csv>",
    *,
    column_map: Mapping[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    date_format: DateFormat = "auto",
) -> CsvRead:
    """Parse an inventory export into device records; any problem raises `InventoryCsvError`."""
    shown = str(path)
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise InventoryCsvError(shown, None, None, f"file larger than {MAX_BYTES // (1024 * 1024)} MB")
        text, used = decode(data, shown, encoding)
    else:
        text, used = data.lstrip("\ufeff"), "text"
    if "\x00" in text:
        raise InventoryCsvError(shown, None, None, "contains NUL bytes: this is not a CSV text file "
                                                   "(a UTF-16 export needs its byte-order mark)")
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise InventoryCsvError(shown, 1, None, "the first line must be the header (it is empty)")
    sep = delimiter or _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InventoryCsvError(shown, 1, None, f"malformed header: {exc}") from None
    mapped = {column: normalise_header(h) for column, h in (column_map or {}).items()}
    unknown_targets = sorted(set(mapped) - set(COLUMNS))
    if unknown_targets:
        raise InventoryCsvError(shown, None, None, f"column_map names unknown column(s) {', '.join(unknown_targets)}"
                                                   f" (known: {', '.join(COLUMNS)})")
    by_header = {v: k for k, v in mapped.items()}
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for index, raw_name in enumerate(header):
        key = normalise_header(raw_name)
        if key in by_header:
            column: str | None = by_header[key]
        else:
            column = _ALIASES.get(key)
            if column in mapped:
                column = None  # the profile maps this column to another header: the alias does not count
        if column and column not in positions:
            positions[column] = index
            headers[column] = raw_name.strip().lstrip("\ufeff")[:80]
        else:
            ignored.append(raw_name.strip()[:80])
    for column in REQUIRED:
        if column not in positions:
            wanted = f"'{column_map[column]}' (from column_map)" if column_map and column in column_map else (
                " or ".join(f"'{a}'" for a in COLUMNS[column][:4]))
            raise InventoryCsvError(shown, 1, column, f"required column missing: expected a header {wanted}; "
                                                      f"found {', '.join(repr(h) for h in header[:12]) or 'none'}")
    if "os_version" not in positions and "revision" in positions:
        raise InventoryCsvError(shown, 1, "os_version", "a revision column needs an OS version/build column too")
    devices: list[DeviceRecord] = []
    width = len(header)
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(devices) >= MAX_ROWS:
                raise InventoryCsvError(shown, line, None, f"more than {MAX_ROWS} rows")
            if len(row) > width:
                raise InventoryCsvError(shown, line, None, f"{len(row)} cells but the header has {width} columns "
                                                           f"(is the delimiter {sep!r} used inside a value?)")
            devices.append(_row(row, positions, headers, shown, line, date_format))
    except csv.Error as exc:
        raise InventoryCsvError(shown, reader.line_num, None, f"malformed CSV: {exc}") from None
    export = ExportInfo(kind="csv", origin=Path(shown).name, rows=len(devices), columns=headers,
                        ignored_columns=tuple(ignored), encoding=used, delimiter=sep)
    return CsvRead(tuple(devices), export)


def _row(row: list[str], positions: dict[str, int], headers: dict[str, str], path: str, line: int,
         date_format: DateFormat) -> DeviceRecord:
    def cell(column: str) -> str:
        index = positions.get(column)
        # control characters removed first: a cell of only control characters is empty, not a name
        return bound_text(row[index]).strip() if index is not None and index < len(row) else ""

    name = cell("name")
    if not name:
        raise InventoryCsvError(path, line, headers["name"], "the device name is empty")
    os_name = cell("os_name")
    os_version = cell("os_version")
    build, revision = parse_windows_build(os_version, os_name)
    revision_text = cell("revision")
    if revision_text and revision_text.lower() not in _UNKNOWN:
        if not re.fullmatch(r"\d{1,6}", revision_text):
            raise InventoryCsvError(path, line, headers["revision"], f"expected the update revision as a number "
                                                                     f"(e.g. 6456), got {revision_text[:40]!r}")
        revision = int(revision_text)
    try:
        return DeviceRecord(
            name=name,
            os_name=os_name,
            os_version=os_version,
            build=build,
            revision=revision,
            last_patch=parse_date(cell("last_patch"), path, line, headers.get("last_patch", ""), date_format),
            pending_updates=_count(cell("pending_updates"), path, line, headers.get("pending_updates", "")),
            last_seen=parse_date(cell("last_seen"), path, line, headers.get("last_seen", ""), date_format),
            compliance=cell("compliance"),
            role=_role(cell("role")),
            ips=_ips(cell("ips"), path, line, headers.get("ips", "")),
            source="csv",
            origin=Path(path).name,
            line=line,
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else None
        raise InventoryCsvError(path, line, headers.get(field or "", field), first["msg"]) from None

"""The generic backup format (CSV or JSON) for products without a supported API: Datto, Acronis, Synology...

One row per protected machine: asset, last successful backup, copies, offsite, immutable, last restore
test (see docs/backup-generic-format.md).  Files come from a client's export or a technician's hand, so
they are untrusted: a UTF-8 BOM and `;` separators (French Excel) are accepted, anything malformed is a
`GenericFormatError` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditor.inventory import is_ip, short_name
from auditor.models import utcnow
from auditor_plugins.backup.derive import protection_table
from auditor_plugins.backup.evidence import BackupEvidence, ProtectedObject
from auditor_plugins.backup.sources import GenericFormatError

FORMAT = "backup-generic/1"
COLUMNS = ("asset", "ips", "last_successful_backup", "copies", "offsite", "immutable", "last_restore_test",
           "product", "notes")
REQUIRED = ("asset", "last_successful_backup")
_TRUE = {"true", "yes", "y", "1", "oui", "o", "vrai", "x"}
_FALSE = {"false", "no", "n", "0", "non", "faux"}
MAX_ROWS = 100_000


def parse_bool(value: str) -> bool | None:
    """yes/no, true/false, 1/0, oui/non; empty means unknown (None)."""
    text = value.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"'{value[:40]}' is not yes/no (accepted: yes, no, true, false, 1, 0, oui, non)")


def parse_moment(value: str) -> dt.datetime | None:
    """ISO 8601 date or date-time; a date alone means midnight UTC, no offset means UTC; empty means never."""
    text = value.strip()
    if not text:
        return None
    if text.lower() in ("never", "jamais", "none", "-"):
        return None
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        moment = dt.datetime.fromisoformat(candidate)
    except ValueError:
        raise ValueError(f"'{text[:40]}' is not an ISO 8601 date such as 2026-11-19 or 2026-11-19T22:00:00Z "
                         "(day/month dates are ambiguous and refused)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if not 1990 <= moment.year <= 2200:
        raise ValueError(f"'{text[:40]}' is not a plausible date")
    return moment.astimezone(dt.UTC)


def parse_copies(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"'{text[:40]}' is not a whole number of copies") from None
    if not 0 <= number <= 1000:
        raise ValueError(f"{number} copies is out of range (0-1000)")
    return number


def _row_to_object(path: Path, line: int | None, row: Mapping[str, Any], where: Callable[[str], str | None]
                   ) -> ProtectedObject:
    def field(name: str) -> str:
        value = row.get(name)
        if value is None:
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, int | float):
            return str(int(value)) if float(value).is_integer() else str(value)
        if isinstance(value, list):
            return " ".join(str(v) for v in value)
        if not isinstance(value, str):
            raise GenericFormatError(path, line, where(name), f"expected text, got {type(value).__name__}")
        return value

    def parsed(name: str, parser: Callable[[str], Any]) -> Any:
        try:
            return parser(field(name))
        except ValueError as exc:
            raise GenericFormatError(path, line, where(name), str(exc)) from None

    asset = field("asset").strip()
    if not asset:
        raise GenericFormatError(path, line, where("asset"), "the asset (machine name) is empty")
    last = parsed("last_successful_backup", parse_moment)
    copies = parsed("copies", parse_copies)
    offsite = parsed("offsite", parse_bool)
    immutable = parsed("immutable", parse_bool)
    test = parsed("last_restore_test", parse_moment)
    ips = tuple(part for part in field("ips").replace(",", " ").replace(";", " ").split() if part)
    for ip in ips:
        if not is_ip(ip):
            raise GenericFormatError(path, line, where("ips"), f"'{ip[:40]}' is not an IP address")
    origin = f"declared in {path.name}" + (f", line {line}" if line else "")
    product = field("product").strip()
    return ProtectedObject(
        name=asset,
        ips=ips,
        type=product,
        jobs=(product,) if product else (),
        last_success=last,
        copies=copies if copies is not None else (1 if last else 0),
        offsite=offsite,
        offsite_basis=f"{origin}: offsite = {field('offsite').strip() or 'not stated'}",
        immutable=immutable,
        immutable_basis=f"{origin}: immutable = {field('immutable').strip() or 'not stated'}",
        last_restore_test=test,
        restore_test_basis=(f"{origin}: last restore test {test:%Y-%m-%d}" if test else f"{origin}: no restore test"),
    )


def _sniff_delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv(path: Path, text: str) -> list[ProtectedObject]:
    """Rows of a generic CSV; header names are case-insensitive, unknown columns are ignored."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise GenericFormatError(path, 1, None, f"empty file; expected a header line with {', '.join(REQUIRED)}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(lines[0]))
    try:
        header_row = next(reader)
    except csv.Error as exc:
        raise GenericFormatError(path, 1, None, f"malformed CSV: {exc}") from None
    header = [h.strip().lower().replace(" ", "_") for h in header_row]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise GenericFormatError(path, 1, None, f"missing column(s) {', '.join(missing)} (header has: "
                                 f"{', '.join(h for h in header if h)[:200] or 'nothing'})")
    objects = []
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise GenericFormatError(path, reader.line_num, None, f"malformed CSV: {exc}") from None
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
            raise GenericFormatError(path, line, None, f"{len(values)} values for {len(header)} columns "
                                     "(a separator inside a value must be quoted)")
        row = {name: values[i] if i < len(values) else "" for i, name in enumerate(header) if name}
        objects.append(_row_to_object(path, line, row, lambda name: name))
        if len(objects) > MAX_ROWS:
            raise GenericFormatError(path, line, None, f"more than {MAX_ROWS} rows")
    return objects


def parse_json(path: Path, text: str) -> tuple[list[ProtectedObject], dt.datetime | None]:
    """`{"format": "backup-generic/1", "exported_at": ..., "assets": [...]}` or a bare list of assets."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GenericFormatError(path, exc.lineno, f"character {exc.colno}", f"not valid JSON: {exc.msg}") from None
    exported_at = None
    if isinstance(data, dict):
        fmt = data.get("format")
        if fmt not in (None, FORMAT):
            raise GenericFormatError(path, None, "format", f"unknown format '{str(fmt)[:40]}', expected '{FORMAT}'")
        if data.get("exported_at") is not None:
            try:
                exported_at = parse_moment(str(data["exported_at"]))
            except ValueError as exc:
                raise GenericFormatError(path, None, "exported_at", str(exc)) from None
        items = data.get("assets")
    else:
        items = data
    if not isinstance(items, list):
        raise GenericFormatError(path, None, "assets", "expected a list of assets")
    objects = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise GenericFormatError(path, None, f"assets[{index}]", "expected an object with an 'asset' field")
        row = {str(k).strip().lower(): v for k, v in item.items()}
        objects.append(_row_to_object(path, None, row, lambda name, i=index: f"assets[{i}].{name}"))
    return objects, exported_at


def read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GenericFormatError(path, None, None, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")  # Excel on Windows saves "CSV" in the ANSI code page
        except UnicodeDecodeError:
            raise GenericFormatError(path, None, None, "not UTF-8 or Windows-1252 text") from None


def parse_file(path: Path) -> tuple[list[ProtectedObject], dt.datetime | None]:
    text = read_text(path)
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        return parse_json(path, text)
    return parse_csv(path, text), None


def merge(objects: Iterable[tuple[Path, ProtectedObject]]) -> list[ProtectedObject]:
    """One entry per machine: a machine twice in one file is an error, across files the copies add up."""
    merged: dict[str, ProtectedObject] = {}
    files: dict[str, Path] = {}
    for path, obj in objects:
        key = short_name(obj.name) or obj.name.lower()
        if key not in merged:
            merged[key], files[key] = obj, path
            continue
        if files[key] == path:
            raise GenericFormatError(path, None, "asset", f"'{obj.name}' is listed twice in the same file")
        old = merged[key]
        merged[key] = old.model_copy(update={
            "ips": tuple(sorted(set(old.ips) | set(obj.ips))),
            "jobs": tuple(sorted(set(old.jobs) | set(obj.jobs))),
            "last_success": max((m for m in (old.last_success, obj.last_success) if m), default=None),
            "copies": old.copies + obj.copies,
            "offsite": _any(old.offsite, obj.offsite),
            "offsite_basis": f"{old.offsite_basis}; {obj.offsite_basis}",
            "immutable": _any(old.immutable, obj.immutable),
            "immutable_basis": f"{old.immutable_basis}; {obj.immutable_basis}",
            "last_restore_test": max((m for m in (old.last_restore_test, obj.last_restore_test) if m),
                                     default=None),
            "restore_test_basis": f"{old.restore_test_basis}; {obj.restore_test_basis}",
        })
    return sorted(merged.values(), key=lambda o: o.name.lower())


def _any(a: bool | None, b: bool | None) -> bool | None:
    if a or b:
        return True
    if a is None or b is None:
        return None
    return False


def load_generic(paths: Sequence[Path], *, exported_at: dt.datetime | None = None,
                 clock: Callable[[], dt.datetime] = utcnow) -> BackupEvidence:
    """Read every generic file into the plugin's evidence (no jobs, no repositories: the format has none)."""
    if not paths:
        raise GenericFormatError("plugins.backup.files", None, None, "no generic file is configured")
    collected: list[tuple[Path, ProtectedObject]] = []
    declared: list[dt.datetime] = []
    for path in paths:
        objects, when = parse_file(path)
        collected.extend((path, o) for o in objects)
        if when:
            declared.append(when)
    objects = merge(collected)
    now = exported_at or (min(declared) if declared else clock())
    try:
        return BackupEvidence(
            provider="generic", product="generic backup export", collected_at=now, objects=tuple(objects),
            protection=protection_table(objects, now), has_jobs=False, has_repositories=False,
            has_restore_tests=True, notes=tuple(f"read from {p.name}" for p in paths),
        )
    except ValidationError as exc:  # pragma: no cover - rows were validated one by one
        raise GenericFormatError(paths[0], None, None, str(exc.errors(include_url=False)[0]["msg"])) from None

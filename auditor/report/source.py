"""Finding the audit a report is asked for: an audit JSON file, an output folder, an evidence bundle, or an
audit id in the store.

`auditor report` and `auditor roadmap export` accept any of these so an office can re-render an old audit
in the other language, or score a bundle a technician brought back, without knowing how it was stored.
The MSP's branding is recovered from the bundle's stored profile when one is at hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from auditor.bundle import MANIFEST, read_bundle
from auditor.errors import AuditorError, EvidenceError
from auditor.models import Audit
from auditor.report.options import Branding, branding_from_profile_json

AUDIT_FILE = "audit.json"
BUNDLE_NAMES = ("evidence.zip", "evidence", "bundle.zip", "bundle")


@dataclass(frozen=True)
class LoadedAudit:
    audit: Audit
    branding: Branding
    #: What was read, for messages ("evaluated bundle out/evidence.zip").
    origin: str


def read_audit_file(path: Path) -> Audit:
    """Load `Audit.model_dump_json` output; a wrong file names the first bad field."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AuditorError(f"{path}: cannot read file: {exc.strerror or exc}") from None
    try:
        return Audit.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        raise AuditorError(f"{path}: not an audit file written by `auditor audit`: {where}: {first['msg']}") from None


def _bundle_branding(folder: Path, audit: Audit) -> Branding:
    """The profile's [msp] table from a bundle lying next to an audit file, if it is this audit's bundle."""
    for name in BUNDLE_NAMES:
        candidate = folder / name
        if not candidate.exists():
            continue
        try:
            bundle = read_bundle(candidate)
        except EvidenceError:
            continue
        if bundle.digest == audit.provenance.bundle_digest:
            return branding_from_profile_json(bundle.profile_json)
    return Branding()


def _evaluate_bundle(path: Path) -> LoadedAudit:
    from auditor.pluginmanager import PluginRegistry
    from auditor.runner import evaluate

    bundle = read_bundle(path)
    audit = evaluate(bundle, PluginRegistry.build())
    return LoadedAudit(audit, branding_from_profile_json(bundle.profile_json), f"evaluated bundle {path}")


def load_audit(reference: str | Path, *, db: str | None = None) -> LoadedAudit:
    """Resolve `reference`: a path (audit JSON, output folder, bundle folder or zip) or a stored audit id."""
    path = Path(reference)
    if path.is_dir():
        if (path / MANIFEST).is_file():
            return _evaluate_bundle(path)
        if (path / AUDIT_FILE).is_file():
            audit = read_audit_file(path / AUDIT_FILE)
            return LoadedAudit(audit, _bundle_branding(path, audit), f"{path / AUDIT_FILE}")
        raise AuditorError(f"{path}: neither an evidence bundle (no {MANIFEST}) nor an output folder (no {AUDIT_FILE})")
    if path.is_file():
        if path.suffix.lower() == ".zip":
            return _evaluate_bundle(path)
        try:
            head = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AuditorError(f"{path}: not a JSON audit file nor a .zip bundle ({exc})") from None
        if isinstance(head, dict) and "tool_version" in head and "runs" in head and "files" in head:
            raise AuditorError(f"{path}: this is a bundle manifest; pass the bundle's folder instead")
        audit = read_audit_file(path)
        return LoadedAudit(audit, _bundle_branding(path.parent, audit), str(path))
    if any(sep in str(reference) for sep in ("/", "\\")) or str(reference).endswith((".json", ".zip")):
        raise AuditorError(f"{reference}: no such file or folder")
    from auditor.store import Store

    audit = Store(db).get(str(reference))
    return LoadedAudit(audit, Branding(), f"store audit {audit.id}")

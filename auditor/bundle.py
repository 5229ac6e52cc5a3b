"""Evidence bundles: collect once, evaluate many.

A bundle is a folder (or the same layout in a .zip) holding `manifest.json`, `profile.json` and one
`evidence/<plugin>.json` per plugin whose collection succeeded.  The manifest records the tool version,
where and when collection ran, the profile digest, every plugin run record and each file's SHA-256, so a
bundle edited after collection is detected.  Evaluating, scoring and reporting need nothing but a bundle.
Known secrets are redacted from every file before it is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from auditor.errors import EvidenceError
from auditor.models import EvidenceDocument, Frozen, PluginRun
from auditor.secrets import REDACTOR

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PROFILE = "profile.json"


class ManifestFile(Frozen):
    path: str
    sha256: str


class Manifest(Frozen):
    format_version: int = FORMAT_VERSION
    tool_version: str
    client_id: str
    hostname: str
    operator: str
    started_at: dt.datetime
    finished_at: dt.datetime
    profile_digest: str
    runs: tuple[PluginRun, ...]
    files: tuple[ManifestFile, ...]


@dataclass
class EvidenceBundle:
    """A bundle in memory.  `digest` identifies it in reports and in the store."""

    manifest: Manifest
    profile_json: str
    documents: dict[str, EvidenceDocument] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return hashlib.sha256(_canonical(self.manifest.model_dump(mode="json")).encode()).hexdigest()


def _canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _pretty(data: object) -> bytes:
    return REDACTOR.redact(json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1)).encode("utf-8")


def render_files(
    *,
    tool_version: str,
    client_id: str,
    hostname: str,
    operator: str,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    profile_json: str,
    profile_digest: str,
    runs: list[PluginRun],
    documents: dict[str, EvidenceDocument],
) -> tuple[EvidenceBundle, dict[str, bytes]]:
    """Build the bundle and the exact bytes of every file, hashing what will be written."""
    files: dict[str, bytes] = {PROFILE: REDACTOR.redact(profile_json).encode("utf-8")}
    for name in sorted(documents):
        files[f"evidence/{name}.json"] = _pretty(documents[name].model_dump(mode="json"))
    listed = tuple(
        ManifestFile(path=path, sha256=hashlib.sha256(content).hexdigest()) for path, content in sorted(files.items())
    )
    manifest = Manifest(
        tool_version=tool_version,
        client_id=client_id,
        hostname=hostname,
        operator=operator,
        started_at=started_at,
        finished_at=finished_at,
        profile_digest=profile_digest,
        runs=tuple(sorted(runs, key=lambda r: r.plugin)),
        files=listed,
    )
    files[MANIFEST] = _pretty(manifest.model_dump(mode="json"))
    # Reload the documents from the redacted bytes so the in-memory bundle is exactly what is on disk.
    bundle = EvidenceBundle(manifest, files[PROFILE].decode(), {
        name: EvidenceDocument.model_validate_json(files[f"evidence/{name}.json"]) for name in documents
    })
    return bundle, files


def write_bundle(files: dict[str, bytes], destination: Path) -> Path:
    """Write to a folder, or a zip when the destination ends in .zip; written atomically via a temp name."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.suffix.lower() == ".zip":
        temporary = destination.with_name(destination.name + ".partial")
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path, content in sorted(files.items()):
                archive.writestr(path, content)
        temporary.replace(destination)
        return destination
    if destination.exists() and any(destination.iterdir()) and not (destination / MANIFEST).is_file():
        raise EvidenceError(f"{destination} exists and is not an evidence bundle; choose an empty folder")
    for path, content in files.items():
        target = destination / path
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(content)
        partial.replace(target)
    return destination


#: Largest file a bundle may hold: far above any real evidence, far below what would exhaust memory.
MAX_FILE_BYTES = 256 * 1024 * 1024


class _Reader:
    """Reads named files from a bundle folder or zip, refusing oversized or unreadable members."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.archive: zipfile.ZipFile | None = None
        if not source.exists():
            raise EvidenceError(f"{source}: no such evidence bundle")
        if not source.is_dir():
            try:
                self.archive = zipfile.ZipFile(source)
            except (zipfile.BadZipFile, OSError, EOFError):
                raise EvidenceError(f"{source}: neither a bundle folder nor a valid .zip bundle") from None

    def read(self, name: str) -> bytes | None:
        where = f"{self.source}/{name}"
        try:
            if self.archive is not None:
                try:
                    info = self.archive.getinfo(name)
                except KeyError:
                    return None
                if info.file_size > MAX_FILE_BYTES:
                    raise EvidenceError(f"{where}: {info.file_size} bytes, more than a bundle file may hold")
                return self.archive.read(info)
            path = self.source / name
            if not path.is_file():
                return None
            if path.stat().st_size > MAX_FILE_BYTES:
                raise EvidenceError(f"{where}: more than {MAX_FILE_BYTES} bytes, more than a bundle file may hold")
            return path.read_bytes()
        except EvidenceError:
            raise
        except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, OSError) as exc:
            raise EvidenceError(f"{where}: unreadable ({type(exc).__name__}: {exc})") from None


def read_bundle(source: str | Path) -> EvidenceBundle:
    """Load and verify a bundle; any missing file, bad hash or invalid document names the file."""
    source = Path(source)
    reader = _Reader(source)
    manifest_bytes = reader.read(MANIFEST)
    if manifest_bytes is None:
        raise EvidenceError(f"{source}: {MANIFEST} is missing; this is not an evidence bundle")
    try:
        manifest = Manifest.model_validate_json(manifest_bytes)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EvidenceError(f"{source}/{MANIFEST}: {where}: {first['msg']}") from None
    if manifest.format_version > FORMAT_VERSION:
        raise EvidenceError(
            f"{source}: bundle format {manifest.format_version} is newer than this tool understands "
            f"({FORMAT_VERSION}); upgrade the auditor"
        )
    if PROFILE not in {entry.path for entry in manifest.files}:
        raise EvidenceError(f"{source}/{MANIFEST}: does not list {PROFILE}; this bundle is incomplete")
    # Only what the manifest lists is read: anything else in the archive is ignored, never loaded.
    files: dict[str, bytes] = {}
    for entry in manifest.files:
        if entry.path.startswith("/") or ".." in entry.path.split("/") or "\\" in entry.path:
            raise EvidenceError(f"{source}/{MANIFEST}: lists '{entry.path}', which is outside the bundle")
        content = reader.read(entry.path)
        if content is None:
            raise EvidenceError(f"{source}/{entry.path}: listed in the manifest but missing")
        if hashlib.sha256(content).hexdigest() != entry.sha256:
            raise EvidenceError(f"{source}/{entry.path}: content does not match its hash in the manifest (edited?)")
        files[entry.path] = content
    try:
        profile_text = files[PROFILE].decode("utf-8")
    except UnicodeDecodeError:
        raise EvidenceError(f"{source}/{PROFILE}: not UTF-8 text") from None
    documents: dict[str, EvidenceDocument] = {}
    for entry in manifest.files:
        if not entry.path.startswith("evidence/"):
            continue
        try:
            document = EvidenceDocument.model_validate_json(files[entry.path])
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise EvidenceError(f"{source}/{entry.path}: {where}: {first['msg']}") from None
        documents[document.plugin] = document
    return EvidenceBundle(manifest, profile_text, documents)

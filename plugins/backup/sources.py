"""Where backup evidence comes from: the Veeam B&R REST API, the plugin's recorded JSON, or generic files.

All sources implement `BackupSource.collect() -> BackupEvidence` and raise `BackupSourceError`
subclasses; only `auditor_collect` picks one.  The Veeam source is read-only (GET, plus the token POST),
sends `x-api-version` on every request, pages with `skip`/`limit`, and supports both restore-point API
generations (`objectRestorePoints` on 12.0, `restorePoints` on 12.1+).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import requests
from pydantic import ValidationError

from auditor.errors import SourceError
from auditor.http import (
    ApiAuthError,
    ApiClient,
    ApiError,
    ApiNotFound,
    ApiPermissionError,
    ApiProtocolError,
    ApiThrottled,
    ApiUnavailable,
    OAuthToken,
    RetryPolicy,
)
from auditor.models import utcnow
from auditor_plugins.backup import derive
from auditor_plugins.backup.evidence import BackupEvidence, RestoreTest


class BackupSourceError(SourceError):
    """Root of every backup source failure."""


class VeeamError(BackupSourceError):
    """The Veeam B&R REST API failed; the message names the server, the path and Veeam's errorCode."""


class VeeamAuthError(VeeamError):
    """The Veeam server refused the credentials."""


class VeeamPermissionError(VeeamError):
    """The account lacks a role (Backup Viewer is enough for this audit)."""


class VeeamUnavailable(VeeamError):
    """The server could not be reached, kept failing, or kept throttling."""


class VeeamProtocolError(VeeamError):
    """The server answered something that is not the documented shape."""


class RecordedEvidenceError(BackupSourceError):
    """A recorded evidence file is unreadable or not the plugin's format."""


class GenericFormatError(BackupSourceError):
    """A generic CSV/JSON file is malformed; the message names the file, line and column."""

    def __init__(self, path: str | Path, line: int | None, column: str | None, problem: str) -> None:
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if column:
            where += f", column '{column}'"
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.column, self.problem = str(path), line, column, problem


class BackupSource(ABC):
    """A place backup evidence is read from."""

    @abstractmethod
    def collect(self) -> BackupEvidence:
        """Read everything the checks need; raise a `BackupSourceError` subclass when that fails."""


#: Safety bound on one collection, far above any SMB estate, so a server ignoring `skip` cannot loop us.
MAX_ITEMS = 1_000_000

_VERSION = re.compile(r"^(\d+)\.(\d+)-rev(\d+)$")


def api_revision(version: str) -> tuple[int, int, int]:
    """'1.1-rev1' -> (1, 1, 1); what decides between the two restore-point APIs."""
    match = _VERSION.match(version.strip())
    if not match:
        raise BackupSourceError(f"plugins.backup.api_version: '{version}' is not a Veeam REST API revision "
                                "such as '1.1-rev0' (B&R 12.0), '1.1-rev1' (12.1) or '1.3-rev1' (13)")
    return int(match[1]), int(match[2]), int(match[3])


class VeeamRestSource(BackupSource):
    """Veeam Backup & Replication REST API v1 (default port 9419), read with a Backup Viewer account."""

    ENDPOINTS: ClassVar[dict[str, str]] = {
        "jobs": "/api/v1/jobs/states",
        "job_specs": "/api/v1/jobs",
        "backups": "/api/v1/backups",
        "objects": "/api/v1/backupObjects",
        "repositories": "/api/v1/backupInfrastructure/repositories",
        "repository_states": "/api/v1/backupInfrastructure/repositories/states",
        "scale_out": "/api/v1/backupInfrastructure/scaleOutRepositories",
        "sessions": "/api/v1/sessions",
    }

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        api_version: str = "1.1-rev1",
        verify: bool | str = True,
        timeout: float = 60.0,
        page_size: int = 200,
        retry: RetryPolicy | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        progress: Callable[[str], None] = lambda _m: None,
        cancelled: threading.Event | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.api_version = api_version
        self.revision = api_revision(api_version)
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.clock = clock
        self.progress = progress
        self.cancelled = cancelled or threading.Event()
        session = session or requests.Session()
        self.token = OAuthToken(
            f"{self.base_url}/api/oauth2/token",
            {"grant_type": "password", "username": username, "password": password},
            name=f"Veeam B&R {self.base_url} token endpoint",
            extra_headers={"x-api-version": api_version, "Accept": "application/json"},
            timeout=timeout, verify=verify,
        )
        self.client = ApiClient(self.base_url, name=f"Veeam B&R {self.base_url}", auth=self.token,
                                headers={"x-api-version": api_version}, timeout=timeout, retry=retry,
                                verify=verify, session=session)
        self.username = username

    # -- paging ---------------------------------------------------------------------------------------
    def _pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a `skip`/`limit` paged collection (`{"data": [...], "pagination": {...}}`)."""
        skip = 0
        while True:
            if self.cancelled.is_set():
                raise VeeamUnavailable(f"collection cancelled (plugin timeout) while reading {path}")
            page = self._get(path, {**(params or {}), "skip": skip, "limit": self.page_size})
            items = page.get("data") if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise VeeamProtocolError(f"Veeam B&R {self.base_url}: {path} answered without a 'data' list")
            yield from (item for item in items if isinstance(item, dict))
            pagination = page.get("pagination") if isinstance(page.get("pagination"), dict) else {}
            total = pagination.get("total")
            skip += len(items)
            if not items or skip >= MAX_ITEMS:
                return
            if isinstance(total, int) and not isinstance(total, bool):
                if skip >= total:
                    return
            elif len(items) < self.page_size:  # no total given: a short page is the last one
                return

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return self.client.get_json(path, params)
        except ApiError as exc:
            raise _translate(exc, self.username) from exc

    def _all(self, key: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        path = self.ENDPOINTS[key]
        self.progress(f"reading {path}")
        return list(self._pages(path, params))

    def _optional(self, key: str) -> list[dict[str, Any]]:
        """A collection some builds or roles lack: 404 means "none", anything else is an error."""
        try:
            return self._all(key)
        except VeeamError as exc:
            if isinstance(exc.__cause__, ApiNotFound):
                return []
            raise

    # -- collection -----------------------------------------------------------------------------------
    def restore_points(self) -> tuple[str, list[dict[str, Any]]]:
        """Restore points from whichever API generation the server has, newest generation first."""
        order = (["restorePoints", "objectRestorePoints"] if self.revision >= (1, 1, 1)
                 else ["objectRestorePoints", "restorePoints"])
        for index, name in enumerate(order):
            try:
                self.progress(f"reading /api/v1/{name}")
                return name, list(self._pages(f"/api/v1/{name}"))
            except VeeamError as exc:
                if isinstance(exc.__cause__, ApiNotFound) and index == 0:
                    continue
                raise
        raise VeeamProtocolError("unreachable")  # pragma: no cover

    def collect(self) -> BackupEvidence:
        server_info: dict[str, Any] = {}
        try:
            server_info = self._get("/api/v1/serverInfo") or {}
        except VeeamError as exc:
            if not isinstance(exc.__cause__, ApiNotFound):
                raise
        try:
            jobs = [derive.normalise_job(raw) for raw in self._all("jobs")]
        except (ValueError, ValidationError) as exc:
            raise VeeamProtocolError(f"Veeam B&R {self.base_url}: /api/v1/jobs/states answered a job that is not "
                                     f"in the documented shape ({_first_problem(exc)})") from exc
        specs = self._optional("job_specs")
        members = {str(spec.get("id")): derive.job_members(spec) for spec in specs}
        disabled = {str(spec.get("id")) for spec in specs if spec.get("isDisabled") is True}
        jobs = [j.model_copy(update={"disabled": True}) if j.id in disabled and not j.disabled else j for j in jobs]
        backups = {str(b.get("id")): b for b in self._all("backups")}
        object_names = [str(o.get("name")) for o in self._all("objects") if o.get("name")]
        generation, points = self.restore_points()
        states = {str(s.get("id")): s for s in self._all("repository_states")}
        try:
            repositories = [derive.repository_from_api(raw, states.get(str(raw.get("id"))))
                            for raw in self._all("repositories")]
            by_id = {r.id: r for r in repositories}
            repositories += [derive.scale_out_from_api(raw, by_id, states.get(str(raw.get("id"))))
                             for raw in self._optional("scale_out")]
        except (ValueError, ValidationError) as exc:
            raise VeeamProtocolError(f"Veeam B&R {self.base_url}: a repository is not in the documented shape "
                                     f"({_first_problem(exc)})") from exc
        tests = self._restore_tests()
        now = self.clock()
        try:
            objects, jobs_filled = derive.build_objects(
                object_names=object_names, restore_points=points, backups=backups, jobs=jobs,
                repositories=repositories, tests=tests, now=now, job_members=members,
            )
        except (ValueError, ValidationError) as exc:
            raise VeeamProtocolError(f"Veeam B&R {self.base_url}: a restore point is not in the documented "
                                     f"shape ({_first_problem(exc)})") from exc
        return BackupEvidence(
            provider="veeam",
            product="Veeam Backup & Replication",
            product_version=str(server_info.get("buildVersion") or ""),
            api_version=self.api_version,
            server=str(server_info.get("name") or self.base_url),
            restore_point_api=generation,
            collected_at=now,
            jobs=tuple(sorted(jobs_filled, key=lambda j: j.name.lower())),
            objects=objects,
            repositories=tuple(sorted(repositories, key=lambda r: r.name.lower())),
            restore_tests=tuple(sorted(tests, key=lambda t: t.time, reverse=True)),
            protection=derive.protection_table(objects, now),
        )

    def _restore_tests(self) -> list[RestoreTest]:
        tests = []
        for raw in self._all("sessions", {"typeFilter": "SureBackup"}):
            if "surebackup" not in str(raw.get("sessionType") or "").lower():
                continue
            if not (raw.get("endTime") or raw.get("creationTime")):
                continue
            tasks = self._pages(f"/api/v1/sessions/{raw.get('id')}/taskSessions")
            try:
                objects = [str(t.get("name")) for t in tasks if t.get("name")]
            except VeeamError as exc:
                if not isinstance(exc.__cause__, ApiNotFound):
                    raise
                objects = []
            try:
                tests.append(derive.restore_test_from_session(raw, objects))
            except (ValueError, ValidationError) as exc:
                raise VeeamProtocolError(f"Veeam B&R {self.base_url}: SureBackup session '{str(raw.get('name'))[:80]}'"
                                         f" is not in the documented shape ({_first_problem(exc)})") from exc
        return tests


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)[:200]


def _translate(exc: ApiError, username: str) -> VeeamError:
    message = str(exc)
    if isinstance(exc, ApiAuthError):
        return VeeamAuthError(f"{message} (check plugins.backup.username '{username}' and the password reference)")
    if isinstance(exc, ApiPermissionError):
        return VeeamPermissionError(f"{message} (the account needs at least the Backup Viewer role)")
    if isinstance(exc, ApiThrottled | ApiUnavailable):
        if "SSLError" in message or "TLS certificate" in message:
            message += (" (the server's TLS certificate is not trusted: B&R uses a self-signed certificate by "
                        "default; give its CA file in plugins.backup.ca_bundle, or verify_tls = false on a trusted "
                        "network)")
        return VeeamUnavailable(message)
    if isinstance(exc, ApiProtocolError):
        return VeeamProtocolError(message)
    return VeeamError(message)


class RecordedEvidenceSource(BackupSource):
    """The plugin's own recorded JSON (a previous collection, or the demo sample)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def collect(self) -> BackupEvidence:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise RecordedEvidenceError(f"{self.path}: cannot read recorded backup evidence: "
                                        f"{exc.strerror or exc}") from exc
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RecordedEvidenceError(f"{self.path}: not valid JSON: {exc}") from exc
        try:
            return BackupEvidence.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise RecordedEvidenceError(f"{self.path}: field '{where}': {first['msg']} (expected the "
                                        "backup plugin's recorded format, 'format': 'backup-evidence/1')") from None


class GenericFileSource(BackupSource):
    """The documented generic CSV/JSON format (docs/backup-generic-format.md) for non-Veeam products."""

    def __init__(self, paths: Sequence[Path], *, exported_at: dt.datetime | None = None,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.paths = list(paths)
        self.exported_at = exported_at
        self.clock = clock

    def collect(self) -> BackupEvidence:
        from auditor_plugins.backup.generic import load_generic

        return load_generic(self.paths, exported_at=self.exported_at, clock=self.clock)

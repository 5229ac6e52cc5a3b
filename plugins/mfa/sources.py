"""Where MFA evidence comes from: small source interfaces with live and recorded implementations.

`Microsoft365Source` yields a tenant's users and enforcement (live: `graph.GraphSource`; recorded: the
plugin's JSON or the admin center CSV export), `GoogleWorkspaceSource` yields Google users (live:
`google.GoogleDirectorySource`; recorded: the plugin's JSON).  Only `auditor_collect` picks the concrete
class.  Shared here: the translation of `auditor.http` errors into this plugin's errors, and a token
provider whose request form is rebuilt at every fetch (a signed assertion expires with the token it buys).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from pydantic import ValidationError

from auditor.http import (
    ApiAuthError,
    ApiError,
    ApiPermissionError,
    ApiProtocolError,
    ApiThrottled,
    ApiUnavailable,
    OAuthToken,
)
from auditor_plugins.mfa.csvexport import read_registration_csv
from auditor_plugins.mfa.errors import (
    MfaAuthError,
    MfaPermissionError,
    MfaProtocolError,
    MfaSourceError,
    MfaThrottledError,
    MfaUnavailableError,
    RecordedEvidenceError,
)
from auditor_plugins.mfa.evidence import GoogleWorkspaceEvidence, MfaEvidence, Microsoft365Evidence


class Microsoft365Source(ABC):
    """Reads one Entra ID tenant's users, MFA registration and enforcement."""

    @abstractmethod
    def collect(self) -> Microsoft365Evidence:
        """Return the tenant's evidence; raise an `MfaSourceError` subclass on failure."""


class GoogleWorkspaceSource(ABC):
    """Reads one Google Workspace customer's users and their 2-Step Verification state."""

    @abstractmethod
    def collect(self) -> GoogleWorkspaceEvidence:
        """Return the customer's evidence; raise an `MfaSourceError` subclass on failure."""


def translate(exc: ApiError) -> MfaSourceError:
    """Map a shared-HTTP-client error onto this plugin's error tree (the message is already redacted)."""
    kinds: list[tuple[type[ApiError], type[MfaSourceError]]] = [
        (ApiAuthError, MfaAuthError), (ApiPermissionError, MfaPermissionError), (ApiThrottled, MfaThrottledError),
        (ApiUnavailable, MfaUnavailableError), (ApiProtocolError, MfaProtocolError),
    ]
    for api_kind, mfa_kind in kinds:
        if isinstance(exc, api_kind):
            return mfa_kind(str(exc))
    return MfaSourceError(str(exc))


@dataclass
class AssertionToken(OAuthToken):
    """`OAuthToken` whose form is rebuilt before each token request.

    Signed JWT assertions (Google service accounts, Entra certificate credentials) are valid for minutes;
    re-using the first one when the token is renewed an hour later would be refused.
    """

    form_factory: Callable[[], dict[str, str]] | None = None

    def _fetch(self, session: requests.Session) -> None:
        if self.form_factory is not None:
            self.form = self.form_factory()
        super()._fetch(session)


def load_recorded_json(path: Path) -> MfaEvidence:
    """Read the plugin's recorded JSON (the bare payload, or a bundle document with a `payload`)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RecordedEvidenceError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise RecordedEvidenceError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordedEvidenceError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})") \
            from None
    if isinstance(data, dict) and "payload" in data and "plugin" in data:
        data = data["payload"]
    try:
        return MfaEvidence.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise RecordedEvidenceError(f"{path}: field {where}: {first['msg']}{more}") from None


class RecordedMicrosoft365Source(Microsoft365Source):
    """The tenant as recorded: the plugin's JSON, the admin center CSV export, or both.

    With both, the CSV supplies the users (collection path `csv_export`) and the JSON the enforcement.
    """

    def __init__(self, json_path: Path | None, csv_path: Path | None, tenant_id: str = "") -> None:
        self.json_path, self.csv_path, self.tenant_id = json_path, csv_path, tenant_id

    def collect(self) -> Microsoft365Evidence:
        recorded = load_recorded_json(self.json_path).microsoft365 if self.json_path else None
        if self.csv_path is None:
            if recorded is None:
                raise RecordedEvidenceError(f"{self.json_path}: no 'microsoft365' section in the recorded evidence")
            return recorded
        users = tuple(read_registration_csv(self.csv_path))
        return Microsoft365Evidence(
            tenant_id=(recorded.tenant_id if recorded else "") or self.tenant_id,
            collection_path="csv_export",
            collection_note=f"Entra admin center export {self.csv_path.name} (no account state, no enforcement"
                            f"{' in the export; enforcement from the recorded JSON' if recorded else ''})",
            admin_roles_read=any(u.is_admin is not None for u in users),
            users=users,
            enforcement=recorded.enforcement if recorded else None,
        )


class RecordedGoogleSource(GoogleWorkspaceSource):
    def __init__(self, json_path: Path) -> None:
        self.json_path = json_path

    def collect(self) -> GoogleWorkspaceEvidence:
        recorded = load_recorded_json(self.json_path).google_workspace
        if recorded is None:
            raise RecordedEvidenceError(f"{self.json_path}: no 'google_workspace' section in the recorded evidence")
        return recorded

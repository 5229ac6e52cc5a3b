"""The MFA plugin's source errors: one root, typed subclasses, each message written for the technician.

Library errors (`auditor.http.ApiError`, `json`, `csv`, pydantic) are translated into these at the source
boundary with `raise ... from`, so the runner records one clear line and never a traceback.
"""

from __future__ import annotations

from auditor.errors import SourceError


class MfaSourceError(SourceError):
    """Root of every error raised while reading MFA evidence (live API or recorded file)."""


class MfaAuthError(MfaSourceError):
    """The identity provider refused the credentials (wrong secret, expired secret, wrong tenant, bad key)."""


class MfaPermissionError(MfaSourceError):
    """Authenticated, but the application lacks a permission; the message names it."""


class MfaThrottledError(MfaSourceError):
    """The API kept throttling after every allowed retry."""


class MfaUnavailableError(MfaSourceError):
    """The API could not be reached or kept failing."""


class MfaProtocolError(MfaSourceError):
    """The API answered something that is not the documented shape."""


class RecordedEvidenceError(MfaSourceError):
    """A recorded file (plugin JSON or admin center CSV) is unreadable or malformed; names file and place."""


class RegistrationCsvError(RecordedEvidenceError):
    """The Entra admin center CSV export is malformed: the message names the file, line and column."""

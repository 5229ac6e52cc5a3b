"""The patch-level plugin's source errors: one root, typed subclasses, messages that name file/line/column."""

from __future__ import annotations

from auditor.errors import RecordedFileError, SourceError


class PatchSourceError(SourceError):
    """Root of every error raised while reading an inventory export, Intune or a recorded file."""


class InventoryCsvError(PatchSourceError, RecordedFileError):
    """A malformed inventory export: names the file, the line and the column, and what was expected."""


class RecordedEvidenceError(PatchSourceError):
    """A recorded patch-level evidence file is unreadable or not in the plugin's format."""

"""The patch-level plugin's source errors: one root, typed subclasses, messages that name file/line/column."""

from __future__ import annotations

from pathlib import Path

from auditor.errors import SourceError


class PatchSourceError(SourceError):
    """Root of every error raised while reading an inventory export, Intune or a recorded file."""


class InventoryCsvError(PatchSourceError):
    """A malformed inventory export: names the file, the line and the column, and what was expected."""

    def __init__(self, path: str | Path, line: int | None, column: str | None, problem: str) -> None:
        self.path, self.line, self.column, self.problem = str(path), line, column, problem
        where = str(path)
        if line is not None:
            where += f": line {line}"
        if column:
            where += f", column '{column}'"
        super().__init__(f"{where}: {problem}")


class RecordedEvidenceError(PatchSourceError):
    """A recorded patch-level evidence file is unreadable or not in the plugin's format."""

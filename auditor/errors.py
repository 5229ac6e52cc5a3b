"""Domain exceptions: each message is written for the technician who has to fix the problem.

The CLI turns any `AuditorError` into one line on stderr and a non-zero exit code (see `auditor.cli`), so
messages must say which file, which field or which server, what was found and what was expected.
Library errors are translated with `raise ... from` at the boundary where they occur.
"""

from __future__ import annotations


class AuditorError(Exception):
    """Root of every error the auditor reports to a user.  `exit_code` follows the CLI's policy."""

    exit_code = 2


class ProfileError(AuditorError):
    """A client profile or baseline is unreadable or invalid."""

    def __init__(self, path: object, field: str | None, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {problem}")


class SecretError(AuditorError):
    """A secret reference cannot be resolved (missing variable, unreadable file)."""


class ScopeError(AuditorError):
    """Active scanning was asked for something the profile does not authorise."""


class EvidenceError(AuditorError):
    """An evidence bundle or a recorded evidence file is unreadable, malformed or tampered with."""


class SourceError(AuditorError):
    """A data source (nmap, LDAP server, vendor API, recorded file) failed; root of each source's errors."""


class CredentialsMissing(SourceError):
    """The profile does not provide the credentials a live source needs: the plugin is skipped, not failed."""


class StoreError(AuditorError):
    """The audit store cannot be opened or written."""


class PluginError(AuditorError):
    """A plugin is broken: bad check declarations, duplicate names, a hook returning the wrong type."""


class RecordedFileError(SourceError):
    """A recorded export (CSV, JSON, XML, LDIF) is malformed: the message names the file, line and column.

    Plugins subclass it (alongside their own source error root) so every export parser reports problems
    the same way: `rmm.csv: line 12, column 'Last patch': expected a date such as 2026-11-20`.
    """

    def __init__(self, path: object, line: int | None, column: str | None, problem: str) -> None:
        self.path, self.line, self.column, self.problem = str(path), line, column, problem
        where = self.path
        if line is not None:
            where += f": line {line}"
        if column:
            where += f", column '{column}'"
        super().__init__(f"{where}: {problem}")

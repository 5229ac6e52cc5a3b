"""Secret references and redaction.

A profile never holds a secret, only a reference resolved at run time: `env:NAME` (an environment
variable) or `file:PATH` (a file whose first line is the secret, e.g. a Docker/systemd credential).
Every resolved value is registered with the process-wide redactor, which scrubs it from log records,
error messages and anything written to disk (bundles, audits, reports).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from pydantic import AfterValidator

from auditor.errors import SecretError

_REFERENCE = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$")

#: Setting names that hold secrets: a literal value under one of these names is refused at load time.
SECRET_FIELD_PATTERN = re.compile(
    r"(password|passwd|secret|token|api[_-]?key|private[_-]?key|credential)s?$", re.IGNORECASE
)


def _validate_reference(value: str) -> str:
    if not _REFERENCE.match(value):
        raise ValueError(
            "a secret must be a reference such as 'env:VARIABLE' or 'file:/path/to/secret', "
            "never the secret itself"
        )
    return value


#: Type for settings fields that hold a secret reference.
SecretRef = Annotated[str, AfterValidator(_validate_reference)]


def is_reference(value: object) -> bool:
    return isinstance(value, str) and bool(_REFERENCE.match(value))


class Redactor:
    """Remembers every secret value resolved in this process and masks it wherever text leaves us."""

    MASK = "***"

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        if value and len(value) >= 3:
            # Also the forms the value takes inside JSON and URLs, where quotes and backslashes are escaped.
            forms = {value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1],
                     quote(value, safe="")}
            with self._lock:
                self._values.update(f for f in forms if len(f) >= 3)

    def redact(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, self.MASK)
        return text

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


REDACTOR = Redactor()


def resolve_secret(reference: str, *, base_dir: Path | None = None) -> str:
    """Turn a reference into the secret, registering it for redaction.  Never logs the value."""
    if not is_reference(reference):
        raise SecretError("a secret setting holds something that is not a reference (env:NAME or file:PATH)")
    scheme, _, rest = reference.partition(":")
    if scheme == "env":
        value = os.environ.get(rest)
        if value is None or value == "":
            raise SecretError(f"environment variable {rest} is not set (referenced as '{reference}')")
    else:
        path = Path(rest).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        try:
            value = path.read_text(encoding="utf-8").splitlines()[0].strip() if path.stat().st_size else ""
        except OSError as exc:
            raise SecretError(f"cannot read secret file {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise SecretError(f"secret file {path} is not UTF-8 text") from None
        if not value:
            raise SecretError(f"secret file {path} is empty")
    REDACTOR.add(value)
    return value


class RedactingFormatter(logging.Formatter):
    """Masks known secrets in the whole formatted record, tracebacks included (a filter sees only the message)."""

    def format(self, record: logging.LogRecord) -> str:
        return REDACTOR.redact(super().format(record))


class RedactingFilter(logging.Filter):
    """Logging filter that masks known secrets in every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = REDACTOR.redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True

"""The `auditor` command: parses arguments, picks implementations, prints.  All logic lives in the library.

Any `AuditorError` becomes one line on stderr and exit code 2; an unexpected exception becomes one line
asking for a bug report and exit code 3 (the exit-code policy is in `auditor.cli.app`).
"""

from __future__ import annotations

import logging
import os
import re
import sys

import typer
import typer.exceptions

from auditor.cli import (  # noqa: F401 - importing registers the commands
    audit_commands,
    data_commands,
    history_commands,
    report_commands,
)
from auditor.cli.app import EXIT_INTERNAL_ERROR, EXIT_USER_ERROR, app
from auditor.errors import AuditorError
from auditor.secrets import REDACTOR, RedactingFilter, RedactingFormatter

__all__ = ["app", "main"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _configure_logging() -> None:
    level = os.environ.get("AUDITOR_LOG_LEVEL", "WARNING").upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, level, logging.WARNING), handlers=[handler], force=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns (and exits with) the exit code."""
    _configure_logging()
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="auditor", standalone_mode=False)
    except AuditorError as exc:
        # One line, no terminal escape sequences smuggled in by client-supplied text.
        typer.echo(f"error: {_CONTROL.sub(' ', REDACTOR.redact(str(exc)))}", err=True)
        code = exc.exit_code
    except typer.exceptions.Abort:
        typer.echo("aborted", err=True)
        code = EXIT_USER_ERROR
    except typer.exceptions.TyperException as exc:
        # Usage errors (typer vendors click, so click's exceptions are typer's own).
        if hasattr(exc, "show"):
            exc.show()
        else:
            typer.echo(f"error: {exc.format_message()}", err=True)
        code = exc.exit_code
    except typer.exceptions.Exit as exc:
        code = exc.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        code = 130
    except Exception as exc:  # the one place that turns a bug into a clean message
        logging.getLogger("auditor").debug("internal error", exc_info=True)
        typer.echo(
            f"internal error: {REDACTOR.redact(f'{type(exc).__name__}: {exc}')} "
            "(this is a bug; rerun with AUDITOR_LOG_LEVEL=DEBUG and report it)",
            err=True,
        )
        code = EXIT_INTERNAL_ERROR
    else:
        code = result if isinstance(result, int) else 0
    if argv is None:
        sys.exit(code)
    return code

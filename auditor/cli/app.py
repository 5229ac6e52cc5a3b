"""The typer application object; command modules attach their commands to it.

Exit-code policy (one place): 0 success; 1 the audit ran but found failing critical checks when
`--fail-on-critical` is given; 2 a user error (bad profile, bad bundle, missing file: `AuditorError`);
3 an unexpected internal error (a bug: please report it).
"""

from __future__ import annotations

import typer

from auditor.errors import AuditorError
from auditor.models import Language

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 3

app = typer.Typer(
    name="auditor",
    help="Security posture auditor for MSPs: collect evidence, score, plan the roadmap, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
roadmap_app = typer.Typer(help="Export the improvement roadmap for the maintenance contract.", no_args_is_help=True)
app.add_typer(roadmap_app, name="roadmap")


def choose_language(value: str | None, default: Language) -> Language:
    """The `--lang` option of every command: fr or en, else the audit's or profile's own language."""
    chosen = value or default
    if chosen not in ("fr", "en"):
        raise AuditorError(f"--lang must be 'fr' or 'en', not '{chosen}'")
    return chosen  # type: ignore[return-value]

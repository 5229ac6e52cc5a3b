"""Report and export commands: `auditor report` and `auditor roadmap export`.

Both accept an audit JSON file, an `auditor audit` output folder, an evidence bundle (folder or .zip,
evaluated on the fly, no network) or an audit id from the store, and render it in either language.
The logic lives in `auditor.report` and `auditor.exports`; this module parses options and writes files.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from auditor import exports
from auditor.cli.app import app, choose_language, roadmap_app
from auditor.errors import AuditorError
from auditor.report import render_annex_pdf, render_report_pdf
from auditor.report.options import Branding
from auditor.report.source import LoadedAudit, load_audit


class ReportFormat(StrEnum):
    pdf = "pdf"
    json = "json"
    ocsf = "ocsf"
    csv = "csv"


class RoadmapFormat(StrEnum):
    annex_pdf = "annex-pdf"
    csv = "csv"
    json = "json"


AuditArgument = Annotated[
    str,
    typer.Argument(help="Audit JSON file, `auditor audit` output folder, evidence bundle (folder or .zip), "
                        "or an audit id in the store.", metavar="AUDIT"),
]
LangOption = Annotated[str | None, typer.Option("--lang", help="fr or en (default: the audit's language).")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default: in the current folder).")]
DbOption = Annotated[str | None, typer.Option("--db", help="Store URL or SQLite file, for an audit id.")]
MspNameOption = Annotated[str | None, typer.Option("--msp-name", help="MSP name on the cover (default: profile).")]
MspLogoOption = Annotated[Path | None, typer.Option("--msp-logo", help="MSP logo image (PNG/JPEG) for the cover.")]
ExcelOption = Annotated[bool, typer.Option("--excel", help="CSV for French Excel: ';' separator, BOM, "
                                                           "decimal comma in French.")]



def _branding(loaded: LoadedAudit, name: str | None, logo: Path | None) -> Branding:
    base = loaded.branding
    if logo is not None and not logo.is_file():
        raise AuditorError(f"--msp-logo {logo}: no such file")
    return Branding(msp_name=name or base.msp_name, msp_logo=logo or base.msp_logo,
                    msp_contact=base.msp_contact, confidentiality=base.confidentiality)


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    if isinstance(content, bytes):
        partial.write_bytes(content)
    else:
        partial.write_text(content, encoding="utf-8", newline="")
    partial.replace(path)
    return path


def _render_pdf(render: object, path: Path, **kwargs: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    render(out=partial, **kwargs)  # type: ignore[operator]
    partial.replace(path)
    return path


@app.command("report")
def report_command(
    audit: AuditArgument,
    lang: LangOption = None,
    format: Annotated[ReportFormat, typer.Option(
        "--format", "-f", help="pdf, json (the audit), ocsf (findings as OCSF), csv (findings).")] = ReportFormat.pdf,
    out: OutOption = None,
    db: DbOption = None,
    msp_name: MspNameOption = None,
    msp_logo: MspLogoOption = None,
    excel: ExcelOption = False,
    failing_only: Annotated[bool, typer.Option("--failing-only", help="OCSF: leave passed checks out.")] = False,
) -> None:
    """Render an audit as the client PDF report, the audit JSON, OCSF findings or a findings CSV."""
    loaded = load_audit(audit, db=db)
    result = loaded.audit
    language = choose_language(lang, result.language)
    suffix = {"pdf": "pdf", "json": "json", "ocsf": "ocsf.json", "csv": "csv"}[format.value]
    stem = "report" if format is ReportFormat.pdf else "findings" if format is not ReportFormat.json else "audit"
    path = out or Path(f"{stem}-{result.id}-{language}.{suffix}")
    if format is ReportFormat.pdf:
        _render_pdf(lambda out: render_report_pdf(result, out, lang=language,
                                                  branding=_branding(loaded, msp_name, msp_logo)), path)
    elif format is ReportFormat.json:
        _write(path, result.model_dump_json(indent=1))
    elif format is ReportFormat.ocsf:
        _write(path, exports.dumps(exports.findings_ocsf(result, language, include_passed=not failing_only)))
    else:
        _write(path, exports.findings_csv(result, language, excel=excel))
    typer.echo(f"wrote {path} ({loaded.origin}, {language})")


@roadmap_app.command("export")
def roadmap_export_command(
    audit: AuditArgument,
    format: Annotated[RoadmapFormat, typer.Option("--format", "-f", help="annex-pdf (contract annex with "
                                                                          "signature block), csv or json.")]
    = RoadmapFormat.csv,
    lang: LangOption = None,
    out: OutOption = None,
    db: DbOption = None,
    msp_name: MspNameOption = None,
    msp_logo: MspLogoOption = None,
    excel: ExcelOption = False,
) -> None:
    """Export the improvement roadmap for the maintenance contract or a PSA import."""
    loaded = load_audit(audit, db=db)
    result = loaded.audit
    language = choose_language(lang, result.language)
    suffix = {"annex-pdf": "pdf", "csv": "csv", "json": "json"}[format.value]
    stem = "roadmap-annex" if format is RoadmapFormat.annex_pdf else "roadmap"
    path = out or Path(f"{stem}-{result.id}-{language}.{suffix}")
    if format is RoadmapFormat.annex_pdf:
        _render_pdf(lambda out: render_annex_pdf(result, out, lang=language,
                                                 branding=_branding(loaded, msp_name, msp_logo)), path)
    elif format is RoadmapFormat.csv:
        _write(path, exports.roadmap_csv(result, language, excel=excel))
    else:
        _write(path, exports.roadmap_json(result, language))
    typer.echo(f"wrote {path} ({loaded.origin}, {language})")

"""History and diff commands: `auditor history CLIENT`, `auditor history export|import`, `auditor diff`.

Thin: the store (`auditor.store`) and the diff engine (`auditor.history`) do the work; these commands
parse, pick the store, print.  `history CLIENT` reads only the store's summary columns, so it stays fast
on an MSP's shared PostgreSQL with thousands of audits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from auditor.cli.app import app, choose_language
from auditor.errors import AuditorError
from auditor.history import CATEGORIES, compare, indicators, summary_lines
from auditor.i18n import area_title
from auditor.models import Language
from auditor.store import Store

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store URL or SQLite file (default: $AUDITOR_DB or the user data folder).")
]


class _HistoryGroup(TyperGroup):
    """`auditor history CLIENT` lists audits, while `history export|import` are subcommands."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


history_app = typer.Typer(cls=_HistoryGroup, no_args_is_help=True,
                          context_settings={"ignore_unknown_options": True},
                          help="`auditor history CLIENT [--db URL] [--json]` lists a client's audits (date, score, "
                               "grade, coverage, findings); `history export|import` move a client's history "
                               "between stores.")
app.add_typer(history_app, name="history")



@history_app.command("show", hidden=True)
def show(
    client: Annotated[str, typer.Argument(help="Client id (as in the profile's [client] id).")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List a client's audits, oldest first."""
    store = Store(db)
    entries = store.history(client)
    if not entries:
        known = ", ".join(c for c, _ in store.clients()[:20]) or "none"
        raise AuditorError(f"no audits of client '{client}' in the store (clients: {known})")
    if as_json:
        sys.stdout.write(json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False, indent=1))
        sys.stdout.write("\n")
        return
    console = Console()
    # The id is what `auditor diff` needs: it is never cut.  On a narrow terminal the date (already in the id)
    # and the kind (onboarding or re-audit, obvious from the order) are left out so the figures stay readable.
    wide = console.width >= 100
    table = Table(show_header=True, title=f"{escape(client)}: {len(entries)} audit(s)", box=box.SIMPLE,
                  pad_edge=False)
    columns = ([("audit", "left"), ("date", "left"), ("kind", "left"), ("score", "right"), ("grade", "center"),
                ("coverage", "right"), ("findings", "right"), ("critical", "right")] if wide else
               [("audit", "left"), ("date", "left"), ("kind", "left"), ("score", "right"), ("gr", "center"),
                ("cov", "right"), ("find", "right"), ("crit", "right")])
    id_width = max(len(entry.id) for entry in entries)
    for column, justify in columns:
        if column in ("date", "kind") and not wide:
            continue
        table.add_column(column, justify=justify, overflow="fold",  # type: ignore[arg-type]
                         min_width=id_width if column == "audit" else None, no_wrap=column == "audit")
    for entry in entries:
        cells = [entry.id, f"{entry.collected_at:%Y-%m-%d}" if wide else f"{entry.collected_at:%y-%m-%d}", entry.kind,
                 "n/a" if entry.score is None else f"{entry.score:.1f}", entry.grade,
                 f"{entry.coverage:.0f} %" if wide else f"{entry.coverage:.0f}%",
                 "" if entry.findings_count is None else str(entry.findings_count),
                 "" if entry.critical_findings is None else str(entry.critical_findings)]
        if not wide:
            del cells[1:3]
        table.add_row(*cells)
    console.print(table)


@history_app.command("export")
def export(
    client: Annotated[str, typer.Argument(help="Client id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON file to write.")],
    db: DbOption = None,
) -> None:
    """Write one client's whole history as JSON (to move it to another store)."""
    data = Store(db).export_client(client)
    try:
        out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    except OSError as exc:
        raise AuditorError(f"cannot write {out}: {exc.strerror}") from None
    Console().print(f"wrote {len(data['audits'])} audit(s) of {escape(client)} to {out}")


@history_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A JSON file written by `auditor history export`.")],
    db: DbOption = None,
) -> None:
    """Add an exported history to this store (audits with the same id are replaced); all or nothing."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AuditorError(f"cannot read {file}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise AuditorError(f"{file}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None
    ids = Store(db).import_history(data, origin=str(file))
    Console().print(f"imported {len(ids)} audit(s) from {file}")


@app.command("diff")
def diff(
    audits: Annotated[list[str], typer.Argument(help="[OLD] NEW: audit ids or unique prefixes. OLD defaults to "
                                                     "the audit before NEW of the same client.")],
    db: DbOption = None,
    lang: Annotated[str | None, typer.Option("--lang", help="fr or en (default: the new audit's language).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable diff.")] = False,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write the re-audit report (PDF) here.")] = None,
) -> None:
    """What changed between two audits: findings resolved/new/persisting/regressed, scores, coverage, roadmap."""
    if len(audits) not in (1, 2):
        raise AuditorError("diff takes one or two audit ids: [OLD] NEW")
    old_id, new_id = (None, audits[0]) if len(audits) == 1 else (audits[0], audits[1])
    store = Store(db)
    result = compare(store, new_id, old_id)
    new_language = choose_language(lang, "en") if lang else store.get(result.new_id).language
    if pdf is not None:
        from auditor.report.reaudit import render_reaudit_pdf

        render_reaudit_pdf(store, result.new_id, pdf, lang=new_language, old_id=result.old_id)
    if as_json:
        data = json.loads(result.model_dump_json())
        data["summary"] = summary_lines(result, new_language)
        data["counts"] = result.counts()
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
        sys.stdout.write("\n")
        return
    _print_diff(result, new_language, store)
    if pdf is not None:
        Console().print(f"wrote {pdf}")


_CATEGORY_TITLES = {
    "resolved": ("Resolved", "Corrigés"), "regressed": ("Regressed", "Dégradations"),
    "new": ("New (not covered before)", "Nouveaux (hors périmètre précédent)"),
    "persisting": ("Persisting", "Toujours présents"), "accepted": ("Now accepted risks", "Risques acceptés"),
    "unverified": ("Not assessed this time (not counted as resolved)",
                   "Non évalués cette fois (non comptés comme corrigés)"),
}


def _print_diff(result: Any, lang: Language, store: Store) -> None:
    console = Console()
    fr = lang == "fr"
    console.print(f"[bold]{escape(result.client_name)}[/]: {result.old_id} → {result.new_id}")
    for line in summary_lines(result, lang):
        console.print(f"  {escape(line)}")
    if result.scores.baseline_note:
        console.print(f"[yellow]note: {escape(result.scores.baseline_note)}[/]")
    areas = Table(show_header=True, title="Domaines" if fr else "Areas")
    for column in ("area", "before", "after", "Δ"):
        areas.add_column(column, justify="left" if column == "area" else "right")
    for area in result.scores.areas:
        areas.add_row(area_title(area.area, lang), _fmt(area.old), _fmt(area.new),
                      "" if area.delta is None else f"{area.delta:+.1f}")
    console.print(areas)
    checks = {c.check_id: c for c in result.checks}
    for category in CATEGORIES:
        members = result.of(category)
        if not members:
            continue
        table = Table(show_header=True, title=f"{_CATEGORY_TITLES[category][1 if fr else 0]} ({len(members)})")
        for column in ("severity", "check", "asset", ""):
            table.add_column(column)
        for finding in members:
            title = checks[finding.check_id].title.get(lang) if finding.check_id in checks else finding.check_id
            flags = " ".join(x for x in ("reopened" if finding.reopened else "",
                                         "new machine" if not finding.in_baseline_scope and finding.asset else "")
                             if x)
            table.add_row(finding.severity.value, escape(title), escape(finding.asset or "—"), flags)
        console.print(table)
    if result.coverage:
        table = Table(show_header=True, title="Couverture" if fr else "Coverage changes")
        for column in ("check", "change", "reason"):
            table.add_column(column)
        for change in result.coverage:
            table.add_row(escape(change.title.get(lang)), change.change.replace("_", " "),
                          escape(change.reason.get(lang)) if change.reason else "")
        console.print(table)
    if result.roadmap:
        table = Table(show_header=True, title="Feuille de route" if fr else "Roadmap progress")
        for column in ("item", "status", "target", "remaining"):
            table.add_column(column)
        for item in result.roadmap:
            target = "" if item.target_date is None else item.target_date.isoformat() + (" !" if item.overdue else "")
            table.add_row(escape(item.id), item.status, target, escape(", ".join(item.remaining_assets[:5])))
        console.print(table)
    figures = indicators(store, result.client_id, up_to=result.new_id)
    median = "n/a" if figures.median_days_to_remediate is None else f"{figures.median_days_to_remediate:g} d"
    console.print(f"recurring findings: {figures.recurring_count}; reopened: {figures.reopened_count}; "
                  f"median time to remediate: {median} ({figures.remediated_count} remediated)")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"

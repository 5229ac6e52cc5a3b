"""Commands that run audits and show what is installed: audit, collect, evaluate, plugins, checks, history."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ClassVar

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from auditor.bundle import read_bundle, write_bundle
from auditor.cli.app import EXIT_FINDINGS, app, choose_language
from auditor.history import prepare_reaudit
from auditor.i18n import SEVERITY_LABELS, STATUS_LABELS, area_title, format_money, format_number, format_percent
from auditor.models import Audit, Language, PluginRun, RunStatus, Severity, Status
from auditor.pluginmanager import PluginRegistry
from auditor.profile import load_baseline, load_profile, profile_from_json
from auditor.runner import collect, evaluate
from auditor.store import Store

if TYPE_CHECKING:
    from auditor.report import Branding

DbOption = Annotated[
    str | None, typer.Option("--db", help="Store URL or SQLite file (default: $AUDITOR_DB or the user data folder).")
]
LangOption = Annotated[str | None, typer.Option("--lang", help="fr or en (default: the profile's language).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display, only the summary.")]



class RichProgress:
    """Live table of plugin states on a terminal; silent when stdout is not a TTY or with --quiet."""

    _STYLES: ClassVar[dict[RunStatus, str]] = {
        RunStatus.ok: "green", RunStatus.skipped: "yellow", RunStatus.timeout: "red", RunStatus.error: "red"
    }

    def __init__(self, console: Console, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled and console.is_terminal
        self.states: dict[str, str] = {}
        self.live: Live | None = None

    def __enter__(self) -> RichProgress:
        if self.enabled:
            self.live = Live(self._table(), console=self.console, refresh_per_second=8, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self._table())
            self.live.__exit__(None, None, None)

    def _table(self) -> Table:
        table = Table(title="Collecting evidence", show_header=True, expand=False)
        table.add_column("plugin")
        table.add_column("state")
        for name, state in sorted(self.states.items()):
            table.add_row(name, state)
        return table

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self._table())

    def started(self, plugin: str) -> None:
        self.states[plugin] = "[cyan]running…[/]"
        self._refresh()

    def message(self, plugin: str, text: str) -> None:
        self.states[plugin] = f"[cyan]{_escape(text[:70])}[/]"
        self._refresh()

    def finished(self, run: PluginRun) -> None:
        style = self._STYLES.get(run.status, "white")
        seconds = f" in {run.seconds:.1f} s" if run.seconds is not None else ""
        reason = f": {_escape(run.reason[:90])}" if run.reason else ""
        self.states[run.plugin] = f"[{style}]{run.status.value}{seconds}{reason}[/]"
        self._refresh()


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(text: str) -> str:
    """Client-supplied text as inert terminal text: no rich markup, no escape sequences."""
    from rich.markup import escape

    return escape(_CONTROL.sub("", text))


def write_outputs(audit: Audit, out: Path, lang: Language) -> list[Path]:
    """Write the audit's standard outputs (audit JSON, roadmap JSON and CSV, reports when available)."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    audit_path = out / "audit.json"
    audit_path.write_text(audit.model_dump_json(indent=1), encoding="utf-8")
    written.append(audit_path)
    try:
        from auditor import exports
    except ImportError:  # pragma: no cover - exports are part of the package
        exports = None  # type: ignore[assignment]
    roadmap_json = out / "roadmap.json"
    if exports is not None and hasattr(exports, "roadmap_json"):
        roadmap_json.write_text(exports.roadmap_json(audit, lang), encoding="utf-8")
    else:
        roadmap_json.write_text(audit.roadmap.model_dump_json(indent=1), encoding="utf-8")
    written.append(roadmap_json)
    if exports is not None and hasattr(exports, "roadmap_csv"):
        roadmap_csv = out / "roadmap.csv"
        roadmap_csv.write_text(exports.roadmap_csv(audit, lang), encoding="utf-8")
        written.append(roadmap_csv)
    written.extend(_write_reports(audit, out, lang))
    return written


def _write_reports(audit: Audit, out: Path, lang: Language) -> list[Path]:
    """The PDF report in the audit's language, when the report package provides it."""
    from auditor.report import render_report_pdf

    target = out / f"report-{lang}.pdf"
    render_report_pdf(audit, target, lang=lang, branding=_branding(audit))
    return [target]


#: The terminal summary's words; check and area texts come from the catalogue in the same language.
_SUMMARY: dict[str, tuple[str, str]] = {
    "capped": ("capped from {grade}: a critical check fails",
               "plafonnée (sinon {grade}) : un contrôle critique échoue"),
    "line": ("Score {score}  grade {grade}{cap}  coverage {coverage} ({assessed}/{total} checks assessed)",
             "Score {score}  note {grade}{cap}  couverture {coverage} ({assessed}/{total} contrôles évalués)"),
    "managed": ("Managed scope: {score}/100, grade {grade}", "Périmètre du contrat : {score}/100, note {grade}"),
    "columns": ("area|score|failed checks|partial|not assessed",
                "domaine|score|contrôles en échec|partiels|non évalués"),
    "top": ("Top risks", "Principaux risques"),
    "affected": ("{n} affected", "{n} concerné(s)"),
    "roadmap": ("Roadmap: {items} items; {hours} h and {price} planned within the contract's monthly hours",
                "Plan d'action : {items} actions ; {hours} h et {price} planifiées dans les heures mensuelles "
                "du contrat"),
    "outside": ("{items} more items outside the contract: {price}", "{items} autres actions hors contrat : {price}"),
    "warning": ("warning", "attention "),
    "wrote": ("wrote", "écrit"),
    "digest": ("evidence bundle digest (SHA-256 of its manifest): {digest}",
               "empreinte du lot de preuves (SHA-256 de son manifeste) : {digest}"),
}


def _say(key: str, lang: Language, **values: object) -> str:
    english, french = _SUMMARY[key]
    return (french if lang == "fr" else english).format(**values)


def print_summary(console: Console, audit: Audit, lang: Language, written: list[Path]) -> None:
    scores = audit.scores
    overall = "n/a" if scores.overall is None else f"{format_number(scores.overall, lang)}/100"
    cap = f" ({_say('capped', lang, grade=scores.grade_before_cap)})" if scores.grade != scores.grade_before_cap else ""
    console.print(f"[bold]{_escape(audit.client_name)}[/] — audit {audit.id}")
    console.print(_say("line", lang, score=overall, grade=f"[bold]{scores.grade}[/]", cap=_escape(cap),
                       coverage=format_percent(scores.coverage, lang), assessed=scores.assessed_checks,
                       total=scores.total_checks))
    if scores.managed_overall is not None:
        console.print(_say("managed", lang, score=format_number(scores.managed_overall, lang),
                           grade=scores.managed_grade))
    areas = Table(show_header=True)
    for index, column in enumerate(_say("columns", lang).split("|")):
        areas.add_column(column, justify="left" if index == 0 else "right")
    for area in scores.areas:
        areas.add_row(area_title(area.area, lang), "n/a" if area.score is None else format_number(area.score, lang),
                      str(area.failed), str(area.partial), str(area.not_assessed))
    console.print(areas)
    top = top_risks(audit, 5)
    if top:
        console.print(f"[bold]{_say('top', lang)}[/]")
        for result in top:
            check = audit.check(result.check_id)
            assets = f" ({_say('affected', lang, n=len(result.affected))})" if result.affected else ""
            console.print(f"  [{SEVERITY_LABELS[check.severity.value].get(lang)}] "
                          f"{_escape(check.title.get(lang))}{assets}", highlight=False)
    problems = [r for r in audit.runs if r.status is not RunStatus.ok]
    for run in problems:
        console.print(f"[yellow]{run.plugin} ({run.phase}): {run.status.value}: {_escape(run.reason or '')}[/]")
    roadmap = audit.roadmap
    planned = [i for i in roadmap.items if i.in_contract]
    console.print(_say("roadmap", lang, items=len(planned), hours=format_number(roadmap.total_hours, lang, 2),
                       price=format_money(roadmap.total_price, roadmap.currency, lang)))
    outside = [i for i in roadmap.items if not i.in_contract]
    if outside:
        console.print(_say("outside", lang, items=len(outside),
                           price=format_money(sum(i.price for i in outside), roadmap.currency, lang)))
    texts = [w.get(lang) for w in roadmap.warnings_localized] or list(roadmap.warnings)
    for warning in texts:
        console.print(f"[yellow]{_say('warning', lang)}: {_escape(warning)}[/]")
    console.print(_say("digest", lang, digest=audit.provenance.bundle_digest))
    for path in written:
        console.print(f"{_say('wrote', lang)} {path}")


def top_risks(audit: Audit, count: int) -> list:
    """Findings ordered by severity then exploitability, then by how many assets they touch."""
    order = {e: i for i, e in enumerate(("exposed", "lateral", "hygiene"))}
    findings = [r for r in audit.results if r.is_finding]
    findings.sort(key=lambda r: (audit.check(r.check_id).severity.rank,
                                 order[audit.check(r.check_id).exploitability.value], -len(r.affected), r.check_id))
    return findings[:count]


def _open_store(db: str | None, no_store: bool) -> Store | None:
    return None if no_store else Store(db)


def _finish(result: Audit, store: Store | None, out: Path, language: Language, console: Console,
            written: list[Path]) -> Audit:
    """Turn the audit into a re-audit when the store knows the client, write outputs, save, report progress."""
    if store is not None:
        result = prepare_reaudit(store, result)
    written.extend(write_outputs(result, out, language))
    if store is not None:
        store.save(result)
        console.print(f"saved in store {store.url.split('://', 1)[0]}: {result.id}")
        if result.kind == "re-audit":
            from auditor.report.reaudit import render_reaudit_pdf

            target = out / f"reaudit-{language}.pdf"
            render_reaudit_pdf(store, result.id, target, lang=language, branding=_branding(result))
            written.append(target)
    print_summary(console, result, language, written)
    return result


def _branding(audit: Audit) -> Branding:
    from auditor.report import Branding

    return Branding(msp_name=audit.msp_name or None, msp_contact=audit.msp_contact,
                    msp_logo=Path(audit.msp_logo) if audit.msp_logo else None)


def _exit_code(audit: Audit, fail_on_critical: bool) -> int:
    if fail_on_critical and any(
        r.is_finding and r.status is Status.failed and audit.check(r.check_id).severity is Severity.critical
        for r in audit.results
    ):
        return EXIT_FINDINGS
    return 0


@app.command()
def audit(
    profile: Annotated[Path, typer.Argument(help="Client profile (TOML).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the bundle, audit, roadmap and reports.")] = Path(
        "out"
    ),
    db: DbOption = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not save the audit in the store.")] = False,
    lang: LangOption = None,
    quiet: QuietOption = False,
    fail_on_critical: Annotated[bool, typer.Option(help="Exit 1 when a critical check fails.")] = False,
) -> int:
    """Collect evidence, evaluate, score, plan the roadmap, save and write the outputs."""
    console = Console(stderr=False, quiet=False)
    registry = PluginRegistry.build()
    loaded = load_profile(profile, registry)
    language = choose_language(lang, loaded.client.language)
    with RichProgress(Console(stderr=True), enabled=not quiet) as progress:
        bundle, files = collect(loaded, registry, progress=progress)
    bundle_path = write_bundle(files, out / "evidence.zip")
    store = _open_store(db, no_store)
    result = _finish(evaluate(bundle, registry, profile=loaded), store, out, language, console, [bundle_path])
    return _exit_code(result, fail_on_critical)


@app.command("collect")
def collect_command(
    profile: Annotated[Path, typer.Argument(help="Client profile (TOML).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Bundle destination: a folder, or a file ending in .zip.")],
    quiet: QuietOption = False,
) -> None:
    """Collect evidence only, into a bundle that `auditor evaluate` can score later, anywhere."""
    registry = PluginRegistry.build()
    loaded = load_profile(profile, registry)
    with RichProgress(Console(stderr=True), enabled=not quiet) as progress:
        bundle, files = collect(loaded, registry, progress=progress)
    path = write_bundle(files, out)
    console = Console()
    for run in bundle.manifest.runs:
        console.print(f"{run.plugin}: {run.status.value}" + (f": {_escape(run.reason)}" if run.reason else ""))
    console.print(f"wrote {path} (digest {bundle.digest[:16]})")


@app.command("evaluate")
def evaluate_command(
    bundle: Annotated[Path, typer.Argument(help="Evidence bundle (folder or .zip).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the audit, roadmap and reports.")] = Path("out"),
    baseline: Annotated[str | None, typer.Option(help="Re-score with this baseline instead of the profile's.")] = None,
    db: DbOption = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not save the audit in the store.")] = False,
    lang: LangOption = None,
) -> None:
    """Re-score a bundle with no network access (optionally with another baseline)."""
    registry = PluginRegistry.build()
    loaded_bundle = read_bundle(bundle)
    profile = profile_from_json(loaded_bundle.profile_json, registry, origin=f"{bundle}/profile.json")
    chosen = None
    if baseline:
        chosen = load_baseline(profile.baseline.model_copy(update={"name": baseline}))
    language = choose_language(lang, profile.client.language)
    store = _open_store(db, no_store)
    _finish(evaluate(loaded_bundle, registry, profile=profile, baseline=chosen), store, out, language, Console(), [])


@app.command()
def plugins() -> None:
    """List installed plugins (built-in and third-party alike) with their versions."""
    registry = PluginRegistry.build()
    table = Table(show_header=True)
    for column in ("plugin", "version", "area", "module", "checks"):
        table.add_column(column)
    for name, info in sorted(registry.infos.items()):
        module = getattr(registry.objects[name], "__name__", type(registry.objects[name]).__name__)
        table.add_row(name, info.version, info.area, module, str(len(registry.checks_of(name))))
    Console().print(table)


@app.command()
def checks(
    lang: Annotated[str, typer.Option("--lang", help="fr or en")] = "en",
    area: Annotated[str | None, typer.Option(help="Only this area.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable catalogue.")] = False,
) -> None:
    """List the whole check catalogue: id, area, severity, title."""
    language = choose_language(lang, "en")
    registry = PluginRegistry.build()
    selected = sorted((c for c in registry.catalogue.values() if area is None or c.area == area),
                      key=lambda c: (c.area, c.severity.rank, c.id))
    if as_json:
        sys.stdout.write(json.dumps([c.model_dump(mode="json") for c in selected], ensure_ascii=False, indent=1))
        sys.stdout.write("\n")
        return
    table = Table(show_header=True)
    columns = ("id", "domaine", "gravité", "intitulé") if language == "fr" else ("id", "area", "severity", "title")
    for column in columns:
        table.add_column(column)
    for check in selected:
        table.add_row(check.id, area_title(check.area, language), SEVERITY_LABELS[check.severity.value].get(language),
                      _escape(check.title.get(language)))
    Console().print(table)
    Console().print(f"{len(selected)} {'contrôles' if language == 'fr' else 'checks'}")


__all__ = ["STATUS_LABELS", "print_summary", "write_outputs"]

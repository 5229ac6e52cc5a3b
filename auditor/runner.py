"""Running an audit: collect evidence from every enabled plugin, then evaluate, score and plan.

Collection runs each plugin in its own daemon thread under its own timeout, so one hung or crashing plugin
never stops the audit: it gets a run record (`error`, `timeout`, `skipped`) with a reason, and its checks
become `not_assessed`.  Evaluation is a pure function of a bundle and a baseline: no network, no clock.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import logging
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ValidationError

from auditor import __version__
from auditor.bundle import EvidenceBundle, render_files
from auditor.errors import AuditorError, CredentialsMissing, EvidenceError, PluginError
from auditor.inventory import reconcile
from auditor.models import (
    AssetObservation,
    Audit,
    Check,
    CheckResult,
    EvidenceDocument,
    LocalizedText,
    PluginRun,
    Provenance,
    RunStatus,
    Status,
    utcnow,
)
from auditor.plugin_api import CollectContext, Collected, EvaluationContext, ScopeGuard
from auditor.pluginmanager import PluginRegistry
from auditor.profile import Baseline, Profile, baseline_parameters, load_baseline, profile_from_json
from auditor.roadmap import build_roadmap
from auditor.scoring import apply_accepted_risks, score
from auditor.secrets import REDACTOR

log = logging.getLogger(__name__)


class ProgressSink(Protocol):
    """Receives collection progress; the CLI shows it with rich, tests may record it."""

    def started(self, plugin: str) -> None: ...
    def message(self, plugin: str, text: str) -> None: ...
    def finished(self, run: PluginRun) -> None: ...


class SilentProgress:
    def started(self, plugin: str) -> None:
        pass

    def message(self, plugin: str, text: str) -> None:
        pass

    def finished(self, run: PluginRun) -> None:
        pass


@dataclass
class _Job:
    plugin: str
    context: CollectContext
    started_at: dt.datetime
    deadline: float
    thread: threading.Thread | None = None
    outcome: Collected | BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


def _redacted(text: str) -> str:
    return REDACTOR.redact(text)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, AuditorError):
        return _redacted(str(exc))
    return _redacted(f"{type(exc).__name__}: {exc}")


def collect(
    profile: Profile, registry: PluginRegistry, *, progress: ProgressSink | None = None
) -> tuple[EvidenceBundle, dict[str, bytes]]:
    """Collect evidence from every enabled plugin concurrently; returns the bundle and its file bytes."""
    progress = progress or SilentProgress()
    started_at = utcnow()
    authorisation = profile.authorisation
    valid = authorisation is not None and (authorisation.expires is None or authorisation.expires >= started_at.date())
    scope = ScopeGuard(
        authorisation.scope if authorisation else (),
        authorisation.reference if authorisation and valid else None,
        refusal=None if valid or authorisation is None else (
            f"the scan authorisation {authorisation.reference} expired on {authorisation.expires}; "
            "renew it before scanning"
        ),
    )
    jobs: list[_Job] = []
    for name in profile.enabled_plugins():
        settings = profile.plugins[name]
        context = CollectContext(
            plugin=name,
            settings=settings,
            profile_dir=profile.directory,
            scope=scope,
            client_id=profile.client.id,
        )
        context.progress = lambda text, _name=name: progress.message(_name, _redacted(text))
        job = _Job(name, context, utcnow(), time.monotonic() + settings.timeout_seconds)

        def work(job: _Job = job) -> None:
            try:
                job.outcome = registry.call(job.plugin, "auditor_collect", context=job.context)
            except BaseException as exc:
                job.outcome = exc
            finally:
                job.done.set()

        job.thread = threading.Thread(target=work, name=f"collect-{name}", daemon=True)
        progress.started(name)
        job.thread.start()
        jobs.append(job)

    runs: list[PluginRun] = []
    documents: dict[str, EvidenceDocument] = {}
    pending = list(jobs)
    while pending:
        for job in list(pending):
            remaining = job.deadline - time.monotonic()
            if not job.done.wait(timeout=max(0.0, min(remaining, 0.05))) and time.monotonic() < job.deadline:
                continue
            pending.remove(job)
            run, document = _finish(job, registry)
            if document is not None:
                documents[job.plugin] = document
            runs.append(run)
            progress.finished(run)

    finished_at = utcnow()
    return render_files(
        tool_version=__version__,
        client_id=profile.client.id,
        hostname=socket.gethostname(),
        operator=getpass.getuser(),
        started_at=started_at,
        finished_at=finished_at,
        profile_json=profile.canonical_json(),
        profile_digest=profile.digest(),
        runs=runs,
        documents=documents,
    )


def _finish(job: _Job, registry: PluginRegistry) -> tuple[PluginRun, EvidenceDocument | None]:
    version = registry.version_of(job.plugin)
    base = {"plugin": job.plugin, "version": version, "started_at": job.started_at, "finished_at": utcnow()}
    if not job.done.is_set():
        job.context.cancelled.set()
        seconds = job.context.settings.timeout_seconds
        return PluginRun(**base, status=RunStatus.timeout,
                         reason=f"collection did not finish within its {seconds:g} s timeout"), None
    outcome = job.outcome
    if isinstance(outcome, CredentialsMissing):
        return PluginRun(**base, status=RunStatus.skipped, reason=_describe(outcome)), None
    if isinstance(outcome, BaseException):
        if not isinstance(outcome, AuditorError):
            log.debug("plugin %s crashed", job.plugin, exc_info=outcome)
        return PluginRun(**base, status=RunStatus.error, reason=_describe(outcome)), None
    info = registry.infos[job.plugin]
    if not isinstance(outcome, Collected) or not isinstance(outcome.evidence, info.evidence_model):
        expected = f"Collected({info.evidence_model.__name__})"
        return PluginRun(**base, status=RunStatus.error,
                         reason=f"plugin returned {type(outcome).__name__}, not {expected}"), None
    collected_at = outcome.collected_at or base["finished_at"]
    if collected_at.tzinfo is None:
        collected_at = collected_at.replace(tzinfo=dt.UTC)
    document = EvidenceDocument(
        plugin=job.plugin,
        plugin_version=version,
        collected_at=collected_at,
        source=outcome.source,
        payload=outcome.evidence.model_dump(mode="json"),
    )
    return PluginRun(**base, status=RunStatus.ok, source=outcome.source), document


def _not_assessed(check: Check, en: str, fr: str, status: Status = Status.not_assessed) -> CheckResult:
    return CheckResult(check_id=check.id, status=status, reason=LocalizedText(en=en, fr=fr))


_RUN_REASONS = {
    RunStatus.skipped: ("Plugin skipped: {reason}", "Module ignoré : {reason}"),
    RunStatus.timeout: ("Plugin timed out: {reason}", "Délai dépassé : {reason}"),
    RunStatus.error: ("Collection failed: {reason}", "Échec de la collecte : {reason}"),
}


def load_evidence(bundle: EvidenceBundle, registry: PluginRegistry) -> tuple[dict[str, BaseModel], dict[str, str]]:
    """Validate each document against its plugin's evidence model; returns models and per-plugin problems."""
    models: dict[str, BaseModel] = {}
    problems: dict[str, str] = {}
    for name, document in bundle.documents.items():
        info = registry.infos.get(name)
        if info is None:
            problems[name] = f"plugin '{name}' is not installed"
            continue
        try:
            models[name] = info.evidence_model.model_validate(document.payload)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            problems[name] = f"evidence/{name}.json: payload.{where}: {first['msg']}"
    return models, problems


def evaluate(
    bundle: EvidenceBundle,
    registry: PluginRegistry,
    *,
    profile: Profile | None = None,
    baseline: Baseline | None = None,
) -> Audit:
    """Evaluate a bundle into a scored audit with its roadmap.  Needs no network and no live system."""
    profile = profile or profile_from_json(bundle.profile_json, registry, origin="profile.json in bundle")
    baseline = baseline or load_baseline(profile.baseline)
    collected_at = bundle.manifest.finished_at
    evidence, problems = load_evidence(bundle, registry)
    runs = {run.plugin: run for run in bundle.manifest.runs}

    observations: list[AssetObservation] = []
    for name in sorted(evidence):
        if registry.implements(name, "auditor_assets"):
            try:
                observations.extend(registry.call(name, "auditor_assets", evidence=evidence[name]) or [])
            except Exception as exc:
                problems[name] = f"listing assets failed: {_describe(exc)}"
    inventory = reconcile(observations)

    results: list[CheckResult] = []
    evaluation_runs: list[PluginRun] = []
    for name in profile.enabled_plugins():
        if name not in registry.infos:
            continue
        checks = [c for c in registry.checks_of(name) if baseline.enabled(c.id)]
        run = runs.get(name)
        if run is None or run.status is not RunStatus.ok or name not in evidence:
            if name in problems:
                reason = problems[name]
                status = Status.error
            elif run is None:
                reason, status = "no evidence was collected for this plugin", Status.not_assessed
            else:
                reason, status = run.reason or run.status.value, Status.not_assessed
            en, fr = _RUN_REASONS.get(run.status if run else RunStatus.error, _RUN_REASONS[RunStatus.error])
            results.extend(
                _not_assessed(c, en.format(reason=reason), fr.format(reason=reason), status) for c in checks
            )
            if name in problems:
                evaluation_runs.append(PluginRun(plugin=name, version=registry.version_of(name), phase="evaluate",
                                                 status=RunStatus.error, reason=problems[name]))
            continue
        info = registry.infos[name]
        context = EvaluationContext(
            plugin=name,
            now=bundle.documents[name].collected_at,
            parameters=baseline_parameters(baseline, name, info.parameters_model),
            inventory=inventory,
            other_evidence={p: evidence[p] for p in info.reads_evidence_of if p in evidence},
            settings=profile.plugins.get(name),
        )
        started = utcnow()
        try:
            produced = registry.call(name, "auditor_evaluate", evidence=evidence[name], context=context) or []
            plugin_results = _validate_results(name, produced, {c.id for c in registry.checks_of(name)}, registry)
            status, reason = RunStatus.ok, None
        except Exception as exc:
            plugin_results = []
            status, reason = RunStatus.error, _describe(exc)
        evaluation_runs.append(PluginRun(plugin=name, version=registry.version_of(name), phase="evaluate",
                                         status=status, reason=reason, started_at=started, finished_at=utcnow()))
        by_id = {r.check_id: r for r in plugin_results}
        for check in checks:
            if check.id in by_id:
                results.append(by_id[check.id])
            elif status is RunStatus.error:
                results.append(_not_assessed(check, f"Evaluation failed: {reason}", f"Échec de l'évaluation : {reason}",
                                             Status.error))
            else:
                results.append(_not_assessed(check, "The plugin produced no result for this check.",
                                             "Le module n'a produit aucun résultat pour ce contrôle."))

    risks = [r.model_copy(update={"check": registry.canonical_check_id(r.check)}) for r in profile.accepted_risks]
    results = apply_accepted_risks(results, risks, collected_at.date())
    results.sort(key=lambda r: r.check_id)
    catalogue = {c.id: c for c in registry.catalogue.values()}
    scores = score(catalogue, results, baseline)
    excluded = set(profile.contract.not_covered) | set(profile.contract.declined)
    if excluded:
        managed = score(catalogue, results, baseline,
                        include=lambda c: c.group not in excluded and c.id not in excluded)
        scores = scores.model_copy(update={"managed_overall": managed.overall, "managed_grade": managed.grade})
    roadmap = build_roadmap(catalogue, results, baseline, profile.contract,
                            start_date=profile.contract.start_date or collected_at.date())
    used_checks = tuple(sorted((catalogue[r.check_id] for r in results), key=lambda c: c.id))
    authorisation = profile.authorisation
    digest = bundle.digest
    audit_id = hashlib.sha256(f"{digest}:{baseline.name}:{baseline.version}".encode()).hexdigest()[:16]
    return Audit(
        id=f"{profile.client.id}-{collected_at:%Y%m%d-%H%M%S}-{audit_id[:8]}",
        client_id=profile.client.id,
        client_name=profile.client.name,
        msp_name=profile.msp.name,
        msp_contact=profile.msp.contact,
        msp_logo=str(profile.directory / profile.msp.logo) if profile.msp.logo and profile.source_path else (
            profile.msp.logo
        ),
        language=profile.client.language,
        collected_at=collected_at,
        evaluated_at=utcnow(),
        provenance=Provenance(
            tool_version=bundle.manifest.tool_version,
            hostname=bundle.manifest.hostname,
            operator=bundle.manifest.operator,
            profile_digest=bundle.manifest.profile_digest,
            bundle_digest=digest,
            baseline=baseline.name,
            baseline_version=baseline.version,
            authorisation=(
                {"reference": authorisation.reference, "signed_by": authorisation.signed_by,
                 "date": authorisation.date.isoformat()}
                if authorisation else {}
            ),
            scope=authorisation.scope if authorisation else (),
            baseline_snapshot=baseline.model_dump(mode="json"),
        ),
        runs=tuple(sorted(bundle.manifest.runs, key=lambda r: r.plugin)) + tuple(evaluation_runs),
        checks=used_checks,
        results=tuple(results),
        inventory=inventory,
        scores=scores,
        roadmap=roadmap,
    )


def _validate_results(
    plugin: str, produced: object, declared: set[str], registry: PluginRegistry
) -> list[CheckResult]:
    if not isinstance(produced, list | tuple):
        raise PluginError(f"plugin {plugin}: auditor_evaluate must return a list of CheckResult")
    seen: dict[str, CheckResult] = {}
    for result in produced:
        if not isinstance(result, CheckResult):
            raise PluginError(f"plugin {plugin}: auditor_evaluate returned {type(result).__name__}, not CheckResult")
        check_id = registry.canonical_check_id(result.check_id)
        if check_id not in declared:
            raise PluginError(f"plugin {plugin} returned a result for undeclared check '{result.check_id}'")
        if check_id in seen:
            raise PluginError(f"plugin {plugin} returned two results for check '{check_id}'")
        seen[check_id] = result if check_id == result.check_id else result.model_copy(update={"check_id": check_id})
    return list(seen.values())


def run_audit(
    profile: Profile, registry: PluginRegistry, *, progress: ProgressSink | None = None
) -> tuple[Audit, EvidenceBundle, dict[str, bytes]]:
    """Collect then evaluate: the whole audit in one call (what `auditor audit` does)."""
    bundle, files = collect(profile, registry, progress=progress)
    audit = evaluate(bundle, registry, profile=profile)
    return audit, bundle, files


def evidence_problems(bundle: EvidenceBundle, registry: PluginRegistry) -> Mapping[str, str]:
    """Problems found when loading a bundle's evidence, for `auditor evaluate` to report up front."""
    return load_evidence(bundle, registry)[1]


__all__ = ["EvidenceError", "collect", "evaluate", "run_audit"]

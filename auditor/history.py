"""Re-audits: what changed between two audits of a client, honestly, and how the roadmap advances.

An MSP re-audits each client monthly or quarterly and presents progress at the review meeting.  The
complaint this module answers: "if I had 100 issues, fix 10 and 20 new ones appear, it looks like I did
nothing".  So a diff never folds everything into one number:

* **Findings** are compared per check and per affected asset, and each lands in exactly one category:
  `resolved` (a finding before; assessed now and no longer a finding), `persisting` (a finding in both),
  `regressed` (now a finding on something the previous audit knew and found fine), `new` (now a finding on
  something the previous audit did not cover: a machine it never saw, or a check it did not assess),
  `accepted` (now covered by a live accepted risk: not a fix) and `unverified` (a finding before, but not
  assessed now: coverage was lost, so it is *not* counted as resolved).
* **Scores**: the new overall score and per-area deltas, and beside them the **baseline-scope score**: the
  new audit scored on the previous audit's checks and machines only, compared with the previous audit on
  the checks both assessed.  New machines and newly assessed checks change the overall score but not the
  baseline-scope score, so real progress stays visible.
* **Coverage changes** (checks assessed before and not now, or now and not before; machines new to or
  gone from the inventory) are listed as such, never as improvement or deterioration.
* **Roadmap items** keep their identity `RM-<remediation group>`; an item of the previous roadmap is
  `done` when all its acceptance checks pass now (by evidence), `open` while one still fails,
  `accepted` when what remains is accepted risk, `unverified` when an acceptance check could not be
  assessed; an item absent from the previous roadmap but present in an earlier one is `regressed` (it was
  done and its checks fail again); otherwise it is `new`.

What is "known to the previous audit": machine-type assets (`host`, `service`, `device`) are known when
the previous inventory or one of its findings named them (for a `service`, its host part); other assets
(accounts, groups, policies, jobs) are always counted as known, because an audit does not enumerate the
ones that were fine, so a newly failing account is a regression, never excused as "new scope".

Indicators for the review meeting come from the store's history index: findings recurring across
consecutive audits, the median time to remediate (first audit a finding was seen to the first later audit
that assessed the check and no longer found it; an upper bound, since the fix happened in between) and
critical findings per audit.

`carry_forward` makes a new audit a re-audit whose roadmap keeps the open items of the previous one with
their identity and target dates instead of starting afresh.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from auditor.errors import AuditorError
from auditor.models import (
    Audit,
    Check,
    CheckResult,
    Frozen,
    Language,
    LocalizedText,
    Roadmap,
    RoadmapItem,
    Severity,
    Status,
)
from auditor.profile import Baseline, BaselineSelection, load_baseline
from auditor.roadmap import month_end, phase_for_month
from auditor.scoring import score

FindingCategory = Literal["resolved", "persisting", "regressed", "new", "accepted", "unverified"]
ItemStatus = Literal["done", "open", "accepted", "unverified", "regressed", "new"]
CATEGORIES: tuple[FindingCategory, ...] = ("resolved", "regressed", "new", "persisting", "accepted", "unverified")
MACHINE_KINDS = frozenset({"host", "service", "device"})


class HistoryError(AuditorError):
    """Two audits that cannot be compared (another client, same audit...)."""


class FindingChange(Frozen):
    """One finding (a check on one asset; asset '' when the check names none) and what became of it."""

    check_id: str
    area: str
    severity: Severity
    asset: str = ""
    asset_kind: str = ""
    category: FindingCategory
    #: False when the asset was not known to the previous audit (a new machine).
    in_baseline_scope: bool = True
    #: A finding seen in an audit before the previous one, fixed since, and back now.
    reopened: bool = False


class CheckChange(Frozen):
    """One check's transition between the two audits."""

    check_id: str
    area: str
    severity: Severity
    title: LocalizedText
    category: FindingCategory
    old_status: str | None
    new_status: str | None
    old_share: float | None = None
    new_share: float | None = None
    old_affected: int = 0
    new_affected: int = 0


class CoverageChange(Frozen):
    """Something assessed in one audit and not in the other: shown as such, never as a score change."""

    check_id: str
    area: str
    title: LocalizedText
    change: Literal["newly_assessed", "no_longer_assessed"]
    old_status: str | None
    new_status: str | None
    reason: LocalizedText | None = None


class AreaDelta(Frozen):
    area: str
    old: float | None
    new: float | None
    delta: float | None


class ScoreDelta(Frozen):
    old_overall: float | None
    new_overall: float | None
    delta: float | None
    old_grade: str
    new_grade: str
    old_coverage: float
    new_coverage: float
    coverage_delta: float
    #: The new audit on the previous audit's checks and machines only.
    baseline_scope: float | None
    #: The previous audit on the checks both audits assessed (what baseline_scope compares with).
    baseline_scope_previous: float | None
    baseline_scope_delta: float | None
    areas: tuple[AreaDelta, ...] = ()
    #: Set when the baseline could not reproduce the audit's own score (older audits stored no baseline
    #: snapshot and the shipped file has changed since), so the baseline-scope figures are approximate.
    baseline_note: str | None = None


class ItemProgress(Frozen):
    id: str
    title: LocalizedText
    severity: Severity
    status: ItemStatus
    target_date: dt.date | None = None
    overdue: bool = False
    checks: tuple[str, ...] = ()
    failing_checks: tuple[str, ...] = ()
    remaining_assets: tuple[str, ...] = ()


class AssetChange(Frozen):
    name: str
    change: Literal["new", "gone"]
    role: str = "unknown"


class AuditDiff(Frozen):
    """Everything `auditor diff` prints and the re-audit report renders."""

    client_id: str
    client_name: str
    old_id: str
    new_id: str
    old_collected_at: dt.datetime
    new_collected_at: dt.datetime
    scores: ScoreDelta
    checks: tuple[CheckChange, ...] = ()
    findings: tuple[FindingChange, ...] = ()
    coverage: tuple[CoverageChange, ...] = ()
    assets: tuple[AssetChange, ...] = ()
    roadmap: tuple[ItemProgress, ...] = ()

    def of(self, category: FindingCategory) -> list[FindingChange]:
        return [f for f in self.findings if f.category == category]

    def counts(self) -> dict[str, int]:
        return {c: len(self.of(c)) for c in CATEGORIES}

    def items(self, status: ItemStatus) -> list[ItemProgress]:
        return [i for i in self.roadmap if i.status == status]


# -- comparing two audits -------------------------------------------------------------------------------


def _key(name: str) -> str:
    return name.strip().lower()


def _machine(name: str, kind: str) -> str:
    """The machine part of an asset name: `srv1:3389` -> `srv1`, `[::1]:22` -> `::1`."""
    if kind == "service" and ":" in name:
        host = name.rsplit(":", 1)[0]
        return _key(host.strip("[]"))
    return _key(name)


def _known_machines(audit: Audit) -> set[str] | None:
    """Machines the audit knew (inventory names and addresses, machine assets of its results)."""
    known: set[str] = set()
    for asset in audit.inventory:
        known.update(_key(n) for n in (asset.name, *asset.names, *asset.ips) if n)
        known.update(_key(n).split(".", 1)[0] for n in (asset.name, *asset.names) if n and not n[0].isdigit())
    for result in audit.results:
        for affected in result.affected:
            if affected.kind in MACHINE_KINDS:
                known.add(_machine(affected.name, affected.kind))
    return known or None


def _in_scope(name: str, kind: str, known: set[str] | None) -> bool:
    if kind not in MACHINE_KINDS or known is None or not name:
        return True
    machine = _machine(name, kind)
    return machine in known or machine.split(".", 1)[0] in known


def _assets(result: CheckResult | None) -> dict[str, tuple[str, str]]:
    if result is None:
        return {}
    return {_key(a.name): (a.name, a.kind) for a in result.affected}


def resolve_baseline(audit: Audit) -> Baseline:
    """The baseline an audit was scored with: its stored snapshot, else the shipped file of that name."""
    if audit.provenance.baseline_snapshot:
        try:
            return Baseline.model_validate(audit.provenance.baseline_snapshot)
        except ValueError:
            pass  # a snapshot from another version: fall back to the shipped file
    try:
        loaded = load_baseline(BaselineSelection(name=audit.provenance.baseline))
    except AuditorError:
        return Baseline(name=audit.provenance.baseline, version=audit.provenance.baseline_version)
    return loaded


def diff_audits(
    old: Audit,
    new: Audit,
    *,
    baseline: Baseline | None = None,
    earlier_findings: Iterable[tuple[str, str]] = (),
    earlier_roadmap_items: Iterable[str] = (),
) -> AuditDiff:
    """Compare two audits of one client (pure: no store, no clock but the audits' own dates).

    :param baseline: the baseline to score the baseline scope with (default: the new audit's, as shipped).
    :param earlier_findings: (check id, lower-cased asset) findings of audits before `old`, to flag
        findings that come back after a fix.
    :param earlier_roadmap_items: roadmap item ids of audits before `old`, to tell regressed items.
    """
    if old.client_id != new.client_id:
        raise HistoryError(f"audits {old.id} and {new.id} are of different clients "
                           f"({old.client_id}, {new.client_id})")
    if old.id == new.id:
        raise HistoryError(f"cannot compare audit {old.id} with itself")
    catalogue: dict[str, Check] = {c.id: c for c in old.checks}
    catalogue.update({c.id: c for c in new.checks})
    old_results = {r.check_id: r for r in old.results}
    new_results = {r.check_id: r for r in new.results}
    known = _known_machines(old)
    earlier = {(c, _key(a)) for c, a in earlier_findings}

    checks: list[CheckChange] = []
    findings: list[FindingChange] = []
    coverage: list[CoverageChange] = []
    for check_id in sorted(set(old_results) | set(new_results)):
        check = catalogue[check_id]
        o, n = old_results.get(check_id), new_results.get(check_id)
        o_assessed = o is not None and o.status.assessed
        n_assessed = n is not None and n.status.assessed
        o_finding = o is not None and o.is_finding
        n_finding = n is not None and n.is_finding
        if o_assessed != n_assessed:
            coverage.append(CoverageChange(
                check_id=check_id, area=check.area, title=check.title,
                change="newly_assessed" if n_assessed else "no_longer_assessed",
                old_status=o.status.value if o else None, new_status=n.status.value if n else None,
                reason=(n.reason if n is not None and not n_assessed else None),
            ))

        def add(category: FindingCategory, name: str, kind: str, *, scope: bool = True,
                check_id: str = check_id, check: Check = check) -> None:
            findings.append(FindingChange(
                check_id=check_id, area=check.area, severity=check.severity, asset=name, asset_kind=kind,
                category=category, in_baseline_scope=scope,
                reopened=category in ("new", "regressed") and (check_id, _key(name)) in earlier,
            ))

        old_assets, new_assets = _assets(o if o_finding else None), _assets(n if n_finding else None)
        category: FindingCategory | None = None
        if o_finding and not n_assessed:
            category = "unverified"
            for name, kind in old_assets.values() or [("", "")]:
                add("unverified", name, kind)
        elif o_finding and n is not None and n.status.assessed and not n_finding:
            accepted = n.accepted_risk is not None
            category = "accepted" if accepted else "resolved"
            for name, kind in old_assets.values() or [("", "")]:
                add(category, name, kind)
        elif o_finding and n_finding:
            category = "persisting"
            if not old_assets or not new_assets:
                add("persisting", "", "")  # one side names no asset: the check-level finding persists
            else:
                for key in sorted(set(old_assets) | set(new_assets)):
                    if key in old_assets and key in new_assets:
                        add("persisting", *new_assets[key])
                    elif key in old_assets:
                        add("resolved", *old_assets[key])
                    else:
                        name, kind = new_assets[key]
                        scope = _in_scope(name, kind, known)
                        add("regressed" if scope else "new", name, kind, scope=scope)
        elif n_finding:
            if not o_assessed:
                category = "new"
                for name, kind in new_assets.values() or [("", "")]:
                    add("new", name, kind, scope=False)
            else:
                scopes = {k: _in_scope(*v, known) for k, v in new_assets.items()}
                category = "regressed" if (not new_assets or any(scopes.values())) else "new"
                for key, (name, kind) in sorted(new_assets.items()) or [("", ("", ""))]:
                    scope = scopes.get(key, True)
                    add("regressed" if scope else "new", name, kind, scope=scope)
        if category is not None:
            checks.append(CheckChange(
                check_id=check_id, area=check.area, severity=check.severity, title=check.title,
                category=category, old_status=o.status.value if o else None,
                new_status=n.status.value if n else None, old_share=o.score_share if o else None,
                new_share=n.score_share if n else None, old_affected=len(o.affected) if o else 0,
                new_affected=len(n.affected) if n else 0,
            ))

    findings.sort(key=lambda f: (CATEGORIES.index(f.category), f.severity.rank, f.check_id, _key(f.asset)))
    checks.sort(key=lambda c: (CATEGORIES.index(c.category), c.severity.rank, c.check_id))
    return AuditDiff(
        client_id=new.client_id,
        client_name=new.client_name,
        old_id=old.id,
        new_id=new.id,
        old_collected_at=old.collected_at,
        new_collected_at=new.collected_at,
        scores=_score_delta(old, new, catalogue, baseline or resolve_baseline(new), known),
        checks=tuple(checks),
        findings=tuple(findings),
        coverage=tuple(coverage),
        assets=_asset_changes(old, new),
        roadmap=roadmap_progress(old, new, earlier_roadmap_items=earlier_roadmap_items),
    )


def baseline_scope_results(old: Audit, new: Audit, known: set[str] | None = None) -> list[CheckResult]:
    """The new audit's results restricted to the previous audit's scope.

    Only checks the previous audit assessed; findings lose the machines the previous audit did not know,
    and a finding left with no asset counts as passed within that scope.  (A partial result keeps its
    share: the share's denominator is not stored, so it cannot be recomputed.)
    """
    known = _known_machines(old) if known is None else known
    old_assessed = {r.check_id for r in old.results if r.status.assessed}
    out: list[CheckResult] = []
    for result in new.results:
        if result.check_id not in old_assessed:
            continue
        if result.is_finding and result.affected:
            kept = tuple(a for a in result.affected if _in_scope(a.name, a.kind, known))
            if not kept:
                result = result.model_copy(update={"status": Status.passed, "score_share": None, "affected": ()})
            elif len(kept) < len(result.affected):
                result = result.model_copy(update={"affected": kept})
        out.append(result)
    return out


def _score_delta(old: Audit, new: Audit, catalogue: Mapping[str, Check], baseline: Baseline,
                 known: set[str] | None) -> ScoreDelta:
    note = None
    check = score(catalogue, new.results, baseline).overall
    if check != new.scores.overall:
        note = (f"baseline '{baseline.name}' as shipped gives {check} for the new audit instead of its stored "
                f"{new.scores.overall} (profile overrides are not stored with audits): the baseline-scope "
                "figures are approximate")
    scoped = baseline_scope_results(old, new, known)
    both = {r.check_id for r in new.results if r.status.assessed} & {r.check_id for r in old.results
                                                                      if r.status.assessed}
    scope_new = score(catalogue, scoped, baseline).overall if scoped else None
    scope_old = score(catalogue, [r for r in old.results if r.check_id in both], baseline).overall if both else None
    old_areas = {a.area: a.score for a in old.scores.areas}
    new_areas = {a.area: a.score for a in new.scores.areas}
    areas = tuple(
        AreaDelta(area=a, old=old_areas.get(a), new=new_areas.get(a), delta=_minus(new_areas.get(a),
                                                                                     old_areas.get(a)))
        for a in sorted(set(old_areas) | set(new_areas))
    )
    return ScoreDelta(
        old_overall=old.scores.overall, new_overall=new.scores.overall,
        delta=_minus(new.scores.overall, old.scores.overall),
        old_grade=old.scores.grade, new_grade=new.scores.grade,
        old_coverage=old.scores.coverage, new_coverage=new.scores.coverage,
        coverage_delta=round(new.scores.coverage - old.scores.coverage, 1),
        baseline_scope=scope_new, baseline_scope_previous=scope_old,
        baseline_scope_delta=_minus(scope_new, scope_old), areas=areas, baseline_note=note,
    )


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 1)


def _asset_changes(old: Audit, new: Audit) -> tuple[AssetChange, ...]:
    if not old.inventory or not new.inventory:
        return ()
    old_keys = {_key(a.key): a for a in old.inventory}
    new_keys = {_key(a.key): a for a in new.inventory}
    changes = [AssetChange(name=a.name, change="new", role=a.role) for k, a in new_keys.items() if k not in old_keys]
    changes += [AssetChange(name=a.name, change="gone", role=a.role) for k, a in old_keys.items() if k not in new_keys]
    return tuple(sorted(changes, key=lambda c: (c.change, _key(c.name))))


def roadmap_progress(old: Audit, new: Audit, *, earlier_roadmap_items: Iterable[str] = ()) -> tuple[ItemProgress,
                                                                                                   ...]:
    """Verify the previous roadmap against the new evidence (see the module docstring for the statuses)."""
    results = {r.check_id: r for r in new.results}
    on = new.collected_at.date()
    out: list[ItemProgress] = []
    old_ids = {i.id for i in old.roadmap.items}
    for item in old.roadmap.items:
        acceptance = item.acceptance_checks or item.checks
        current = [results.get(c) for c in acceptance]
        failing = tuple(c for c, r in zip(acceptance, current, strict=True) if r is not None and r.is_finding)
        if failing:
            status: ItemStatus = "open"
        elif any(r is None or not r.status.assessed for r in current):
            status = "unverified"
        elif any(r.accepted_risk is not None for r in current if r is not None):
            status = "accepted"
        else:
            status = "done"
        remaining = sorted({a.name for c in failing for a in results[c].affected})
        out.append(ItemProgress(
            id=item.id, title=item.title, severity=item.severity, status=status, target_date=item.target_date,
            overdue=status in ("open", "unverified") and item.target_date is not None and item.target_date < on,
            checks=tuple(acceptance), failing_checks=failing, remaining_assets=tuple(remaining),
        ))
    earlier = set(earlier_roadmap_items)
    for item in new.roadmap.items:
        if item.id in old_ids:
            continue
        out.append(ItemProgress(
            id=item.id, title=item.title, severity=item.severity,
            status="regressed" if item.id in earlier else "new", target_date=item.target_date,
            checks=item.acceptance_checks or item.checks, failing_checks=item.checks,
            remaining_assets=item.assets,
        ))
    order = ("done", "regressed", "open", "unverified", "accepted", "new")
    return tuple(sorted(out, key=lambda i: (order.index(i.status), i.severity.rank, i.id)))


# -- the store side ----------------------------------------------------------------------------------------


def compare(store: object, new_id: str, old_id: str | None = None, *, baseline: Baseline | None = None) -> AuditDiff:
    """`auditor diff`: compare two stored audits; OLD defaults to the audit before NEW of the same client."""
    from auditor.store import Store

    assert isinstance(store, Store)
    new_full, client_id = store.locate(new_id)
    entries = store.history(client_id)
    position = {e.id: i for i, e in enumerate(entries)}
    if old_id is None:
        index = position[new_full]
        if index == 0:
            raise HistoryError(f"audit {new_full} is the first audit of client '{client_id}': nothing to compare "
                               "it with")
        old_full = entries[index - 1].id
    else:
        old_full = store.resolve(old_id)
        if old_full not in position:
            raise HistoryError(f"audit {old_full} is not an audit of client '{client_id}' (the client of {new_full})")
    old, new = store.get(old_full), store.get(new_full)
    before = [e.id for e in entries if e.collected_at < old.collected_at and e.id != old_full]
    earlier_findings = {(f.check_id, f.asset) for f in store.findings(client_id, before)} if before else set()
    earlier_items = {r.item_id for r in store.roadmap_items(client_id, before)} if before else set()
    return diff_audits(old, new, baseline=baseline, earlier_findings=earlier_findings,
                       earlier_roadmap_items=earlier_items)


class TrendPoint(Frozen):
    audit_id: str
    collected_at: dt.datetime
    kind: str
    overall: float | None
    grade: str
    coverage: float
    areas: dict[str, float | None]
    findings: int
    critical_findings: int


class RecurringFinding(Frozen):
    check_id: str
    asset: str
    severity: Severity
    consecutive_audits: int


class Indicators(Frozen):
    """The review meeting's figures over a client's whole history (up to one audit)."""

    trend: tuple[TrendPoint, ...]
    #: Current findings present in at least two consecutive audits, longest streak first.
    recurring: tuple[RecurringFinding, ...] = ()
    recurring_count: int = 0
    #: Findings that were fixed once and came back later, over the whole history.
    reopened_count: int = 0
    median_days_to_remediate: float | None = None
    remediated_count: int = 0


def indicators(store: object, client_id: str, *, up_to: str | None = None, top: int = 10) -> Indicators:
    """Compute the indicators from the store's history index (no audit document is parsed)."""
    from auditor.store import Store

    assert isinstance(store, Store)
    entries = store.history(client_id)
    if up_to is not None:
        last = store.resolve(up_to)
        entries = entries[: next(i for i, e in enumerate(entries) if e.id == last) + 1]
    return indicators_from_rows(entries, store.findings(client_id), store.results(client_id), top=top)


def indicators_from_rows(entries: Sequence, findings: Iterable, results: Iterable, *, top: int = 10) -> Indicators:
    """Pure part of `indicators`: from summaries (oldest first), finding rows and result rows."""
    order = [e.id for e in entries]
    position = {audit_id: i for i, audit_id in enumerate(order)}
    present: dict[tuple[str, str], set[int]] = {}
    severity: dict[tuple[str, str], str] = {}
    names: dict[tuple[str, str], str] = {}
    for row in findings:
        if row.audit_id not in position:
            continue
        key = (row.check_id, _key(row.asset))
        present.setdefault(key, set()).add(position[row.audit_id])
        severity[key] = row.severity
        names[key] = row.asset
    assessed: dict[str, set[int]] = {}
    for row in results:
        if row.audit_id in position and row.status in ("pass", "fail", "partial"):
            assessed.setdefault(row.check_id, set()).add(position[row.audit_id])
    recurring: list[RecurringFinding] = []
    durations: list[float] = []
    reopened = 0
    last = len(order) - 1
    for key, seen in present.items():
        if last in seen:
            streak = 0
            while last - streak in seen:
                streak += 1
            if streak >= 2:
                recurring.append(RecurringFinding(check_id=key[0], asset=names[key],
                                                  severity=Severity(severity[key]), consecutive_audits=streak))
        start: int | None = None
        closed_once = False
        for index in range(len(order)):
            if index in seen:
                if start is None:
                    start = index
                    if closed_once:
                        reopened += 1
            elif start is not None and index in assessed.get(key[0], set()):
                days = (entries[index].collected_at - entries[start].collected_at).total_seconds() / 86400
                durations.append(days)
                start, closed_once = None, True
    recurring.sort(key=lambda r: (-r.consecutive_audits, r.severity.rank, r.check_id, _key(r.asset)))
    trend = tuple(
        TrendPoint(audit_id=e.id, collected_at=e.collected_at, kind=e.kind, overall=e.score, grade=e.grade,
                   coverage=e.coverage, areas=dict(e.area_scores), findings=e.findings_count or 0,
                   critical_findings=e.critical_findings or 0)
        for e in entries
    )
    return Indicators(
        trend=trend, recurring=tuple(recurring[:top]), recurring_count=len(recurring), reopened_count=reopened,
        median_days_to_remediate=round(statistics.median(durations), 1) if durations else None,
        remediated_count=len(durations),
    )


# -- re-audit roadmap ----------------------------------------------------------------------------------


def carry_forward(previous: Audit, current: Audit) -> Audit:
    """Make `current` a re-audit of `previous`: its roadmap keeps the previous plan's open items.

    Items still needed now (same id `RM-<group>`) keep their identity, phase, target month and target
    date from the previous roadmap (the promise made to the client) while their checks, assets, effort and
    price follow the new evidence; an overdue item is named in the roadmap's warnings.  Items done since
    are gone.  New items are planned after the carried ones: carried effort is counted first, then new
    items fill the contract's monthly hours from the re-audit's month (critical ones in phase 1).  The plan
    keeps the previous start date so target months stay comparable.  An item that cannot be verified (an
    acceptance check was not assessed this time) is kept as it was, with a warning.
    """
    if previous.client_id != current.client_id:
        raise HistoryError(f"cannot carry the roadmap of client '{previous.client_id}' forward to "
                           f"'{current.client_id}'")
    if previous.collected_at >= current.collected_at:
        raise HistoryError(f"audit {previous.id} was not collected before {current.id}")
    roadmap = current.roadmap
    start = previous.roadmap.start_date
    reaudit_month = current.collected_at.date()
    offset = (reaudit_month.year - start.year) * 12 + reaudit_month.month - start.month
    carried: list[RoadmapItem] = []
    warnings = list(roadmap.warnings)
    now = {i.id: i for i in roadmap.items}
    unverified = {p.id for p in roadmap_progress(previous, current) if p.status == "unverified"}
    for old in previous.roadmap.items:
        item = now.get(old.id)
        if item is None and old.id in unverified:
            carried.append(old)  # cannot be verified this time: still open as far as anyone knows
            warnings.append(f"{old.id}: not verified (an acceptance check could not be assessed); kept open")
        elif item is None or not (item.in_contract and old.in_contract):
            continue
        else:
            carried.append(item.model_copy(update={"phase": old.phase, "target_month": old.target_month,
                                                   "target_date": old.target_date}))
        if old.target_date is not None and old.target_date < reaudit_month and old.in_contract:
            warnings.append(f"{old.id}: overdue (target date {old.target_date.isoformat()})")
    carried_ids = {i.id for i in carried}
    fresh = [i for i in roadmap.items if i.id not in carried_ids]
    hours = sum(i.effort_hours for i in carried)
    monthly = roadmap.monthly_hours
    planned: list[RoadmapItem] = []
    for item in fresh:
        if not item.in_contract:
            planned.append(item)
            continue
        hours += item.effort_hours
        month = max(1, math.ceil(round(hours / monthly, 6))) if monthly > 0 else 1
        phase = 1 if item.severity is Severity.critical else phase_for_month(month)
        target = offset + month
        planned.append(item.model_copy(update={"phase": phase, "target_month": target,
                                               "target_date": month_end(start, target)}))
    items = tuple(carried + planned)
    in_contract = [i for i in items if i.in_contract]
    new_roadmap = Roadmap(
        items=items, hourly_rate=roadmap.hourly_rate, currency=roadmap.currency, monthly_hours=monthly,
        start_date=start, total_hours=round(sum(i.effort_hours for i in in_contract), 2),
        total_price=round(sum(i.price for i in in_contract), 2), warnings=tuple(warnings),
    )
    return current.model_copy(update={"kind": "re-audit", "roadmap": new_roadmap})


def prepare_reaudit(store: object, audit: Audit) -> Audit:
    """What `auditor audit`/`evaluate` call before saving: a re-audit when the store holds an earlier audit."""
    from auditor.store import Store

    assert isinstance(store, Store)
    previous = store.latest_before(audit.client_id, audit.collected_at, exclude=audit.id)
    return carry_forward(previous, audit) if previous is not None else audit


# -- plain language -----------------------------------------------------------------------------------


def _n(value: float | None, lang: Language, signed: bool = False) -> str:
    if value is None:
        return "n/a" if lang == "en" else "n. d."
    text = f"{value:+.1f}" if signed else f"{value:.1f}"
    return text.replace(".", ",") if lang == "fr" else text


def summary_lines(diff: AuditDiff, lang: Language) -> list[str]:
    """The diff in plain sentences for a non-technical reader (CLI text output and the re-audit report)."""
    s, c = diff.scores, diff.counts()
    fr = lang == "fr"
    lines = []
    lines.append(
        (f"Score global : {_n(s.old_overall, lang)} → {_n(s.new_overall, lang)} ({_n(s.delta, lang, True)}), "
         f"note {s.old_grade} → {s.new_grade}.") if fr else
        (f"Overall score: {_n(s.old_overall, lang)} → {_n(s.new_overall, lang)} ({_n(s.delta, lang, True)}), "
         f"grade {s.old_grade} → {s.new_grade}.")
    )
    lines.append(
        (f"Sur le périmètre de l'audit précédent (mêmes contrôles, mêmes machines), le score passe de "
         f"{_n(s.baseline_scope_previous, lang)} à {_n(s.baseline_scope, lang)} "
         f"({_n(s.baseline_scope_delta, lang, True)}) : c'est la mesure des progrès réalisés.") if fr else
        (f"On the scope of the previous audit (same checks, same machines), the score went from "
         f"{_n(s.baseline_scope_previous, lang)} to {_n(s.baseline_scope, lang)} "
         f"({_n(s.baseline_scope_delta, lang, True)}): this is the measure of the progress made.")
    )
    new_machines = sum(1 for f in diff.of("new") if not f.in_baseline_scope and f.asset)
    lines.append(
        (f"{c['resolved']} constat(s) corrigé(s), {c['regressed']} dégradation(s) sur le périmètre connu, "
         f"{c['new']} nouveau(x) constat(s) (dont {new_machines} sur des machines ou contrôles nouveaux), "
         f"{c['persisting']} constat(s) toujours présent(s).") if fr else
        (f"{c['resolved']} finding(s) resolved, {c['regressed']} regression(s) on the known scope, "
         f"{c['new']} new finding(s) ({new_machines} on machines or checks not covered before), "
         f"{c['persisting']} persisting.")
    )
    if c["accepted"]:
        lines.append(f"{c['accepted']} constat(s) couvert(s) par un risque accepté (ce n'est pas une correction)."
                     if fr else f"{c['accepted']} finding(s) now covered by an accepted risk (not a fix).")
    gained = sum(1 for x in diff.coverage if x.change == "newly_assessed")
    lost = sum(1 for x in diff.coverage if x.change == "no_longer_assessed")
    lines.append(
        (f"Couverture : {_n(s.old_coverage, lang)} % → {_n(s.new_coverage, lang)} % ; {gained} contrôle(s) "
         f"évalué(s) pour la première fois, {lost} qui n'ont pas pu l'être cette fois. Leurs constats "
         f"({c['unverified']}) ne sont pas comptés comme corrigés.") if fr else
        (f"Coverage: {_n(s.old_coverage, lang)} % → {_n(s.new_coverage, lang)} %; {gained} check(s) assessed "
         f"for the first time, {lost} that could not be assessed this time. Their findings "
         f"({c['unverified']}) are not counted as resolved.")
    )
    done, open_, regressed = diff.items("done"), diff.items("open"), diff.items("regressed")
    overdue = sum(1 for i in open_ if i.overdue)
    unverifiable = len(diff.items("unverified"))
    lines.append(
        (f"Feuille de route : {len(done)} action(s) vérifiée(s) terminée(s), {len(open_)} encore ouverte(s) "
         f"(dont {overdue} en retard), {unverifiable} impossible(s) à vérifier cette fois, "
         f"{len(regressed)} régressée(s), {len(diff.items('new'))} nouvelle(s).")
        if fr else
        (f"Roadmap: {len(done)} item(s) verified done, {len(open_)} still open ({overdue} overdue), "
         f"{unverifiable} could not be verified this time, {len(regressed)} regressed, "
         f"{len(diff.items('new'))} new.")
    )
    return lines

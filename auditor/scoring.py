"""The scoring model, documented in docs/scoring.md (a test reproduces its worked example by hand).

Points of a check = severity points x exploitability factor x baseline weight.  A pass earns them all, a
fail none, a partial its share.  `not_assessed` and `error` leave the denominator (and lower coverage
instead).  Accepted risks stay in the denominator, earn nothing, and are not failures until they expire.
An area scores earned / applicable x 100; the overall score is the weighted mean of the scored areas; a
failing critical check caps the grade.  Everything is summed in check-id order so the same inputs always
give the same floats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

from auditor.models import AcceptedRisk, AreaScore, Check, CheckResult, Scores, Severity, Status
from auditor.profile import GRADES, Baseline


def check_points(check: Check, baseline: Baseline) -> float:
    """How many points a check is worth under a baseline."""
    scoring = baseline.scoring
    return (
        scoring.points.get(check.severity, 0.0)
        * scoring.exploitability.get(check.exploitability, 1.0)
        * baseline.weight(check.id)
    )


def grade_for(score: float | None, baseline: Baseline) -> str:
    if score is None:
        return "-"
    for grade, lowest in sorted(baseline.scoring.grade_bands.items(), key=lambda kv: -kv[1]):
        if score >= lowest:
            return grade
    return GRADES[-1]


def apply_accepted_risks(
    results: Iterable[CheckResult], risks: Iterable[AcceptedRisk], on: dt.date
) -> list[CheckResult]:
    """Mark results covered by an accepted risk; an expired acceptance leaves the failure standing.

    A risk without assets covers the whole check.  A risk naming assets removes those assets from the
    finding; only when no affected asset remains is the whole result accepted.
    """
    by_check: dict[str, list[AcceptedRisk]] = {}
    for risk in risks:
        by_check.setdefault(risk.check, []).append(risk)
    out: list[CheckResult] = []
    for result in results:
        candidates = by_check.get(result.check_id, [])
        if not candidates or result.status not in (Status.failed, Status.partial):
            out.append(result)
            continue
        live = [r for r in candidates if r.expires >= on]
        expired = len(live) < len(candidates)
        whole = next((r for r in live if not r.assets), None)
        if whole is not None:
            out.append(result.model_copy(update={"accepted_risk": whole}))
            continue
        covered = {name.lower() for r in live for name in r.assets}
        remaining = tuple(a for a in result.affected if a.name.lower() not in covered)
        accepted = tuple(a for a in result.affected if a.name.lower() in covered)
        used = tuple(r for r in live if {n.lower() for n in r.assets} & {a.name.lower() for a in accepted})
        if covered and result.affected and not remaining:
            out.append(result.model_copy(update={"accepted_risk": used[0], "asset_acceptances": used}))
        elif accepted:
            out.append(result.model_copy(update={"affected": remaining, "acceptance_expired": expired,
                                                 "accepted_assets": accepted, "asset_acceptances": used}))
        else:
            out.append(result.model_copy(update={"acceptance_expired": expired}))
    return out


def score(
    catalogue: Mapping[str, Check],
    results: Iterable[CheckResult],
    baseline: Baseline,
    *,
    include: Callable[[Check], bool] | None = None,
) -> Scores:
    """Score results against a baseline; `include` restricts to a scope (e.g. what the contract covers)."""
    ordered = sorted(results, key=lambda r: r.check_id)
    per_area: dict[str, dict[str, float]] = {}
    capped_by: list[str] = []
    assessed = total = 0
    for result in ordered:
        check = catalogue[result.check_id]
        if include is not None and not include(check):
            continue
        area = per_area.setdefault(
            check.area,
            {"earned": 0.0, "applicable": 0.0, "assessed": 0, "total": 0, "failed": 0, "partial": 0,
             "passed": 0, "accepted": 0, "not_assessed": 0},
        )
        area["total"] += 1
        total += 1
        if not result.status.assessed:
            area["not_assessed"] += 1
            continue
        area["assessed"] += 1
        assessed += 1
        points = check_points(check, baseline)
        area["applicable"] += points
        if result.accepted_risk is not None:
            area["accepted"] += 1
        elif result.status is Status.passed:
            area["earned"] += points
            area["passed"] += 1
        elif result.status is Status.partial:
            area["earned"] += points * (result.score_share or 0.0)
            area["partial"] += 1
        else:
            area["failed"] += 1
            if check.severity is Severity.critical:
                capped_by.append(check.id)
    areas: list[AreaScore] = []
    weighted = weights = 0.0
    for name in sorted(per_area):
        figures = per_area[name]
        area_score = figures["earned"] / figures["applicable"] * 100 if figures["applicable"] > 0 else None
        areas.append(
            AreaScore(
                area=name,
                score=None if area_score is None else round(area_score, 1),
                earned=round(figures["earned"], 4),
                applicable=round(figures["applicable"], 4),
                assessed_checks=int(figures["assessed"]),
                total_checks=int(figures["total"]),
                failed=int(figures["failed"]),
                partial=int(figures["partial"]),
                passed=int(figures["passed"]),
                accepted=int(figures["accepted"]),
                not_assessed=int(figures["not_assessed"]),
            )
        )
        if area_score is not None:
            weight = baseline.area_weight(name)
            weighted += area_score * weight
            weights += weight
    overall = round(weighted / weights, 1) if weights > 0 else None
    grade_before_cap = grade_for(overall, baseline)
    grade = grade_before_cap
    cap = baseline.scoring.critical_grade_cap
    if capped_by and grade != "-" and GRADES.index(grade) < GRADES.index(cap):
        grade = cap
    return Scores(
        overall=overall,
        grade=grade,
        grade_before_cap=grade_before_cap,
        capped_by=tuple(capped_by),
        coverage=round(assessed / total * 100, 1) if total else 0.0,
        assessed_checks=assessed,
        total_checks=total,
        areas=tuple(areas),
    )

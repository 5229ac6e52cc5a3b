"""Turning findings into a priced, phased improvement plan for the maintenance contract.

Documented in docs/roadmap.md.  In short: every finding (failed or partial, not accepted) joins the
roadmap item of its remediation group; an item's effort is the largest fixed effort of its checks plus a
per-asset effort; its score gain is how much the overall score rises when its checks pass; its priority is
score gain per hour.  Critical items come first, then by priority; dependencies are pulled ahead of what
needs them; items are laid month by month within the contract's monthly hours and given a phase
(1: critical items and month 1, 2: months 2-3, 3: months 4-6, 4: later; 0: outside the contract).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Mapping, Sequence

from auditor.models import Check, CheckResult, LocalizedText, Roadmap, RoadmapItem, Severity, Status
from auditor.profile import Baseline, Contract
from auditor.scoring import score

OUTSIDE_CONTRACT = 0


def phase_for_month(month: int) -> int:
    """Month 1 is days 0-30, months 2-3 are 30-90 days, 4-6 are 90-180, anything later is phase 4."""
    if month <= 1:
        return 1
    if month <= 3:
        return 2
    if month <= 6:
        return 3
    return 4


_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre")


def _month_fr(day: dt.date) -> str:
    return f"{_MONTHS_FR[day.month - 1]} {day.year}"


def month_end(start: dt.date, months: int) -> dt.date:
    """The last day of the month `months` months after `start`'s month (month 1 = start's month)."""
    year = start.year + (start.month - 1 + months - 1) // 12
    month = (start.month - 1 + months - 1) % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _item_title(lead: Check, checks: list[Check]) -> LocalizedText:
    """An item that fixes several checks is named after all of them (worst first), not after one only."""
    ordered = [lead, *sorted((c for c in checks if c.id != lead.id), key=lambda c: (c.severity.rank, c.id))]
    if len(ordered) == 1:
        return lead.title
    return LocalizedText(en=" · ".join(dict.fromkeys(c.title.en for c in ordered)),
                         fr=" · ".join(dict.fromkeys(c.title.fr for c in ordered)))


def build_roadmap(
    catalogue: Mapping[str, Check],
    results: Sequence[CheckResult],
    baseline: Baseline,
    contract: Contract,
    *,
    start_date: dt.date,
) -> Roadmap:
    findings = [r for r in results if r.is_finding]
    groups: dict[str, list[CheckResult]] = {}
    for result in sorted(findings, key=lambda r: r.check_id):
        groups.setdefault(catalogue[result.check_id].group, []).append(result)

    current = score(catalogue, results, baseline).overall or 0.0
    excluded = set(contract.not_covered) | set(contract.declined)
    drafts: list[dict] = []
    for group, members in sorted(groups.items()):
        checks = [catalogue[r.check_id] for r in members]
        assets = sorted({a.name for r in members for a in r.affected})
        effort = max(c.effort_hours for c in checks) + max(c.effort_per_asset_hours for c in checks) * len(assets)
        effort = round(effort, 2)
        member_ids = {r.check_id for r in members}
        improved = [
            r.model_copy(update={"status": Status.passed, "score_share": None}) if r.check_id in member_ids else r
            for r in results
        ]
        gain = round((score(catalogue, improved, baseline).overall or 0.0) - current, 2)
        worst = min((c.severity for c in checks), key=lambda s: s.rank)
        lead = min(checks, key=lambda c: (c.severity.rank, c.id))
        in_contract = group not in excluded and not (member_ids & excluded)
        drafts.append(
            {
                "id": f"RM-{group}",
                "group": group,
                "lead": lead,
                "checks": tuple(sorted(member_ids)),
                "assets": tuple(assets),
                "effort": effort,
                "gain": max(gain, 0.0),
                "severity": worst,
                "depends": sorted({d for c in checks for d in c.depends_on if d in groups and d != group}),
                "in_contract": in_contract,
            }
        )

    for draft in drafts:
        draft["priority"] = round(draft["gain"] / draft["effort"], 4) if draft["effort"] > 0 else draft["gain"]
    by_group = {d["group"]: d for d in drafts}
    ranked = sorted(
        drafts, key=lambda d: (d["severity"] is not Severity.critical, -d["priority"], d["severity"].rank, d["id"])
    )
    ordered: list[dict] = []
    placed: set[str] = set()

    def place(draft: dict, trail: tuple[str, ...] = ()) -> None:
        if draft["group"] in placed or draft["group"] in trail:
            return  # already planned, or a dependency cycle (planned in rank order instead)
        for dependency in draft["depends"]:
            place(by_group[dependency], (*trail, draft["group"]))
        placed.add(draft["group"])
        ordered.append(draft)

    for draft in ranked:
        place(draft)

    items: list[RoadmapItem] = []
    warnings: list[LocalizedText] = []
    hours_so_far = 0.0
    critical_groups = {d["group"] for d in drafts if d["severity"] is Severity.critical}
    # A dependency of a critical item must be done in phase 1 as well.
    for draft in ordered:
        if draft["group"] in critical_groups:
            critical_groups.update(draft["depends"])
    for draft in ordered:
        lead: Check = draft["lead"]
        if draft["in_contract"]:
            hours_so_far += draft["effort"]
            target_month = max(1, math.ceil(round(hours_so_far / contract.monthly_hours, 6)))
            phase = 1 if draft["group"] in critical_groups else phase_for_month(target_month)
            target_date = month_end(start_date, target_month)
            if phase == 1 and target_month > 1:
                end = target_date
                hours = f"{contract.monthly_hours:g}"
                warnings.append(LocalizedText(
                    en=f"“{lead.title.en}” ({draft['effort']:g} h) is critical but cannot be done in the first month "
                       f"with {hours} contract hours a month: it would end in {end:%B %Y}. Add hours to the "
                       "contract (or a one-off intervention) to remove this risk sooner.",
                    fr=f"« {lead.title.fr} » ({draft['effort']:g} h) est critique mais ne tient pas dans le premier "
                       f"mois avec {hours} h de contrat par mois : fin prévue en {_month_fr(end)}. Prévoir des heures "
                       "supplémentaires (ou une intervention ponctuelle) pour supprimer ce risque plus tôt.",
                ))
        else:
            target_month, phase, target_date = None, OUTSIDE_CONTRACT, None
        items.append(
            RoadmapItem(
                id=draft["id"],
                remediation_group=draft["group"],
                title=_item_title(lead, [catalogue[c] for c in draft["checks"]]),
                remediation=lead.remediation,
                severity=draft["severity"],
                checks=draft["checks"],
                assets=draft["assets"],
                effort_hours=draft["effort"],
                price=round(draft["effort"] * contract.hourly_rate, 2),
                score_gain=draft["gain"],
                priority=draft["priority"],
                depends_on=tuple(f"RM-{d}" for d in draft["depends"]),
                phase=phase,
                target_month=target_month,
                target_date=target_date,
                in_contract=draft["in_contract"],
                acceptance_checks=draft["checks"],
            )
        )
    planned = [i for i in items if i.in_contract]
    return Roadmap(
        items=tuple(items),
        hourly_rate=contract.hourly_rate,
        currency=contract.currency,
        monthly_hours=contract.monthly_hours,
        start_date=start_date,
        total_hours=round(sum(i.effort_hours for i in planned), 2),
        total_price=round(sum(i.price for i in planned), 2),
        warnings=tuple(w.en for w in warnings),
        warnings_localized=tuple(warnings),
    )

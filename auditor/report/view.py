"""Read-only views over an `Audit` that the report, the annex and the exports share.

They answer the questions every renderer asks (which results are findings, in what order, which roadmap
item fixes a check, which month an item lands in), so the PDF and the CSV never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from auditor.i18n import AREA_TITLES
from auditor.models import Audit, Check, CheckResult, Exploitability, RoadmapItem, Status
from auditor.roadmap import month_end

_EXPOSURE_ORDER = {Exploitability.exposed: 0, Exploitability.lateral: 1, Exploitability.hygiene: 2}
_STATUS_ORDER = {"fail": 0, "partial": 1, "accepted": 2, "error": 3, "not_assessed": 4, "pass": 5}


def display_status(result: CheckResult) -> str:
    """The status a reader sees: an accepted risk is shown as such, whatever the raw status."""
    return "accepted" if result.accepted_risk is not None else result.status.value


class AuditView:
    """Indexes over one audit; cheap to build, built once per rendering."""

    def __init__(self, audit: Audit) -> None:
        self.audit = audit
        self.checks: dict[str, Check] = {c.id: c for c in audit.checks}
        self.item_of_check: dict[str, RoadmapItem] = {}
        for item in audit.roadmap.items:
            for check_id in item.checks:
                self.item_of_check.setdefault(check_id, item)

    def check(self, check_id: str) -> Check | None:
        return self.checks.get(check_id)

    def area_of(self, result: CheckResult) -> str:
        check = self.checks.get(result.check_id)
        return check.area if check else result.check_id.split(".", 1)[0]

    def areas(self) -> list[str]:
        """Areas in the report's fixed order (the six built-in ones first), then any plugin-defined ones."""
        present = {a.area for a in self.audit.scores.areas} | {self.area_of(r) for r in self.audit.results}
        known = [a for a in AREA_TITLES if a in present]
        return known + sorted(present - set(known))

    def results_in(self, area: str) -> list[CheckResult]:
        return sorted((r for r in self.audit.results if self.area_of(r) == area), key=self.result_order)

    def result_order(self, result: CheckResult) -> tuple:
        check = self.checks.get(result.check_id)
        severity = check.severity.rank if check else 9
        exposure = _EXPOSURE_ORDER.get(check.exploitability, 3) if check else 3
        return (_STATUS_ORDER.get(display_status(result), 9), severity, exposure, result.check_id)

    def findings(self) -> list[CheckResult]:
        """Open weaknesses (failed or partial, not accepted), worst first: severity, exposure, then reach."""
        found = [r for r in self.audit.results if r.is_finding]

        def key(result: CheckResult) -> tuple:
            check = self.checks.get(result.check_id)
            severity = check.severity.rank if check else 9
            exposure = _EXPOSURE_ORDER.get(check.exploitability, 3) if check else 3
            return (severity, exposure, result.status is not Status.failed, -len(result.affected), result.check_id)

        return sorted(found, key=key)

    def area_score(self, area: str) -> float | None:
        for figures in self.audit.scores.areas:
            if figures.area == area:
                return figures.score
        return None

    def item_month(self, item: RoadmapItem) -> dt.date | None:
        """The target month of an item (its target date, or derived from the roadmap's start)."""
        if item.target_date is not None:
            return item.target_date
        if item.target_month is None:
            return None
        return month_end(self.audit.roadmap.start_date, item.target_month)

    def planned_items(self) -> list[RoadmapItem]:
        return [i for i in self.audit.roadmap.items if i.in_contract]

    def phases(self) -> list[tuple[int, list[RoadmapItem]]]:
        """Items grouped by phase: 1-4 in order, then phase 0 (outside the contract) last."""
        groups: dict[int, list[RoadmapItem]] = {}
        for item in self.audit.roadmap.items:
            groups.setdefault(item.phase, []).append(item)
        order = sorted(p for p in groups if p != 0) + ([0] if 0 in groups else [])
        return [(p, groups[p]) for p in order]

    def month_plan(self) -> list[tuple[int, list[tuple[RoadmapItem, float]]]]:
        """Work month by month: the contract's monthly hours filled with the planned items in roadmap order,
        so an item larger than a month appears in every month it is worked on (the roadmap's target month
        is the month it finishes, computed the same way)."""
        capacity = self.audit.roadmap.monthly_hours
        months: dict[int, list[tuple[RoadmapItem, float]]] = {}
        start = 0.0
        for item in self.planned_items():
            if item.target_month is None or item.effort_hours <= 0:
                continue
            end = start + item.effort_hours
            month = int(start // capacity) + 1
            while (month - 1) * capacity < end - 1e-9:
                low, high = max(start, (month - 1) * capacity), min(end, month * capacity)
                if high - low > 1e-9:
                    months.setdefault(month, []).append((item, round(high - low, 2)))
                month += 1
            start = end
        return sorted(months.items())

    def check_titles(self, check_ids: Iterable[str], lang: str) -> list[str]:
        out = []
        for check_id in check_ids:
            check = self.checks.get(check_id)
            out.append(check.title.get(lang) if check else check_id)  # type: ignore[arg-type]
        return out

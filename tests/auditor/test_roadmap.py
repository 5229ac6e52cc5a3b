"""The roadmap worked example of docs/roadmap.md and the planning rules, computed by hand."""

from __future__ import annotations

import datetime as dt

from auditor.profile import Baseline, Contract
from auditor.roadmap import build_roadmap, month_end, phase_for_month
from tests.auditor.test_scoring import BASELINE, CATALOGUE, example_results
from tests.factories import check, result

CONTRACT = Contract(hourly_rate=90, monthly_hours=4, start_date=dt.date(2026, 12, 1))


def catalogue_with_efforts() -> dict:
    catalogue = dict(CATALOGUE)
    catalogue["ports.a1"] = catalogue["ports.a1"].model_copy(update={"effort_hours": 2, "effort_per_asset_hours": 0.5})
    catalogue["mfa.b1"] = catalogue["mfa.b1"].model_copy(update={"effort_hours": 4, "effort_per_asset_hours": 0.25})
    return catalogue


def test_worked_example() -> None:
    roadmap = build_roadmap(catalogue_with_efforts(), example_results(), BASELINE, CONTRACT,
                            start_date=dt.date(2026, 12, 1))
    first, second = roadmap.items
    assert first.id == "RM-ports.a1"
    assert (first.effort_hours, first.price, first.score_gain) == (3.0, 270.0, 24.2)
    assert round(first.priority, 2) == 8.07
    assert (first.phase, first.target_month, first.target_date) == (1, 1, dt.date(2026, 12, 31))
    assert first.acceptance_checks == ("ports.a1",) and first.assets == ("10.0.0.1", "10.0.0.2")
    assert second.id == "RM-mfa.b1"
    assert (second.effort_hours, second.price, second.score_gain, second.priority) == (5.0, 450.0, 4.7, 0.94)
    assert (second.phase, second.target_month, second.target_date) == (2, 2, dt.date(2027, 1, 31))
    assert (roadmap.total_hours, roadmap.total_price) == (8.0, 720.0)
    assert roadmap.warnings == ()


def test_shared_remediation_merges_items_and_dependencies_come_first() -> None:
    catalogue = {c.id: c for c in [
        check("x.rdp_external", "critical", "exposed", remediation_group="x.close_rdp", effort_hours=1),
        check("x.rdp_internal", "medium", "lateral", remediation_group="x.close_rdp", effort_hours=2),
        check("x.laps", "low", effort_hours=4),
        check("x.local_admins", "high", effort_hours=1, depends_on=("x.laps",)),
    ]}
    results = [
        result("x.rdp_external", "fail", assets=("203.0.113.10:3389",)),
        result("x.rdp_internal", "fail", assets=("10.0.0.5:3389", "203.0.113.10:3389")),
        result("x.laps", "fail"),
        result("x.local_admins", "fail"),
    ]
    roadmap = build_roadmap(catalogue, results, Baseline(name="b", version="1"),
                            Contract(hourly_rate=100, monthly_hours=10), start_date=dt.date(2026, 11, 20))
    ids = [i.id for i in roadmap.items]
    assert ids == ["RM-x.close_rdp", "RM-x.laps", "RM-x.local_admins"]
    rdp = roadmap.items[0]
    assert rdp.checks == ("x.rdp_external", "x.rdp_internal")
    assert rdp.title.en == "title of x.rdp_external · title of x.rdp_internal"
    assert rdp.assets == ("10.0.0.5:3389", "203.0.113.10:3389")
    assert rdp.effort_hours == 2 and rdp.severity.value == "critical"
    assert roadmap.items[2].depends_on == ("RM-x.laps",)


def test_critical_work_beyond_the_first_month_warns_and_stays_in_phase_one() -> None:
    catalogue = {c.id: c for c in [check("y.a", "critical", effort_hours=6), check("y.b", "critical", effort_hours=6)]}
    roadmap = build_roadmap(catalogue, [result("y.a", "fail"), result("y.b", "fail")], Baseline(name="b", version="1"),
                            Contract(hourly_rate=50, monthly_hours=8), start_date=dt.date(2026, 1, 15))
    assert [(i.phase, i.target_month) for i in roadmap.items] == [(1, 1), (1, 2)]
    assert len(roadmap.warnings) == 1 and "title of y.b" in roadmap.warnings[0]
    [warning] = roadmap.warnings_localized
    assert "8 contract hours a month" in warning.en and "February 2026" in warning.en
    assert "« title of y.b (fr) » (6 h) est critique" in warning.fr and "février 2026" in warning.fr


def test_items_outside_the_contract_stay_visible_but_unplanned() -> None:
    catalogue = {c.id: c for c in [check("z.a", "high", effort_hours=2), check("z.b", "high", effort_hours=3)]}
    roadmap = build_roadmap(catalogue, [result("z.a", "fail"), result("z.b", "fail")], Baseline(name="b", version="1"),
                            Contract(hourly_rate=100, monthly_hours=10, declined=("z.b",)),
                            start_date=dt.date(2026, 1, 1))
    declined = next(i for i in roadmap.items if i.id == "RM-z.b")
    assert (declined.in_contract, declined.phase, declined.target_month, declined.price) == (False, 0, None, 300.0)
    assert roadmap.total_hours == 2 and roadmap.total_price == 200


def test_phase_and_month_end_boundaries() -> None:
    assert [phase_for_month(m) for m in (1, 2, 3, 4, 6, 7, 12)] == [1, 2, 2, 3, 3, 4, 4]
    assert month_end(dt.date(2026, 12, 1), 3) == dt.date(2027, 2, 28)
    assert month_end(dt.date(2028, 1, 31), 2) == dt.date(2028, 2, 29)

"""The worked example of docs/scoring.md, with its figures computed by hand in the document."""

from __future__ import annotations

import datetime as dt

import pytest

from auditor.models import AcceptedRisk
from auditor.profile import Baseline, CheckOverride
from auditor.scoring import apply_accepted_risks, score
from tests.factories import check, result

BASELINE = Baseline(
    name="example", version="1", area_weights={"ports": 1.5, "mfa": 1.0, "edr": 1.2},
    checks={"mfa.b2": CheckOverride(weight=2)},
)
CATALOGUE = {c.id: c for c in [
    check("ports.a1", "critical", "exposed"),
    check("ports.a2", "medium", "lateral"),
    check("ports.a3", "high"),
    check("ports.a4", "high", "lateral"),
    check("mfa.b1", "high", "exposed"),
    check("mfa.b2", "low"),
    check("mfa.b3", "medium"),
    check("edr.c1", "high"),
    check("edr.c2", "medium"),
]}
RISK = AcceptedRisk(check="mfa.b3", justification="legacy app", accepted_by="Hélène Durand",
                    expires=dt.date(2027, 6, 30))
AUDIT_DAY = dt.date(2026, 11, 20)


def example_results() -> list:
    return apply_accepted_risks([
        result("ports.a1", "fail", assets=("10.0.0.1", "10.0.0.2")),
        result("ports.a2", "pass"),
        result("ports.a3", "not_assessed"),
        result("ports.a4", "pass"),
        result("mfa.b1", "partial", share=0.75, assets=("u1", "u2", "u3", "u4")),
        result("mfa.b2", "pass"),
        result("mfa.b3", "fail"),
        result("edr.c1", "pass"),
        result("edr.c2", "pass"),
    ], [RISK], AUDIT_DAY)


def test_worked_example_matches_the_documented_figures() -> None:
    scores = score(CATALOGUE, example_results(), BASELINE)
    areas = {a.area: a for a in scores.areas}
    assert areas["ports"].earned == 13.5 and areas["ports"].applicable == 33.5
    assert areas["ports"].score == 40.3
    assert areas["mfa"].earned == 11 and areas["mfa"].applicable == 17
    assert areas["mfa"].score == 64.7
    assert areas["edr"].score == 100.0
    assert scores.overall == 66.3
    assert scores.grade_before_cap == "C"
    assert scores.grade == "D"
    assert scores.capped_by == ("ports.a1",)
    assert scores.coverage == 88.9
    assert (scores.assessed_checks, scores.total_checks) == (8, 9)
    assert areas["mfa"].accepted == 1 and areas["ports"].not_assessed == 1


def test_same_inputs_give_identical_scores_in_any_order() -> None:
    results = example_results()
    assert score(CATALOGUE, results, BASELINE) == score(CATALOGUE, list(reversed(results)), BASELINE)


def test_expired_acceptance_turns_back_into_a_failure() -> None:
    later = dt.date(2027, 7, 1)
    results = apply_accepted_risks([result("mfa.b3", "fail")], [RISK], later)
    assert results[0].accepted_risk is None and results[0].acceptance_expired
    assert results[0].is_finding


def test_acceptance_of_some_assets_keeps_the_others_failing() -> None:
    risk = AcceptedRisk(check="ports.a1", assets=("10.0.0.1",), justification="vendor VPN", accepted_by="IT",
                        expires=dt.date(2027, 1, 1))
    [partial] = apply_accepted_risks([result("ports.a1", "fail", assets=("10.0.0.1", "10.0.0.2"))], [risk], AUDIT_DAY)
    assert [a.name for a in partial.affected] == ["10.0.0.2"] and partial.accepted_risk is None
    assert [a.name for a in partial.accepted_assets] == ["10.0.0.1"] and partial.asset_acceptances == (risk,)
    [whole] = apply_accepted_risks([result("ports.a1", "fail", assets=("10.0.0.1",))], [risk], AUDIT_DAY)
    assert whole.accepted_risk == risk and not whole.is_finding


def test_nothing_assessed_gives_no_score_and_zero_coverage() -> None:
    scores = score(CATALOGUE, [result("ports.a3", "not_assessed"), result("edr.c1", "error")], BASELINE)
    assert scores.overall is None and scores.grade == "-" and scores.coverage == 0.0


def test_accepted_critical_does_not_cap_the_grade() -> None:
    risk = AcceptedRisk(check="ports.a1", justification="decommissioned next week", accepted_by="IT",
                        expires=dt.date(2027, 1, 1))
    results = apply_accepted_risks([result("ports.a1", "fail"), result("ports.a2", "pass")], [risk], AUDIT_DAY)
    scores = score(CATALOGUE, results, BASELINE)
    # 4.5 earned of 24.5 applicable: the accepted check earns nothing but no longer caps the grade.
    assert scores.overall == pytest.approx(18.4)
    assert scores.capped_by == ()

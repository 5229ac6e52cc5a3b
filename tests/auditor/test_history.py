"""Diff engine, carry-forward and indicators on hand-built audits with known differences.

Three audits of one client (A: June, B: September, C: December) are written by hand; scores and roadmaps
come from the real core (`score`, `build_roadmap`).  Every expected set and figure below is worked out by
hand in the comments (default points: critical 10, high 6, medium 3, low 1; exposed x2, lateral x1.5).
"""

from __future__ import annotations

import datetime as dt

import pytest

from auditor.history import (
    HistoryError,
    baseline_scope_results,
    carry_forward,
    diff_audits,
    summary_lines,
)
from auditor.models import (
    AcceptedRisk,
    AffectedAsset,
    Asset,
    Audit,
    CheckResult,
    LocalizedText,
    Provenance,
    Status,
)
from auditor.profile import Baseline, Contract
from auditor.roadmap import build_roadmap
from auditor.scoring import score
from tests.factories import check

BASELINE = Baseline(name="test-baseline", version="1")
CONTRACT = Contract(hourly_rate=100.0, currency="EUR", monthly_hours=2, start_date=dt.date(2026, 6, 1))
CATALOGUE = (
    check("ports.rdp", "critical", "exposed", area="ports", remediation_group="ports.close_risky"),  # 20 pts
    check("ports.telnet", "high", "lateral", area="ports", remediation_group="ports.close_risky"),  # 9 pts
    check("accounts.stale", "medium", area="accounts"),  # 3 pts
    check("accounts.policy", "high", area="accounts"),  # 6 pts
    check("backup.servers", "high", area="backup"),  # 6 pts
    check("backup.restore", "low", area="backup"),  # 1 pt
    check("edr.coverage", "high", area="edr"),  # 6 pts
)
KINDS = {"ports": "service", "accounts": "account", "backup": "host", "edr": "host"}
A_DATE = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
B_DATE = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
C_DATE = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _result(check_id: str, status: str, assets: tuple[str, ...] = (), share: float | None = None,
            accepted: bool = False) -> CheckResult:
    kind = KINDS[check_id.split(".")[0]]
    reason = LocalizedText(en="could not read", fr="lecture impossible") if status == "not_assessed" else None
    risk = (AcceptedRisk(check=check_id, justification="known and accepted", accepted_by="the manager",
                         expires=dt.date(2030, 1, 1)) if accepted else None)
    return CheckResult(check_id=check_id, status=Status(status), score_share=share, reason=reason,
                       affected=tuple(AffectedAsset(name=a, kind=kind) for a in assets), accepted_risk=risk)


def make(audit_id: str, when: dt.datetime, results: list[CheckResult], machines: tuple[str, ...],
         client: str = "acme") -> Audit:
    catalogue = {c.id: c for c in CATALOGUE}
    results = sorted(results, key=lambda r: r.check_id)
    return Audit(
        id=audit_id, client_id=client, client_name="Acme & Fils", collected_at=when,
        evaluated_at=when + dt.timedelta(minutes=1),
        provenance=Provenance(tool_version="0.1.0", hostname="collector", operator="tech", profile_digest="p" * 64,
                              bundle_digest=audit_id.ljust(64, "0")[:64], baseline="test-baseline",
                              baseline_version="1"),
        runs=(), checks=CATALOGUE, results=tuple(results),
        inventory=tuple(Asset(key=m, name=m, names=(m,), role="server") for m in machines),
        scores=score(catalogue, results, BASELINE),
        roadmap=build_roadmap(catalogue, results, BASELINE, CONTRACT, start_date=CONTRACT.start_date),
    )


def audit_a(client: str = "acme") -> Audit:
    return make(f"{client}-a", A_DATE, [
        _result("ports.rdp", "fail", ("srv1:3389",)),
        _result("ports.telnet", "fail", ("srv2:23",)),
        _result("accounts.stale", "fail", ("alice", "bob")),
        _result("accounts.policy", "fail"),
        _result("backup.servers", "fail", ("srv1", "srv2")),
        _result("backup.restore", "pass"),
        _result("edr.coverage", "not_assessed"),
    ], ("srv1", "srv2", "wks1"), client)


def audit_b(client: str = "acme") -> Audit:
    return make(f"{client}-b", B_DATE, [
        _result("ports.rdp", "pass"),
        _result("ports.telnet", "not_assessed"),
        _result("accounts.stale", "fail", ("bob", "carol")),
        _result("accounts.policy", "pass"),
        _result("backup.servers", "fail", ("srv3",)),  # srv3 is a machine A never saw
        _result("backup.restore", "fail"),
        _result("edr.coverage", "partial", ("wks1",), share=0.5),
    ], ("srv1", "srv2", "wks1", "srv3"), client)


def audit_c(client: str = "acme") -> Audit:
    return make(f"{client}-c", C_DATE, [
        _result("ports.rdp", "fail", ("srv1:3389",)),  # back after the fix seen in B
        _result("ports.telnet", "pass"),
        _result("accounts.stale", "fail", ("bob",)),
        _result("accounts.policy", "pass"),
        _result("backup.servers", "pass"),
        _result("backup.restore", "pass"),
        _result("edr.coverage", "pass"),
    ], ("srv1", "srv2", "wks1", "srv3"), client)


def pairs(diff, category):
    return {(f.check_id, f.asset) for f in diff.of(category)}


def test_scores_of_the_hand_built_audits() -> None:
    # A: ports 0/29, accounts 0/9, backup 1/7 = 14.29, edr not assessed -> (0 + 0 + 14.29) / 3 = 4.8
    # B: ports 20/20 (telnet not assessed) = 100, accounts 6/9 = 66.67, backup 0/7, edr 3/6 = 50 -> 54.2
    assert audit_a().scores.overall == 4.8
    assert audit_b().scores.overall == 54.2
    assert audit_a().scores.coverage == audit_b().scores.coverage == 85.7


def test_findings_per_asset_land_in_exactly_one_category() -> None:
    diff = diff_audits(audit_a(), audit_b(), baseline=BASELINE)
    assert pairs(diff, "resolved") == {("ports.rdp", "srv1:3389"), ("accounts.stale", "alice"),
                                       ("accounts.policy", ""), ("backup.servers", "srv1"),
                                       ("backup.servers", "srv2")}
    assert pairs(diff, "persisting") == {("accounts.stale", "bob")}
    # carol is an account: accounts are never excused as new scope; backup.restore passed in A
    assert pairs(diff, "regressed") == {("accounts.stale", "carol"), ("backup.restore", "")}
    # srv3 is a machine A never saw; edr.coverage was not assessed in A
    assert pairs(diff, "new") == {("backup.servers", "srv3"), ("edr.coverage", "wks1")}
    # telnet could not be assessed in B: its finding is NOT counted as resolved
    assert pairs(diff, "unverified") == {("ports.telnet", "srv2:23")}
    assert pairs(diff, "accepted") == set()
    assert {f.asset for f in diff.findings if not f.in_baseline_scope} == {"srv3", "wks1"}
    assert not any(f.reopened for f in diff.findings)


def test_per_check_categories() -> None:
    diff = diff_audits(audit_a(), audit_b(), baseline=BASELINE)
    assert {c.check_id: c.category for c in diff.checks} == {
        "ports.rdp": "resolved", "ports.telnet": "unverified", "accounts.stale": "persisting",
        "accounts.policy": "resolved", "backup.servers": "persisting", "backup.restore": "regressed",
        "edr.coverage": "new",
    }
    stale = next(c for c in diff.checks if c.check_id == "accounts.stale")
    assert (stale.old_affected, stale.new_affected) == (2, 2)


def test_score_deltas_and_baseline_scope() -> None:
    diff = diff_audits(audit_a(), audit_b(), baseline=BASELINE)
    s = diff.scores
    assert (s.old_overall, s.new_overall, s.delta) == (4.8, 54.2, 49.4)
    assert (s.old_grade, s.new_grade) == ("F", "D")
    assert {a.area: (a.old, a.new, a.delta) for a in s.areas} == {
        "accounts": (0.0, 66.7, 66.7), "backup": (14.3, 0.0, -14.3), "edr": (None, 50.0, None),
        "ports": (0.0, 100.0, 100.0),
    }
    # Baseline scope: A's checks (not edr) and machines (not srv3): backup.servers passes within that
    # scope -> ports 100, accounts 66.67, backup 6/7 = 85.71 -> 84.1.  Compared with A on the checks both
    # assessed (telnet left out): ports 0/20, accounts 0/9, backup 1/7 -> 4.8.
    assert (s.baseline_scope, s.baseline_scope_previous, s.baseline_scope_delta) == (84.1, 4.8, 79.3)
    assert s.baseline_note is None
    scoped = {r.check_id: r.status.value for r in baseline_scope_results(audit_a(), audit_b())}
    assert scoped == {"ports.rdp": "pass", "ports.telnet": "not_assessed", "accounts.stale": "fail",
                      "accounts.policy": "pass", "backup.servers": "pass", "backup.restore": "fail"}


def test_coverage_changes_are_reported_as_such() -> None:
    diff = diff_audits(audit_a(), audit_b(), baseline=BASELINE)
    assert {(c.check_id, c.change) for c in diff.coverage} == {("edr.coverage", "newly_assessed"),
                                                               ("ports.telnet", "no_longer_assessed")}
    lost = next(c for c in diff.coverage if c.change == "no_longer_assessed")
    assert lost.reason is not None and lost.reason.en == "could not read"
    assert diff.scores.coverage_delta == 0.0
    assert {(a.name, a.change) for a in diff.assets} == {("srv3", "new")}


def test_roadmap_items_are_verified_by_their_acceptance_checks() -> None:
    old = audit_a()
    assert {i.id for i in old.roadmap.items} == {"RM-ports.close_risky", "RM-accounts.stale", "RM-accounts.policy",
                                                 "RM-backup.servers"}
    diff = diff_audits(old, audit_b(), baseline=BASELINE, earlier_roadmap_items=["RM-backup.restore"])
    status = {i.id: i.status for i in diff.roadmap}
    assert status == {
        "RM-accounts.policy": "done",  # its check passes now
        "RM-ports.close_risky": "unverified",  # rdp passes but telnet was not assessed
        "RM-accounts.stale": "open", "RM-backup.servers": "open",
        "RM-backup.restore": "regressed",  # on an earlier roadmap, absent from A's: done, and failing again
        "RM-edr.coverage": "new",
    }
    stale = next(i for i in diff.roadmap if i.id == "RM-accounts.stale")
    assert stale.remaining_assets == ("bob", "carol") and stale.overdue  # target 2026-06-30 < 2026-09-01
    plain = diff_audits(old, audit_b(), baseline=BASELINE)
    assert {i.id for i in plain.roadmap if i.status == "regressed"} == set()


def test_accepted_risk_is_not_a_fix() -> None:
    b = make("acme-b2", B_DATE, [
        _result("ports.rdp", "fail", ("srv1:3389",), accepted=True),
        _result("ports.telnet", "pass"), _result("accounts.stale", "pass"), _result("accounts.policy", "pass"),
        _result("backup.servers", "pass"), _result("backup.restore", "pass"), _result("edr.coverage", "pass"),
    ], ("srv1", "srv2", "wks1"))
    diff = diff_audits(audit_a(), b, baseline=BASELINE)
    assert pairs(diff, "accepted") == {("ports.rdp", "srv1:3389")}
    assert ("ports.rdp", "srv1:3389") not in pairs(diff, "resolved")
    assert {i.id: i.status for i in diff.roadmap}["RM-ports.close_risky"] == "accepted"


def test_reopened_findings_are_flagged_from_earlier_history() -> None:
    diff = diff_audits(audit_b(), audit_c(), baseline=BASELINE,
                       earlier_findings=[("ports.rdp", "SRV1:3389"), ("ports.telnet", "srv2:23")])
    rdp = [f for f in diff.findings if f.check_id == "ports.rdp"]
    assert [(f.category, f.asset, f.reopened) for f in rdp] == [("regressed", "srv1:3389", True)]
    assert pairs(diff, "resolved") == {("accounts.stale", "carol"), ("backup.servers", "srv3"),
                                       ("backup.restore", ""), ("edr.coverage", "wks1")}
    assert pairs(diff, "persisting") == {("accounts.stale", "bob")}
    # telnet assessed again and passing: coverage regained, but it was not a finding in B, so no category
    assert {(c.check_id, c.change) for c in diff.coverage} == {("ports.telnet", "newly_assessed")}


def test_refuses_audits_of_different_clients_or_the_same_audit() -> None:
    with pytest.raises(HistoryError, match="different clients"):
        diff_audits(audit_a(), audit_b("other"))
    with pytest.raises(HistoryError, match="itself"):
        diff_audits(audit_a(), audit_a())


def test_baseline_note_when_the_shipped_baseline_does_not_reproduce_the_score() -> None:
    heavy = Baseline(name="test-baseline", version="1", area_weights={"ports": 5.0})
    diff = diff_audits(audit_a(), audit_b(), baseline=heavy)
    assert diff.scores.baseline_note is not None and "approximate" in diff.scores.baseline_note


def test_carry_forward_keeps_identity_and_target_dates() -> None:
    a, b = audit_a(), audit_b()
    targets = {i.id: i.target_date for i in a.roadmap.items}
    assert set(targets.values()) == {dt.date(2026, 6, 30), dt.date(2026, 7, 31)}
    carried = carry_forward(a, b)
    assert carried.kind == "re-audit" and carried.id == b.id and carried.results == b.results
    items = {i.id: i for i in carried.roadmap.items}
    # open items keep A's identity and dates; the unverified one is kept as it was; done ones are gone
    assert {i.id for i in carried.roadmap.items[:3]} == {"RM-accounts.stale", "RM-backup.servers",
                                                        "RM-ports.close_risky"}
    for item_id in ("RM-accounts.stale", "RM-backup.servers", "RM-ports.close_risky"):
        assert items[item_id].target_date == targets[item_id]
    assert "RM-accounts.policy" not in items
    # the open items follow the new evidence: stale accounts are now bob and carol
    assert items["RM-accounts.stale"].assets == ("bob", "carol")
    # new items after the 3 h carried (2 h a month), months counted from the re-audit (September = month 4):
    # edr.coverage (gain 12.5/h) at 4 h -> month 2 -> October; backup.restore at 5 h -> month 3 -> November
    assert (items["RM-edr.coverage"].target_date, items["RM-edr.coverage"].phase) == (dt.date(2026, 10, 31), 2)
    assert items["RM-backup.restore"].target_date == dt.date(2026, 11, 30)
    assert carried.roadmap.start_date == a.roadmap.start_date
    assert carried.roadmap.total_hours == 5.0 and carried.roadmap.total_price == 500.0
    assert any(w.startswith("RM-accounts.stale: overdue") for w in carried.roadmap.warnings)
    assert any(w.startswith("RM-ports.close_risky: not verified") for w in carried.roadmap.warnings)


def test_carry_forward_is_transitive_and_refuses_wrong_order() -> None:
    a, b, c = audit_a(), audit_b(), audit_c()
    b2 = carry_forward(a, b)
    c2 = carry_forward(b2, c)
    items = {i.id: i for i in c2.roadmap.items}
    targets = {i.id: i.target_date for i in a.roadmap.items}
    # rdp fails again in C: RM-ports.close_risky was carried through B, so it keeps A's date, as does the
    # stale-accounts item (open in A, B and C)
    assert items["RM-ports.close_risky"].target_date == targets["RM-ports.close_risky"]
    assert items["RM-accounts.stale"].target_date == targets["RM-accounts.stale"]
    with pytest.raises(HistoryError):
        carry_forward(b, a)
    with pytest.raises(HistoryError):
        carry_forward(a, audit_b("other"))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_plain_language_summary(lang: str) -> None:
    lines = summary_lines(diff_audits(audit_a(), audit_b(), baseline=BASELINE), lang)  # type: ignore[arg-type]
    text = "\n".join(lines)
    if lang == "en":
        assert "Overall score: 4.8 → 54.2 (+49.4), grade F → D." in text
        assert "from 4.8 to 84.1 (+79.3)" in text
        assert "5 finding(s) resolved, 2 regression(s) on the known scope, 2 new finding(s)" in text
        assert "Their findings (1) are not counted as resolved." in text
        assert ("1 item(s) verified done, 2 still open (2 overdue), 1 could not be verified this time, "
                "0 regressed, 2 new.") in text
    else:
        assert "Score global : 4,8 → 54,2 (+49,4), note F → D." in text
        assert "5 constat(s) corrigé(s), 2 dégradation(s)" in text
        assert "ne sont pas comptés comme corrigés" in text

"""Exports: stable CSV columns, formula neutralisation of client text, the Excel variant, roadmap JSON and the
OCSF Compliance Finding shape."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.exports import (
    FINDING_COLUMNS,
    ROADMAP_COLUMNS,
    finding_records,
    findings_csv,
    findings_ocsf,
    neutralise,
    roadmap_csv,
    roadmap_document,
    roadmap_json,
    to_csv,
)
from auditor.models import AffectedAsset
from tests.report.factory import HOSTILE_FORMULA, HOSTILE_NAME, make_audit


def parse(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


def test_neutralise_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r", "\n", "＝"):
        assert neutralise(f"{start}cmd|' /C calc'!A0") == f"'{start}cmd|' /C calc'!A0"
    for harmless in ("SRV-01", "Bob = admin", "", "'quoted", "10.0.0.1"):
        assert neutralise(harmless) == harmless


def test_roadmap_csv_columns_and_rows() -> None:
    audit = make_audit()
    text = roadmap_csv(audit, "en")
    assert text.splitlines()[0] == ",".join(ROADMAP_COLUMNS)
    rows = parse(text)
    assert [r["ItemId"] for r in rows] == [i.id for i in audit.roadmap.items]
    first = rows[0]
    item = audit.roadmap.items[0]
    assert first["Title"] == item.title.en
    assert first["EffortHours"] == f"{item.effort_hours:g}"
    assert first["Price"] == f"{item.price:g}"
    assert first["Currency"] == "EUR"
    assert first["TargetDate"] == item.target_date.isoformat()
    assert first["InContract"] == "true"
    stale = next(r for r in rows if r["ItemId"] == "RM-account_hygiene.stale_accounts")
    assert stale["AssetCount"] == "19"
    assert HOSTILE_NAME in stale["Assets"].split(" | ")
    # Complete list, every name kept; inside a cell (not at its start) a formula is inert text.
    assert HOSTILE_FORMULA in stale["Assets"].split(" | ")


def test_client_supplied_text_is_neutralised_in_every_text_column() -> None:
    audit = make_audit().model_copy(update={"client_name": "=1+2", "client_id": "x"})
    results = tuple(
        r.model_copy(update={"affected": (AffectedAsset(name="+SUM(A1)", kind="host", detail="@evil"),
                                          AffectedAsset(name=HOSTILE_FORMULA, kind="host", detail="-2"))})
        if r.check_id == "backup.unprotected_servers" else r for r in audit.results)
    audit = audit.model_copy(update={"results": results})
    findings = parse(findings_csv(audit, "fr"))
    assert {r["ClientName"] for r in findings} == {"'=1+2"}
    rows = [r for r in findings if r["CheckId"] == "backup.unprotected_servers"]
    assert [(r["AssetName"], r["AssetDetail"]) for r in rows] == [("'+SUM(A1)", "'@evil"),
                                                                  ("'" + HOSTILE_FORMULA, "'-2")]
    for row in findings:
        for column in FINDING_COLUMNS:
            assert not row[column].startswith(("=", "+", "@", "\t", "\r")), (column, row[column])
    roadmap_rows = parse(roadmap_csv(audit, "fr"))
    assert {r["ClientName"] for r in roadmap_rows} == {"'=1+2"}


def test_excel_variant_for_french_spreadsheets() -> None:
    audit = make_audit()
    text = roadmap_csv(audit, "fr", excel=True)
    assert text.startswith("\ufeffAuditId;ClientId;")
    rows = parse(text, ";")
    item = next(i for i in audit.roadmap.items if not float(i.effort_hours).is_integer())
    row = next(r for r in rows if r["ItemId"] == item.id)
    assert row["EffortHours"] == f"{item.effort_hours:g}".replace(".", ",")
    assert row["PhaseLabel"].startswith("Phase ")
    assert row["Title"] == item.title.fr


def test_findings_csv_has_one_row_per_affected_asset() -> None:
    audit = make_audit()
    records = finding_records(audit, "en")
    expected = sum(max(1, len(r.affected)) for r in audit.results)
    assert len(records) == expected
    eol = [r for r in records if r["CheckId"] == "patch_level.eol_os"]
    assert [r["AssetName"] for r in eol] == ["SRV-FILE01", "WKS-0001", "WKS-0002", "WKS-0003"]
    assert {r["RoadmapItem"] for r in eol} == {"RM-patch_level.eol_os"}
    accepted = next(r for r in records if r["CheckId"] == "edr.inactive_sensors")
    assert (accepted["Status"], accepted["AcceptedBy"], accepted["AcceptedUntil"]) == (
        "accepted", "Hélène Durand", "2027-03-31")


@settings(deadline=None)  # the machine is shared: timing is not what this test is about
@given(st.text(max_size=60))
def test_any_text_survives_a_csv_round_trip_defused(value: str) -> None:
    text = to_csv([{"A": value, "B": 1.5}], ("A", "B"))
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    assert header == ["A", "B"]
    assert row[0] == neutralise(value)
    assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert row[1] == "1.5"


def test_roadmap_json_document() -> None:
    audit = make_audit()
    document = json.loads(roadmap_json(audit, "fr"))
    assert document == roadmap_document(audit, "fr")
    assert (document["format"], document["version"], document["language"]) == ("msp-posture-auditor/roadmap", 1, "fr")
    assert document["totals"] == {"items": len(audit.roadmap.items),
                                  "planned_items": sum(1 for i in audit.roadmap.items if i.in_contract),
                                  "hours": audit.roadmap.total_hours, "price": audit.roadmap.total_price}
    first = document["items"][0]
    assert first["title"] == audit.roadmap.items[0].title.fr
    assert first["phase_label"] == "Phase 1 (risques critiques, puis mois 1)"
    assert first["acceptance_checks"] == list(audit.roadmap.items[0].acceptance_checks)


REQUIRED_OCSF = {"activity_id", "category_uid", "class_uid", "type_uid", "time", "severity_id", "metadata",
                 "finding_info", "compliance", "status_id"}


def test_ocsf_compliance_findings() -> None:
    audit = make_audit()
    events = findings_ocsf(audit, "en")
    assert len(events) == len(audit.results)
    for event in events:
        assert set(event) >= REQUIRED_OCSF
        assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2003, 2, 200301)
        assert event["metadata"]["version"] == "1.3.0"
        assert event["metadata"]["product"]["name"] == "msp-posture-auditor"
        assert event["time"] == 1795167000000  # 2026-11-20T09:30:00Z in milliseconds
        assert event["compliance"]["standards"] == ["smb-essential 2026.11"]
    by_check = {e["compliance"]["control"]: e for e in events}
    rdp = by_check["open_ports.rdp_external"]
    assert (rdp["severity_id"], rdp["severity"]) == (5, "Critical")
    assert (rdp["compliance"]["status_id"], rdp["compliance"]["status"]) == (3, "Fail")
    assert (rdp["status_id"], rdp["status"]) == (1, "New")
    assert rdp["resources"] == [{"name": "203.0.113.10:3389", "type": "Network Service", "uid": "203.0.113.10:3389",
                                 "data": {"detail": "ms-wbt-server → SRV-APP01"}}]
    assert rdp["remediation"]["desc"] == "Close port 3389 on the firewall and use a VPN with MFA."
    assert by_check["open_ports.smb_external"]["compliance"]["status_id"] == 1
    assert by_check["open_ports.smb_external"]["status"] == "Resolved"
    assert by_check["patch_level.build_behind"]["compliance"]["status"] == "Warning"
    assert by_check["mfa.members"]["compliance"]["status_id"] == 0
    assert "Graph answered 403" in by_check["mfa.members"]["compliance"]["status_detail"]
    assert by_check["edr.inactive_sensors"]["status"] == "Suppressed"
    stale = by_check["account_hygiene.stale_accounts"]
    assert [r["name"] for r in stale["resources"]][:2] == [HOSTILE_NAME, 'SRV-"QUOTE\'S"']
    failing = findings_ocsf(audit, "fr", include_passed=False)
    assert {e["compliance"]["control"] for e in failing} == {r.check_id for r in audit.results
                                                           if r.status.value != "pass"}
    assert json.loads(json.dumps(events)) == events  # plain JSON types only

"""Machine-readable exports of an audit: the roadmap for a PSA (CSV, JSON), findings as CSV, and findings
as OCSF Compliance Findings for SIEMs.

Column names and JSON keys are a contract with other tools (PSA imports, SIEM parsers): they are in
English whatever the report language, documented in docs/report.md, and only ever added to.  Texts
(titles, remediation) follow the chosen language.  Every text cell of a CSV is neutralised against
spreadsheet formula injection, because host names, account names and banners come from client systems.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from auditor import __version__
from auditor.i18n import STATUS_LABELS, area_title, label, phase_label
from auditor.models import Audit, CheckResult, Language, RoadmapItem, Status

#: Separator inside a multi-valued cell (assets, checks); chosen because it is neither `,` nor `;`.
MULTI_SEPARATOR = " | "

ROADMAP_COLUMNS: tuple[str, ...] = (
    "AuditId", "ClientId", "ClientName", "ItemId", "RemediationGroup", "Phase", "PhaseLabel", "TargetMonth",
    "TargetDate", "Severity", "Title", "Remediation", "EffortHours", "HourlyRate", "Price", "Currency",
    "ScoreGain", "Priority", "DependsOn", "AcceptanceChecks", "Checks", "AssetCount", "Assets", "InContract",
)

FINDING_COLUMNS: tuple[str, ...] = (
    "AuditId", "ClientId", "ClientName", "CheckId", "Area", "AreaLabel", "Severity", "Exploitability", "Status",
    "StatusLabel", "Title", "Measured", "Threshold", "AssetName", "AssetKind", "AssetDetail", "AffectedCount",
    "Remediation", "RoadmapItem", "AcceptedBy", "AcceptedUntil", "Reason", "Unit",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value: str) -> str:
    """Defuse a spreadsheet formula: a cell starting with = + - @ tab CR (or LF, or their full-width
    forms) gets a leading apostrophe, which Excel and LibreOffice show as text and never evaluate."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


# --- roadmap -------------------------------------------------------------------------------------------
def roadmap_records(audit: Audit, lang: Language) -> list[dict[str, Any]]:
    """One record per roadmap item with the ROADMAP_COLUMNS keys; numbers stay numbers."""
    records = []
    for item in audit.roadmap.items:
        records.append({
            "AuditId": audit.id,
            "ClientId": audit.client_id,
            "ClientName": audit.client_name,
            "ItemId": item.id,
            "RemediationGroup": item.remediation_group,
            "Phase": item.phase,
            "PhaseLabel": phase_label(item.phase, lang),
            "TargetMonth": item.target_month,
            "TargetDate": item.target_date.isoformat() if item.target_date else None,
            "Severity": item.severity.value,
            "Title": item.title.get(lang),
            "Remediation": item.remediation.get(lang),
            "EffortHours": item.effort_hours,
            "HourlyRate": audit.roadmap.hourly_rate,
            "Price": item.price,
            "Currency": audit.roadmap.currency,
            "ScoreGain": item.score_gain,
            "Priority": item.priority,
            "DependsOn": MULTI_SEPARATOR.join(item.depends_on),
            "AcceptanceChecks": MULTI_SEPARATOR.join(item.acceptance_checks),
            "Checks": MULTI_SEPARATOR.join(item.checks),
            "AssetCount": len(item.assets),
            "Assets": MULTI_SEPARATOR.join(item.assets),
            "InContract": item.in_contract,
        })
    return records


def _item_json(item: RoadmapItem, lang: Language) -> dict[str, Any]:
    data = item.model_dump(mode="json")
    data["title"] = item.title.get(lang)
    data["remediation"] = item.remediation.get(lang)
    data["phase_label"] = phase_label(item.phase, lang)
    return data


def roadmap_json(audit: Audit, lang: Language) -> str:
    """The roadmap JSON document as text (see `roadmap_document`)."""
    return dumps(roadmap_document(audit, lang))


def roadmap_document(audit: Audit, lang: Language) -> dict[str, Any]:
    """The roadmap as a self-describing JSON document (`format` and `version` let importers check it)."""
    roadmap = audit.roadmap
    return {
        "format": "msp-posture-auditor/roadmap",
        "version": 1,
        "language": lang,
        "audit": {"id": audit.id, "kind": audit.kind, "collected_at": audit.collected_at.isoformat(),
                  "overall_score": audit.scores.overall, "grade": audit.scores.grade},
        "client": {"id": audit.client_id, "name": audit.client_name},
        "contract": {"hourly_rate": roadmap.hourly_rate, "currency": roadmap.currency,
                     "monthly_hours": roadmap.monthly_hours, "start_date": roadmap.start_date.isoformat()},
        "totals": {"items": len(roadmap.items), "planned_items": sum(1 for i in roadmap.items if i.in_contract),
                   "hours": roadmap.total_hours, "price": roadmap.total_price},
        "warnings": list(roadmap.warnings),
        "items": [_item_json(item, lang) for item in roadmap.items],
    }


# --- findings ------------------------------------------------------------------------------------------
def finding_records(audit: Audit, lang: Language) -> list[dict[str, Any]]:
    """One record per (result, affected asset); a result without assets gives one record with no asset.

    Every result is exported (pass, not assessed...) so an importer can filter on `Status`; the lists are
    complete, unlike the report's body.
    """
    checks = {c.id: c for c in audit.checks}
    item_of = {cid: item.id for item in audit.roadmap.items for cid in item.checks}
    records: list[dict[str, Any]] = []
    for result in audit.results:
        check = checks.get(result.check_id)
        status = "accepted" if result.accepted_risk is not None else result.status.value
        area = check.area if check else result.check_id.split(".", 1)[0]
        base = {
            "AuditId": audit.id,
            "ClientId": audit.client_id,
            "ClientName": audit.client_name,
            "CheckId": result.check_id,
            "Area": area,
            "AreaLabel": area_title(area, lang),
            "Severity": check.severity.value if check else "",
            "Exploitability": check.exploitability.value if check else "",
            "Status": status,
            "StatusLabel": label(STATUS_LABELS, status, lang),
            "Title": check.title.get(lang) if check else result.check_id,
            "Measured": _text(result.measured),
            "Threshold": _text(result.threshold),
            "Unit": result.unit.get(lang) if result.unit else "",
            "AffectedCount": len(result.affected),
            "Remediation": check.remediation.get(lang) if check else "",
            "RoadmapItem": item_of.get(result.check_id, ""),
            "AcceptedBy": result.accepted_risk.accepted_by if result.accepted_risk else "",
            "AcceptedUntil": result.accepted_risk.expires.isoformat() if result.accepted_risk else "",
            "Reason": result.reason.get(lang) if result.reason else "",
        }
        if not result.affected:
            records.append({**base, "AssetName": "", "AssetKind": "", "AssetDetail": ""})
        for asset in result.affected:
            records.append({**base, "AssetName": asset.name, "AssetKind": asset.kind,
                            "AssetDetail": asset.detail_in(lang)})
    return records


def _text(value: object) -> str:
    return "" if value is None else str(value)


# --- CSV -----------------------------------------------------------------------------------------------
def to_csv(records: Iterable[dict[str, Any]], columns: Sequence[str], *, delimiter: str = ",",
           decimal_comma: bool = False, bom: bool = False) -> str:
    """Write records as CSV text: header row of `columns`, every text cell neutralised.

    `delimiter=";"`, `decimal_comma=True` and `bom=True` make a file French Excel opens correctly by
    double-click; the defaults suit PSA importers (RFC 4180, dot decimals).
    """
    if delimiter not in (",", ";", "\t"):
        raise ValueError("delimiter must be ',', ';' or a tab")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(column), decimal_comma) for column in columns])
    return ("\ufeff" if bom else "") + buffer.getvalue()


def _cell(value: object, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
        return text.replace(".", ",") if decimal_comma else text
    return neutralise(str(value))


def roadmap_csv(audit: Audit, lang: Language, *, excel: bool = False) -> str:
    """The roadmap CSV; `excel=True` gives the `;`/BOM (and decimal comma in French) variant."""
    return to_csv(roadmap_records(audit, lang), ROADMAP_COLUMNS, delimiter=";" if excel else ",",
                  decimal_comma=excel and lang == "fr", bom=excel)


def findings_csv(audit: Audit, lang: Language, *, excel: bool = False) -> str:
    return to_csv(finding_records(audit, lang), FINDING_COLUMNS, delimiter=";" if excel else ",",
                  decimal_comma=excel and lang == "fr", bom=excel)


# --- OCSF ----------------------------------------------------------------------------------------------
OCSF_VERSION = "1.3.0"
OCSF_CLASS_UID = 2003  # Compliance Finding
OCSF_CATEGORY_UID = 2  # Findings
OCSF_ACTIVITY_CREATE = 1
_OCSF_SEVERITY = {"critical": 5, "high": 4, "medium": 3, "low": 2}
_OCSF_SEVERITY_NAMES = {5: "Critical", 4: "High", 3: "Medium", 2: "Low", 0: "Unknown"}
#: Compliance status: 1 Pass, 2 Warning, 3 Fail, 0 Unknown.
_COMPLIANCE_STATUS = {"pass": (1, "Pass"), "partial": (2, "Warning"), "fail": (3, "Fail"),
                      "not_assessed": (0, "Unknown"), "error": (0, "Unknown")}
#: Finding status: 1 New, 3 Suppressed (accepted risk), 4 Resolved (passed).
_FINDING_STATUS = {"fail": (1, "New"), "partial": (1, "New"), "accepted": (3, "Suppressed"),
                   "pass": (4, "Resolved"), "not_assessed": (0, "Unknown"), "error": (0, "Unknown")}
_RESOURCE_TYPES = {"host": "Host", "service": "Network Service", "account": "User", "group": "Group",
                   "policy": "Policy", "device": "Device", "job": "Backup Job", "repository": "Backup Repository",
                   "other": "Other"}


def _epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def ocsf_finding(audit: Audit, result: CheckResult, lang: Language) -> dict[str, Any]:
    """One result as an OCSF Compliance Finding (class 2003, activity Create); see docs/report.md."""
    check = next((c for c in audit.checks if c.id == result.check_id), None)
    severity_id = _OCSF_SEVERITY.get(check.severity.value, 0) if check else 0
    status = result.status.value
    shown = "accepted" if result.accepted_risk is not None else status
    compliance_id, compliance_name = _COMPLIANCE_STATUS.get(status, (0, "Unknown"))
    finding_id, finding_name = _FINDING_STATUS.get(shown, (0, "Unknown"))
    title = check.title.get(lang) if check else result.check_id
    time = _epoch_ms(audit.collected_at)
    event: dict[str, Any] = {
        "activity_id": OCSF_ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": OCSF_CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": OCSF_CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": OCSF_CLASS_UID * 100 + OCSF_ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": time,
        "severity_id": severity_id,
        "severity": _OCSF_SEVERITY_NAMES[severity_id],
        "status_id": finding_id,
        "status": finding_name,
        "message": title,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "msp-posture-auditor", "vendor_name": "msp-posture-auditor",
                        "version": audit.provenance.tool_version or __version__},
            "uid": f"{audit.id}:{result.check_id}",
            "event_code": result.check_id,
            "tenant_uid": audit.client_id,
            "logged_time": _epoch_ms(audit.evaluated_at),
        },
        "finding_info": {
            "uid": f"{audit.client_id}:{result.check_id}",
            "title": title,
            "desc": check.rationale.get(lang) if check else "",
            "types": [check.area if check else result.check_id.split(".", 1)[0]],
            "created_time": time,
            "product_uid": "msp-posture-auditor",
        },
        "compliance": {
            "control": result.check_id,
            "standards": [audit.provenance.baseline + (f" {audit.provenance.baseline_version}"
                                                       if audit.provenance.baseline_version else "")],
            "requirements": [f"{r.framework} {r.control}" for r in check.references] if check else [],
            "status_id": compliance_id,
            "status": compliance_name,
            "status_code": status,
        },
        "resources": [
            {"name": asset.name, "type": _RESOURCE_TYPES.get(asset.kind, "Other"), "uid": asset.name,
             **({"data": {"detail": asset.detail}} if asset.detail else {})}
            for asset in result.affected
        ],
        "unmapped": {
            "audit_id": audit.id,
            "client_name": audit.client_name,
            "exploitability": check.exploitability.value if check else None,
            "measured": result.measured,
            "threshold": result.threshold,
            "score_share": result.score_share,
            "affected_count": len(result.affected),
        },
    }
    details = []
    if result.reason is not None:
        details.append(result.reason.get(lang))
    if result.accepted_risk is not None:
        risk = result.accepted_risk
        details.append(f"accepted by {risk.accepted_by} until {risk.expires.isoformat()}: {risk.justification}")
        event["unmapped"]["accepted_risk"] = risk.model_dump(mode="json")
    if details:
        event["compliance"]["status_detail"] = " / ".join(details)
    if check is not None:
        event["remediation"] = {"desc": check.remediation.get(lang),
                                "references": [f"{r.framework} {r.control}" for r in check.references]}
    if result.confidence:
        event["unmapped"]["confidence"] = result.confidence
    return event


def findings_ocsf(audit: Audit, lang: Language, *, include_passed: bool = True) -> list[dict[str, Any]]:
    """Every result (or only the non-passing ones) as OCSF Compliance Findings, in check-id order."""
    return [ocsf_finding(audit, r, lang) for r in audit.results
            if include_passed or r.status is not Status.passed]


def dumps(data: object) -> str:
    """JSON as every export writes it: UTF-8 text, stable key order, readable indentation."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


__all__ = [
    "FINDING_COLUMNS",
    "ROADMAP_COLUMNS",
    "dumps",
    "finding_records",
    "findings_csv",
    "findings_ocsf",
    "neutralise",
    "roadmap_csv",
    "roadmap_document",
    "roadmap_json",
    "roadmap_records",
    "to_csv",
]

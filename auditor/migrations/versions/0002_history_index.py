"""History index: per-check results, findings and roadmap items beside each audit; compressed documents.

Why: `auditor history` and `auditor diff`, the re-audit report's indicators (recurring findings, time to
remediate, critical findings over time) and roadmap regressions need to read a client's whole history
quickly.  Parsing every stored audit document for that is too slow for an MSP with hundreds of clients,
so this revision adds three narrow tables indexed by client, plus summary columns on `audits`, and stores
new documents zlib-compressed (`document_z`; the text column `document` stays readable for old rows).

The upgrade keeps every existing audit and fills the new tables from the stored documents.  The logic
that derives rows from a document is written out here (not imported from the store) so this revision
keeps doing exactly what it did when it was written.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_FINDING = ("fail", "partial")


def _rows(doc: dict[str, Any]) -> tuple[dict, list[dict], list[dict], list[dict]]:
    """(audit summary columns, check_results rows, findings rows, roadmap rows) of one audit document."""
    audit_id, client_id = doc["id"], doc["client_id"]
    checks = {c["id"]: c for c in doc.get("checks", [])}
    results, findings = [], []
    for result in doc.get("results", []):
        check = checks.get(result["check_id"], {})
        severity = check.get("severity", "low")
        results.append({"audit_id": audit_id, "client_id": client_id, "check_id": result["check_id"],
                        "area": check.get("area", ""), "severity": severity, "status": result["status"],
                        "score_share": result.get("score_share"), "affected_count": len(result.get("affected", []))})
        if result["status"] in _FINDING and not result.get("accepted_risk"):
            seen: set[str] = set()
            assets = [(a["name"], a.get("kind", "other")) for a in result.get("affected", [])] or [("", "")]
            for name, kind in assets:
                if name.lower() in seen:
                    continue
                seen.add(name.lower())
                findings.append({"audit_id": audit_id, "client_id": client_id, "check_id": result["check_id"],
                                 "asset": name[:512], "asset_kind": kind, "severity": severity})
    roadmap = []
    for item in doc.get("roadmap", {}).get("items", []):
        roadmap.append({"audit_id": audit_id, "client_id": client_id, "item_id": item["id"][:200],
                        "remediation_group": item["remediation_group"][:200], "severity": item["severity"],
                        "phase": item["phase"], "target_date": item.get("target_date"),
                        "checks": " ".join(item.get("acceptance_checks") or item.get("checks") or [])})
    areas = {a["area"]: a["score"] for a in doc.get("scores", {}).get("areas", [])}
    summary = {"findings_count": len(findings),
               "critical_findings": sum(1 for f in findings if f["severity"] == "critical"),
               "area_scores": json.dumps(areas, sort_keys=True)}
    return summary, results, findings, roadmap


def upgrade() -> None:
    with op.batch_alter_table("audits") as batch:
        batch.alter_column("document", existing_type=sa.Text, nullable=True)
        batch.add_column(sa.Column("document_z", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("findings_count", sa.Integer, nullable=True))
        batch.add_column(sa.Column("critical_findings", sa.Integer, nullable=True))
        batch.add_column(sa.Column("area_scores", sa.Text, nullable=True))
    op.create_index("ix_audits_client_collected", "audits", ["client_id", "collected_at"])
    check_results = op.create_table(
        "check_results",
        sa.Column("audit_id", sa.String(120), sa.ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("check_id", sa.String(80), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("area", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score_share", sa.Float, nullable=True),
        sa.Column("affected_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_check_results_client_check", "check_results", ["client_id", "check_id"])
    findings = op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("audit_id", sa.String(120), sa.ForeignKey("audits.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("check_id", sa.String(80), nullable=False),
        sa.Column("asset", sa.String(512), nullable=False),
        sa.Column("asset_kind", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
    )
    op.create_index("ix_findings_audit", "findings", ["audit_id"])
    op.create_index("ix_findings_client_check_asset", "findings", ["client_id", "check_id", "asset"])
    roadmap_items = op.create_table(
        "roadmap_items",
        sa.Column("audit_id", sa.String(120), sa.ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("item_id", sa.String(200), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("remediation_group", sa.String(200), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("phase", sa.Integer, nullable=False),
        sa.Column("target_date", sa.Date, nullable=True),
        sa.Column("checks", sa.Text, nullable=False),
    )
    op.create_index("ix_roadmap_items_client_item", "roadmap_items", ["client_id", "item_id"])

    # Backfill from the documents already stored (the history an upgrade must keep).
    bind = op.get_bind()
    audits = sa.table("audits", sa.column("id", sa.String), sa.column("document", sa.Text),
                      sa.column("findings_count", sa.Integer), sa.column("critical_findings", sa.Integer),
                      sa.column("area_scores", sa.Text))
    ids = [row[0] for row in bind.execute(sa.select(audits.c.id))]
    for audit_id in ids:
        document = bind.execute(sa.select(audits.c.document).where(audits.c.id == audit_id)).scalar_one()
        summary, result_rows, finding_rows, roadmap_rows = _rows(json.loads(document))
        bind.execute(audits.update().where(audits.c.id == audit_id).values(**summary))
        if result_rows:
            bind.execute(check_results.insert(), result_rows)
        if finding_rows:
            bind.execute(findings.insert(), finding_rows)
        if roadmap_rows:
            for row in roadmap_rows:
                row["target_date"] = _date(row["target_date"]) if row["target_date"] else None
            bind.execute(roadmap_items.insert(), roadmap_rows)


def _date(value: str) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(value)


def downgrade() -> None:
    import zlib

    bind = op.get_bind()
    audits = sa.table("audits", sa.column("id", sa.String), sa.column("document", sa.Text),
                      sa.column("document_z", sa.LargeBinary))
    for audit_id, packed in bind.execute(sa.select(audits.c.id, audits.c.document_z)
                                         .where(audits.c.document_z.is_not(None))).all():
        bind.execute(audits.update().where(audits.c.id == audit_id)
                     .values(document=zlib.decompress(packed).decode("utf-8")))
    op.drop_table("roadmap_items")
    op.drop_table("findings")
    op.drop_table("check_results")
    op.drop_index("ix_audits_client_collected", table_name="audits")
    with op.batch_alter_table("audits") as batch:
        batch.drop_column("area_scores")
        batch.drop_column("critical_findings")
        batch.drop_column("findings_count")
        batch.drop_column("document_z")

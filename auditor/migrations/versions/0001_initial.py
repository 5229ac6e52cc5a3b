"""Initial schema: clients and their audits (the whole audit kept as a JSON document).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audits",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("clients.id"), nullable=False, index=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("grade", sa.String(2), nullable=False),
        sa.Column("coverage", sa.Float, nullable=False),
        sa.Column("baseline", sa.String(120), nullable=False),
        sa.Column("bundle_digest", sa.String(64), nullable=False, index=True),
        sa.Column("tool_version", sa.String(40), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audits")
    op.drop_table("clients")

"""audit entries keep the names people read; billing profiles; invoice lines keep their
fraction's denominator

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:20:00

Entries written before this revision have no names (NULL): the console and the exports show
their ids, as before. Invoice lines issued before it have no days_in_period (NULL): a line
counted in days then shows its days without the fraction.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import seats.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("actor_name", sa.Text(), nullable=True))
        batch.add_column(sa.Column("subject_name", sa.Text(), nullable=True))
    with op.batch_alter_table("invoice_lines") as batch:
        batch.add_column(sa.Column("days_in_period", sa.Integer(), nullable=True))
    op.create_table(
        "billing_profiles",
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("legal_name", sa.String(length=255), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("tax_id", sa.String(length=64), nullable=False),
        sa.Column("billing_email", sa.String(length=254), nullable=False),
        sa.Column("updated_at", seats.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"]),
        sa.PrimaryKeyConstraint("org_id"),
    )


def downgrade() -> None:
    op.drop_table("billing_profiles")
    with op.batch_alter_table("invoice_lines") as batch:
        batch.drop_column("days_in_period")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("subject_name")
        batch.drop_column("actor_name")

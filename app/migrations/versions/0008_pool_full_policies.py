"""what an activation does when the pool is full: the org's seat policy

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-05 11:00:00

Orgs without a row keep today's behaviour (`refuse`). down_revision is '0006' until the
branch adding 0007 lands; then this revision follows '0007'.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import seats.base

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seat_policies",
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("max_auto_seats", sa.Integer(), nullable=False),
        sa.Column("updated_at", seats.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("policy IN ('refuse', 'auto_top_up', 'request')",
                           name=op.f("ck_seat_policies_known_policy")),
        sa.CheckConstraint("max_auto_seats >= 0",
                           name=op.f("ck_seat_policies_max_auto_seats_not_negative")),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_seat_policies_org_id_orgs")),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_seat_policies")),
    )


def downgrade() -> None:
    op.drop_table("seat_policies")

"""what an activation does when the pool is full: the org's seat policy, and the seat
requests of the `request` policy

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 11:00:00

Orgs without a row keep today's behaviour (`refuse`).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import seats.base

revision = '0008'
down_revision = '0007'
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
    op.create_table(
        "seat_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("user_name", sa.Text(), nullable=False),
        sa.Column("user_name_norm", sa.Text(), nullable=False),
        sa.Column("identity", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("seat_type_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", seats.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", seats.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", seats.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint("status IN ('open', 'approved', 'denied', 'expired')",
                           name=op.f("ck_seat_requests_known_status")),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_seat_requests_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_requests")),
    )
    op.create_index("ix_seat_requests_org_id_status", "seat_requests",
                    ["org_id", "status", "requested_at"])
    op.create_index("uq_seat_requests_one_open", "seat_requests", ["org_id", "user_name_norm"],
                    unique=True, sqlite_where=sa.text("status = 'open'"),
                    postgresql_where=sa.text("status = 'open'"))


def downgrade() -> None:
    op.drop_table("seat_requests")
    op.drop_table("seat_policies")

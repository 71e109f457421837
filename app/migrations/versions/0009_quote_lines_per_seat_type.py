"""quote lines: a quote prices one line per seat type

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 11:10:00

Every quote issued before this revision was for the default type: it gets one line of that
type, priced as the quote was, on the type's share of the pool total it was priced on.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import seats.base

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quote_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("quote_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("seat_type_key", sa.String(length=64), nullable=False),
        sa.Column("add_seats", sa.Integer(), nullable=False),
        sa.Column("type_seats_before", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", seats.base.MinorUnits, nullable=False),
        sa.Column("amount_minor", seats.base.MinorUnits, nullable=False),
        sa.CheckConstraint("add_seats >= 1", name=op.f("ck_quote_lines_adds_at_least_one")),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_quote_lines_amount_not_negative")),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_quote_lines_org_id_orgs")),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"],
                                name=op.f("fk_quote_lines_quote_id_quotes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_lines")),
        sa.UniqueConstraint("quote_id", "seat_type_key", name="uq_quote_lines_quote_type"),
    )
    op.create_index(op.f("ix_quote_lines_quote_id"), "quote_lines", ["quote_id"])
    op.execute(sa.text(
        "INSERT INTO quote_lines (quote_id, org_id, seat_type_key, add_seats, type_seats_before,"
        " unit_price_minor, amount_minor)"
        " SELECT q.id, q.org_id, t.key, q.add_seats, q.seats_before - (p.total - t.total),"
        " q.unit_price_minor, q.amount_minor"
        " FROM quotes q JOIN seat_types t ON t.org_id = q.org_id AND t.is_default"
        " JOIN seat_pools p ON p.org_id = q.org_id"
    ))


def downgrade() -> None:
    op.drop_index(op.f("ix_quote_lines_quote_id"), table_name="quote_lines")
    op.drop_table("quote_lines")

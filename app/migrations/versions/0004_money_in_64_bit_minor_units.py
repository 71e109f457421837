"""money in 64-bit minor units

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 15:13:00

PostgreSQL's INTEGER is 32-bit: a renewal of 80,000 seats at USD 300.00, or any price in
currencies with large minor amounts (IDR), overflowed it. SQLite's INTEGER is 64-bit already,
so only PostgreSQL changes.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

MONEY_COLUMNS = (
    ("contracts", "unit_price_minor"),
    ("quotes", "unit_price_minor"),
    ("quotes", "amount_minor"),
    ("invoices", "total_minor"),
    ("invoice_lines", "unit_price_minor"),
    ("invoice_lines", "amount_minor"),
)


def _retype(new: sa.types.TypeEngine, old: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column in MONEY_COLUMNS:
        op.alter_column(table, column, type_=new, existing_type=old, existing_nullable=False)


def upgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())

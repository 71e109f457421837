"""audit entries keep the names people read

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-05 10:20:00

Entries written before this revision have no names (NULL); the console and the exports then
show the ids, as they did before.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("actor_name", sa.Text(), nullable=True))
        batch.add_column(sa.Column("subject_name", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("subject_name")
        batch.drop_column("actor_name")

"""drop ix_scim_users_org_active: ix_scim_users_org_idle (0007) starts with the same columns

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 14:50:00

(org_id, active) is the prefix of (org_id, active, last_modified_at, last_sign_in_at), so
every lookup the older index served the newer one serves too; keeping both made every
activation and deactivation update two indexes for one.
"""
from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scim_users") as batch_op:
        batch_op.drop_index("ix_scim_users_org_active")


def downgrade() -> None:
    with op.batch_alter_table("scim_users") as batch_op:
        batch_op.create_index("ix_scim_users_org_active", ["org_id", "active"], unique=False)

"""the users' last SSO sign-in, for the idle-seat report; the audit log by time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 11:00:00

A seat is idle when its user has neither signed in through SSO nor been changed through SCIM
for N days. `last_modified_at` records the SCIM changes; the sign-in is recorded here,
outside the SCIM resource. Users who never signed in since this migration have none, so the
report reads them by their last SCIM change only. The index covers the report's filter.

The exhaustion forecast reads one org's audit entries of the last 90 days on every
`GET /admin/v1/seats`: (org_id, at) finds them without reading the org's whole log.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import seats.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('scim_users', sa.Column('last_sign_in_at', seats.base.UTCDateTime(timezone=True),
                                          nullable=True))
    op.create_index('ix_scim_users_org_idle', 'scim_users',
                    ['org_id', 'active', 'last_modified_at', 'last_sign_in_at'], unique=False)
    op.create_index('ix_audit_events_org_id_at', 'audit_events', ['org_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_events_org_id_at', table_name='audit_events')
    op.drop_index('ix_scim_users_org_idle', table_name='scim_users')
    with op.batch_alter_table('scim_users') as batch:
        batch.drop_column('last_sign_in_at')

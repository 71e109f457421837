"""groups and oauth clients

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 14:03:53.733229
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import seats.base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oauth_clients',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('secret_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', seats.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', seats.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_oauth_clients_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_clients'))
    )
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_clients_org_id'), ['org_id'], unique=False)

    op.create_table('scim_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('display_name_norm', sa.String(length=255), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_modified_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_scim_groups_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_groups'))
    )
    with op.batch_alter_table('scim_groups', schema=None) as batch_op:
        batch_op.create_index('ix_scim_groups_org_created', ['org_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_scim_groups_org_display_name', ['org_id', 'display_name_norm'], unique=False)
        batch_op.create_index('ix_scim_groups_org_external_id', ['org_id', 'external_id'], unique=False)

    op.create_table('scim_group_members',
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('member_type', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['scim_groups.id'], name=op.f('fk_scim_group_members_group_id_scim_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_scim_group_members_org_id_orgs')),
    sa.PrimaryKeyConstraint('group_id', 'member_id', name=op.f('pk_scim_group_members'))
    )
    with op.batch_alter_table('scim_group_members', schema=None) as batch_op:
        batch_op.create_index('ix_scim_group_members_member', ['org_id', 'member_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scim_group_members', schema=None) as batch_op:
        batch_op.drop_index('ix_scim_group_members_member')

    op.drop_table('scim_group_members')
    with op.batch_alter_table('scim_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_scim_groups_org_external_id')
        batch_op.drop_index('ix_scim_groups_org_display_name')
        batch_op.drop_index('ix_scim_groups_org_created')

    op.drop_table('scim_groups')
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_clients_org_id'))

    op.drop_table('oauth_clients')

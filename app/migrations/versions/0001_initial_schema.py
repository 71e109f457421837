"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 13:41:44.304586
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import seats.base

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('orgs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('slug', sa.String(length=63), nullable=False),
    sa.Column('created_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orgs')),
    sa.UniqueConstraint('slug', name=op.f('uq_orgs_slug'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=True),
    sa.Column('total_before', sa.Integer(), nullable=False),
    sa.Column('total_after', sa.Integer(), nullable=False),
    sa.Column('assigned_before', sa.Integer(), nullable=False),
    sa.Column('assigned_after', sa.Integer(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_audit_events_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_org_id_id', ['org_id', 'id'], unique=False)

    op.create_table('contracts',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('unit_price_minor', sa.Integer(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('minimum_seats', sa.Integer(), nullable=False),
    sa.Column('auto_renew', sa.Boolean(), nullable=False),
    sa.Column('proration', sa.String(length=16), nullable=False),
    sa.CheckConstraint("proration IN ('monthly', 'monthly_daily', 'daily')", name=op.f('ck_contracts_known_proration')),
    sa.CheckConstraint('minimum_seats >= 0', name=op.f('ck_contracts_minimum_not_negative')),
    sa.CheckConstraint('unit_price_minor >= 0', name=op.f('ck_contracts_price_not_negative')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_contracts_org_id_orgs')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_contracts'))
    )
    op.create_table('scim_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('secret_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', seats.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', seats.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_scim_tokens_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_tokens')),
    sa.UniqueConstraint('secret_sha256', name=op.f('uq_scim_tokens_secret_sha256'))
    )
    with op.batch_alter_table('scim_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scim_tokens_org_id'), ['org_id'], unique=False)

    op.create_table('scim_users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('user_name', sa.String(length=255), nullable=False),
    sa.Column('user_name_norm', sa.String(length=255), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('created_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_modified_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_scim_users_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_users')),
    sa.UniqueConstraint('org_id', 'user_name_norm', name='uq_scim_users_org_user_name')
    )
    with op.batch_alter_table('scim_users', schema=None) as batch_op:
        batch_op.create_index('ix_scim_users_org_active', ['org_id', 'active'], unique=False)
        batch_op.create_index('ix_scim_users_org_created', ['org_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_scim_users_org_external_id', ['org_id', 'external_id'], unique=False)

    op.create_table('seat_pools',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.CheckConstraint('assigned >= 0 AND assigned <= total', name=op.f('ck_seat_pools_assigned_within_total')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_seat_pools_org_id_orgs')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_seat_pools'))
    )
    op.create_table('scim_user_values',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('attribute', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=2048), nullable=True),
    sa.Column('value_norm', sa.String(length=2048), nullable=True),
    sa.Column('type', sa.String(length=64), nullable=True),
    sa.Column('primary', sa.Boolean(), nullable=False),
    sa.Column('display', sa.String(length=2048), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_scim_user_values_org_id_orgs')),
    sa.ForeignKeyConstraint(['user_id'], ['scim_users.id'], name=op.f('fk_scim_user_values_user_id_scim_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scim_user_values'))
    )
    with op.batch_alter_table('scim_user_values', schema=None) as batch_op:
        batch_op.create_index('ix_scim_user_values_lookup', ['org_id', 'attribute', 'value_norm'], unique=False)
        batch_op.create_index('ix_scim_user_values_user', ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scim_user_values', schema=None) as batch_op:
        batch_op.drop_index('ix_scim_user_values_user')
        batch_op.drop_index('ix_scim_user_values_lookup')

    op.drop_table('scim_user_values')
    op.drop_table('seat_pools')
    with op.batch_alter_table('scim_users', schema=None) as batch_op:
        batch_op.drop_index('ix_scim_users_org_external_id')
        batch_op.drop_index('ix_scim_users_org_created')
        batch_op.drop_index('ix_scim_users_org_active')

    op.drop_table('scim_users')
    with op.batch_alter_table('scim_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scim_tokens_org_id'))

    op.drop_table('scim_tokens')
    op.drop_table('contracts')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_org_id_id')

    op.drop_table('audit_events')
    op.drop_table('orgs')

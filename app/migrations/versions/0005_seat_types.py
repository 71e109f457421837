"""seat types

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 10:10:00

Every org gets one `standard` seat type, its default, holding the pool's current total and
assigned seats, the contract's price and minimum; every active user holds it. The pool row
stays the org's seat lock and the sum of its types (docs/spec/seat-types.md).
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

import seats.base

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _create_tables() -> None:
    op.create_table('seat_types',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('unit_price_minor', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.Column('minimum_seats', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.CheckConstraint('assigned >= 0 AND assigned <= total', name=op.f('ck_seat_types_assigned_within_total')),
    sa.CheckConstraint('unit_price_minor >= 0', name=op.f('ck_seat_types_price_not_negative')),
    sa.CheckConstraint('minimum_seats >= 0', name=op.f('ck_seat_types_minimum_not_negative')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_seat_types_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seat_types')),
    sa.UniqueConstraint('org_id', 'key', name='uq_seat_types_org_key')
    )
    op.create_index('uq_seat_types_one_default', 'seat_types', ['org_id'], unique=True,
                    sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
    op.create_table('seat_type_mappings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('seat_type_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['scim_groups.id'], name=op.f('fk_seat_type_mappings_group_id_scim_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_seat_type_mappings_org_id_orgs')),
    sa.ForeignKeyConstraint(['seat_type_id'], ['seat_types.id'], name=op.f('fk_seat_type_mappings_seat_type_id_seat_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seat_type_mappings')),
    sa.UniqueConstraint('org_id', 'group_id', name='uq_seat_type_mappings_group')
    )
    with op.batch_alter_table('scim_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seat_type_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('waiting_seat_type_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('waiting_since', seats.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_scim_users_seat_type', 'seat_types', ['org_id', 'seat_type_key'], ['org_id', 'key'])
        batch_op.create_foreign_key('fk_scim_users_waiting_seat_type', 'seat_types', ['org_id', 'waiting_seat_type_key'], ['org_id', 'key'])
        batch_op.create_index('ix_scim_users_org_waiting', ['org_id', 'waiting_seat_type_key', 'waiting_since'], unique=False)
        batch_op.create_check_constraint(
            'unseated_hold_nothing',
            sa.text('active OR (seat_type_key IS NULL AND waiting_seat_type_key IS NULL)'))


def _standard_type_per_org() -> None:
    """The pool's counts and the contract's price and minimum become the `standard` type;
    its active users hold it."""
    bind = op.get_bind()
    orgs = bind.execute(sa.text(
        "SELECT p.org_id, p.total, p.assigned, c.unit_price_minor, c.minimum_seats "
        "FROM seat_pools p JOIN contracts c ON c.org_id = p.org_id"
    )).all()
    for org in orgs:
        bind.execute(sa.text(
            "INSERT INTO seat_types (id, org_id, key, name, unit_price_minor, total, assigned, "
            "minimum_seats, rank, is_default) VALUES (:id, :org_id, 'standard', 'Standard', "
            ":price, :total, :assigned, :minimum, 0, :yes)"
        ), {"id": str(uuid.uuid4()), "org_id": org.org_id, "price": org.unit_price_minor,
            "total": org.total, "assigned": org.assigned, "minimum": org.minimum_seats,
            "yes": True})
    bind.execute(sa.text("UPDATE scim_users SET seat_type_key = 'standard' WHERE active"))


def upgrade() -> None:
    _create_tables()
    _standard_type_per_org()


def downgrade() -> None:
    with op.batch_alter_table('scim_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_scim_users_unseated_hold_nothing'), type_='check')
        batch_op.drop_index('ix_scim_users_org_waiting')
        batch_op.drop_constraint('fk_scim_users_waiting_seat_type', type_='foreignkey')
        batch_op.drop_constraint('fk_scim_users_seat_type', type_='foreignkey')
        batch_op.drop_column('waiting_since')
        batch_op.drop_column('waiting_seat_type_key')
        batch_op.drop_column('seat_type_key')
    op.drop_table('seat_type_mappings')
    op.drop_index('uq_seat_types_one_default', table_name='seat_types')
    op.drop_table('seat_types')

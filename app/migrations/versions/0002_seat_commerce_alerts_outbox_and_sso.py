"""seat commerce, alerts, outbox and sso

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 13:54:23.226396
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import seats.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_settings',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('threshold_percent', sa.Integer(), nullable=False),
    sa.Column('webhook_url', sa.String(length=2048), nullable=True),
    sa.Column('webhook_secret', sa.String(length=255), nullable=True),
    sa.Column('last_refusal_event_at', seats.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('threshold_percent >= 1 AND threshold_percent <= 100', name=op.f('ck_alert_settings_threshold_in_range')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_alert_settings_org_id_orgs')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_alert_settings'))
    )
    op.create_table('idempotency_keys',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_idempotency_keys_org_id_orgs')),
    sa.PrimaryKeyConstraint('org_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('outbox_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', seats.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_outbox_events_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_events'))
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_events_org_id_id', ['org_id', 'id'], unique=False)
        batch_op.create_index('ix_outbox_events_pending', ['delivered_at', 'next_attempt_at'], unique=False)

    op.create_table('quotes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('add_seats', sa.Integer(), nullable=False),
    sa.Column('seats_before', sa.Integer(), nullable=False),
    sa.Column('seats_after', sa.Integer(), nullable=False),
    sa.Column('unit_price_minor', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('proration', sa.String(length=16), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('remaining_months', sa.Integer(), nullable=True),
    sa.Column('remaining_days', sa.Integer(), nullable=True),
    sa.Column('days_in_period', sa.Integer(), nullable=True),
    sa.Column('created_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('valid_until', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', seats.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('add_seats >= 1', name=op.f('ck_quotes_adds_at_least_one')),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_quotes_amount_not_negative')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_quotes_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes'))
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index('ix_quotes_org_id_created_at', ['org_id', 'created_at'], unique=False)

    op.create_table('sso_configs',
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('issuer', sa.String(length=2048), nullable=False),
    sa.Column('audience', sa.String(length=2048), nullable=False),
    sa.Column('jwks', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('jwks_url', sa.String(length=2048), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_sso_configs_org_id_orgs')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_sso_configs'))
    )
    op.create_table('invoices',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('issued_at', seats.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_minor', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.String(length=36), nullable=True),
    sa.Column('issued_by', sa.String(length=255), nullable=False),
    sa.CheckConstraint('total_minor >= 0', name=op.f('ck_invoices_total_not_negative')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_invoices_org_id_orgs')),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_invoices_quote_id_quotes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('org_id', 'seq', name='uq_invoices_org_seq'),
    sa.UniqueConstraint('quote_id', name='uq_invoices_quote_id')
    )
    op.create_table('invoice_lines',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('invoice_id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_minor', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_invoice_lines_amount_not_negative')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_invoice_lines_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines'))
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_invoice_id'), ['invoice_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_invoice_id'))

    op.drop_table('invoice_lines')
    op.drop_table('invoices')
    op.drop_table('sso_configs')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index('ix_quotes_org_id_created_at')

    op.drop_table('quotes')
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_events_pending')
        batch_op.drop_index('ix_outbox_events_org_id_id')

    op.drop_table('outbox_events')
    op.drop_table('idempotency_keys')
    op.drop_table('alert_settings')

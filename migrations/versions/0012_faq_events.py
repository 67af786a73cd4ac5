"""faqentry.events: the calendar's events an FAQ entry explains

Revision ID: faqevents1
Revises: webexport1
"""
from alembic import op
import sqlalchemy as sa


revision = 'faqevents1'
down_revision = 'webexport1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('faqentry') as batch:
        batch.add_column(sa.Column('events', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('faqentry') as batch:
        batch.drop_column('events')

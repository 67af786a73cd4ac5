"""content translations: events.translations and faqentry.translations

Revision ID: i18n1
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'i18n1'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event') as batch:
        batch.add_column(sa.Column('translations', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('faqentry') as batch:
        batch.add_column(sa.Column('translations', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('faqentry') as batch:
        batch.drop_column('translations')
    with op.batch_alter_table('event') as batch:
        batch.drop_column('translations')

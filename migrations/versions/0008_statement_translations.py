"""content translations: statement.translations

Revision ID: stmti18n1
Revises: lifecycle1
"""
from alembic import op
import sqlalchemy as sa


revision = 'stmti18n1'
down_revision = 'lifecycle1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('statement') as batch:
        batch.add_column(sa.Column('translations', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('statement') as batch:
        batch.drop_column('translations')

"""event lifecycle: status, as_of, history and yearly recurrence

Revision ID: lifecycle1
Revises: i18n1
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'lifecycle1'
down_revision = 'i18n1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event') as batch:
        batch.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='confirmed'))
        batch.add_column(sa.Column('as_of', sa.Date(), nullable=True))
        batch.add_column(sa.Column('history', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
        batch.add_column(sa.Column('recurs', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event') as batch:
        batch.drop_column('recurs')
        batch.drop_column('history')
        batch.drop_column('as_of')
        batch.drop_column('status')

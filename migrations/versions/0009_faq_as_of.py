"""faqentry.as_of: when an answer was last checked against its source

Revision ID: faqasof1
Revises: channels1
"""
from alembic import op
import sqlalchemy as sa


revision = 'faqasof1'
down_revision = 'channels1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('faqentry') as batch:
        batch.add_column(sa.Column('as_of', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('faqentry') as batch:
        batch.drop_column('as_of')

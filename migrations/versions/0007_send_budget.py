"""one sending budget per bot token, shared by the processes on this database

Revision ID: budget1
Revises: faqasof1
"""
from alembic import op
import sqlalchemy as sa


revision = 'budget1'
down_revision = 'faqasof1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sendbudget',
        sa.Column('bot_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('next_at', sa.Float(), nullable=False, server_default='0'),
        sa.Column('replies_at', sa.Float(), nullable=False, server_default='0'),
        sa.Column('replies_by', sa.String(length=32), nullable=False, server_default=''),
        sa.PrimaryKeyConstraint('bot_id'),
    )


def downgrade() -> None:
    op.drop_table('sendbudget')

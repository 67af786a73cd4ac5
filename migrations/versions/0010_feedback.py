"""answerfeedback: 👍 / 👎 on answers, stored without any chat id

Revision ID: feedback1
Revises: budget1
"""
from alembic import op
import sqlalchemy as sa


revision = 'feedback1'
down_revision = 'budget1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'answerfeedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('matched', sa.String(length=100), nullable=True),
        sa.Column('text', sa.String(), nullable=True),
        sa.Column('vote', sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
    )
    op.create_index('ix_answerfeedback_week', 'answerfeedback', ['week'])


def downgrade() -> None:
    op.drop_index('ix_answerfeedback_week', table_name='answerfeedback')
    op.drop_table('answerfeedback')

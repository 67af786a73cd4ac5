"""web console: one-time login links, sessions, entries edited in the console

Revision ID: web1
Revises: stmti18n1
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'web1'
down_revision = 'stmti18n1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'weblogintoken',
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), primary_key=True),
        sa.Column('admin_id', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.create_table(
        'websession',
        sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(length=64), primary_key=True),
        sa.Column('admin_id', sa.BigInteger(), nullable=False),
        sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.create_table(
        'consoleedit',
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), primary_key=True),
        sa.Column('entry_id', sqlmodel.sql.sqltypes.AutoString(length=100), primary_key=True),
        sa.Column('edited_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('edited_by', sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('consoleedit')
    op.drop_table('websession')
    op.drop_table('weblogintoken')

"""channels, quiet digests, broadcast attachments and pins

Revision ID: channels1
Revises: web1
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'channels1'
down_revision = 'web1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriber') as batch:
        batch.add_column(sa.Column('quiet', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default='auto'))
    with op.batch_alter_table('outboxmessage') as batch:
        batch.add_column(sa.Column('silent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('pin', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('broadcast') as batch:
        batch.add_column(sa.Column('attachment_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch.add_column(sa.Column('attachment_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch.add_column(sa.Column('attachment_file_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch.add_column(sa.Column('pin_in_groups', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'broadcastfile',
        sa.Column('broadcast_id', sa.Integer(), nullable=False),
        sa.Column('mime_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['broadcast_id'], ['broadcast.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('broadcast_id'),
    )


def downgrade() -> None:
    op.drop_table('broadcastfile')
    with op.batch_alter_table('broadcast') as batch:
        batch.drop_column('pin_in_groups')
        batch.drop_column('attachment_file_id')
        batch.drop_column('attachment_name')
        batch.drop_column('attachment_kind')
    with op.batch_alter_table('outboxmessage') as batch:
        batch.drop_column('pin')
        batch.drop_column('silent')
    with op.batch_alter_table('subscriber') as batch:
        batch.drop_column('quiet')

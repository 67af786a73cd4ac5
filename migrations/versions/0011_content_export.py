"""What content/*.yaml carries and the database did not keep, so `gcmbot content export` loses nothing:
source.file, statement.note, feed.note (translators' notes live in the `translations` JSON).

Revision ID: webexport1
Revises: feedback1
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'webexport1'
down_revision = 'feedback1'
branch_labels = None
depends_on = None

COLUMNS = (('source', 'file'), ('statement', 'note'), ('feed', 'note'))


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))


def downgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)

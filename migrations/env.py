"""Alembic environment: the engine comes from gcmbot (config.attributes["engine"])
or, for `alembic` on the command line, from GCMBOT_DATABASE_URL."""

from alembic import context
from sqlmodel import SQLModel

import gcmbot.models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def _engine():
    engine = config.attributes.get("engine")
    if engine is None:
        from gcmbot.config import load_settings
        from gcmbot.store.db import Database

        engine = Database(load_settings().database_url).engine
    return engine


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

"""Alembic environment: the connection comes from `naas db upgrade` (the app's engine)."""

from alembic import context

import naas.models  # noqa: F401  (registers every table)
from naas.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `naas db upgrade`")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported: run `naas db upgrade`")
run_migrations_online()

"""Alembic environment for the sandbox's example app.

The URL comes from $DATABASE_URL, e.g. postgresql://mgate@127.0.0.1:5432/stage, without a
password: libpq reads it from $PGPASSFILE (or ~/.pgpass), as it would in a migration Job.
"""
import os
import sys
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config

if config.config_file_name is not None:
    fileConfig(config.config_file_name)

# The app has no ORM models here; autogenerate is not used.
target_metadata = None


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        sys.exit("DATABASE_URL is not set: point it at the database to migrate "
                 "(the sandbox's env file exports STAGE_DATABASE_URL and PROD_DATABASE_URL)")
    # SQLAlchemy 1.4 dropped the "postgres://" alias that Heroku-style URLs use.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


def run_migrations_offline() -> None:
    """Emit the SQL to stdout instead of running it (alembic upgrade --sql)."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Connect and run the migrations in a transaction."""
    connectable = create_engine(database_url(), poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

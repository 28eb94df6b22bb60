"""Schema migrations (alembic), the same scripts for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from shared.db.engine import Database, ensure_sqlite_dir

MIGRATIONS = Path(__file__).with_name("migrations")

# Every module that defines tables; alembic compares the database against all of them.
MODEL_MODULES = [
    "shared.db.models",
    "shared.audit",
    "services.catalog.models",
    "services.webhooks.models",
    "services.stock.models",
    "services.orders.models",
    "bots.dealer.models",
    "shared.chat.models",
    "services.settlement.models",
    "services.pricing.models",
    "services.broadcasts.models",
    "services.access.models",
    "services.stats.models",
]


def load_models() -> type[SQLModel]:
    """Import every table module so SQLModel's metadata knows the whole schema."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return SQLModel


def alembic_config(url: str) -> Config:
    """An alembic configuration for ``url`` built in code, with no ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


class SchemaOutOfDate(RuntimeError):
    """The database is not at the newest migration."""


def upgrade_sync(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (blocking; runs its own event loop)."""
    ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The newest migration's revision id."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def check_current(db: Database) -> None:
    """Raise SchemaOutOfDate unless the database is at the newest migration."""

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as connection:
        found = await connection.run_sync(current)
    wanted = head_revision()
    if found != wanted:
        raise SchemaOutOfDate(
            f"the database is at migration {found or 'none'}, not {wanted}: run `baton migrate`"
        )


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` from async code."""
    await asyncio.to_thread(upgrade_sync, url, revision)

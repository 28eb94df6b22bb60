"""Schema migrations (alembic), the same scripts for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlmodel import SQLModel

MIGRATIONS = Path(__file__).with_name("migrations")

# Every module that defines tables; alembic compares the database against all of them.
MODEL_MODULES = ["shared.db.models"]


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


def upgrade_sync(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (blocking; runs its own event loop)."""
    command.upgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` from async code."""
    await asyncio.to_thread(upgrade_sync, url, revision)

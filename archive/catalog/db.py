"""Engines, transactions and migrations of the catalog database."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from archive.evidence.errors import ConfigurationError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Packages with tables of their own ship their revisions in a package named by this entry point
# group, branching off the catalog's; the catalog never imports them otherwise.
MIGRATION_GROUP = "aidrec.migrations"


class Catalog:
    """Opens read and write transactions; on SQLite writers take the lock up front."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_sqlite_dir(url)
            self._read_engine = _sqlite_engine(url, immediate=False, echo=echo)
            self._write_engine = _sqlite_engine(url, immediate=True, echo=echo)
        else:
            engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10)
            self._read_engine = self._write_engine = engine
        self._read = sessionmaker(self._read_engine, expire_on_commit=False)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return self._write_engine

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits when the block ends and rolls back on any error."""
        with self._write() as session, session.begin():
            yield session

    def lock_log(self, session: Session) -> None:
        """Serialise appends to the transparency log across processes."""
        if not self.is_sqlite:
            session.execute(text("SELECT pg_advisory_xact_lock(6216001)"))
        # SQLite: the write transaction already holds the database's write lock.

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", os.pathsep.join(
            str(path) for path in version_locations()))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self._write_engine.begin() as connection:
            config.attributes["connection"] = connection
            # Each package adds its own branch of revisions; apply every head.
            command.upgrade(config, "heads")

    def dispose(self) -> None:
        self._read_engine.dispose()
        self._write_engine.dispose()


def version_locations() -> list[Path]:
    """The catalog's own revisions, then each package's, found by entry point."""
    locations = [MIGRATIONS / "versions"]
    for ep in sorted(entry_points(group=MIGRATION_GROUP), key=lambda ep: ep.name):
        spec = find_spec(ep.value)
        if spec is None or not spec.submodule_search_locations:
            raise ConfigurationError(f"migrations {ep.name} = {ep.value!r}: no such package")
        locations.append(Path(next(iter(spec.submodule_search_locations))))
    return locations


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(url: str, *, immediate: bool, echo: bool) -> Engine:
    engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine

"""Every storage a study can live in, for storage-parametrised tests (Optuna's own tests do the same with their
STORAGE_MODES): the same behaviour must hold in memory, in SQLite, in a journal file and in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import optuna

if TYPE_CHECKING:
    from testing.postgres import PostgresServer

STORAGE_MODES = ("inmemory", "sqlite", "journal", "postgresql")
# A storage other processes can open: in-memory lives and dies with its one process, so it has no URL.
PERSISTENT_STORAGE_MODES = ("sqlite", "journal", "postgresql")


@contextmanager
def storage_url_or_object(
    mode: str, tmp_path: Path, postgres: PostgresServer | None = None
) -> Iterator[str | optuna.storages.BaseStorage]:
    """A storage URL as users give one (open it with optimizer.study.setup.open_storage), or, for "inmemory", which
    has no URL, an optuna.storages.InMemoryStorage. "postgresql" needs the throwaway server (tests/conftest.py:
    postgres_server) and gets a fresh database on it, dropped on exit."""
    if mode == "inmemory":
        yield optuna.storages.InMemoryStorage()
    elif mode == "sqlite":
        yield f"sqlite:///{tmp_path / 'study.db'}"
    elif mode == "journal":
        yield f"journal:///{tmp_path / 'study.journal'}"
    elif mode == "postgresql":
        if postgres is None:
            raise ValueError("the postgresql storage mode needs the throwaway server (postgres=)")
        name = f"t_{uuid.uuid4().hex[:12]}"
        try:
            yield postgres.create_database(name)
        finally:
            postgres.drop_database(name)
    else:
        raise ValueError(f"unknown storage mode {mode!r}: one of {', '.join(STORAGE_MODES)}")


def open_any(storage: str | optuna.storages.BaseStorage) -> optuna.storages.BaseStorage:
    """What storage_url_or_object gave, opened the way the project opens URLs (optimizer.study.open_storage:
    heartbeats, retries, journal files)."""
    from optimizer.study import open_storage

    return open_storage(storage) if isinstance(storage, str) else storage

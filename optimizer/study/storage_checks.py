"""Storage URLs checked and opened with one-line errors: a SQLite file in a missing folder or one that is not a
database, an unreachable PostgreSQL, a missing driver each name the URL (password hidden) instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from optimizer.errors import ConfigError
from optimizer.urls import public_url

SQLITE_MAGIC = b"SQLite format 3\x00"
CONNECT_TIMEOUT_S = 10  # an unreachable server (a firewall dropping packets) fails in seconds, not minutes


def sqlite_path(url: str) -> Path | None:
    """The file of sqlite:///path (None for other URLs and for in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    rest = url.split("://", 1)[1] if "://" in url else ""
    rest = rest.split("?", 1)[0]
    if not rest.startswith("/") or rest in ("/", "/:memory:"):
        return None
    return Path(rest[1:])


def check_sqlite(url: str, *, must_exist: bool = False) -> None:
    """The folder exists, and an existing file is a SQLite database; must_exist: reading never creates one."""
    path = sqlite_path(url)
    if path is None:
        return
    where = f"--storage: {public_url(url)}"
    if not path.parent.is_dir():
        raise ConfigError(f"{where}: folder {path.parent} does not exist")
    if path.is_dir():
        raise ConfigError(f"{where}: {path} is a folder, not a SQLite file")
    if not path.exists():
        if must_exist:
            raise ConfigError(f"{where}: no such database (reading a study never creates one)")
        return
    with open(path, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head and head != SQLITE_MAGIC:
        raise ConfigError(f"{where}: {path} is not a SQLite database")


def engine_connect_args(url: str) -> dict:
    if url.startswith("postgresql") and "connect_timeout" not in url:
        return {"connect_timeout": CONNECT_TIMEOUT_S}
    return {}


@contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """SQLAlchemy's errors on opening a storage (server down, bad credentials, no driver) as one ConfigError line."""
    import sqlalchemy.exc

    try:
        yield
    except sqlalchemy.exc.NoSuchModuleError:
        raise ConfigError(f"--storage: {public_url(url)}: no database driver installed for this URL") from None
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.DatabaseError, sqlalchemy.exc.ArgumentError) as exc:
        reason = getattr(exc, "orig", None) or exc
        text = " ".join(str(reason).split())
        raise ConfigError(f"--storage: {public_url(url)}: cannot open ({text})") from None
    except ImportError as exc:  # a dialect whose driver package is missing (e.g. mysql without pymysql)
        raise ConfigError(f"--storage: {public_url(url)}: database driver missing ({exc.name or exc})") from None

"""Storage and tracking URLs: the password hidden for messages, the driver SQLAlchemy should use, the journal file."""

from __future__ import annotations

from pathlib import Path


def public_url(url: str) -> str:
    """A storage or tracking URL without its password: postgresql://user:secret@host/db -> ...user:***@host/db."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest and ":" in rest.split("@", 1)[0]:
        user, host = rest.split("@", 1)
        return f"{scheme}://{user.split(':', 1)[0]}:***@{host}"
    return url


def psycopg2_url(url: str) -> str:
    """SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3; the driver installed here is psycopg2."""
    return "postgresql+psycopg2://" + url.removeprefix("postgresql://") if url.startswith("postgresql://") else url


def journal_path(url: str) -> Path | None:
    """The file of a journal:///path storage URL; None for any other URL. journal:////abs (an absolute path pasted
    after journal:///) is /abs, not //abs, which POSIX keeps as written and would show in every message."""
    if not url.startswith("journal:"):
        return None
    path = url.removeprefix("journal:").removeprefix("//")
    return Path("/" + path.lstrip("/") if path.startswith("/") else path)


def is_served(uri: str) -> bool:
    """A tracking URI that names a server (which decides artifact locations itself), not a database or file."""
    return uri.startswith(("http://", "https://", "databricks"))

"""Optuna storages by URL: SQLite and PostgreSQL (RDB, with heartbeats), or a journal file."""

from __future__ import annotations

import warnings

import optuna
from optuna.storages import JournalStorage, RDBStorage, RetryHeartbeatStaleTrialCallback

from optimizer.errors import ConfigError
from optimizer.study.journal_repair import RepairingJournalFileBackend, check_journal, repair_journal
from optimizer.study.paths import StudyPaths
from optimizer.study.recovery import GRACE_PERIOD_S, HEARTBEAT_INTERVAL_S, MAX_RETRY
from optimizer.study.storage_checks import check_sqlite, engine_connect_args, storage_errors
from optimizer.urls import journal_path, psycopg2_url


def open_storage(url: str, *, repair: bool = True) -> optuna.storages.BaseStorage:
    """sqlite:///path or postgresql://... (RDB, with heartbeats) or journal:///path (a journal file: many processes
    on one machine, or on a filesystem with working locks). A journal's torn tail is cut first (repair=False: only
    checked, for commands that only read); a damaged middle line is refused."""
    if (path := journal_path(url)) is not None:
        if not path.parent.is_dir():
            raise ConfigError(f"--storage: {url}: folder {path.parent} does not exist")
        if repair:
            repair_journal(path)
        elif path.is_file():
            check_journal(path)
        return JournalStorage(RepairingJournalFileBackend(str(path)))
    if not url.startswith(("sqlite", "postgresql", "mysql")):
        raise ConfigError(f"--storage: {url!r} is not a storage URL (sqlite:///..., postgresql://..., journal:///...)")
    check_sqlite(url)
    given, url = url, psycopg2_url(url)
    engine_kwargs: dict = {"pool_pre_ping": True, "connect_args": engine_connect_args(url)}
    if url.startswith("sqlite"):  # several local workers on one file: wait for the lock instead of failing
        engine_kwargs = {"connect_args": {"timeout": 60}}
    with warnings.catch_warnings(), storage_errors(given):
        # Heartbeats are "experimental" in Optuna 5 yet the documented way to recover crashed trials.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RDBStorage(
            url,
            engine_kwargs=engine_kwargs,
            heartbeat_interval=HEARTBEAT_INTERVAL_S,
            grace_period=GRACE_PERIOD_S,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY),
        )


def existing_storage(paths: StudyPaths, storage: str | None) -> str:
    """--storage, else the study's default SQLite file, which must exist: reading a study never creates one."""
    if storage is None and not paths.database.is_file():
        raise ConfigError(f"{paths.root}: study: no study here yet (run `autosynthda optimize` first)")
    url = storage or paths.default_storage
    check_sqlite(url, must_exist=True)  # opening a missing SQLite file or journal would create an empty one
    if (journal := journal_path(url)) is not None and not journal.is_file():
        raise ConfigError(f"--storage: {url}: no such journal file (reading a study never creates one)")
    return url

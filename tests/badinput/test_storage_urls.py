"""Bad --storage URLs for every command that takes one: one line naming the URL (password hidden), exit 2, and no
database, journal or studies/<name>/ folder created."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOOD = "target_class: fall\ndata:\n  classes: [fall, jump, punch, walk]\n"
REFUSED = "postgresql://autosynthda@127.0.0.1:{port}/study"  # a closed port on loopback: refused at once


def study(tmp: Path) -> Path:
    path = tmp / "s.yaml"
    path.write_text(GOOD)
    return path


def closed_port() -> int:
    import socket

    with socket.socket() as sock:  # bound, never listening: connections to it are refused
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def random_bytes(tmp: Path) -> Path:
    path = tmp / "random.db"
    path.write_bytes(os.urandom(4096))
    return path


def other_study_db(tmp: Path) -> Path:
    import optuna

    path = tmp / "other.db"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(study_name="other", storage=f"sqlite:///{path}")
    return path


def command(name: str, url_of) -> callable:
    """The command with --storage url_of(tmp) and the scratch folder as --studies-dir."""

    def argv(tmp: Path) -> list[object]:
        head = {
            "status": ["status", "s"],
            "optimize": ["optimize", study(tmp), "--no-tracking"],
            "setup": ["setup", study(tmp), "--no-tracking"],
            "worker": ["worker", study(tmp), "--no-tracking"],
            "select": ["select", study(tmp)],
            "export": ["export", study(tmp), "--out", tmp / "dataset"],
            "optuna-dashboard": ["optuna-dashboard", "s", "--port", "1"],
        }[name]
        return [*head, "--storage", url_of(tmp), "--studies-dir", tmp / "studies"]

    return argv


MISSING_FOLDER = (lambda tmp: f"sqlite:///{tmp}/no/such/folder/study.db", ("sqlite:///{tmp}/no/such/folder", "folder"))
RANDOM_BYTES = (lambda tmp: f"sqlite:///{random_bytes(tmp)}", ("sqlite:///{tmp}/random.db", "not a SQLite database"))
A_FOLDER = (lambda tmp: f"sqlite:///{tmp}", ("sqlite:///{tmp}", "folder"))
REFUSED_PG = (lambda tmp: REFUSED.format(port=closed_port()), ("postgresql://autosynthda@127.0.0.1:", "cannot open"))
NO_DRIVER = (lambda tmp: "mysql://u@127.0.0.1:1/db", ("mysql://u@127.0.0.1:1/db", "driver"))
NOT_A_URL = (lambda tmp: "study.db", ("'study.db'", "not a storage URL"))
UNKNOWN_SCHEME = (lambda tmp: "redis://127.0.0.1/0", ("redis://127.0.0.1/0", "not a storage URL"))
JOURNAL_MISSING_FOLDER = (lambda tmp: f"journal:///{tmp}/no/such/journal.log", ("journal:///{tmp}/no/such",))

URLS = {
    "sqlite-missing-folder": MISSING_FOLDER,
    "sqlite-random-bytes": RANDOM_BYTES,
    "sqlite-a-folder": A_FOLDER,
    "postgresql-refused": REFUSED_PG,
    "mysql-no-driver": NO_DRIVER,
    "not-a-url": NOT_A_URL,
    "unknown-scheme": UNKNOWN_SCHEME,
    "journal-missing-folder": JOURNAL_MISSING_FOLDER,
}

ROWS = {f"status-{kind}": (command("status", url), names) for kind, (url, names) in URLS.items()}
ROWS |= {f"optimize-{kind}": (command("optimize", url), names) for kind, (url, names) in URLS.items()}
ROWS |= {
    "setup-postgresql-refused": (command("setup", REFUSED_PG[0]), REFUSED_PG[1]),
    "setup-sqlite-random-bytes": (command("setup", RANDOM_BYTES[0]), RANDOM_BYTES[1]),
    "worker-sqlite-missing-folder": (command("worker", MISSING_FOLDER[0]), ("sqlite:///{tmp}/no/such", "has no study")),
    "worker-journal-missing-file": (command("worker", lambda tmp: f"journal:///{tmp}/j.log"), ("j.log", "has no study")),
    "worker-postgresql-refused": (command("worker", REFUSED_PG[0]), REFUSED_PG[1]),
    "worker-no-setup-yet": (lambda tmp: ["worker", study(tmp), "--studies-dir", tmp / "studies", "--no-tracking"],
                            ("{tmp}/studies/s", "study")),
    "select-sqlite-random-bytes": (command("select", RANDOM_BYTES[0]), RANDOM_BYTES[1]),
    "export-postgresql-refused": (command("export", REFUSED_PG[0]), REFUSED_PG[1]),
    # issue 16, item 8: reading created an empty database (or journal); the dashboard served a broken file
    "status-sqlite-missing-file": (command("status", lambda tmp: f"sqlite:///{tmp}/missing.db"),
                                   ("sqlite:///{tmp}/missing.db", "no such database")),
    "status-journal-missing-file": (command("status", lambda tmp: f"journal:///{tmp}/missing.log"),
                                    ("missing.log", "no such journal")),
    "export-sqlite-missing-file": (command("export", lambda tmp: f"sqlite:///{tmp}/missing.db"),
                                   ("sqlite:///{tmp}/missing.db", "no such database")),
    "optuna-dashboard-sqlite-random-bytes": (command("optuna-dashboard", RANDOM_BYTES[0]), RANDOM_BYTES[1]),
    "status-no-such-study-in-db": (command("status", lambda tmp: f"sqlite:///{other_study_db(tmp)}"),
                                   ("sqlite:///{tmp}/other.db", "no study named 's'")),
}

SUBPROCESS = ("status-postgresql-refused", "optimize-sqlite-random-bytes")


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_bad_storage_is_one_line_and_creates_nothing(kind, badinput):
    badinput.check(ROWS[kind])


@pytest.mark.parametrize("kind", SUBPROCESS)
def test_as_a_user_runs_it(kind, badinput):
    badinput.check_as_user(ROWS[kind])


def test_the_password_of_a_refused_url_is_never_shown(badinput, capsys, monkeypatch):
    from tests.badinput.conftest import run_in_process

    url = f"postgresql://autosynthda:hunter2@127.0.0.1:{closed_port()}/study"
    outcome = run_in_process(["status", "s", "--storage", url, "--studies-dir", badinput.tmp], capsys, monkeypatch)
    assert outcome.code == 2 and "autosynthda:***@127.0.0.1" in outcome.stderr
    assert "hunter2" not in outcome.stderr + outcome.stdout

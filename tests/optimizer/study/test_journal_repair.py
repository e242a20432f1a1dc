"""A journal whose last record was cut short (a crash, a full disk) is repaired before the next append, with a backup
of the cut bytes; a bad middle line is refused with one line naming it. Real `autosynthda` processes, real journals."""

from __future__ import annotations

import shlex
import subprocess

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from optimizer.study import open_storage
from optimizer.study.journal_repair import JournalDamaged, check_journal

STUDY = {
    "name": "torn",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 16, "real_views": "front", "synthetic_views": "front", "format": "jpg"},
    "search": {"trials": 2, "seed": 0, "sampler": "random", "ratio": [0.0, 1.0]},
    "scorer": {"kind": "standin", "standin_seconds": 0.0},
    "tracking": {"enabled": False},
}
TORN_TAILS = [
    b'{"op_code":4,"worker_id":"abc","trial_id":1,"par',  # an append cut short: no newline
    b"\x00" * 37 + b"\n",  # a full disk's zeros, with the newline of a later partial write
]


@pytest.fixture
def study(tmp_path, autosynthda):
    config = tmp_path / "torn.yaml"
    config.write_text(yaml.safe_dump(STUDY))
    journal = tmp_path / "study.journal"
    args = ["--storage", f"journal:///{journal}", "--studies-dir", tmp_path / "studies"]
    done = autosynthda("optimize", config, *args, "--device", "cpu")
    assert done.returncode == 0, done.stderr
    return config, journal, args


def states(journal):
    study = optuna.load_study(study_name="torn", storage=open_storage(f"journal:///{journal}", repair=False))
    return [t.state for t in study.trials]


@pytest.mark.parametrize("tail", TORN_TAILS, ids=["cut-short", "zeros"])
def test_a_torn_tail_is_cut_with_a_backup_before_the_next_run_appends(study, autosynthda, tail):
    config, journal, args = study
    whole = journal.read_bytes()
    journal.write_bytes(whole + tail)

    done = autosynthda("status", config, *args[:2])
    assert done.returncode == 0, done.stderr
    assert f"journal {journal}: its last record is torn ({len(tail)} bytes" in done.stdout
    assert journal.read_bytes() == whole + tail  # reading never writes

    done = autosynthda("optimize", config, *args, "--trials", "3", "--device", "cpu")
    assert done.returncode == 0, done.stderr
    backups = list(journal.parent.glob("study.journal.torn-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == tail
    assert f"journal {journal}: cut a torn last record ({len(tail)} bytes" in done.stderr
    assert journal.read_bytes().startswith(whole)

    done = autosynthda("status", config, *args[:2])  # before the fix: JSONDecodeError traceback from here on
    assert done.returncode == 0, done.stderr
    assert f"journal {journal}: repaired" in done.stdout and str(backups[0]) in done.stdout
    assert states(journal).count(TrialState.COMPLETE) == 3
    assert check_journal(journal).torn_bytes == 0


def test_a_bad_middle_line_is_refused_with_its_number_and_the_repair(study, autosynthda):
    config, journal, args = study
    lines = journal.read_bytes().splitlines(keepends=True)
    bad = len(lines) // 2
    damaged = b"".join(lines[:bad]) + b'{"op_code":4,"tri\n' + b"".join(lines[bad:])
    journal.write_bytes(damaged)
    for command in (["status", config, *args[:2]], ["optimize", config, *args, "--trials", "3"]):
        done = autosynthda(*command)
        assert done.returncode == 2, done.stderr
        message = done.stderr.strip()
        assert len(message.splitlines()) == 1 and "Traceback" not in message
        assert message.startswith(f"error: {journal}: line {bad + 1}: not a journal record")
        assert journal.read_bytes() == damaged  # refused, not touched
    fix = message.rsplit(": ", 1)[1]
    assert fix.startswith("sed -i.bak ")
    subprocess.run(shlex.split(fix), check=True)  # the repair it names works
    assert journal.read_bytes() == b"".join(lines)
    assert autosynthda("status", config, *args[:2]).returncode == 0


def test_a_file_of_random_bytes_is_not_taken_for_a_journal(tmp_path, autosynthda):
    config = tmp_path / "torn.yaml"
    config.write_text(yaml.safe_dump(STUDY))
    journal = tmp_path / "study.journal"
    noise = bytes(range(256)) * 8
    journal.write_bytes(noise)
    done = autosynthda("optimize", config, "--storage", f"journal:///{journal}", "--studies-dir", tmp_path / "s")
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: {journal}: journal: not an Optuna journal file (no line is a journal "
                                   "record); check the --storage path")
    assert journal.read_bytes() == noise


def test_a_tail_torn_while_the_storage_is_open_is_cut_before_the_next_append(tmp_path):
    """Another process killed mid-append after this one opened the journal: its next append cuts the tail first."""
    journal = tmp_path / "j.log"
    study = optuna.create_study(study_name="s", storage=open_storage(f"journal:///{journal}"))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with open(journal, "ab") as fh:
        fh.write(TORN_TAILS[0])
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    again = optuna.load_study(study_name="s", storage=open_storage(f"journal:///{journal}", repair=False))
    assert [t.state for t in again.trials] == [TrialState.COMPLETE] * 4
    assert [p.read_bytes() for p in tmp_path.glob("j.log.torn-*")] == [TORN_TAILS[0]]


def test_check_journal_names_the_first_bad_line(tmp_path):
    journal = tmp_path / "j.log"
    optuna.create_study(study_name="s", storage=open_storage(f"journal:///{journal}"))
    good = journal.read_bytes()
    journal.write_bytes(b"garbage\n" + good)
    with pytest.raises(JournalDamaged, match=r": line 1: not a journal record"):
        check_journal(journal)

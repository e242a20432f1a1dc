"""Partial entries name their owner (pid, host); a sweep removes only those of dead owners, so it is safe while other
writers work on the same root, and it never touches what is not ours."""

from __future__ import annotations

import os
import subprocess
import time

from generation.atomic import atomic_dir, partial_sibling
from generation.partials import (
    INCOMPLETE,
    LEGACY_STALE_S,
    TMP_TAG,
    clear_incomplete,
    mark_incomplete,
    owner_tag,
    sweep_partials,
    sweep_siblings,
)


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def aged(path, seconds=LEGACY_STALE_S + 60):
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def test_temp_names_carry_their_owner(tmp_path):
    with atomic_dir(tmp_path / "clip") as tmp:
        assert tmp.name.startswith(f".clip{TMP_TAG}{owner_tag()}")
        assert sweep_partials(tmp_path) == []  # ours, and we are alive
    assert os.listdir(tmp_path) == ["clip"]


def test_sweep_removes_only_dead_owners_entries(tmp_path):
    walk = tmp_path / "walk"
    (walk / "v0" / "rgb").mkdir(parents=True)
    dead = walk / f".v1{TMP_TAG}{owner_tag(dead_pid())}0123456789ab"
    (dead / "rgb").mkdir(parents=True)
    (dead / "rgb" / "000000.jpg").write_bytes(b"x")
    live = walk / f".v2{TMP_TAG}{owner_tag(os.getppid())}0123456789ab"  # our parent: alive
    live.mkdir()
    other_host = walk / f".v3{TMP_TAG}{dead_pid()}h00000000-0123456789ab"  # a pid of another machine: unknowable
    other_host.mkdir()
    legacy_old = walk / ".v4.autosynthda-tmp-0123456789ab"
    legacy_new = walk / ".v5.autosynthda-tmp-0123456789ab"
    legacy_new.mkdir()
    legacy_old.mkdir(exist_ok=True)
    aged(legacy_old)
    sheet = tmp_path / f".sheet.png{TMP_TAG}{owner_tag(dead_pid())}0123456789ab.png"
    sheet.write_bytes(b"x")
    users = tmp_path / ".cache"  # a dot entry that is not ours
    users.mkdir()
    assert sweep_partials(tmp_path) == sorted([dead, legacy_old, sheet])
    assert sorted(os.listdir(walk)) == sorted(["v0", live.name, other_host.name, legacy_new.name])
    assert users.is_dir()


def test_sweep_siblings_touches_only_the_targets_siblings(tmp_path):
    out = tmp_path / "export"
    mine = tmp_path / f".export{TMP_TAG}{owner_tag(dead_pid())}0123456789ab"
    (mine / "train").mkdir(parents=True)
    nested = tmp_path / f".{mine.name}{TMP_TAG}{owner_tag(dead_pid())}0123456789ab"  # assemble_trial's own staging
    nested.mkdir()
    legacy = aged(_mkdir(tmp_path / f".export.export-{dead_pid()}"))
    other = tmp_path / f".data{TMP_TAG}{owner_tag(dead_pid())}0123456789ab"
    other.mkdir()
    fresh = partial_sibling(out)
    fresh.mkdir()
    assert sweep_siblings(out) == sorted([mine, nested, legacy])
    assert sorted(os.listdir(tmp_path)) == sorted([other.name, fresh.name])


def _mkdir(path):
    path.mkdir()
    return path


def test_incomplete_marker(tmp_path):
    assert mark_incomplete(tmp_path) is False
    assert (tmp_path / INCOMPLETE).is_file()
    assert mark_incomplete(tmp_path) is True
    clear_incomplete(tmp_path)
    assert not (tmp_path / INCOMPLETE).exists()

"""The bad-input suite: every row is one kind of bad input a user can give a command, and every row holds the
promise of the README: exit code 2, exactly one line on stderr starting "error: " that names the file (or URL, or
option) and the field, no traceback, and nothing written or left behind.

Rows run in-process through `optimizer.cli.app.main` (the function the console script calls) with their argv; a
representative subset of each module also runs as a subprocess, as a user runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "generation" / "samples" / "data"
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Outcome:
    code: object
    stdout: str
    stderr: str


def snapshot(*roots: Path) -> dict[str, tuple[bool, int, int]]:
    """Every entry under roots (hidden temp entries included) with (is_dir, size, mtime_ns)."""
    found: dict[str, tuple[bool, int, int]] = {}
    for root in roots:
        if not root.exists():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                st = p.lstat()
                found[str(p)] = (p.is_dir(), st.st_size if not p.is_dir() else 0, st.st_mtime_ns)
        found[str(root)] = (True, 0, 0)
    return found


def run_in_process(argv: list[object], capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    from optimizer.cli.app import main

    monkeypatch.setattr(sys, "argv", ["autosynthda", *map(str, argv)])
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        main()
    out, err = capsys.readouterr()
    return Outcome(stopped.value.code, out, err)


def run_subprocess(argv: list[object]) -> Outcome:
    done = subprocess.run([sys.executable, "-m", "optimizer.cli", *map(str, argv)], capture_output=True, text=True,
                          timeout=300)
    return Outcome(done.returncode, done.stdout, done.stderr)


def check_row(row: tuple, tmp: Path, run: Callable[[list[object]], Outcome]) -> None:
    """row: (argv, names) or (argv, names, watch). argv(tmp) builds the command line in the scratch folder (making its
    inputs there); names: what the one line must contain ({tmp} stands for the scratch folder); watch(tmp): places
    besides the scratch folder that must be unchanged too."""
    make_argv, names, *rest = row
    argv = make_argv(tmp)
    watched = [tmp, *(rest[0](tmp) if rest else ())]
    before = snapshot(*watched)
    outcome = run(argv)
    after = snapshot(*watched)
    lines = outcome.stderr.splitlines()
    assert outcome.code == EXIT_BAD_INPUT, f"exit {outcome.code}, stderr: {outcome.stderr[-2000:]}"
    assert len(lines) == 1 and lines[0].startswith("error: "), f"not one line: {outcome.stderr[-2000:]!r}"
    assert "Traceback" not in outcome.stderr + outcome.stdout
    for name in names:
        assert name.format(tmp=tmp) in lines[0], f"{name.format(tmp=tmp)!r} not named in {lines[0]!r}"
    created = sorted(set(after) - set(before))
    changed = sorted(p for p in set(after) & set(before) if after[p] != before[p] and not after[p][0])
    removed = sorted(set(before) - set(after))
    assert not created and not changed and not removed, f"left behind {created}, changed {changed}, removed {removed}"


@dataclass
class BadInput:
    """check(row): the row in-process; check_as_user(row): the row as a subprocess."""

    tmp: Path
    capsys: pytest.CaptureFixture
    monkeypatch: pytest.MonkeyPatch

    def check(self, row: tuple) -> None:
        check_row(row, self.tmp, lambda argv: run_in_process(argv, self.capsys, self.monkeypatch))

    def check_as_user(self, row: tuple) -> None:
        check_row(row, self.tmp, run_subprocess)


@pytest.fixture
def badinput(scratch, capsys, monkeypatch) -> BadInput:
    return BadInput(scratch, capsys, monkeypatch)


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """The scratch folder, also the working directory (so a relative default like studies/ cannot leak into the
    repository)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUTOSYNTHDA_STORAGE", raising=False)
    return tmp_path


# --- pose files made in the scratch folder (the row tables import these) -------------------------------------------

TINY_BVH = """HIERARCHY
ROOT Root
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Mid
  {
    OFFSET 0 2 0
    CHANNELS 3 Xrotation Yrotation Zrotation
    End Site
    {
      OFFSET 1 0 0
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.5
1 2 3 0 0 0 0 0 0
0 0 0 90 0 0 0 90 0
0 0 0 0 90 0 0 0 90
"""


def good_clip(tmp: Path, name: str = "good.npz") -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((SAMPLES / "fall_Boxing_Toes_00.npz").read_bytes())
    return path


def canonical_with(tmp: Path, name: str, **changes) -> Path:
    """The good canonical clip with some arrays replaced (None: the key removed)."""
    import numpy as np

    with np.load(SAMPLES / "fall_Boxing_Toes_00.npz", allow_pickle=False) as npz:
        data = {key: npz[key] for key in npz.files}
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    path = tmp / name
    np.savez(path, **data)
    return path


def good_joints():
    import numpy as np

    with np.load(SAMPLES / "fall_Boxing_Toes_00.npz", allow_pickle=False) as npz:
        return np.array(npz["joints"])


def text_file(tmp: Path, name: str, text: str = "hello, not poses\n") -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def array_file(tmp: Path, name: str, array) -> Path:
    import numpy as np

    path = tmp / name
    np.save(path, array)
    return path


def strided_file(tmp: Path, name: str, **arrays) -> Path:
    import numpy as np

    path = tmp / name
    np.savez(path, **arrays)
    return path


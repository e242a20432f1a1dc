"""Bad input to `autosynthda render`: options, pose files and outputs. One line naming the option or the file, exit 2,
and no --out folder (nor previews beside it) left behind."""

from __future__ import annotations

import numpy as np
import pytest

from tests.badinput.conftest import canonical_with, good_clip, good_joints, text_file


def render(*options: object, poses=good_clip, out="frames"):
    def argv(tmp):
        target = out(tmp) if callable(out) else tmp / out
        return ["render", poses(tmp), "--out", target, "--device", "cpu", *options]

    return argv


def nan_clip(tmp):
    joints = good_joints().copy()
    joints[4, 7, 2] = np.inf
    return canonical_with(tmp, "inf.npz", joints=joints)


def a_folder_with_one_bad_clip(tmp):
    folder = tmp / "clips"
    good_clip(folder)
    canonical_with(folder, "bad.npz", fps=None)
    return folder


F = "{tmp}/"
ROWS = {
    "views-random-zero": (render("--views", "random:0"), ("random:0",)),
    "views-custom-not-numbers": (render("--views", "custom:left:up"), ("custom:left:up",)),
    "size-not-a-number": (render("--size", "big"), ("--size",)),
    "size-too-large": (render("--size", "100000"), ("--size",)),
    "body-unknown": (render("--body", "robot"), ("--body", "robot")),
    "body-smpl-without-model": (render("--body", "smpl", "--smpl-model-dir", "/no/such/smpl"),
                                ("/no/such/smpl",)),
    "device-garbage": (render("--device", "gpu7"), ("--device", "gpu7")),
    "device-no-such-cuda": (render("--device", "cuda:99"), ("--device", "cuda:99")),
    "seed-not-a-number": (render("--seed", "x"), ("--seed",)),
    "poses-missing": (render(poses=lambda tmp: tmp / "nothere.npz"), (F + "nothere.npz",)),
    "poses-nan": (render(poses=nan_clip), (F + "inf.npz", "joints", "non-finite")),
    "poses-unknown-suffix": (render(poses=lambda tmp: text_file(tmp, "clip.csv")), (F + "clip.csv", "format")),
    "poses-folder-with-one-bad-clip": (render(poses=a_folder_with_one_bad_clip), (F + "clips/bad.npz", "fps")),
    "poses-empty-folder": (render(poses=lambda tmp: (tmp / "empty").mkdir() or tmp / "empty"), (F + "empty",)),
    "out-an-existing-file": (render(out=lambda tmp: text_file(tmp, "afile")), (F + "afile", "file")),
    "out-under-a-file": (render(out=lambda tmp: text_file(tmp, "afile") / "frames"), (F + "afile",)),
    # issue 16, item 7: a ZeroDivisionError traceback before
    "size-zero": (render("--size", "0"), ("--size", "0")),
    # issue 16, item 8: rendered the default look, named the internal `fmt` or no option, left an empty --out
    "appearance-unknown": (render("--appearance", "weird"), ("--appearance", "weird")),
    "appearance-british-spelling": (render("--appearance", "randomised"), ("--appearance", "randomised")),
    "format-gif": (render("--format", "gif"), ("--format", "gif")),
    "views-unknown": (render("--views", "front,sideways"), ("--views", "sideways")),
    "views-empty": (render("--views", ","), ("--views",)),
    "poses-text-named-npz": (render(poses=lambda tmp: text_file(tmp, "clip.npz")), (F + "clip.npz", "file")),
    "out-in-new-folders-not-left-behind": (render("--format", "tiff", out="new/deeper/frames"), ("--format",)),
}

SUBPROCESS = ("size-zero", "appearance-unknown")


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_bad_render_input_is_one_line_and_writes_nothing(kind, badinput):
    badinput.check(ROWS[kind])


@pytest.mark.parametrize("kind", SUBPROCESS)
def test_as_a_user_runs_it(kind, badinput):
    badinput.check_as_user(ROWS[kind])


def test_a_text_file_named_npz_gets_no_advice_to_load_it_unsafely(badinput, capsys, monkeypatch):
    from tests.badinput.conftest import run_in_process

    outcome = run_in_process(["render", text_file(badinput.tmp, "t.npz"), "--out", badinput.tmp / "o"], capsys,
                             monkeypatch)
    line = outcome.stderr.replace(str(badinput.tmp), "<tmp>")  # the scratch path carries the test's name
    assert outcome.code == 2 and "not a NumPy file" in line
    assert "pickle" not in line.lower() and "unsafe" not in line.lower()

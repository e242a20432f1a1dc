"""Bad input to `autosynthda poses info|convert|import|extract`: broken pose files of every supported format, bad
options and outputs. One line naming the file and the field, exit 2, nothing written (no --out, no report)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.badinput.conftest import (
    TINY_BVH,
    array_file,
    canonical_with,
    good_clip,
    good_joints,
    strided_file,
    text_file,
)

NAN = float("nan")


def with_nan(joints: np.ndarray, frame: int = 5) -> np.ndarray:
    joints = joints.copy()
    joints[frame, 3, 1] = NAN
    return joints


def info(make_file, *options: str):
    return lambda tmp: ["poses", "info", make_file(tmp), *options]


def convert(make_src, out: str = "out.npz", *options: str):
    return lambda tmp: ["poses", "convert", make_src(tmp), "--out", tmp / out, *options]


def folder_of(*makers):
    def make(tmp: Path) -> Path:
        folder = tmp / "clips"
        folder.mkdir(exist_ok=True)
        for maker in makers:
            maker(folder)
        return folder

    return make


def class_tree(tmp: Path, files: dict[str, str]) -> Path:
    root = tmp / "src"
    for rel, text in files.items():
        text_file(root, rel, text)
    return root


def read_only_place() -> Path | None:
    """/sys refuses new entries even to root (how the 'not writable' rows run as root); None where it does not."""
    probe = Path("/sys/autosynthda-badinput-probe")
    try:
        probe.mkdir()
    except OSError:
        return None if not Path("/sys").is_dir() else Path("/sys/autosynthda-badinput")
    probe.rmdir()
    return None


READ_ONLY = read_only_place()
needs_read_only = pytest.mark.skipif(READ_ONLY is None, reason="no read-only place here (/sys accepts new entries)")

F = "{tmp}/"
ROWS = {
    # poses info: one broken file each
    "info-missing-file": (info(lambda tmp: tmp / "nothere.npz"), (F + "nothere.npz", "does not exist")),
    "info-empty-npz": (info(lambda tmp: text_file(tmp, "empty.npz", "")), (F + "empty.npz", "file")),
    "info-canonical-nan": (info(lambda tmp: canonical_with(tmp, "c.npz", joints=with_nan(good_joints()))),
                           (F + "c.npz", "joints", "non-finite", "frame 5")),
    "info-canonical-inf": (info(lambda tmp: canonical_with(tmp, "c.npz", joints=good_joints() * np.inf)),
                           (F + "c.npz", "joints", "non-finite")),
    "info-canonical-no-joints-key": (info(lambda tmp: canonical_with(tmp, "c.npz", joints=None)),
                                     (F + "c.npz", "joints", "missing")),
    "info-canonical-no-fps-key": (info(lambda tmp: canonical_with(tmp, "c.npz", fps=None)), (F + "c.npz", "fps")),
    "info-canonical-21-joints": (info(lambda tmp: canonical_with(tmp, "c.npz", joints=good_joints()[:, :21])),
                                 (F + "c.npz", "joints", "22")),
    "info-canonical-2d-joints": (info(lambda tmp: canonical_with(tmp, "c.npz", joints=good_joints()[:, :, :2])),
                                 (F + "c.npz", "joints")),
    "info-canonical-flat-joints": (info(lambda tmp: canonical_with(tmp, "c.npz", joints=good_joints()[:, 0, 0])),
                                   (F + "c.npz", "joints")),
    "info-canonical-one-frame": (info(lambda tmp: canonical_with(tmp, "c.npz", joints=good_joints()[:1])),
                                 (F + "c.npz", "joints", "2 frames")),
    "info-canonical-no-frames": (info(lambda tmp: canonical_with(tmp, "c.npz", joints=good_joints()[:0])),
                                 (F + "c.npz", "joints")),
    "info-canonical-text-joints": (info(lambda tmp: canonical_with(tmp, "c.npz", joints=np.array(["a", "b"]))),
                                   (F + "c.npz", "joints")),
    "info-strided-no-key": (info(lambda tmp: strided_file(tmp, "s.npz", poses=np.zeros((4, 17, 3)))),
                            (F + "s.npz", "reconstruction", "missing")),
    "info-strided-nan": (info(lambda tmp: strided_file(tmp, "s.npz", reconstruction=np.full((4, 17, 3), NAN))),
                         (F + "s.npz", "reconstruction", "non-finite")),
    "info-strided-2d": (info(lambda tmp: strided_file(tmp, "s.npz", reconstruction=np.zeros((4, 17, 2)))),
                        (F + "s.npz", "reconstruction")),
    "info-strided-16-joints": (info(lambda tmp: strided_file(tmp, "s.npz", reconstruction=np.zeros((4, 16, 3)))),
                               (F + "s.npz", "reconstruction", "17")),
    "info-strided-batched": (info(lambda tmp: strided_file(tmp, "s.npz", reconstruction=np.zeros((1, 4, 17, 3)))),
                             (F + "s.npz", "reconstruction")),
    "info-humanml3d-21-joints": (info(lambda tmp: array_file(tmp, "m.npy", np.zeros((8, 21, 3)))),
                                 (F + "m.npy", "22")),
    "info-humanml3d-nan": (info(lambda tmp: array_file(tmp, "m.npy", np.full((8, 22, 3), NAN))),
                           (F + "m.npy", "non-finite")),
    "info-humanml3d-text": (info(lambda tmp: text_file(tmp, "m.npy")), (F + "m.npy", "file", "not a readable .npy")),
    "info-humanml3d-object-array": (info(lambda tmp: array_file(tmp, "m.npy", np.array([{"a": 1}], dtype=object))),
                                    (F + "m.npy", "file")),
    "info-unknown-suffix": (info(lambda tmp: text_file(tmp, "clip.csv", "1,2,3\n")), (F + "clip.csv", "format")),
    "info-no-suffix": (info(lambda tmp: text_file(tmp, "clip", "1,2,3\n")), (F + "clip", "format")),
    "info-bvh-truncated": (info(lambda tmp: text_file(tmp, "t.bvh", TINY_BVH.replace("Frames: 3", "Frames: 5"))),
                           (F + "t.bvh", "MOTION", "3 of 5 frames")),
    "info-bvh-unknown-rig": (info(lambda tmp: text_file(tmp, "r.bvh", TINY_BVH)), (F + "r.bvh", "unknown rig")),
    "info-bvh-no-hierarchy": (info(lambda tmp: text_file(tmp, "h.bvh", TINY_BVH.split("MOTION")[1])),
                              (F + "h.bvh", "HIERARCHY")),
    "info-bvh-no-motion": (info(lambda tmp: text_file(tmp, "m.bvh", TINY_BVH.split("MOTION")[0])),
                           (F + "m.bvh", "MOTION")),
    "info-bvh-non-numeric-frame": (info(lambda tmp: text_file(tmp, "n.bvh", TINY_BVH.replace("1 2 3", "1 abc 3"))),
                                   (F + "n.bvh", "MOTION", "abc")),
    "info-bvh-missing-brace": (info(lambda tmp: text_file(tmp, "b.bvh", TINY_BVH.replace("}\nMOTION", "MOTION"))),
                               (F + "b.bvh", "HIERARCHY")),
    "info-bvh-bad-frame-time": (info(lambda tmp: text_file(tmp, "f.bvh", TINY_BVH.replace("0.5", "fast"))),
                                (F + "f.bvh", "MOTION")),
    "info-bvh-binary": (info(lambda tmp: (tmp / "x.bvh").write_bytes(b"\x00\xff" * 64) and tmp / "x.bvh"),
                        (F + "x.bvh",)),
    "info-deepmimic-without-urdf": (info(lambda tmp: text_file(tmp, "d.txt", '{"Frames": [[0.1, 0.0, 1.0]]}')),
                                    (F + "d.txt", "urdf")),
    "info-format-unknown": (info(good_clip, "--format", "fbx"), (F + "good.npz", "format", "fbx")),
    "info-format-mismatch": (info(good_clip, "--format", "bvh"), (F + "good.npz",)),
    "info-format-strided-on-canonical": (info(good_clip, "--format", "strided"), (F + "good.npz", "reconstruction")),
    "info-a-folder": (info(lambda tmp: (tmp / "dir.npz").mkdir() or tmp / "dir.npz"), (F + "dir.npz",)),
    # poses convert: outputs and folders
    "convert-out-not-npz": (convert(good_clip, "out.npy"), (F + "out.npy", "--out", ".npz")),
    "convert-bad-input-writes-nothing": (convert(lambda tmp: canonical_with(tmp, "c.npz", fps=None)),
                                         (F + "c.npz", "fps")),
    "convert-folder-one-bad-file": (
        convert(folder_of(good_clip, lambda d: canonical_with(d, "bad.npz", joints=with_nan(good_joints()))), "out"),
        (F + "clips/bad.npz", "joints")),
    "convert-empty-folder": (convert(folder_of(), "out"), (F + "clips", "no pose files")),
    "convert-missing-src": (convert(lambda tmp: tmp / "nothere.npz"), (F + "nothere.npz", "does not exist")),
    "convert-format-unknown": (convert(good_clip, "out.npz", "--format", "c3d"), ("format", "c3d")),
    # issue 16, item 7: tracebacks before
    "convert-out-an-existing-folder": (
        lambda tmp: (tmp / "out.npz").mkdir() or ["poses", "convert", good_clip(tmp), "--out", tmp / "out.npz"],
        (F + "out.npz", "--out", "folder")),
    "convert-out-under-a-file": (
        lambda tmp: ["poses", "convert", good_clip(tmp), "--out", text_file(tmp, "afile") / "x.npz"],
        (F + "afile/x.npz", "--out", "is a file")),
    "convert-folder-out-an-existing-file": (
        lambda tmp: ["poses", "convert", folder_of(good_clip)(tmp), "--out", text_file(tmp, "afile")],
        (F + "afile", "--out", "file")),
    # poses import
    "import-missing-folder": (lambda tmp: ["poses", "import", tmp / "nothere", "--out", tmp / "bank"],
                              (F + "nothere", "path")),
    "import-no-class-folders": (lambda tmp: ["poses", "import", folder_of()(tmp), "--out", tmp / "bank"],
                                (F + "clips", "path", "no")),
    "import-format-unknown": (
        lambda tmp: ["poses", "import", class_tree(tmp, {"fall/a.bvh": TINY_BVH}), "--out", tmp / "bank", "--format",
                     "fbx"], ("--format", "fbx")),
    "import-fps-zero": (
        lambda tmp: ["poses", "import", class_tree(tmp, {"fall/a.bvh": TINY_BVH}), "--out", tmp / "bank", "--fps", "0"],
        ("--fps",)),
    # poses extract (issue 16, item 8: these left an empty --out folder)
    "extract-missing-folder": (lambda tmp: ["poses", "extract", tmp / "nothere", "--out", tmp / "bank"],
                               (F + "nothere", "path")),
    "extract-no-videos": (lambda tmp: ["poses", "extract", folder_of(good_clip)(tmp), "--out", tmp / "bank"],
                          (F + "clips", "no videos")),
    "extract-workers-negative": (
        lambda tmp: ["poses", "extract", class_tree(tmp, {"fall/a.mp4": "x"}), "--out", tmp / "bank", "--workers",
                     "-1"], ("--workers",)),
    # issue 16, item 8: numpy's advice to load a text file "unsafely" with allow_pickle
    "info-text-named-npz": (info(lambda tmp: text_file(tmp, "t.npz")), (F + "t.npz", "file", "not a NumPy file")),
    "extract-min-detection-above-one": (
        lambda tmp: ["poses", "extract", tmp, "--out", tmp / "bank", "--min-detection", "2"], ("--min-detection",)),
    "extract-max-gap-not-a-number": (
        lambda tmp: ["poses", "extract", tmp, "--out", tmp / "bank", "--max-gap", "soon"], ("--max-gap",)),
}

if READ_ONLY is not None:
    ROWS["convert-out-read-only"] = (lambda tmp: ["poses", "convert", good_clip(tmp), "--out", READ_ONLY / "x.npz"],
                                     (str(READ_ONLY / "x.npz"), "--out", "not writable"))

SUBPROCESS = ("info-canonical-nan", "convert-out-an-existing-folder")


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_bad_pose_input_is_one_line_and_writes_nothing(kind, badinput):
    badinput.check(ROWS[kind])


@pytest.mark.parametrize("kind", SUBPROCESS)
def test_as_a_user_runs_it(kind, badinput):
    badinput.check_as_user(ROWS[kind])

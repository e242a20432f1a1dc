from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generation import atomic as _fs
from generation.writers import (
    WriterError,
    check_writable_dir,
    split_batch,
    sweep_partials,
    write_frame_folder,
    write_frame_folders,
)


def read_clip(clip_dir: Path) -> np.ndarray:
    """Read a clip the way TAO does: sorted(os.listdir(rgb)), each opened with PIL."""
    rgb = clip_dir / "rgb"
    return np.stack([np.asarray(Image.open(rgb / name).convert("RGB")) for name in sorted(os.listdir(rgb))])


def listing(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_frame_names_zero_padded_and_sorted_in_frame_order(tmp_path, smooth_clip):
    clip = smooth_clip(frames=12)
    out = write_frame_folder(clip, tmp_path / "walk" / "v0", fmt="png", start_index=95, digits=4)
    names = os.listdir(out / "rgb")
    assert sorted(names) == [f"{i:04d}.png" for i in range(95, 107)]
    assert np.array_equal(read_clip(out), clip)  # sorted order is frame order across the 99 -> 100 boundary


def test_names_that_would_not_sort_are_refused(tmp_path, smooth_clip):
    with pytest.raises(WriterError, match="frame index 100 needs more than 2 digits"):
        write_frame_folder(smooth_clip(frames=3), tmp_path / "v", start_index=98, digits=2)
    assert not (tmp_path / "v").exists()


def test_png_round_trip_is_lossless(tmp_path):
    clip = np.random.default_rng(1).integers(0, 256, (4, 17, 23, 3), dtype=np.uint8)  # noise, odd sizes
    out = write_frame_folder(clip, tmp_path / "c" / "v", fmt="png")
    assert np.array_equal(read_clip(out), clip)


def test_jpg_decodes_to_right_size_within_a_few_grey_levels(tmp_path, smooth_clip):
    clip = smooth_clip(frames=3, height=48, width=64)
    back = read_clip(write_frame_folder(clip, tmp_path / "v", fmt="jpg", quality=95))
    assert back.shape == clip.shape
    err = np.abs(back.astype(int) - clip.astype(int))
    assert err.mean() < 2.0 and np.percentile(err, 99) <= 8


def test_parallel_write_equals_sequential(tmp_path, smooth_clip):
    clips = [smooth_clip(frames=4, seed=s) for s in range(8)]
    for fmt in ("jpg", "png"):
        seq = write_frame_folders([(c, tmp_path / f"seq-{fmt}" / f"v{i}") for i, c in enumerate(clips)], fmt=fmt, workers=1)
        par = write_frame_folders([(c, tmp_path / f"par-{fmt}" / f"v{i}") for i, c in enumerate(clips)], fmt=fmt, workers=4)
        assert [p.name for p in par] == [p.name for p in seq] == [f"v{i}" for i in range(8)]
        assert listing(tmp_path / f"par-{fmt}") == listing(tmp_path / f"seq-{fmt}")


def _fail_on_nth_save(monkeypatch, n: int) -> None:
    calls = {"n": 0}
    real_save = Image.Image.save

    def save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise RuntimeError("simulated encoder crash")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", save)


def test_failure_mid_clip_leaves_no_clip_and_no_temp(tmp_path, smooth_clip, monkeypatch):
    _fail_on_nth_save(monkeypatch, 3)
    with pytest.raises(RuntimeError, match="simulated"):
        write_frame_folder(smooth_clip(frames=5), tmp_path / "walk" / "v0")
    assert os.listdir(tmp_path / "walk") == []


def test_failure_mid_replacement_keeps_the_old_complete_clip(tmp_path, smooth_clip, monkeypatch):
    old = smooth_clip(frames=5, seed=1)
    target = write_frame_folder(old, tmp_path / "v0", fmt="png")
    _fail_on_nth_save(monkeypatch, 3)
    with pytest.raises(RuntimeError):
        write_frame_folder(smooth_clip(frames=5, seed=2), target, fmt="png")
    assert os.listdir(tmp_path) == ["v0"]
    assert np.array_equal(read_clip(target), old)


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_existing_clip_is_replaced_whole(tmp_path, smooth_clip, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(_fs, "_exchange", lambda a, b: False)
    target = write_frame_folder(smooth_clip(frames=6, seed=1), tmp_path / "v0", fmt="png")
    new = smooth_clip(frames=3, seed=2)
    write_frame_folder(new, target, fmt="png")
    assert os.listdir(tmp_path) == ["v0"]
    assert np.array_equal(read_clip(target), new)  # no stale frames 3..5 from the longer old clip


def test_parallel_failure_leaves_every_clip_complete_or_absent(tmp_path, smooth_clip, monkeypatch):
    clips = [(smooth_clip(frames=4, seed=s), tmp_path / f"v{s}") for s in range(6)]
    _fail_on_nth_save(monkeypatch, 7)
    with pytest.raises(RuntimeError):
        write_frame_folders(clips, fmt="png", workers=2)
    for entry in os.listdir(tmp_path):
        assert entry.startswith("v")
        assert len(os.listdir(tmp_path / entry / "rgb")) == 4


def test_sweep_partials_removes_what_a_killed_writer_left(tmp_path, smooth_clip):
    write_frame_folder(smooth_clip(), tmp_path / "walk" / "v0")
    (tmp_path / "walk" / ".v1.autosynthda-tmp-abc" / "rgb").mkdir(parents=True)
    (tmp_path / ".sheet.autosynthda-tmp-abc.png").write_bytes(b"x")
    past = time.time() - 2 * 3600  # names without an owner pid are removed once untouched for an hour
    for path in (tmp_path / "walk" / ".v1.autosynthda-tmp-abc", tmp_path / ".sheet.autosynthda-tmp-abc.png"):
        os.utime(path, (past, past))
    removed = sweep_partials(tmp_path)
    assert sorted(p.name for p in removed) == [".sheet.autosynthda-tmp-abc.png", ".v1.autosynthda-tmp-abc"]
    assert os.listdir(tmp_path / "walk") == ["v0"]


def test_unknown_format_names_value_and_known(tmp_path, smooth_clip):
    with pytest.raises(WriterError, match=r"fmt: unknown frame format 'gif' \(known: jpg, png\)"):
        write_frame_folder(smooth_clip(), tmp_path / "v", fmt="gif")


@pytest.mark.parametrize(
    ("frames", "shown"),
    [
        (np.zeros((2, 8, 8, 3), np.float32), r"float32 \(2, 8, 8, 3\)"),
        (np.zeros((2, 8, 8), np.uint8), r"uint8 \(2, 8, 8\)"),
        (np.zeros((2, 8, 8, 4), np.uint8), r"uint8 \(2, 8, 8, 4\)"),
        (np.zeros((0, 8, 8, 3), np.uint8), r"empty clip \(0, 8, 8, 3\)"),
        ([[1, 2]], "got list"),
    ],
)
def test_bad_frames_name_shape_and_dtype(tmp_path, frames, shown):
    with pytest.raises(WriterError, match=shown) as info:
        write_frame_folder(frames, tmp_path / "v")
    assert str(info.value).startswith(f"{tmp_path / 'v'}: frames: ")
    assert not (tmp_path / "v").exists()


def test_unwritable_dir_under_a_file_is_one_line_naming_the_path(tmp_path, smooth_clip):
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "out"
    with pytest.raises(WriterError) as info:
        check_writable_dir(target)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{target}: output directory: not writable (")
    assert isinstance(info.value, OSError)
    with pytest.raises(WriterError, match="output directory: not writable"):
        write_frame_folder(smooth_clip(), target / "walk" / "v0")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_unwritable_read_only_dir(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(WriterError, match=r"output directory: not writable \(Permission denied\)"):
            check_writable_dir(ro / "out")
    finally:
        ro.chmod(0o700)


def test_bad_frames_are_refused_before_any_clip_is_written(tmp_path, smooth_clip):
    good, bad = smooth_clip(), smooth_clip().astype(np.float32)
    with pytest.raises(WriterError, match="float32"):
        write_frame_folders([(good, tmp_path / "v0"), (bad, tmp_path / "v1")], workers=2)
    assert os.listdir(tmp_path) == []
    with pytest.raises(WriterError, match="given twice"):
        write_frame_folders([(good, tmp_path / "v0"), (good, tmp_path / "." / "v0")])


def test_torch_tensor_input(tmp_path, smooth_clip):
    torch = pytest.importorskip("torch")  # optional: the writers only duck-type tensors
    clip = smooth_clip(frames=3)
    out = write_frame_folder(torch.from_numpy(clip), tmp_path / "v", fmt="png")
    assert np.array_equal(read_clip(out), clip)
    batch = torch.from_numpy(np.stack([clip, clip[::-1].copy()]))
    written = write_frame_folders(zip(split_batch(batch), [tmp_path / "b0", tmp_path / "b1"]), fmt="png")
    assert np.array_equal(read_clip(written[1]), clip[::-1])
    with pytest.raises(WriterError, match=r"torch.float32|float32 \(3,"):
        write_frame_folder(torch.from_numpy(clip).float(), tmp_path / "f")


def test_unwritable_when_no_file_can_be_created(tmp_path, monkeypatch):
    # Stands in for a read-only mount, which root cannot simulate with chmod.
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_fs.tempfile, "mkstemp", refuse)
    with pytest.raises(WriterError) as info:
        check_writable_dir(tmp_path / "out")
    assert str(info.value) == f"{tmp_path / 'out'}: output directory: not writable (Permission denied)"


def test_os_error_while_saving_names_clip_and_frame(tmp_path, smooth_clip, monkeypatch):
    real_save = Image.Image.save
    calls = {"n": 0}

    def save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", save)
    with pytest.raises(WriterError, match=r"v0: frame 1: No space left on device$"):
        write_frame_folder(smooth_clip(), tmp_path / "v0")
    assert os.listdir(tmp_path) == []


def test_cuda_tensor_input(tmp_path, smooth_clip):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    clip = smooth_clip(frames=3)
    out = write_frame_folder(torch.from_numpy(clip).cuda(), tmp_path / "v", fmt="png")
    assert np.array_equal(read_clip(out), clip)


def test_option_errors_without_a_path(tmp_path, smooth_clip):
    with pytest.raises(WriterError, match=r"^fmt: unknown frame format 'webp' \(known: jpg, png\)$"):
        write_frame_folders([(smooth_clip(), tmp_path / "v")], fmt="webp")
    with pytest.raises(WriterError, match=r"^workers: 0 is less than 1$"):
        write_frame_folders([(smooth_clip(), tmp_path / "v")], workers=0)

"""`autosynthda render` as a user runs it: TAO frame folders, previews and a contact sheet; bad input fails early."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from generation.dataset import check_tao_layout
from generation.poses import PoseSequence, save_canonical
from generation.samples import sample_files


@pytest.fixture
def poses(tmp_path):
    folder = tmp_path / "poses"
    folder.mkdir()
    for path in sample_files():
        if path.stem in ("walk_humanoid3d_walk_00", "fall_Boxing_Toes_00"):
            (folder / path.name).write_bytes(path.read_bytes())
    return folder


def test_render_folder_to_tao_layout_with_previews(poses, tmp_path, autosynthda):
    out = tmp_path / "out"
    done = autosynthda("render", poses, "--out", out, "--views", "front,random:2", "--size", "48", "--format", "png",
                       "--mp4", "--contact-sheet")
    assert done.returncode == 0, done.stderr
    report = check_tao_layout(out, ["fall", "walk"], rgb_seq_length=8)
    assert report.videos_per_class == {"fall": 3, "walk": 3}
    videos = sorted(p.name for p in (out / "fall").iterdir())
    assert videos == ["fall_Boxing_Toes_00__front", "fall_Boxing_Toes_00__random0", "fall_Boxing_Toes_00__random1"]
    frame = np.asarray(Image.open(out / "fall" / videos[0] / "rgb" / "000000.png"))
    assert frame.shape == (48, 48, 3)
    previews = tmp_path / "out_previews"
    with av.open(str(previews / f"{videos[0]}.mp4")) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == len(list((out / "fall" / videos[0] / "rgb").iterdir()))
    assert Image.open(previews / "contact_sheet.png").size[0] > 48 * 3


def test_render_bad_inputs_are_one_line_and_write_nothing(poses, tmp_path, autosynthda):
    out = tmp_path / "out"
    done = autosynthda("render", poses, "--out", out, "--views", "front,sideways")
    assert done.returncode == 2 and done.stderr.startswith("error: --views: unknown view 'sideways'")
    assert len(done.stderr.strip().splitlines()) == 1 and not out.exists()

    empty = tmp_path / "empty.npz"
    np.savez(empty, reconstruction=np.zeros((0, 17, 3), np.float32))
    done = autosynthda("render", empty, "--out", out)
    assert done.returncode == 2 and done.stderr.strip() == f"error: {empty}: reconstruction: needs at least 2 frames, got 0"

    bad = PoseSequence(np.ones((4, 22, 3), np.float32))
    path = save_canonical(bad, tmp_path / "nan.npz")
    with np.load(path) as data:
        arrays = dict(data)
    arrays["joints"][2, 3, 1] = np.nan
    np.savez(path, **arrays)
    done = autosynthda("render", path, "--out", out)
    assert done.returncode == 2 and "joints: 1 non-finite values" in done.stderr and str(path) in done.stderr

    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = autosynthda("render", poses, "--out", blocker / "sub")
    assert done.returncode == 2 and "not writable" in done.stderr and str(blocker) in done.stderr
    assert not out.exists()

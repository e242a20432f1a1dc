from __future__ import annotations

import os

import av
import numpy as np
import pytest

from generation.writers import WriterError, mp4_encoder, write_mp4


@pytest.mark.parametrize(("height", "width"), [(48, 64), (33, 45)])
def test_mp4_decodes_with_frame_count_size_and_colour(tmp_path, smooth_clip, height, width):
    clip = smooth_clip(frames=12, height=height, width=width)
    path = write_mp4(clip, tmp_path / "clip.mp4", fps=25)
    assert os.listdir(tmp_path) == ["clip.mp4"]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == 25
        decoded = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(stream)])
    even_h, even_w = height + height % 2, width + width % 2  # odd sizes padded for yuv420p
    assert decoded.shape == (12, even_h, even_w, 3)
    for t in (0, 11):
        mean_in = clip[t].reshape(-1, 3).mean(0)
        mean_out = decoded[t, :height, :width].reshape(-1, 3).mean(0)
        assert np.abs(mean_out - mean_in).max() < 4


def test_mp4_encoder_is_h264():
    assert mp4_encoder() in ("libx264", "h264")


def test_mp4_bad_options(tmp_path, smooth_clip):
    with pytest.raises(WriterError, match="crf: 60 is outside 0..51"):
        write_mp4(smooth_clip(), tmp_path / "a.mp4", crf=60)
    with pytest.raises(WriterError, match="fps: 0 is not positive"):
        write_mp4(smooth_clip(), tmp_path / "a.mp4", fps=0)
    assert os.listdir(tmp_path) == []


def test_mp4_failure_leaves_old_file_and_no_temp(tmp_path, smooth_clip, monkeypatch):
    path = write_mp4(smooth_clip(), tmp_path / "a.mp4")
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("simulated")

    monkeypatch.setattr(av.VideoFrame, "from_ndarray", broken)
    with pytest.raises(RuntimeError):
        write_mp4(smooth_clip(seed=3), path)
    assert os.listdir(tmp_path) == ["a.mp4"] and path.read_bytes() == before

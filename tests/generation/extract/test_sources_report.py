"""Finding videos and frame folders, reading frames, and the report (CSV, table, exit rule)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generation.errors import PoseDataError
from generation.extract import (
    COLUMNS,
    ExtractError,
    ReportRow,
    find_videos,
    format_table,
    open_frames,
    read_report,
    require_success,
    summary,
    write_report,
)
from generation.extract.sources import frame_files, upright


def test_find_videos_layout(tmp_path):
    (tmp_path / "fall").mkdir()
    (tmp_path / "fall" / "b.MP4").write_bytes(b"x")
    (tmp_path / "fall" / "a.avi").write_bytes(b"x")
    (tmp_path / "fall" / "notes.txt").write_text("not a video")
    (tmp_path / "fall" / ".tmp.mp4").write_bytes(b"x")
    (tmp_path / "walk" / "clip1" / "rgb").mkdir(parents=True)
    (tmp_path / "walk" / "no_rgb").mkdir()
    (tmp_path / "loose.mp4").write_bytes(b"x")  # not in a class folder
    found = find_videos(tmp_path)
    assert [(v.label, v.name, v.kind) for v in found] == [
        ("fall", "a", "video"), ("fall", "b", "video"), ("walk", "clip1", "frames"),
    ]
    assert found[2].path == tmp_path / "walk" / "clip1" / "rgb"


def test_find_videos_errors(tmp_path):
    with pytest.raises(PoseDataError, match="does not exist"):
        find_videos(tmp_path / "missing")
    (tmp_path / "fall").mkdir()
    with pytest.raises(PoseDataError, match="no videos found"):
        find_videos(tmp_path)


def test_frame_folder_reads_in_natural_order(tmp_path):
    rgb = tmp_path / "fall" / "v" / "rgb"
    rgb.mkdir(parents=True)
    for i in (10, 2, 1):
        Image.fromarray(np.full((8, 6, 3), i, dtype=np.uint8)).save(rgb / f"frame_{i}.png")
    assert [p.name for p in frame_files(rgb)] == ["frame_1.png", "frame_2.png", "frame_10.png"]
    (source,) = find_videos(tmp_path)
    fps, frames = open_frames(source, max_frames=2, folder_fps=25.0)
    frames = list(frames)
    assert fps == 25.0 and len(frames) == 2 and frames[1].shape == (8, 6, 3) and frames[1][0, 0, 0] == 2


def test_upright_applies_the_display_rotation():
    img = np.arange(6).reshape(2, 3)
    assert upright(img, 0) is img
    assert np.array_equal(upright(img, 90), np.rot90(img))  # FFmpeg: degrees counter-clockwise
    assert np.array_equal(upright(img, -90), np.rot90(img, -1))
    assert upright(img, 180).shape == (2, 3)


def rows() -> list[ReportRow]:
    return [
        ReportRow("a.mp4", "fall", "ok", "", frames=60, detected_frames=57, detection_rate=0.95, gaps_filled=1,
                  kept_frames=58, output="/x/fall/a.npz"),
        ReportRow("b.mp4", "fall", "error", "unreadable video (Invalid data\nfound)"),
        ReportRow("c/", "walk", "skipped", "no person detected in any of 12 frames", frames=12, detected_frames=0,
                  detection_rate=0.0),
    ]


def test_report_csv_and_table(tmp_path):
    path = write_report(rows(), tmp_path / "r" / "report.csv")
    table = read_report(path)
    assert list(table[0]) == list(COLUMNS)
    assert table[0]["detection_rate"] == "0.950" and table[0]["gaps_filled"] == "1" and table[0]["kept_frames"] == "58"
    assert table[1]["reason"] == "unreadable video (Invalid data found)" and table[1]["frames"] == ""
    assert [r["status"] for r in table] == ["ok", "error", "skipped"]
    printed = format_table(rows())
    lines = printed.splitlines()
    assert len(lines) == 5 and lines[0].split()[:3] == ["video", "class", "frames"]
    assert "unreadable video (Invalid data found)" in lines[3]
    assert summary(rows()) == "1 converted, 1 skipped, 1 errors"


def test_require_success():
    require_success(rows(), "videos", "r.csv")
    with pytest.raises(ExtractError, match=r"videos: nothing converted \(0 converted, 1 skipped, 1 errors\); see r.csv"):
        require_success(rows()[1:], "videos", "r.csv")


def test_row_status_is_checked():
    with pytest.raises(ValueError, match="status"):
        ReportRow("a", "b", "fine")

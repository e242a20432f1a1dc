"""MediaPipe on a real video of a person (Sports2D's demo clip), and bad inputs as one-line report entries."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generation.extract import ExtractOptions, extract_videos, read_report
from generation.poses import SMPL22_NAMES, estimate_stature, load_poses

pytestmark = pytest.mark.usefixtures("mediapipe_available")

J = {name: i for i, name in enumerate(SMPL22_NAMES)}
LIMBS = {
    "left thigh": ("l_hip", "l_knee"), "right thigh": ("r_hip", "r_knee"), "left shin": ("l_knee", "l_ankle"),
    "right shin": ("r_knee", "r_ankle"), "left upper arm": ("l_shoulder", "l_elbow"),
    "right upper arm": ("r_shoulder", "r_elbow"),
}
FRAMES = 60  # the man on the box, standing then crouching to jump; keeps the test short


def limb_cv(joints: np.ndarray) -> dict[str, float]:
    out = {}
    for limb, (a, b) in LIMBS.items():
        lengths = np.linalg.norm(joints[:, J[a]] - joints[:, J[b]], axis=-1)
        out[limb] = float(lengths.std() / lengths.mean())
    return out


@pytest.fixture(scope="module")
def extracted(real_video, tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    (root / "in" / "jump").mkdir(parents=True)
    (root / "in" / "jump" / "demo.mp4").symlink_to(real_video)
    rows = extract_videos(root / "in", root / "out", ExtractOptions(max_frames=FRAMES), workers=1, progress=False)
    return rows, root / "out" / "jump" / "demo.npz"


def test_real_video_gives_a_plausible_skeleton(extracted):
    (row,), path = extracted
    assert row.status == "ok", row.reason
    assert row.frames == FRAMES and row.detection_rate >= 0.9 and row.kept_frames >= 0.9 * FRAMES
    seq = load_poses(path)
    assert seq.label == "jump" and seq.fps == pytest.approx(30.0) and seq.joints.shape[1:] == (22, 3)
    assert seq.meta["extractor"] == "mediapipe-pose" and seq.meta["extractor_version"] == "0.10.21"
    assert 1.4 <= estimate_stature(seq) <= 2.1
    cv = limb_cv(seq.joints.astype(np.float64))
    assert max(cv.values()) < 0.15, cv
    j = seq.joints
    # canonical frame, y down: head above the pelvis above the ankles in every frame
    assert (j[:, J["head"], 1] < j[:, J["pelvis"], 1]).all() and (j[:, J["pelvis"], 1] < j[:, J["l_ankle"], 1]).all()
    # he faces the camera at the start: his left shoulder is on the image's right (+x)
    assert np.median(j[:10, J["l_shoulder"], 0] - j[:10, J["r_shoulder"], 0]) > 0.15


def test_bad_inputs_are_report_lines_and_the_run_goes_on(real_video, videos, cli, tmp_path):
    src = tmp_path / "videos"
    (src / "jump").mkdir(parents=True)
    (src / "jump" / "demo.mp4").symlink_to(real_video)
    rgb = src / "jump" / "demo_frames" / "rgb"  # the same person as a TAO frame folder
    rgb.mkdir(parents=True)
    for i, frame in enumerate(videos.first_frames(real_video, 20)):
        Image.fromarray(frame).resize((884, 497)).save(rgb / f"{i:06d}.jpg")
    (src / "bad").mkdir()
    (src / "bad" / "garbage.mp4").write_bytes(np.random.default_rng(0).bytes(4096))
    videos.zero_frames(src / "bad" / "empty.avi")
    videos.grey(src / "bad" / "nobody.mp4", frames=12)
    report = tmp_path / "report.csv"
    done = cli("poses", "extract", src, "--out", tmp_path / "poses", "--workers", "2", "--max-frames", "30",
               "--report", report)
    assert done.returncode == 0, done.stderr
    rows = {r["video"]: r for r in read_report(report)}
    assert rows["garbage.mp4"]["status"] == "error" and rows["garbage.mp4"]["reason"].startswith("unreadable video")
    assert rows["empty.avi"]["status"] == "error" and rows["empty.avi"]["reason"] == "zero frames (nothing decodable)"
    assert rows["nobody.mp4"]["status"] == "skipped"
    assert rows["nobody.mp4"]["reason"] == "no person detected in any of 12 frames"
    assert rows["nobody.mp4"]["detection_rate"] == "0.000"
    assert rows["demo.mp4"]["status"] == "ok" and rows["demo.mp4"]["frames"] == "30"
    assert rows["demo_frames/"]["status"] == "ok" and rows["demo_frames/"]["frames"] == "20"
    assert all("\n" not in r["reason"] for r in rows.values())
    assert sorted(p.name for p in (tmp_path / "poses" / "jump").iterdir()) == ["demo.npz", "demo_frames.npz"]
    assert not (tmp_path / "poses" / "bad").exists()
    printed = done.stdout.splitlines()
    assert printed[0].split()[:4] == ["video", "class", "frames", "detected"]
    assert any(line.startswith("garbage.mp4") and "error" in line for line in printed)
    assert printed[-1] == f"2 converted, 1 skipped, 2 errors; report {report}"


def test_nothing_converted_exits_2_with_one_line(videos, cli, tmp_path):
    src = tmp_path / "videos" / "bad"
    src.mkdir(parents=True)
    (src / "garbage.mov").write_bytes(b"\x00not a video\x00" * 50)
    videos.grey(src / "nobody.mp4", frames=6)
    done = cli("poses", "extract", tmp_path / "videos", "--out", tmp_path / "poses", "--workers", "1")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {tmp_path / 'videos'}: nothing converted (0 converted, 1 skipped, 1 errors); "
        f"see {tmp_path / 'poses' / 'extract_report.csv'}"
    ]
    assert (tmp_path / "poses" / "extract_report.csv").is_file()

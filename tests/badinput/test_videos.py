"""Bad input of a study on videos (data.videos): each fails before anything is created (no studies/<name>/, no
study.db, no frames) with one line naming the file and the key. The videos are tiny real H.264 files written here."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

Y = "{tmp}/s.yaml"


def tiny_mp4(path: Path, frames: int = 6, size: tuple[int, int] = (32, 24), fps: int = 30) -> Path:
    """A real (if empty of people) H.264 video."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            rgb = np.full((size[1], size[0], 3), 20 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def videos(tmp: Path, counts: dict[str, int] | None = None, *, root: str = "videos") -> Path:
    """root/<class>/<class>_<i>.mp4, `counts` videos per class (default 3 lunge, 3 walk)."""
    folder = tmp / root
    for label, n in (counts or {"lunge": 3, "walk": 3}).items():
        for i in range(n):
            tiny_mp4(folder / label / f"{label}_{i}.mp4")
    return folder


def presplit_without_test_walk(tmp: Path) -> Path:
    folder = tmp / "videos"
    for split, classes in (("train", ("lunge", "walk")), ("val", ("lunge", "walk")), ("test", ("lunge",))):
        for label in classes:
            tiny_mp4(folder / split / label / f"{split}_{label}.mp4")
    return folder


def groups_naming_a_missing_video(tmp: Path) -> Path:
    folder = videos(tmp)
    (tmp / "groups.csv").write_text("video,group\nlunge/lunge_0.mp4,a\nlunge/lunge_9.mp4,b\n")
    return folder


def study(tmp: Path, data: str, extra: str = "") -> Path:
    path = tmp / "s.yaml"
    path.write_text(f"target_class: lunge\ndata:\n{data}{extra}")
    return path


def optimize(make_yaml: Callable[[Path], Path]) -> Callable:
    return lambda tmp: ["optimize", make_yaml(tmp), "--studies-dir", tmp / "studies", "--no-tracking"]


def on_videos(extra_data: str = "", extra: str = "", make=videos) -> Callable:
    def make_yaml(tmp: Path) -> Path:
        folder = make(tmp)
        return study(tmp, f"  videos: {folder}\n{extra_data}", extra)
    return optimize(make_yaml)


def on_poses(extra_data: str = "", extra: str = "") -> Callable:
    """A pose-file study (the bundled clips) given a key of video studies."""
    def make_yaml(tmp: Path) -> Path:
        path = tmp / "s.yaml"
        path.write_text(f"target_class: fall\ndata:\n  classes: [fall, jump]\n{extra_data}{extra}")
        return path
    return optimize(make_yaml)


ROWS = {
    # the config alone
    "real-and-videos": (on_videos("  real: generation/samples/data\n"),
                        (Y, "data", "give data.real (pose files) or data.videos (videos), not both")),
    "videos-missing": (optimize(lambda tmp: study(tmp, "  videos: /no/such/videos\n")),
                       (Y, "data.videos", "/no/such/videos")),
    "videos-a-file": (optimize(lambda tmp: study(tmp, f"  videos: {tiny_mp4(tmp / 'one.mp4')}\n")),
                      (Y, "data.videos", "not a folder")),
    "groups-missing": (on_videos("  groups: /no/such/groups.csv\n"), (Y, "data.groups", "/no/such/groups.csv")),
    "poses-missing": (on_videos("  poses: /no/such/poses\n"), (Y, "data.poses", "/no/such/poses")),
    "fps-zero": (on_videos("  fps: 0\n"), (Y, "data.fps")),
    "fps-yes": (on_videos("  fps: yes\n"), (Y, "data.fps", "number")),
    "groups-without-videos": (on_poses("  groups: g.csv\n"), (Y, "data", "groups", "data.videos")),
    "fps-without-videos": (on_poses("  fps: 25\n"), (Y, "data", "fps", "data.videos")),
    "plates-without-videos": (on_poses("", "render:\n  background: plates\n"), (Y, "render", "background")),
    "source-camera-without-videos": (on_poses("", "render:\n  camera: source\n"), (Y, "render", "camera")),
    "background-unknown": (on_videos("", "render:\n  background: beach\n"), (Y, "render.background", "beach")),
    "camera-unknown": (on_videos("", "render:\n  camera: drone\n"), (Y, "render.camera", "drone")),
    "pairs-fps-in-a-video-study": (on_videos("", "pairs:\n  fps: 20\n"), (Y, "pairs", "fps", "data.fps")),
    # the videos found
    "class-with-two-videos": (on_videos(make=lambda tmp: videos(tmp, {"lunge": 2, "walk": 3})),
                              ("{tmp}/videos", "lunge")),
    "target-without-videos": (on_videos(make=lambda tmp: videos(tmp, {"walk": 3, "jump": 3})),
                              ("{tmp}/videos", "target_class", "lunge")),
    "one-class-only": (on_videos(make=lambda tmp: videos(tmp, {"lunge": 3})), ("{tmp}/videos", "one class")),
    "presplit-test-lacks-a-class": (on_videos(make=presplit_without_test_walk), ("{tmp}/videos", "test", "walk")),
    "poses-lack-a-train-video": (on_videos("  poses: {tmp}/poses\n", make=lambda tmp: (tmp / "poses").mkdir() or
                                           videos(tmp)), ("data.poses", "{tmp}/poses", "no pose file for video")),
    "groups-name-a-missing-video": (on_videos(f"  groups: {'{tmp}'}/groups.csv\n", make=groups_naming_a_missing_video),
                                    ("{tmp}/groups.csv", "lunge_9")),
}

SUBPROCESS = ("real-and-videos", "class-with-two-videos")


def _fill(row: tuple) -> tuple:
    """{tmp} in a row's yaml text is filled in when the row runs (the scratch folder is only known then)."""
    make_argv, names = row

    def argv(tmp: Path) -> list[object]:
        args = make_argv(tmp)
        yaml_file = Path(args[1])
        yaml_file.write_text(yaml_file.read_text().replace("{tmp}", str(tmp)))
        return args
    return argv, names


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_bad_video_study_input_is_one_line_and_writes_nothing(kind, badinput):
    badinput.check(_fill(ROWS[kind]))


@pytest.mark.parametrize("kind", SUBPROCESS)
def test_as_a_user_runs_it(kind, badinput):
    badinput.check_as_user(_fill(ROWS[kind]))

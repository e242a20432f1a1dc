"""NVIDIA's own action_recognition (nvidia-tao-pytorch 7.3.0 on CPU, the venv testing/tao/cpu builds) trained and
evaluated inside a real container through DockerRuntime and TaoScorer: `make test-tao` (marker real_tao).

The image is the tests' Debian bookworm image; the venv and the interpreter it was made with (its pyvenv.cfg `home`)
are mounted read-only at their host paths, so the container runs exactly the files the local lane runs, with the
venv's `action_recognition` and `python` first on PATH (TAO starts its tasks with the `python` it finds there).
Skips, with the reason, where the venv is not built or its interpreter is not there to mount.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from optimizer.scoring import TrialDataset
from optimizer.scoring.tao import TaoConfig, TaoScorer
from optimizer.scoring.tao.docker_runtime import DockerRuntime
from optimizer.scoring.tao.runtimes import Mount
from tests.optimizer.scoring.tao.docker.conftest import STUDY, owned_by_us

pytestmark = [pytest.mark.real_tao, pytest.mark.usefixtures("docker_env", "no_leftovers")]

IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Small enough for 2 cores: one data-loader worker, one clip per video, two segments per test video.
SMALL = {"dataset.workers": 1, "dataset.clips_per_video": 1, "evaluate.video_num_segments": 2}


def tao_venv() -> Path:
    configured = os.environ.get("AUTOSYNTHDA_TAO_VENV")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "autosynthda" / "tao-venv"


@pytest.fixture(scope="module")
def tao_mounts() -> tuple[Path, tuple[Mount, ...]]:
    venv = tao_venv()
    if not (venv / "autosynthda-bin" / "action_recognition").is_file():
        pytest.skip(f"no TAO CPU venv at {venv} (`make test-tao` builds it)")
    home = next((line.split("=", 1)[1].strip() for line in (venv / "pyvenv.cfg").read_text().splitlines()
                 if line.split("=", 1)[0].strip() == "home"), None)
    if home is None or not Path(home).is_dir():
        pytest.skip(f"{venv}/pyvenv.cfg: its interpreter's folder ({home}) is not here to mount")
    prefix = Path(home).resolve().parent  # <prefix>/bin/python3.x: the prefix holds the stdlib and libpython
    return venv, (Mount(prefix, str(prefix)), Mount(venv.resolve(), str(venv.resolve())))


def write_split(root: Path, videos: int, rng: random.Random, frames: int = 4, size: int = 64) -> None:
    """Two classes a 3D CNN can tell apart: a bright square moving down (fall) or right (walk)."""
    for label in ("fall", "walk"):
        for i in range(videos):
            rgb = root / label / f"{label}_{i:02d}" / "rgb"
            rgb.mkdir(parents=True)
            x, y, shade = rng.randrange(size // 4), rng.randrange(size // 4), rng.randrange(40, 90)
            for f in range(frames):
                img = Image.new("RGB", (size, size), (shade, shade, shade))
                dx, dy = (0, f * 8) if label == "fall" else (f * 8, 0)
                ImageDraw.Draw(img).rectangle([x + dx, y + dy, x + dx + 16, y + dy + 16], fill=(230, 230, 230))
                img.save(rgb / f"{f:06d}.jpg", quality=90)


def test_nvidias_action_recognition_trains_and_evaluates_in_a_container(docker_client, tao_mounts, tmp_path):
    from testing.docker.image import base_image

    venv, mounts = tao_mounts
    image = base_image(docker_client)
    rng = random.Random(0)
    root = tmp_path / "00000"
    for split, videos in (("train", 4), ("val", 2), ("test", 2)):
        write_split(root / split, videos, rng)
    trial = TrialDataset(root, {"fall": 0, "walk": 1}, "fall")
    # gpus "all" in the spec tells TAO one device (its CPU shim runs it on the CPU); the container asks for none.
    cfg = TaoConfig(runtime="docker", image=image, epochs=1, batch_size=2, input_size=64, timeout_s=900,
                    stop_grace_s=2, shm_size="1G", spec_overrides=SMALL)
    runtime = DockerRuntime(image, gpus="none", network="none", grace_s=2, shm_size="1G", extra_mounts=mounts,
                            env={"PATH": f"{venv.resolve()}/autosynthda-bin:{IMAGE_PATH}"})
    result = TaoScorer(cfg, STUDY, runtime, poll_max_s=1.0).score(trial, seed=0)

    tao = root / "tao"
    evaluate_log = (tao / "evaluate.log").read_text()
    assert "Total accuracy: " in evaluate_log and "Execution status: PASS" in evaluate_log
    (*_, last) = (tao / "results" / "evaluate" / "status.json").read_text().splitlines()
    status = json.loads(last)
    assert status["message"] == "Evaluate finished successfully."  # TAO's own words, written in the container
    assert 0 <= result.accuracy <= 1 and len(result.epochs) == 1
    assert result.info["kpi_source"] == "status.json"
    assert result.info["tao_accuracy_percent"] == pytest.approx(status["kpi"]["accuracy"])
    assert owned_by_us(tao / "results" / "train" / "status.json")
    assert not list(tao.rglob("*.pth"))

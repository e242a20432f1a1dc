"""Real containers, only where a Docker daemon answers (skipped with the reason otherwise; the machine this was
written on had none, so these have not run yet).

1. Any daemon with a small local image (AUTOSYNTHDA_TEST_IMAGE, default python:3.12-slim, never pulled here): the
   runtime's mounts really are read-only / read-write, the container runs as our uid, logs stream, and the container
   is gone afterwards.
2. A daemon with the TAO image pulled and an NVIDIA GPU: one real TAO trial (1 epoch) through TaoScorer.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from optimizer.scoring.tao import DEFAULT_IMAGE, TaoConfig, TaoScorer
from optimizer.scoring.tao.docker_runtime import DockerRuntime
from optimizer.scoring.tao.runtimes import Job, Mount

docker = pytest.importorskip("docker", reason="the Docker SDK is not installed")


def client_or_skip():
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.skip(f"no Docker daemon answers ({' '.join(str(exc).split())[:120]}): real-container tests skipped")
    return client


def image_or_skip(client, image: str) -> None:
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        pytest.skip(f"image {image} is not pulled on this machine (tests never pull)")


SCRIPT = """
import os, pathlib
print("uid", os.getuid(), flush=True)
pathlib.Path("/results/ok").write_text("written")
try:
    pathlib.Path("/data/x").write_text("nope")
    print("data writable", flush=True)
except OSError as exc:
    print("data read-only", exc.errno, flush=True)
"""


def test_a_real_container_gets_the_mounts_user_and_cleanup(tmp_path):
    client = client_or_skip()
    image = os.environ.get("AUTOSYNTHDA_TEST_IMAGE", "python:3.12-slim")
    image_or_skip(client, image)
    data, results = tmp_path / "data", tmp_path / "results"
    data.mkdir()
    results.mkdir()
    job = Job("autosynthda-test-00000-probe", ("python3", "-c", SCRIPT),
              (Mount(data, "/data"), Mount(results, "/results", read_only=False)), log_path=tmp_path / "probe.log")
    runtime = DockerRuntime(image, gpus=[])  # no GPU request: any daemon can run this one
    runtime.preflight()
    handle = runtime.start(job)
    deadline = time.monotonic() + 120
    while handle.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    ended = handle.close()
    log = job.log_path.read_text()
    assert ended.code == 0, log
    assert f"uid {os.getuid()}" in log and "data read-only" in log
    assert (results / "ok").read_text() == "written" and (results / "ok").stat().st_uid == os.getuid()
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(job.name)


def test_one_real_tao_trial(tmp_path):
    client = client_or_skip()
    image_or_skip(client, DEFAULT_IMAGE)
    if shutil.which("nvidia-smi") is None:
        pytest.skip("no NVIDIA GPU here: TAO training needs one")
    from tests.optimizer.tao.conftest import make_trial

    trial = make_trial(tmp_path / "00000", {"fall": 4, "walk": 4}, {"fall": 2, "walk": 2}, {"fall": 2, "walk": 2})
    cfg = TaoConfig(runtime="docker", epochs=1, batch_size=2, timeout_s=1800)
    result = TaoScorer.from_config(cfg, study="integration").score(trial, seed=0)
    assert 0 <= result.accuracy <= 1 and len(result.epochs) == 1
    assert not list(trial.root.rglob("*.pth"))

"""A real Docker daemon for the session (testing/docker/daemon.py: the machine's own when it answers, else a
throwaway `dockerd --bridge=none --iptables=false` started and stopped here) and the stand-in image, made offline
(testing/docker/image.py). Where neither can be had the tests skip with the reason; .ci/run installs docker.io."""

from __future__ import annotations

import os

import pytest

from tests.optimizer.scoring.tao.conftest import STANDIN

STUDY = "dockertest"


@pytest.fixture(scope="session")
def docker_daemon():
    pytest.importorskip("docker", reason="the Docker SDK is not installed")
    from testing.docker.daemon import DockerUnavailable, docker_daemon
    from testing.docker.image import cache_dir

    context = docker_daemon(data_root=cache_dir() / "dockerd-data")
    try:
        daemon = context.__enter__()
    except DockerUnavailable as exc:
        pytest.skip(f"no Docker daemon here ({exc}); .ci/run installs Debian's docker.io")
    try:
        if daemon.started_here:  # our own daemon: what a killed earlier session left in its kept data root goes
            client = daemon.client()
            for container in client.containers.list(all=True):
                container.remove(force=True)
            client.close()
        yield daemon
    finally:
        context.__exit__(None, None, None)


@pytest.fixture(scope="session")
def docker_client(docker_daemon):
    client = docker_daemon.client()
    yield client
    client.close()


@pytest.fixture(scope="session")
def standin_image(docker_client) -> str:
    """autosynthda-test/tao-standin:1: Debian bookworm + python3 + PyYAML with the stand-in as action_recognition."""
    from testing.docker.daemon import DockerUnavailable
    from testing.docker.image import standin_image

    try:
        return standin_image(docker_client, STANDIN)
    except DockerUnavailable as exc:
        pytest.skip(f"no test image ({exc})")


@pytest.fixture
def docker_env(docker_daemon, monkeypatch):
    """DOCKER_HOST of the session's daemon, for code that calls docker.from_env() (DockerRuntime, the CLI)."""
    for key, value in docker_daemon.environ().items():
        monkeypatch.setenv(key, value)
    return docker_daemon.environ()


@pytest.fixture
def no_leftovers(docker_client):
    """Every test here must leave no container of the test study behind, whatever happened."""
    yield
    left = docker_client.containers.list(all=True, filters={"label": f"autosynthda.study={STUDY}"})
    names = [c.name for c in left]
    for container in left:
        container.remove(force=True)
    assert not names, f"containers left behind: {names}"


def owned_by_us(path) -> bool:
    st = path.stat()
    return (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the checkout (CI clones main with shared/ next to it); AUTOSYNTHDA_SHARED overrides.
SHARED = Path(os.environ.get("AUTOSYNTHDA_SHARED", REPO.parent / "shared"))


def _shared_subdir(name: str) -> Path:
    path = SHARED / name
    if not path.is_dir():
        pytest.skip(f"{path} is absent: these tests read the shared test data beside the repository")
    return path


@pytest.fixture
def autosynthda():
    """The console command as a user runs it: a subprocess, stdout and stderr captured."""
    import subprocess
    import sys

    def run(*args) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "optimizer.cli", *map(str, args)], capture_output=True, text=True)

    return run


@pytest.fixture(scope="session")
def synthda_reference() -> Path:
    """Real SynthDa outputs (NSCLv2 test vectors), read in place, never copied."""
    return _shared_subdir("synthda_reference")


@pytest.fixture(scope="session")
def mocap_dir() -> Path:
    return _shared_subdir("mocap")


@pytest.fixture(scope="session")
def bundled_real_clips():
    """A function: the bundled sample clips of the given classes as RealClips (with their takes)."""
    return _bundled_real_clips


def _bundled_real_clips(classes: tuple[str, ...]):
    from generation.dataset import RealClip
    from generation.poses import load_canonical
    from generation.samples import sample_files

    clips = []
    for path in sample_files():
        seq = load_canonical(path)
        if seq.label in classes:
            clips.append(RealClip(path, seq.label, seq.meta.get("take", "")))
    return clips


# --- A throwaway PostgreSQL for storage tests (Debian's postgresql; .ci/run installs it when missing) ---------------


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL cluster on 127.0.0.1 for the session (testing.postgres); skipped, with the reason,
    only where none can start here."""
    from testing.postgres import PostgresUnavailable, throwaway_postgres

    try:
        server_context = throwaway_postgres()
        server = server_context.__enter__()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL here ({exc}); .ci/run installs Debian's postgresql")
    try:
        yield server
    finally:
        server_context.__exit__(None, None, None)


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A fresh, empty database on the throwaway server for this test; dropped afterwards (connections forced off)."""
    import re
    import uuid

    stem = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40].strip("_")
    name = f"t_{stem}_{uuid.uuid4().hex[:8]}"
    yield postgres_server.create_database(name)
    postgres_server.drop_database(name)


@pytest.fixture
def storage(request, tmp_path):
    """The storage named by the test's parametrisation, Optuna STORAGE_MODES style: a URL, or an InMemoryStorage for
    "inmemory" (see testing.storages). Use `@pytest.mark.parametrize("storage", STORAGE_MODES, indirect=True)`; the
    PostgreSQL rows start the throwaway server and skip, with its reason, only where it cannot start."""
    from testing.storages import storage_url_or_object

    mode = request.param
    postgres = request.getfixturevalue("postgres_server") if mode == "postgresql" else None
    with storage_url_or_object(mode, tmp_path, postgres) as url_or_storage:
        yield url_or_storage


# --- Real footage: a small labelled video dataset cut from ../shared/videos (testing.video_dataset) ----------------


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    return _shared_subdir("videos")


@pytest.fixture(scope="session")
def video_dataset(shared_videos, tmp_path_factory) -> Path:
    """walk / lunge / two_people clips (mp4, mixed sizes and frame rates) with groups.csv; built once a session.
    Read-only by convention: a test that changes it copies it first."""
    from testing.video_dataset import build_video_dataset

    return build_video_dataset(shared_videos.parent, tmp_path_factory.mktemp("video_dataset"))

"""Test images made offline: a minimal Debian root filesystem (debootstrap, python3 + PyYAML) imported with
`docker import`, and the TAO stand-in copied into it with `docker commit` (no registry, no network, no build).

Both are cached: the root filesystem as a tarball under $AUTOSYNTHDA_CACHE (default ~/.cache/autosynthda)/docker,
named after the hash of its recipe; the images in the daemon, tagged and labelled with that hash (and the stand-in's
own hash), so a rerun against the same daemon reuses them and a changed recipe or stand-in rebuilds them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from testing.docker.daemon import DockerUnavailable

BASE_REPO, BASE_TAG = "autosynthda-test/debian-python3", "1"
STANDIN_REPO, STANDIN_TAG = "autosynthda-test/tao-standin", "1"
RECIPE_LABEL, STANDIN_LABEL = "autosynthda.recipe", "autosynthda.standin"
STANDIN_PATH = "/usr/local/bin/action_recognition"

RECIPE: dict[str, Any] = {
    "suite": "bookworm",
    "variant": "minbase",
    "include": ["python3-minimal", "python3-yaml"],  # what the stand-in needs: python3 and PyYAML
    # Left out of the image: apt's caches and lists, documentation, translations (about half of the rootfs).
    "trim": ["var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info",
             "usr/share/locale", "var/log"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"],
}
DEBOOTSTRAP_S = 900


def mirror() -> str:
    return os.environ.get("AUTOSYNTHDA_DEBIAN_MIRROR", "http://deb.debian.org/debian")


def recipe_hash() -> str:
    return hashlib.sha256(json.dumps(RECIPE, sort_keys=True).encode()).hexdigest()[:16]


def cache_dir() -> Path:
    root = os.environ.get("AUTOSYNTHDA_CACHE")
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "autosynthda") / "docker"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder at a time (two test sessions on one machine would debootstrap twice into the same name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def rootfs_tarball() -> Path:
    """The cached root filesystem tarball, built with debootstrap when missing (about 2 minutes, once)."""
    out = cache_dir() / f"debian-python3-{recipe_hash()}.tar"
    if out.is_file():
        return out
    with _locked(cache_dir() / ".build.lock"):
        if out.is_file():  # another session built it while this one waited
            return out
        debootstrap = shutil.which("debootstrap") or shutil.which("debootstrap", path="/usr/sbin:/sbin")
        if debootstrap is None:
            raise DockerUnavailable("debootstrap not found (apt-get install debootstrap): cannot build the test image")
        if os.geteuid() != 0:
            raise DockerUnavailable("building the test image's root filesystem needs root (debootstrap)")
        work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=out.parent))
        try:
            rootfs = work / "rootfs"
            argv = [debootstrap, f"--variant={RECIPE['variant']}", f"--include={','.join(RECIPE['include'])}",
                    RECIPE["suite"], str(rootfs), mirror()]
            try:
                done = subprocess.run(argv, capture_output=True, text=True, timeout=DEBOOTSTRAP_S, check=False)
            except subprocess.TimeoutExpired:
                raise DockerUnavailable(f"debootstrap from {mirror()} took over {DEBOOTSTRAP_S} s") from None
            if done.returncode != 0:
                last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["(no output)"]
                raise DockerUnavailable(f"debootstrap from {mirror()} failed (rc {done.returncode}): {last[0][:300]}")
            for rel in RECIPE["trim"]:
                shutil.rmtree(rootfs / rel, ignore_errors=True)
            partial = work / "rootfs.tar"
            # Numeric owners (root inside the image); /dev is Docker's own at run time.
            tar = subprocess.run(["tar", "--numeric-owner", "--exclude=./dev/*", "-C", str(rootfs), "-cf",
                                  str(partial), "."], capture_output=True, text=True, check=False)
            if tar.returncode != 0:
                raise DockerUnavailable(f"tar of the test root filesystem failed: {tar.stderr.strip()[:300]}")
            partial.rename(out)  # complete or absent: a killed build never leaves a tarball to import
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return out


def _labelled(client: Any, ref: str, label: str, value: str) -> bool:
    import docker.errors

    try:
        image = client.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return (image.labels or {}).get(label) == value


def base_image(client: Any) -> str:
    """Debian + python3 + PyYAML, imported from the cached tarball unless the daemon has this recipe's image."""
    ref, digest = f"{BASE_REPO}:{BASE_TAG}", recipe_hash()
    if _labelled(client, ref, RECIPE_LABEL, digest):
        return ref
    tarball = rootfs_tarball()
    changes = [f"LABEL {RECIPE_LABEL}={digest}", *(f"ENV {e}" for e in RECIPE["env"]), 'CMD ["/bin/sh"]']
    client.api.import_image_from_file(str(tarball), repository=BASE_REPO, tag=BASE_TAG, changes=changes)
    if not _labelled(client, ref, RECIPE_LABEL, digest):
        raise DockerUnavailable(f"docker import of {tarball} did not produce {ref}")
    return ref


def standin_image(client: Any, standin: Path) -> str:
    """The base image with `standin` as /usr/local/bin/action_recognition: a container is created (never started,
    network none), the file copied in, the container committed and removed."""
    data = standin.read_bytes()
    ref, digest = f"{STANDIN_REPO}:{STANDIN_TAG}", f"{recipe_hash()}-{hashlib.sha256(data).hexdigest()[:16]}"
    if _labelled(client, ref, STANDIN_LABEL, digest):
        return ref
    base = base_image(client)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(STANDIN_PATH.rsplit("/", 1)[1])
        info.size, info.mode, info.mtime = len(data), 0o755, int(time.time())
        tar.addfile(info, io.BytesIO(data))
    container = client.containers.create(base, command=["/bin/true"], network_mode="none")
    try:
        if not container.put_archive(STANDIN_PATH.rsplit("/", 1)[0], buffer.getvalue()):
            raise DockerUnavailable(f"could not copy the stand-in into {base}")
        container.commit(repository=STANDIN_REPO, tag=STANDIN_TAG, changes=[f"LABEL {STANDIN_LABEL}={digest}"])
    finally:
        container.remove(force=True)
    return ref

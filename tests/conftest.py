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


def _postgres_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    import shutil
    import subprocess

    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    installed = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    candidates.extend(sorted(installed, key=lambda p: int(p.parent.name), reverse=True))
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "pg_isready")):
            return bindir
    return None


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """A running throwaway cluster: `url(db)` gives an SQLAlchemy/Optuna URL for one of its databases."""

    def __init__(self, root: Path, port: int, as_user: list[str], bindir: Path) -> None:
        self.root, self.port, self.as_user, self.bindir = root, port, as_user, bindir
        self.data, self.socket_dir, self.log = root / "data", root / "sock", root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        # The driver is named: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, and only psycopg2 is installed.
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, tool: str, *args: str, timeout: float = 120):
        import subprocess

        argv = [*self.as_user, str(self.bindir / tool), *args]
        return subprocess.run(argv, capture_output=True, text=True, cwd=self.root, timeout=timeout, check=False)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL cluster on 127.0.0.1 at a free port, data and unix socket in a temp dir, trust auth (tests only:
    it listens on loopback and lives as long as the session). Stopped (`pg_ctl stop -m immediate`) and removed after."""
    import pwd
    import shutil
    import tempfile
    import time

    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql (.ci/run does)")
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root and `runuser` is missing: cannot start PostgreSQL as the postgres user")
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` OS user to start PostgreSQL as")
        as_user = [runuser, "-u", "postgres", "--"]

    root = Path(tempfile.mkdtemp(prefix="autosynthda-pg-"))
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(root, _free_port(), as_user, bindir)
    started = False
    try:
        init = server.run(
            "initdb", "-D", str(server.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        if init.returncode != 0:
            pytest.fail(f"initdb failed (rc {init.returncode}):\n{init.stdout[-2000:]}\n{init.stderr[-2000:]}")
        server.socket_dir.mkdir()
        if owner is not None:
            os.chown(server.socket_dir, owner.pw_uid, owner.pw_gid)
        for attempt in range(3):  # the free port can be taken between probing and binding: try another
            settings = {
                "listen_addresses": "'127.0.0.1'",
                "port": str(server.port),
                "unix_socket_directories": f"'{server.socket_dir}'",
                "max_connections": "300",  # many worker processes, each with a small SQLAlchemy pool
                "fsync": "off",  # a throwaway cluster: durability is not what these tests check
                "synchronous_commit": "off",
                "full_page_writes": "off",
            }
            with open(server.data / "postgresql.conf", "a") as conf:  # owned by postgres; root appends, last wins
                conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
            start = server.run("pg_ctl", "start", "-D", str(server.data), "-l", str(server.log), "-w", "-t", "60")
            if start.returncode == 0:
                started = True
                break
            server.port = _free_port()
            if attempt == 2:
                pytest.fail(f"pg_ctl start failed (rc {start.returncode}):\n{start.stderr[-2000:]}\n{server.log_tail()}")
        deadline = time.monotonic() + 30
        while server.run("pg_isready", "-h", "127.0.0.1", "-p", str(server.port), "-t", "2").returncode != 0:
            if time.monotonic() > deadline:
                pytest.fail(f"PostgreSQL on 127.0.0.1:{server.port} not ready after 30 s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        if started:
            server.run("pg_ctl", "stop", "-D", str(server.data), "-m", "immediate", "-w", "-t", "30")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A fresh, empty database on the throwaway server for this test; dropped afterwards (connections forced off)."""
    import re
    import uuid

    import psycopg2

    stem = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40].strip("_")
    name = f"t_{stem}_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(host="127.0.0.1", port=postgres_server.port, user="postgres", dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield postgres_server.url(name)
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()

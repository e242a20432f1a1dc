"""A throwaway PostgreSQL cluster on 127.0.0.1 (Debian's postgresql), for the storage tests and `bench workers`.

Data and socket live in a temp dir, auth is trust on loopback only, durability is off; it is stopped
(`pg_ctl stop -m immediate`) and removed on exit. Never a server for real studies: use docker/compose.yaml.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from generation.errors import AutoSynthDaError
from optimizer.urls import psycopg2_url

SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "300",  # many worker processes, each with a small SQLAlchemy pool
    "fsync": "off",  # a throwaway cluster: durability is not what it is for
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class PostgresUnavailable(AutoSynthDaError, RuntimeError):
    """No PostgreSQL server can be started here (binaries or the postgres user missing); the message says which."""


def postgres_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
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
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """A running throwaway cluster: `url(db)` gives an SQLAlchemy/Optuna URL for one of its databases."""

    def __init__(self, root: Path, port: int, as_user: list[str], bindir: Path) -> None:
        self.root, self.port, self.as_user, self.bindir = root, port, as_user, bindir
        self.data, self.socket_dir, self.log = root / "data", root / "sock", root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return psycopg2_url(f"postgresql://postgres@127.0.0.1:{self.port}/{database}")

    def run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        argv = [*self.as_user, str(self.bindir / tool), *args]
        return subprocess.run(argv, capture_output=True, text=True, cwd=self.root, timeout=timeout, check=False)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def create_database(self, name: str) -> str:
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        conn.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()


def _run_as_postgres() -> tuple[list[str], pwd.struct_passwd | None]:
    if os.geteuid() != 0:
        return [], None
    runuser = shutil.which("runuser")  # initdb refuses to run as root
    if runuser is None:
        raise PostgresUnavailable("running as root and `runuser` is missing: cannot start PostgreSQL as postgres")
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root and there is no `postgres` OS user to start PostgreSQL as") from None
    return [runuser, "-u", "postgres", "--"], owner


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[PostgresServer]:
    """Start a cluster, yield it, stop and remove it. PostgresUnavailable when it cannot be started here."""
    bindir = postgres_bindir()
    if bindir is None:
        raise PostgresUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    as_user, owner = _run_as_postgres()
    root = Path(tempfile.mkdtemp(prefix="autosynthda-pg-"))
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(root, _free_port(), as_user, bindir)
    started = False
    try:
        init = server.run("initdb", "-D", str(server.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                          "--locale=C", "--no-sync")
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed (rc {init.returncode}): {init.stderr.strip()[-500:]}")
        server.socket_dir.mkdir()
        if owner is not None:
            os.chown(server.socket_dir, owner.pw_uid, owner.pw_gid)
        for attempt in range(3):  # the free port can be taken between probing and binding: try another
            settings = {**SETTINGS, "port": str(server.port), "unix_socket_directories": f"'{server.socket_dir}'"}
            with open(server.data / "postgresql.conf", "a") as conf:  # appended settings win
                conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
            start = server.run("pg_ctl", "start", "-D", str(server.data), "-l", str(server.log), "-w", "-t", "60")
            if start.returncode == 0:
                started = True
                break
            server.port = _free_port()
            if attempt == 2:
                raise PostgresUnavailable(f"pg_ctl start failed (rc {start.returncode}): {server.log_tail(5)}")
        deadline = time.monotonic() + 30
        while server.run("pg_isready", "-h", "127.0.0.1", "-p", str(server.port), "-t", "2").returncode != 0:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"PostgreSQL on 127.0.0.1:{server.port} not ready after 30 s")
            time.sleep(0.2)
        yield server
    finally:
        if started:
            server.run("pg_ctl", "stop", "-D", str(server.data), "-m", "immediate", "-w", "-t", "30")
        shutil.rmtree(root, ignore_errors=True)

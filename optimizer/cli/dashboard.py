"""`autosynthda dashboard` (MLflow UI) and `autosynthda optuna-dashboard` for one study, on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from optimizer.cli.common import storage_option
from optimizer.errors import ConfigError
from optimizer.study.paths import StudyPaths
from optimizer.urls import is_served, journal_path, public_url

if TYPE_CHECKING:
    from optimizer.config import StudyConfig

HOST = "127.0.0.1"  # never exposed beyond this machine; use an SSH tunnel or the team server (docker/) to share


def _study(study: str, studies_dir: Path | None) -> tuple[StudyConfig | None, StudyPaths]:
    """A config path or a study name (studies/<name>.yaml when it exists)."""
    from optimizer.config import load_config

    path = Path(study) if study.endswith((".yaml", ".yml")) else Path("studies") / f"{study}.yaml"
    config = load_config(path) if path.is_file() or study.endswith((".yaml", ".yml")) else None
    name = config.name if config is not None else study
    return config, StudyPaths.for_study(name, studies_dir)


def _serve(argv: list[str], url: str) -> None:
    """Run the server until Ctrl-C, SIGTERM or SIGHUP, then stop it with every process it started (MLflow's UI runs
    worker processes; a SIGTERM to this process alone used to leave them listening)."""
    typer.echo(f"serving on {url} (Ctrl-C stops it)")
    # Its own process group, so the whole group can be stopped; Ctrl-C reaches this process, which stops it.
    server = subprocess.Popen(argv, start_new_session=True)
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_group(server)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_group(server: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM to the server's process group, SIGKILL after grace_s; the group may outlive its leader."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            break  # nobody left in the group
        try:
            server.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.monotonic() + grace_s  # the leader is gone; give its workers the same grace
        while time.monotonic() < deadline and _group_alive(server.pid):
            time.sleep(0.1)
        if not _group_alive(server.pid):
            break


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def dashboard(
    study: str = typer.Argument(..., help="A study name (fall) or its config (studies/fall.yaml)."),
    port: int = typer.Option(5000, "--port", help="Port of the MLflow UI on 127.0.0.1."),
    studies_dir: Path | None = typer.Option(None, "--studies-dir", help="Where studies/<name>/ state is."),
) -> None:
    """Start the MLflow UI on the study's tracking store (a remote tracking server is only printed)."""
    from optimizer.tracking import resolve_tracking_uri

    config, paths = _study(study, studies_dir)
    uri = resolve_tracking_uri(config, paths.root) if config is not None else f"sqlite:///{paths.root / 'mlflow.db'}"
    if is_served(uri):
        typer.echo(f"study {paths.root.name} is tracked on a server: open {public_url(uri)}")
        return
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        raise ConfigError(f"{uri.removeprefix('sqlite:///')}: tracking store: not found (run the study first)")
    argv = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri, "--host", HOST, "--port", str(port)]
    _serve(argv, f"http://{HOST}:{port}")


def optuna_dashboard(
    study: str = typer.Argument(..., help="A study name (fall) or its config (studies/fall.yaml)."),
    port: int = typer.Option(8080, "--port", help="Port of optuna-dashboard on 127.0.0.1."),
    storage: str | None = storage_option(),
    studies_dir: Path | None = typer.Option(None, "--studies-dir", help="Where studies/<name>/ state is."),
) -> None:
    """Start optuna-dashboard on the study's storage."""
    from optimizer.study.storage import existing_storage

    _, paths = _study(study, studies_dir)
    url = existing_storage(paths, storage)
    launcher = "import sys; from optuna_dashboard._cli import main; sys.exit(main())"  # the package has no __main__
    argv = [sys.executable, "-c", launcher, "--host", HOST, "--port", str(port)]
    if (journal := journal_path(url)) is not None:
        argv += ["--storage-class", "JournalFileStorage", str(journal)]
    else:
        argv.append(url)
    _serve(argv, f"http://{HOST}:{port}")

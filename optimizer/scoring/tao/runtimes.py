"""Where TAO runs: one interface over Docker (docker_runtime.py), Apptainer and a local `action_recognition`.

A Job is what to run, as the TAO process sees it: argv (a list, never a shell string), mounts (host path -> path in
the container, read-only unless it is the results dir), environment WITHOUT secrets, and the log file its output is
streamed to (line by line, secrets masked). A runtime starts it and returns a Handle the scorer polls, stops (timeout,
pruning) and closes; close() always cleans up (the container is removed, the process group killed).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from optimizer.scoring.tao.errors import TaoError, TaoUnavailable
from optimizer.scoring.tao.orphans import RECORD_SUFFIX, die_with_driver, write_record

Redact = Callable[[str], str]
EXECUTABLE = "action_recognition"


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Mount:
    host: Path
    container: str
    read_only: bool = True


@dataclass(frozen=True)
class Job:
    """One TAO run. name is unique per study, trial and task (the container's name)."""

    name: str
    argv: tuple[str, ...]
    mounts: tuple[Mount, ...]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    workdir: str | None = None
    redact: Redact = field(default=_identity, compare=False, repr=False)


@dataclass(frozen=True)
class RunExit:
    """How a run ended: exit code in the shell's convention (a process killed by signal N reads 128 + N, so SIGKILL
    is 137 whichever runtime ran it) and whether Docker says its OOM killer did it."""

    code: int
    oom_killed: bool = False


class Handle(Protocol):
    def poll(self) -> int | None:
        """The exit code once the run has ended, else None."""

    def stop(self) -> None:
        """Ask the run to end (SIGTERM, then SIGKILL after the grace period)."""

    def close(self) -> RunExit:
        """Stop it if still running, finish the log, free everything (remove the container)."""


class Runtime(Protocol):
    name: str

    def preflight(self) -> None:
        """Raise TaoUnavailable (one line, with what to do) unless jobs can start: called before the first trial."""

    def path(self, mount: Mount) -> str:
        """Where the TAO process sees `mount`."""

    def start(self, job: Job) -> Handle: ...


class LogPump(threading.Thread):
    """Copies a byte stream to the job's log, one redacted line at a time (a secret split across two reads is
    joined before it is masked). Carriage returns (progress bars) end lines too."""

    def __init__(self, chunks: Iterable[bytes], path: Path, redact: Redact) -> None:
        super().__init__(daemon=True)
        self.chunks, self.path, self.redact = chunks, path, redact

    def run(self) -> None:
        buffer = b""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            try:
                for chunk in self.chunks:
                    buffer += chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        out.write(self.redact(line.decode("utf-8", errors="replace")) + "\n")
                    out.flush()
            except Exception as exc:  # the stream broke (container removed, daemon gone): say so in the log
                out.write(f"[autosynthda] log stream ended: {type(exc).__name__}\n")
            if buffer:
                out.write(self.redact(buffer.decode("utf-8", errors="replace")) + "\n")


def _stream(pipe) -> Iterator[bytes]:
    while chunk := pipe.read1(65536):
        yield chunk


class ProcessHandle:
    """A child process in its own session, so stop() reaches its whole process group (TAO's data-loader workers).

    It dies with the driver (PR_SET_PDEATHSIG), and while it runs its group is recorded beside the job's log
    (<task>.process.json): a driver killed with SIGKILL leaves TAO's workers behind, and orphans.reap_orphans finds
    and stops them from that record."""

    def __init__(self, argv: list[str], env: dict[str, str], job: Job, grace_s: float, cwd: str | None = None):
        self.grace_s = grace_s
        self.record = job.log_path.with_name(job.log_path.stem + RECORD_SUFFIX)
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                start_new_session=True, preexec_fn=die_with_driver(),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise TaoError(f"{job.name}: could not start {argv[0]}: {getattr(exc, 'strerror', None) or exc}") from None
        try:
            self.record.parent.mkdir(parents=True, exist_ok=True)
            write_record(self.record, self.proc.pid, argv[0])
        except BaseException:
            self._signal_group(signal.SIGKILL)
            self.proc.wait()
            raise
        self.pump = LogPump(_stream(self.proc.stdout), job.log_path, job.redact)
        self.pump.start()

    def poll(self) -> int | None:
        code = self.proc.poll()
        return None if code is None else _shell_code(code)

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(self.grace_s)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait()

    def close(self) -> RunExit:
        try:
            self.stop()
        finally:
            self._signal_group(signal.SIGKILL)  # children that outlived the main process would hold the log pipe open
            self.record.unlink(missing_ok=True)  # the group is gone: nothing left for a reaper
        self.pump.join(timeout=30)
        self.proc.stdout.close()
        return RunExit(_shell_code(self.proc.returncode))


# What a local TAO process gets from the driver's environment: locale, paths, its interpreter's search path, the
# GPU and thread settings of the allocation, and TAO's own switches (TAO_*). Not the rest (cloud credentials, tokens,
# WANDB_API_KEY): the encryption key reaches TAO only through the 0600 spec.
PASSED_ENV = frozenset({"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PYTHONPATH",
                        "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "CUDA_HOME", "OMP_NUM_THREADS", "MKL_NUM_THREADS"})
PASSED_PREFIXES = ("LC_", "TAO_", "NCCL_")
FIXED_ENV = {"WANDB_MODE": "disabled"}  # nothing leaves the machine unasked (TAO's wandb.enable defaults to true)


def local_env(redact: Redact = _identity, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a local TAO run; a variable whose value holds a secret (the key's variable, whatever its
    name) is never passed."""
    source = os.environ if environ is None else environ
    env = {k: v for k, v in source.items() if k in PASSED_ENV or k.startswith(PASSED_PREFIXES)}
    return {**{k: v for k, v in env.items() if redact(v) == v}, **FIXED_ENV}


def _shell_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def _gpu_env(gpus: str | list[int]) -> dict[str, str]:
    """"none" hides every GPU. GPU ids are indices into what this process may see: under SLURM
    (CUDA_VISIBLE_DEVICES=3,5) id 0 means GPU 3, so the ids are mapped through the inherited list rather than
    replacing it."""
    if gpus == "all":
        return {}
    if gpus == "none":
        return {"CUDA_VISIBLE_DEVICES": ""}  # CPU: no GPU requested
    visible = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    chosen = [visible[i] if i < len(visible) else str(i) for i in gpus] if visible else [str(i) for i in gpus]
    return {"CUDA_VISIBLE_DEVICES": ",".join(chosen)}


PYTHON = "python"
PREFLIGHT_TIMEOUT_S = 120.0


def _check_tao_python(timeout_s: float = PREFLIGHT_TIMEOUT_S) -> None:
    """TAO's entrypoint runs each task as `python <script>` with the `python` found on PATH: one that cannot import
    nvidia_tao_pytorch fails every trial later ("No module named 'nvidia_tao_pytorch'"), so it is tried once here."""
    python = shutil.which(PYTHON)
    if python is None:
        raise TaoUnavailable("scorer.tao.runtime local: no `python` on PATH: TAO runs its tasks with it; put TAO's "
                             "own interpreter first on PATH")
    try:
        done = subprocess.run([python, "-c", "import nvidia_tao_pytorch"], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise TaoUnavailable(f"scorer.tao.runtime local: `{python} -c 'import nvidia_tao_pytorch'` took over "
                             f"{timeout_s:g} s") from None
    except OSError as exc:
        raise TaoUnavailable(f"scorer.tao.runtime local: cannot run {python}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise TaoUnavailable(
            f"scorer.tao.runtime local: the `python` on PATH ({python}) cannot import nvidia_tao_pytorch "
            f"({lines[-1] if lines else f'exit {done.returncode}'}): TAO runs its tasks with it; put TAO's own "
            f"interpreter first on PATH")


@dataclass
class LocalRuntime:
    """`action_recognition` from PATH, run directly: inside a TAO container already, or a native install. Mounts are
    the host paths themselves (nothing can be made read-only here)."""

    gpus: str | list[int] = "all"
    grace_s: float = 10.0
    executable: str = EXECUTABLE
    name: str = "local"

    def preflight(self) -> None:
        if shutil.which(self.executable) is None:
            raise TaoUnavailable(
                f"scorer.tao.runtime local: `{self.executable}` is not on PATH (run inside a TAO container or a "
                f"native TAO install), or use --runtime docker|apptainer"
            )
        _check_tao_python()

    def path(self, mount: Mount) -> str:
        return str(mount.host)

    def start(self, job: Job) -> ProcessHandle:
        found = shutil.which(self.executable)
        if found is None:
            raise TaoUnavailable(f"scorer.tao.runtime local: `{self.executable}` is not on PATH")
        env = {**local_env(job.redact), **job.env, **_gpu_env(self.gpus)}
        # cwd: the results dir, so nothing TAO or Hydra drops in the working directory lands in the checkout.
        return ProcessHandle([found, *job.argv[1:]], env, job, self.grace_s, cwd=job.workdir)


@dataclass
class ApptainerRuntime:
    """`apptainer exec --nv` of the TAO image (a docker:// URI or a local .sif), for clusters without a Docker
    daemon. --cleanenv keeps the host's Python and CUDA variables out of the container; --writable-tmpfs gives TAO
    a scratch layer over the read-only image."""

    image: str
    gpus: str | list[int] = "all"
    grace_s: float = 10.0
    executable: str | None = None  # apptainer, else singularity
    name: str = "apptainer"

    def _binary(self) -> str | None:
        names = [self.executable] if self.executable else ["apptainer", "singularity"]
        return next((found for n in names if (found := shutil.which(n))), None)

    def image_uri(self) -> str:
        if "://" in self.image or self.image.endswith(".sif") or Path(self.image).is_file():
            return self.image
        return f"docker://{self.image}"

    def preflight(self) -> None:
        if self._binary() is None:
            raise TaoUnavailable(
                "scorer.tao.runtime apptainer: neither `apptainer` nor `singularity` is on PATH "
                "(module load apptainer?), or use --runtime docker|local"
            )
        uri = self.image_uri()
        if "://" not in uri and not Path(uri).is_file():
            raise TaoUnavailable(f"scorer.tao.image: {uri} does not exist (apptainer pull {uri} docker://IMAGE)")

    def path(self, mount: Mount) -> str:
        return mount.container

    def argv(self, job: Job) -> list[str]:
        binary = self._binary() or "apptainer"
        argv = [binary, "exec", *([] if self.gpus == "none" else ["--nv"]), "--cleanenv", "--writable-tmpfs"]
        if job.workdir:
            argv += ["--pwd", job.workdir]
        for m in job.mounts:
            if any(c in str(m.host) + m.container for c in ":,"):
                raise TaoError(f"{m.host}: apptainer --bind cannot take a path with ':' or ','")
            argv += ["--bind", f"{m.host}:{m.container}:{'ro' if m.read_only else 'rw'}"]
        env = {**FIXED_ENV, **job.env, **_gpu_env(self.gpus)}
        if self.gpus == "all" and "CUDA_VISIBLE_DEVICES" in os.environ:  # SLURM's allocation
            env.setdefault("CUDA_VISIBLE_DEVICES", os.environ["CUDA_VISIBLE_DEVICES"])
        for key, value in sorted(env.items()):
            argv += ["--env", f"{key}={value}"]
        return [*argv, self.image_uri(), *job.argv]

    def start(self, job: Job) -> ProcessHandle:
        # apptainer itself gets the host environment (--cleanenv keeps it out of the container), less any variable
        # holding the key.
        host = {k: v for k, v in os.environ.items() if job.redact(v) == v}
        return ProcessHandle(self.argv(job), host, job, self.grace_s)

"""Crash suite: `optimize`, `worker`, `setup`, `render` and `export` are SIGKILLed at seeded random moments (several
per command, on SQLite, a journal file and PostgreSQL), rerun to completion, and then the study or output must be
whole: the budget met, no trial lost or run twice, no partial folder anywhere, no process of ours left, and no
frames kept for finished trials. Real commands (subprocesses), the stand-in scorer, 16-pixel renders.

`pytest -m crash` runs this suite alone; it is part of the default run (CI) too.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from generation.dataset import check_tao_layout
from generation.partials import INCOMPLETE, OLD_TAG, TMP_TAG
from generation.samples import sample_files
from optimizer.study import StudyPaths, open_storage
from optimizer.trials import assigned_params, retried_from

pytestmark = pytest.mark.crash

CLASSES = ["fall", "jump", "punch", "walk"]
STUDY = {
    "name": "crash",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": CLASSES},
    "render": {"size": 16, "real_views": "front", "synthetic_views": "front,front-left", "format": "jpg"},
    "search": {"trials": 4, "seed": 0, "sampler": "random", "ratio": [0.5, 1.5]},
    "scorer": {"kind": "standin", "standin_seconds": 0.3},
    "tracking": {"enabled": False},
}
KILLS = 3  # per command (setup: one fewer)
CAP_S = 600  # a cap for a loaded machine, never a timing the test depends on


@pytest.fixture(params=["sqlite", "journal", "postgresql"])
def storage(request, tmp_path):
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    if request.param == "journal":
        return f"journal:///{tmp_path / 'study.journal'}"
    return f"sqlite:///{tmp_path / 'study.db'}"


def cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "optimizer.cli", *map(str, args)]


def start(argv: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, stdout=open(log, "a"), stderr=subprocess.STDOUT,
                            env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})


def run(argv: list[str], log: Path) -> None:
    proc = start(argv, log)
    assert proc.wait(timeout=CAP_S) == 0, log.read_text()[-3000:]


def kill_at_random(argv: list[str], started, rng: random.Random, log: Path, span_s: float) -> str:
    """Start the command, wait until `started()` (past its imports: the work has begun), then SIGKILL it after a
    seeded random delay in [0, span_s); returns how it ended ("killed" or "finished", when it was faster)."""
    proc = start(argv, log)
    deadline = time.monotonic() + CAP_S
    while proc.poll() is None and not started():
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.02)
    try:
        proc.wait(timeout=rng.uniform(0.0, span_s))
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return "killed"
    assert proc.returncode == 0, log.read_text()[-3000:]
    return "finished"


def kills_landing_once(argv: list[str], started, rng: random.Random, log: Path, span_s: float) -> list[str]:
    """KILLS random kills, then more until one has landed: on an idle machine a small render can finish within
    every delay of [0, span_s), so each run that finished first halves the span (at most 8 more tries)."""
    ends: list[str] = []
    while len(ends) < KILLS or ("killed" not in ends and len(ends) < KILLS + 8):
        ends.append(kill_at_random(argv, started, rng, log, span_s))
        if ends[-1] == "finished":
            span_s /= 2
    return ends


def write_config(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "crash.yaml"
    path.write_text(yaml.safe_dump({**STUDY, **changes}))
    return path


def partials(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if TMP_TAG in p.name or OLD_TAG in p.name or p.name == INCOMPLETE)


def our_processes(tmp_path: Path) -> list[str]:
    """Live processes whose command line names this test's folder (every command here is given a path in it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if str(tmp_path) in cmdline and "Z" not in state.split()[1]:
            found.append(f"{entry.name}: {cmdline[:200]}")
    return found


def check_study(tmp_path: Path, storage: str, studies: Path, budget: int) -> list[optuna.trial.FrozenTrial]:
    study = optuna.load_study(study_name="crash", storage=open_storage(storage, repair=False))
    trials = study.get_trials(deepcopy=False)
    assert [t.number for t in trials] == list(range(len(trials)))
    assert not [t.number for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(complete) == budget  # one process at a time: the budget exactly, none lost, none extra
    for dead in (t for t in trials if t.state == TrialState.FAIL):
        assert dead.user_attrs.get("fail_reason", "").startswith("worker died"), dead.user_attrs
        retries = [t for t in trials if retried_from(t) == dead.number]
        if assigned_params(dead):
            assert len(retries) == 1, f"trial {dead.number} retried {len(retries)} times"
            # the retry was given the same point; killed before its own suggests it holds it as enqueued params
            # (assigned_params), and its own death is checked as any other's in this loop
            assert assigned_params(dead).items() <= assigned_params(retries[0]).items()
        else:  # killed before it was given a point: nothing to retry
            assert not retries
    seeds = [t.user_attrs["generation_seed"] for t in complete]
    # a retry inherits its predecessor's seed; two completed trials with one seed would be one trial run twice
    assert len(seeds) == len(set(seeds))
    paths = StudyPaths.for_study("crash", studies)
    assert partials(paths.root) == []
    for trial in complete:  # heavy frames are gone, the manifest and result stay
        folder = paths.trial_dir(trial.number)
        assert (folder / "manifest.json").is_file() and (folder / "result.json").is_file()
    assert not [str(p) for p in paths.trials.glob("*/train")]
    assert our_processes(tmp_path) == []
    return trials


def printed(log: Path, text: str):
    """A `started` test: the command printed `text` once more than the log already holds (its imports are done)."""
    before = log.read_text().count(text) if log.exists() else 0
    return lambda: log.read_text().count(text) > before


def test_killed_setup_worker_and_optimize_rerun_to_a_whole_study(tmp_path, storage):
    """One study through every writing command: `setup` killed while it renders, `worker` killed in and between
    trials, then `optimize` (budget raised) killed the same way; each rerun resumes, and the end is whole."""
    config, studies, log = write_config(tmp_path), tmp_path / "studies", tmp_path / "log.txt"
    common = ["--storage", storage, "--studies-dir", studies]
    rng = random.Random(f"crash:{storage.split(':')[0]}")
    setup = cli("setup", config, *common, "--device", "cpu")
    ends = [kill_at_random(setup, printed(log, "train "), rng, log, span_s=3.0) for _ in range(KILLS - 1)]
    run(setup, log)
    worker = cli("worker", config, *common, "--threads", "1")
    ends += [kill_at_random(worker, printed(log, " on study crash"), rng, log, span_s=4.0) for _ in range(KILLS)]
    run(worker, log)
    check_study(tmp_path, storage, studies, STUDY["search"]["trials"])
    budget = STUDY["search"]["trials"] + 3
    optimize = cli("optimize", config, *common, "--device", "cpu", "--trials", budget)
    ends += [kill_at_random(optimize, printed(log, "study crash: target class"), rng, log, span_s=6.0)
             for _ in range(KILLS)]
    run(optimize, log)
    check_study(tmp_path, storage, studies, budget)
    assert ends.count("killed") >= KILLS, ends  # most kills landed before the command could finish


def test_killed_render_reruns_to_a_whole_tao_root(tmp_path):
    poses = tmp_path / "poses"
    poses.mkdir()
    files = [p for p in sample_files() if p.stem.startswith(("fall", "walk"))]
    for path in files:
        (poses / path.name).write_bytes(path.read_bytes())
    out, log = tmp_path / "out", tmp_path / "log.txt"
    argv = cli("render", poses, "--out", out, "--size", "16", "--views", "front,back,left", "--device", "cpu")
    rng = random.Random("render")
    ends = kills_landing_once(argv, lambda: any(out.rglob(f"*{TMP_TAG}*")), rng, log, span_s=3.0)
    run(argv, log)
    report = check_tao_layout(out, ["fall", "walk"])
    assert report.num_videos == len(files) * 3
    assert partials(tmp_path) == [] and our_processes(tmp_path) == []
    assert "killed" in ends


def test_killed_export_leaves_nothing_or_the_whole_dataset(tmp_path):
    storage = f"journal:///{tmp_path / 'study.journal'}"
    config, studies, log = write_config(tmp_path), tmp_path / "studies", tmp_path / "log.txt"
    common = ["--storage", storage, "--studies-dir", studies, "--device", "cpu"]
    run(cli("optimize", config, *common), log)
    rng = random.Random("export")
    for attempt in range(KILLS):
        out = tmp_path / f"export{attempt}"
        argv = cli("export", config, "--out", out, *common)
        staging = f".{out.name}{TMP_TAG}*"
        end = kill_at_random(argv, lambda pattern=staging: any(tmp_path.glob(pattern)), rng, log, span_s=3.0)
        if end == "killed" and not (out / "README.md").is_file():
            assert not out.exists() or not any(out.iterdir())  # all or nothing
            run(argv, log)  # the rerun sweeps the dead export's staging folder and writes the dataset
        for split in ("train", "val", "test"):
            check_tao_layout(out / split, CLASSES)
    assert partials(tmp_path) == [] and our_processes(tmp_path) == []

"""Trials left RUNNING by a dead worker are failed and re-queued with the same parameters, exactly once.

A dead worker is known at once on its own host (its pid is gone). Elsewhere: RDB storages (SQLite, PostgreSQL) have
Optuna's heartbeat (setup.py: RetryHeartbeatStaleTrialCallback); the journal file has none, so workers stamp a
heartbeat into their running trial (Heartbeat below) and a trial whose stamp is older than the grace period is reaped.
Failing the trial is the atomic step (the storage refuses to finish a finished trial), so when two workers reap the
same trial only the one that failed it enqueues the retry.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import warnings
from collections.abc import Sequence
from datetime import datetime

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import RDBStorage
from optuna.trial import FrozenTrial, TrialState

from optimizer.trials import INHERITED_ATTRS, TrialRecord, UserAttr, assigned_params

# A crashed worker's trial is failed and re-queued (same params) once its heartbeat is this stale.
HEARTBEAT_INTERVAL_S = 30
GRACE_PERIOD_S = 120
MAX_RETRY = 2
DIED = "worker died; re-queued with the same params"
ORPHAN_AFTER_S = 3.0
# A live worker names itself in its trial first thing in the objective (after the sampler, seconds at most); a RUNNING
# trial still nameless after this died between Optuna's ask and the objective, where no heartbeat covers it.
NAMELESS_AFTER_S = 60.0


def worker_identity() -> dict[str, object]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _dead_here(trial: TrialRecord, host: str) -> bool:
    return trial.worker.get("host") == host and not _alive(int(trial.worker.get("pid", -1)))


def _nameless(trial: TrialRecord) -> bool:
    if trial.worker or trial.datetime_start is None:
        return False
    return (datetime.now() - trial.datetime_start).total_seconds() > NAMELESS_AFTER_S


def _stale(trial: TrialRecord, after_s: float | None) -> bool:
    if after_s is None:
        return False
    beat = trial.heartbeat
    if beat is None and trial.datetime_start is not None:  # died before its first beat
        beat = trial.datetime_start.timestamp()
    return beat is not None and time.time() - beat > after_s


def requeue_dead_trials(study: optuna.Study, *, stale_after_s: float | None = None) -> list[int]:
    """Fail every RUNNING trial whose worker is known dead (same host, pid gone; or, with stale_after_s, a heartbeat
    older than that) and enqueue its params again. Returns the numbers of the trials this call re-queued.

    Failing is the atomic claim; the enqueue follows. A reaper killed between the two leaves an orphan (failed as
    dead, no retry), which any later call re-queues once it is ORPHAN_AFTER_S old (a live reaper is long done).
    """
    here = socket.gethostname()
    storage = study._storage  # noqa: SLF001 - the atomic state change is a storage call (as Optuna's own callbacks do)
    requeued = []
    trials = study.get_trials(deepcopy=False)  # one read: a trial this call fails was RUNNING here, so no orphan
    for trial in (t for t in trials if t.state == TrialState.RUNNING):
        record = TrialRecord.from_frozen(trial)
        if not (_dead_here(record, here) or _stale(record, stale_after_s) or _nameless(record)):
            continue
        try:
            storage.set_trial_user_attr(trial._trial_id, UserAttr.FAIL_REASON, DIED)
            storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except UpdateFinishedTrialError:
            continue  # another worker reaped it (or it just finished)
        if _enqueue_retry(study, trial):
            requeued.append(trial.number)
    ready, _ = orphans(trials)
    requeued.extend(t.number for t in ready if _enqueue_retry(study, t))
    return requeued


def orphans(trials: Sequence[FrozenTrial]) -> tuple[list[FrozenTrial], list[FrozenTrial]]:
    """Trials failed as dead that have no retry: (old enough to re-queue, too young: their reaper may be enqueueing)."""
    retried = {t.user_attrs.get(UserAttr.RETRY_OF) for t in trials}
    now = datetime.now()  # Optuna keeps naive local times
    ready, young = [], []
    for t in trials:
        if t.state != TrialState.FAIL or t.user_attrs.get(UserAttr.FAIL_REASON) != DIED or t.number in retried:
            continue
        if not assigned_params(t):
            continue
        age = (now - t.datetime_complete).total_seconds() if t.datetime_complete else ORPHAN_AFTER_S
        (ready if age >= ORPHAN_AFTER_S else young).append(t)
    return ready, young


def _enqueue_retry(study: optuna.Study, trial: FrozenTrial) -> bool:
    params = assigned_params(trial)
    if params:
        attrs = {k: trial.user_attrs[k] for k in INHERITED_ATTRS if k in trial.user_attrs}
        study.enqueue_trial(params, user_attrs={**attrs, UserAttr.RETRY_OF: trial.number})
    return bool(params)


def reap(study: optuna.Study) -> list[int]:
    """Fail and re-queue the trials of dead workers: on this host at once (pid gone); elsewhere by stale heartbeat,
    Optuna's own for RDB storages, ours (Heartbeat) for the journal file. Returns the numbers re-queued."""
    if uses_heartbeat_thread(study):
        return requeue_dead_trials(study, stale_after_s=GRACE_PERIOD_S)
    with warnings.catch_warnings():  # "experimental" in Optuna 5, yet the documented recovery
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # RetryHeartbeatStaleTrialCallback re-queues them
    return requeue_dead_trials(study)


def uses_heartbeat_thread(study: optuna.Study) -> bool:
    """Optuna beats for RDB storages itself; every other storage (the journal file) gets our Heartbeat."""
    storage = study._storage  # noqa: SLF001
    inner = getattr(storage, "_backend", storage)  # the cached wrapper around an RDBStorage
    return not isinstance(inner, RDBStorage)


class Heartbeat:
    """While a trial runs, stamp time.time() into its user attrs every interval_s (a daemon thread)."""

    def __init__(self, study: optuna.Study, trial_id: int, interval_s: float) -> None:
        self._storage, self._trial_id, self._interval = study._storage, trial_id, interval_s  # noqa: SLF001
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="autosynthda-heartbeat", daemon=True)

    def _beat(self) -> None:
        try:
            self._storage.set_trial_user_attr(self._trial_id, UserAttr.HEARTBEAT, time.time())
        except (UpdateFinishedTrialError, RuntimeError):
            self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._beat()

    def __enter__(self) -> Heartbeat:
        self._beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

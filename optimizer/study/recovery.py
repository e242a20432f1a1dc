"""Trials left RUNNING by a dead process are failed and re-queued with the same parameters.

On the same machine a dead worker is known at once (its pid is gone); elsewhere the RDB heartbeat (setup.py) catches
it after the grace period.
"""

from __future__ import annotations

import os
import socket

import optuna
from optuna.trial import TrialState

WORKER_ATTR = "worker"


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


def requeue_dead_trials(study: optuna.Study) -> list[int]:
    """Fail every RUNNING trial whose worker ran on this host and has exited; enqueue its params again.

    Returns the numbers of the failed trials. Trials of live workers (or of other hosts) are left alone.
    """
    here = socket.gethostname()
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(WORKER_ATTR) or {}
        if worker.get("host") != here or _alive(int(worker.get("pid", -1))):
            continue
        study.tell(trial.number, state=TrialState.FAIL)
        if trial.params:
            attrs = {k: v for k, v in trial.user_attrs.items() if k in ("baseline",)}
            study.enqueue_trial(dict(trial.params), user_attrs={**attrs, "retry_of": trial.number})
        failed.append(trial.number)
    return failed

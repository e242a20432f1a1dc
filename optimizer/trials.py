"""What a trial was given and what it retries, read from its attrs: shared by the recovery and the samplers."""

from __future__ import annotations

from optuna.trial import FrozenTrial


def retried_from(trial: FrozenTrial) -> int | None:
    """The trial this one retries: re-queued by a worker (user attr retry_of) or by Optuna's heartbeat callback."""
    if "retry_of" in trial.user_attrs:
        return int(trial.user_attrs["retry_of"])
    failed = trial.system_attrs.get("failed_trial")  # Optuna's RetryHeartbeatStaleTrialCallback
    return None if failed is None else int(failed)


def assigned_params(trial: FrozenTrial) -> dict[str, object]:
    """The params the trial was given: the ones it was enqueued with, overlaid by those it suggested. A retry killed
    between its suggests still carries its whole enqueued point; a trial killed before it had either was never given a
    point, and is not retried."""
    return {**(trial.system_attrs.get("fixed_params") or {}), **trial.params}

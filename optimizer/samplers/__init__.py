"""Samplers of our own (the finite-difference sampler: SynthDa's calculate_new_weight, and SPSA) and the factory
that builds every sampler and pruner a study config names."""

from __future__ import annotations

from typing import Any

from optimizer.samplers.factory import PRUNERS, SAMPLERS, make_pruner, make_sampler
from optimizer.samplers.options import LegacyOptions, SpsaOptions
from optimizer.samplers.plan import Plan, Probe
from optimizer.samplers.sampler import CRN_SEED_ATTR, PROBE_ATTR, STATE_ATTR, FiniteDifferenceSampler
from optimizer.trials import SystemAttr


def sampler_done(study: Any) -> Plan | None:
    """The finished plan when the study's sampler is a finite-difference search that has stopped, else None.

    Recomputed from the trials each time, so a study resumed with other options (a larger max_iter) runs on."""
    sampler = getattr(study, "sampler", None)
    return sampler.is_done(study) if isinstance(sampler, FiniteDifferenceSampler) else None


def trial_crn_seed(trial: Any) -> int | None:
    """The common-random-numbers seed the sampler gave this trial, or None (then the objective seeds as usual).

    Read from the storage: the sampler writes it after optuna.Trial cached the trial's attributes."""
    storage, trial_id = getattr(trial, "storage", None), getattr(trial, "_trial_id", None)
    attrs = storage.get_trial_system_attrs(trial_id) if storage is not None else getattr(trial, "system_attrs", {})
    value = attrs.get(SystemAttr.CRN_SEED)
    return None if value is None else int(value)


__all__ = [
    "CRN_SEED_ATTR",
    "PROBE_ATTR",
    "PRUNERS",
    "STATE_ATTR",
    "SAMPLERS",
    "FiniteDifferenceSampler",
    "LegacyOptions",
    "Plan",
    "Probe",
    "SpsaOptions",
    "make_pruner",
    "make_sampler",
    "sampler_done",
    "trial_crn_seed",
]

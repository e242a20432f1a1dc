"""Pair plans and the pose-pair bank shared by every trial of a study."""

from generation.pairs.bank import PairBank, bank_key, build_pair_bank, load_pair_bank
from generation.pairs.plan import PairPlan, PairPlanError, plan_pairs

__all__ = ["PairBank", "PairPlan", "PairPlanError", "bank_key", "build_pair_bank", "load_pair_bank", "plan_pairs"]

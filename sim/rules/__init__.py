"""The control rules, one module per rule kind, named after the kind as scenarios write it
(`sim/rules/checkpoint_blockade.py` is the rule `checkpoint_blockade`); the interface every rule
implements is `sim.rules.base.Rule`. Importing this package registers every rule by name."""

from sim.rules import (  # noqa: F401  (imported for their @register side effect)
    agreement,
    airstrikes,
    checkpoint_blockade,
    co_optation,
    deconfliction_line,
    insurgent_recruitment,
    offensive,
    reinforcement,
)
from sim.rules.base import REGISTRY, Rule, build_rules

__all__ = ["REGISTRY", "Rule", "build_rules"]

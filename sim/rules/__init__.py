"""The control rules; importing this package registers every rule by name."""

from sim.rules import (  # noqa: F401  (imported for their @register side effect)
    agreement,
    airstrikes,
    checkpoint,
    co_optation,
    deconfliction,
    recruitment,
    reinforcement,
)
from sim.rules.base import REGISTRY, Rule, build_rules

__all__ = ["REGISTRY", "Rule", "build_rules"]

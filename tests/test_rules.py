"""The rule plug-ins (sim/rules/base.py, ODD §3.3): a parameter changed by name or alias and
revalidated, the keys of a kind, and a kind without a parameter model refused. Each rule's
mechanism has its own file: test_checkpoint.py, test_airstrikes.py, test_co_optation.py,
test_agreement.py (with the reinforcement route), test_deconfliction.py, test_offensive.py,
test_insurgents.py (recruitment)."""

from __future__ import annotations

import pytest
from rule_worlds import co_opting, rule, striking
from worlds import world


def test_a_rule_parameter_changes_by_name_or_alias_and_an_invalid_value_is_refused(tmp_path):
    """`set_param` (what events use) revalidates: a new rate is taken, a negative one refused with
    the old kept; `from` (the alias of co-optation's `from_`) names the field too."""
    import pydantic

    model, _ = striking(tmp_path, rate_per_day=1.0)
    strikes = rule(model, "airstrikes")
    strikes.set_param("rate_per_day", 2.5)
    assert strikes.params.rate_per_day == 2.5
    with pytest.raises(pydantic.ValidationError):
        strikes.set_param("rate_per_day", -1.0)
    assert strikes.params.rate_per_day == 2.5, "a refused value leaves the parameter as it was"
    model, _ = co_opting(tmp_path, km=6.0)
    co = rule(model, "co_optation")
    co.set_param("from", ["b"])
    assert co.params.from_ == ["b"], "the alias `from` sets the field `from_`"


def test_the_keys_of_a_kind_are_the_scenarios_rules_of_that_kind_in_order(tmp_path):
    from sim.rules.base import keys_of_kind

    rules = {"reinforcement": {"faction": "a", "at": "Albu Kamal"}, "airstrikes": {"by": "b", "against": "a"},
             "reinforcement/b": {"faction": "b", "at": "Albu Kamal"}}
    model = world(tmp_path, relations={"a/b": "rival"}, rules=rules)
    assert keys_of_kind(model.loaded.rules, "reinforcement") == ["reinforcement", "reinforcement/b"]
    assert keys_of_kind(model.loaded.rules, "airstrikes") == ["airstrikes"]
    assert keys_of_kind(model.loaded.rules, "co_optation") == [], "a kind the scenario lacks: none"


def test_a_rule_kind_without_a_parameter_model_is_refused_by_name():
    """`register` makes a rule class buildable by its kind only when the scenario language has a
    parameter model for it; otherwise a ValueError names the kind."""
    from sim.rules.base import Rule, register

    class Unknown(Rule):
        name = "no_such_rule"

    with pytest.raises(ValueError, match="rule 'no_such_rule' has no parameter model"):
        register(Unknown)

"""The scenario models read key by key: which keys a model has, the type of a child, the member
of a union that a mapping's `kind` selects, a field's default in file form.

Key paths (:mod:`sim.scenario.keypaths`) and validation messages (:mod:`sim.scenario.messages`)
both follow a file's keys through the models of :mod:`sim.scenario.spec` with these helpers.
"""

from __future__ import annotations

import copy
import types
import typing
from typing import Any, Literal, Union

from pydantic import BaseModel

from sim.scenario.rule_params import rule_kind
from sim.scenario.spec import RULE_MODELS, RuleParams, Scenario

#: a key path: mapping keys and list indexes from the top of a scenario, e.g. ('forces', 2, 'route', 0)


PathT = tuple[str | int, ...]


def unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and Optional[...] from a type annotation."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def is_model(tp: Any) -> bool:
    """Whether `tp` is a pydantic model class."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def union_members(tp: Any) -> list | None:
    """The members of a union type (None left out, each unwrapped), or None if `tp` is no union."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [unwrap(a) for a in typing.get_args(tp) if a is not type(None)]
    return None


def model_field(model: type[BaseModel], key: Any):
    """(key as written in files, FieldInfo) for a field name or alias, or None."""
    for name, info in model.model_fields.items():
        if key == (info.alias or name) or key == name:
            return (info.alias or name), info
    return None


def model_keys(model: type[BaseModel]) -> list[str]:
    """The keys of a model as written in files (aliases, e.g. 'from', not 'from_')."""
    return [info.alias or name for name, info in model.model_fields.items()]


def kind_of(model: type[BaseModel]) -> str | None:
    """The `kind` a model of a tagged union answers to (its Literal), or None."""
    info = model.model_fields.get("kind")
    if info is not None and typing.get_origin(info.annotation) is Literal:
        return typing.get_args(info.annotation)[0]
    return None


def pick_member(members: list, data: Any) -> Any:
    """The member of a union of models that `data` (a mapping with `kind`) selects, or None."""
    models = [m for m in members if is_model(m)]
    if isinstance(data, dict):
        for m in models:
            if kind_of(m) is not None and data.get("kind") == kind_of(m):
                return m
    return None


def rule_model(key: Any) -> type[RuleParams] | None:
    """The parameter model of a key under `rules` ('reinforcement/russia' → Reinforcement), or None."""
    return RULE_MODELS.get(rule_kind(key)) if isinstance(key, str) else None


def child_type(tp: Any, key: Any, data: Any) -> tuple[bool, Any]:
    """(is `key` allowed under a value of type `tp`, the type of that child)."""
    tp = unwrap(tp)
    if tp is Scenario and key == "rules":
        return True, "rules"
    if tp == "rules":
        model = rule_model(key)
        return model is not None, model
    members = union_members(tp)
    if members is not None:
        chosen = pick_member(members, data)
        if chosen is None:
            return True, None
        tp = chosen
    if is_model(tp):
        found = model_field(tp, key)
        return (found is not None), (found[1].annotation if found else None)
    origin = typing.get_origin(tp)
    if origin is dict:
        return True, typing.get_args(tp)[1]
    if origin is list:
        return True, typing.get_args(tp)[0]
    return True, None


def default_for(tp: Any, key: Any) -> Any:
    """The default value, in file form, of field `key` of the model `tp`; raises LookupError."""
    tp = unwrap(tp)
    if is_model(tp):
        found = model_field(tp, key)
        if found is not None and not found[1].is_required():
            value = found[1].get_default(call_default_factory=True)
            if isinstance(value, BaseModel):
                return value.model_dump(by_alias=True, mode="json")
            return copy.deepcopy(value)
    raise LookupError(key)


def as_model(tp: Any, data: Any) -> type[BaseModel] | None:
    """The model a value of type `tp` is (a union of models is resolved by the data's `kind`)."""
    tp = unwrap(tp)
    if is_model(tp):
        return tp
    members = union_members(tp)
    return pick_member(members, data) if members else None

"""Key paths: 'forces[2].route[0]' ⇄ ('forces', 2, 'route', 0), and reading or setting the
value at a key path of a scenario's data, checked against the schema (unknown keys fail with a
did-you-mean). `--set KEY.PATH=VALUE` arguments of every command are read here too.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable
from typing import Any

import yaml

from sim.program.errors import UserError, describe_found, did_you_mean
from sim.scenario.dialect import load_value
from sim.scenario.fields import (
    PathT,
    as_model,
    child_type,
    default_for,
    is_model,
    model_field,
    model_keys,
    pick_member,
    union_members,
    unwrap,
)
from sim.scenario.rule_params import rule_kind
from sim.scenario.spec import RULE_MODELS, Scenario


class PathError(KeyError):
    """An unknown key path; ``str()`` is the plain message (KeyError would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]|\.")


def _printable(path: str) -> None:
    if not path.isprintable():
        raise PathError(f"the key path {describe_found(path).removeprefix('a string ')} holds a control "
                        "character (a newline, a tab, …); key paths are names, dots and [indexes]")


def parse_path(path: str) -> PathT:
    """'forces[2].route[0]' → ('forces', 2, 'route', 0); 'rules.reinforcement/russia.at' → 3 keys."""
    if not isinstance(path, str) or not path.strip():
        raise PathError("empty key path")
    _printable(path)
    parts: list[str | int] = []
    pos = 0
    expect_key = True
    text = path.strip()
    while pos < len(text):
        m = _SEGMENT.match(text, pos)
        if not m or m.end() == pos:
            raise PathError(f"cannot read key path '{path}' at '{text[pos:]}'")
        if m.group(1) is not None:
            if not expect_key:
                raise PathError(f"cannot read key path '{path}': missing '.' before '{m.group(1)}'")
            parts.append(m.group(1).strip())
            expect_key = False
        elif m.group(2) is not None:
            if not parts:
                raise PathError(f"cannot read key path '{path}': it starts with an index")
            parts.append(int(m.group(2)))
            expect_key = False
        else:  # a dot
            if expect_key:
                raise PathError(f"cannot read key path '{path}': empty key")
            expect_key = True
        pos = m.end()
    if expect_key:
        raise PathError(f"cannot read key path '{path}': it ends with '.'")
    return tuple(parts)


_PLAIN_KEY = re.compile(r"^[^.\[\]\s'\"]+$")


def format_path(parts: Iterable[str | int]) -> str:
    """('forces', 1, 'route', 0) → 'forces[1].route[0]'; keys with dots are quoted: set['a.b']."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{str(part)!r}]"
    return out


def _describe_container(parts: PathT) -> str:
    return f"'{format_path(parts)}'" if parts else "the top level"


def _walk(data: dict, parts: PathT, create: bool) -> tuple[Any, Any, Any]:
    """Follow `parts` but the last; return (container, its schema type, last key).

    A key the schema has (with a default) but the data leaves out is allowed: with `create`,
    the mappings on the way are created; without, the walk reads through the defaults.
    Raises PathError with a did-you-mean for unknown keys and out-of-range indexes.
    """
    if not parts:
        raise PathError("empty key path")
    cur: Any = data
    tp: Any = Scenario
    for depth, part in enumerate(parts):
        here = parts[:depth]
        is_last = depth == len(parts) - 1
        if isinstance(cur, dict):
            if isinstance(part, int):
                raise PathError(
                    f"{_describe_container(here)} is a mapping, not a list: use a key, not [{part}]"
                )
            allowed, child_tp = child_type(tp, part, cur)
            if not allowed:
                raise PathError(_unknown_key_message(part, here, tp, cur))
            if part not in cur and is_last and typing.get_origin(unwrap(tp)) is dict:
                return cur, tp, part  # a new key of a free mapping (a pair of factions, a place's holder): checked when the scenario loads
            if part not in cur:
                model = as_model(tp, cur)
                if model is None or model_field(model, part) is None:
                    raise PathError(_unknown_key_message(part, here, tp, cur))
                if is_last:
                    return cur, model, part
                if create and as_model(child_tp, {}) is not None:
                    cur[part] = {}
                elif create:
                    raise PathError(
                        f"'{format_path(here + (part,))}' is not set in this scenario, "
                        f"so '{format_path(parts)}' cannot be set inside it"
                    )
                else:
                    try:
                        cur, tp = default_for(model, part), child_tp
                    except LookupError:
                        raise PathError(
                            f"'{format_path(here + (part,))}' is not set in this scenario"
                        ) from None
                    continue
            if is_last:
                return cur, tp, part
            cur, tp = cur[part], child_tp
        elif isinstance(cur, list):
            if not isinstance(part, int):
                raise PathError(
                    f"{_describe_container(here)} is a list: use an index like "
                    f"{format_path(here)}[0], not '.{part}'"
                )
            if not 0 <= part < len(cur):
                raise PathError(
                    f"index [{part}] is out of range: {_describe_container(here)} has "
                    f"{len(cur)} item{'s' if len(cur) != 1 else ''}"
                )
            _, child_tp = child_type(tp, part, cur)
            if is_last:
                return cur, tp, part
            cur, tp = cur[part], child_tp
        else:
            what = f"item [{part}]" if isinstance(part, int) else f"key '{part}'"
            raise PathError(f"{_describe_container(here)} is {describe_found(cur)}, it has no {what}")
    raise AssertionError("unreachable")  # pragma: no cover


def _unknown_key_message(part: Any, here: PathT, tp: Any, cur: dict) -> str:
    if tp == "rules":
        kind = rule_kind(part)
        if kind in RULE_MODELS:
            present = ", ".join(str(k) for k in cur) or "none"
            return (f"no rule '{part}' in this scenario{did_you_mean(part, list(cur))} "
                    f"(its rules: {present})")
        return (
            f"no rule '{part}' in this scenario"
            f"{did_you_mean(part, list(cur)) or did_you_mean(part, list(RULE_MODELS))}"
        )
    candidates = list(cur)
    if is_model(unwrap(tp)):
        candidates = model_keys(unwrap(tp))
    else:
        members = union_members(unwrap(tp))
        chosen = pick_member(members, cur) if members else None
        if chosen is not None:
            candidates = model_keys(chosen)
    return f"unknown key '{part}' in {_describe_container(here)}{did_you_mean(part, candidates)}"


def set_by_path(data: dict, path: str | PathT, value: Any) -> None:
    """Set the value at a key path such as 'forces[2].strength' or 'rules.reinforcement/russia.at'.

    Keys that the schema knows but the data leaves at their default may be set (for rules: any
    parameter of that rule's kind). Raises :class:`PathError` (a KeyError) naming the unknown
    segment, with a suggestion.
    """
    parts = parse_path(path) if isinstance(path, str) else tuple(path)
    container, _, last = _walk(data, parts, create=True)
    container[last] = value


def get_by_path(data: dict, path: str | PathT) -> Any:
    """The value at a key path; a key the data leaves out gives the schema's default."""
    parts = parse_path(path) if isinstance(path, str) else tuple(path)
    container, tp, last = _walk(data, parts, create=False)
    if isinstance(container, dict) and last not in container:
        try:
            return default_for(as_model(tp, container), last)
        except LookupError:
            raise PathError(
                f"'{format_path(parts)}' has no default: it must be given in the scenario"
            ) from None
    return container[last]


def parse_assignment(text: str) -> tuple[str, Any]:
    """'rules.checkpoint_blockade.stop_probability=0.5' → (path, 0.5); the value is read as
    Corridor's YAML (:mod:`sim.scenario.dialect`), like a value in a file. Raises PathError when
    there is no '=' or the value is refused (e.g. '1:30', a base-60 number in YAML 1.1)."""
    if "=" not in text:
        raise PathError(f"expected KEY.PATH=VALUE, found '{text}'")
    path, raw = text.split("=", 1)
    _printable(path)  # a control character in the key is refused here, before the value is read
    try:
        value = load_value(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    except ValueError as err:  # refused by Corridor's YAML: a base-60 or octal number, too long
        raise PathError(str(err)) from None
    return path.strip(), value


def parse_sets(texts: Iterable[str] | None) -> dict[str, Any]:
    """The `--set KEY.PATH=VALUE` arguments of a command as overrides {key path: value} for
    :func:`~sim.scenario.load.load_scenario`; each value is read as YAML (text that is not YAML
    stays text, for the scenario's validation to report). Raises :class:`~sim.program.errors.UserError`
    ``--set TEXT: expected KEY.PATH=VALUE, found 'TEXT'`` when there is no '='."""
    sets: dict[str, Any] = {}
    for text in texts or []:
        try:
            key, value = parse_assignment(text)
        except PathError as err:
            shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)  # one line, visible
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            raise UserError(f"--set {shown}: {err}") from None
        sets[key] = value
    return sets

"""Loading a scenario: YAML → `extends` merge → overrides → validation → cross-checks.

A scenario file is read with PyYAML's SafeLoader. Its node tree gives the line of every key and
list item, so that each problem can be reported as ``file:line: key.path: message`` — in the file
that actually set the offending value (a child's bad override points at the child, a bad value
inherited from a parent points at the parent).

Steps of :func:`load_scenario`:

1. read the file and every file it ``extends`` (relative to the file naming it; chains allowed,
   cycles reported), deep-merge them (mappings merged key by key, lists and scalars replaced),
   remembering which file and line set each key path;
2. make ``map.file`` absolute (relative to the file that set it);
3. apply overrides (``--set`` and sweep parameters) with :func:`set_by_path`;
4. validate the structure with the pydantic models of :mod:`sim.scenario.spec` (strictly: YAML already
   types values, so ``"40"`` is not silently a number) and each rule with its model from
   ``RULE_MODELS``;
5. if the structure is sound, cross-check it: faction ids, relations, places and regions on the
   map, deployments on ground their kind can stand on, convoy routes reachable over passable
   terrain, times inside the duration, event paths and rule names.

Every problem found is collected and raised together as one :class:`~sim.errors.InputErrors`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import numpy as np
import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import InputErrors, Problem, did_you_mean
from sim.scenario.spec import RULE_MODELS, RuleBase, Scenario

if typing.TYPE_CHECKING:  # pragma: no cover
    from sim.geography import CorridorMap, Place

PathT = tuple[str | int, ...]

#: where the shipped scenarios (and the default map) live
SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"


# =========================================================================== results


@dataclass(frozen=True)
class RuleSpec:
    """One configured control rule: its key under `rules`, its kind, and its validated parameters."""

    key: str  # 'reinforcement' or 'reinforcement/russia'
    name: str  # the rule kind: the part of the key before '/'
    params: RuleBase


@dataclass
class LoadedScenario:
    """A scenario ready to build a model from."""

    spec: Scenario
    rules: list[RuleSpec]
    source: Path
    resolved: dict
    map: CorridorMap
    digest: str
    origins: dict = field(default_factory=dict, repr=False)

    def rule(self, key: str) -> RuleSpec:
        for rule in self.rules:
            if rule.key == key:
                return rule
        raise KeyError(f"no rule '{key}'{did_you_mean(key, [r.key for r in self.rules])}")

    def summary(self) -> str:
        spec = self.spec
        units = sum(f.units for f in spec.forces)
        step = f"{spec.time.step_hours:g} h"
        return (
            f"{spec.name}: {len(spec.factions)} factions, {len(spec.forces)} forces "
            f"({units} units), {len(self.rules)} rules, {spec.time.duration_days:g} days "
            f"in {step} steps, {spec.map.cell_km:g} km cells"
        )


class PathError(KeyError):
    """An unknown key path; ``str()`` is the plain message (KeyError would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# =========================================================================== key paths

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]|\.")


def parse_path(path: str) -> PathT:
    """'forces[2].route[0]' → ('forces', 2, 'route', 0); 'rules.reinforcement/russia.at' → 3 keys."""
    if not isinstance(path, str) or not path.strip():
        raise PathError("empty key path")
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


# --------------------------------------------------------------------------- schema types


def _unwrap(tp: Any) -> Any:
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


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _union_members(tp: Any) -> list | None:
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [_unwrap(a) for a in typing.get_args(tp) if a is not type(None)]
    return None


def _model_field(model: type[BaseModel], key: Any):
    """(key as written in files, FieldInfo) for a field name or alias, or None."""
    for name, info in model.model_fields.items():
        if key == (info.alias or name) or key == name:
            return (info.alias or name), info
    return None


def _model_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _kind_of(model: type[BaseModel]) -> str | None:
    info = model.model_fields.get("kind")
    if info is not None and typing.get_origin(info.annotation) is Literal:
        return typing.get_args(info.annotation)[0]
    return None


def _pick_member(members: list, data: Any) -> Any:
    """The member of a union of models that `data` (a mapping with `kind`) selects, or None."""
    models = [m for m in members if _is_model(m)]
    if isinstance(data, dict):
        for m in models:
            if _kind_of(m) is not None and data.get("kind") == _kind_of(m):
                return m
    return None


def _rule_model(key: Any) -> type[RuleBase] | None:
    return RULE_MODELS.get(str(key).split("/", 1)[0]) if isinstance(key, str) else None


def _child_type(tp: Any, key: Any, data: Any) -> tuple[bool, Any]:
    """(is `key` allowed under a value of type `tp`, the type of that child)."""
    tp = _unwrap(tp)
    if tp is Scenario and key == "rules":
        return True, "rules"
    if tp == "rules":
        model = _rule_model(key)
        return model is not None, model
    members = _union_members(tp)
    if members is not None:
        chosen = _pick_member(members, data)
        if chosen is None:
            return True, None
        tp = chosen
    if _is_model(tp):
        found = _model_field(tp, key)
        return (found is not None), (found[1].annotation if found else None)
    origin = typing.get_origin(tp)
    if origin is dict:
        return True, typing.get_args(tp)[1]
    if origin is list:
        return True, typing.get_args(tp)[0]
    return True, None


def _default_for(tp: Any, key: Any) -> Any:
    """The default value, in file form, of field `key` of the model `tp`; raises LookupError."""
    tp = _unwrap(tp)
    if _is_model(tp):
        found = _model_field(tp, key)
        if found is not None and not found[1].is_required():
            value = found[1].get_default(call_default_factory=True)
            if isinstance(value, BaseModel):
                return value.model_dump(by_alias=True, mode="json")
            return copy.deepcopy(value)
    raise LookupError(key)


def _describe_container(parts: PathT) -> str:
    return f"'{format_path(parts)}'" if parts else "the top level"


def _as_model(tp: Any, data: Any) -> type[BaseModel] | None:
    """The model a value of type `tp` is (a union of models is resolved by the data's `kind`)."""
    tp = _unwrap(tp)
    if _is_model(tp):
        return tp
    members = _union_members(tp)
    return _pick_member(members, data) if members else None


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
            allowed, child_tp = _child_type(tp, part, cur)
            if not allowed:
                raise PathError(_unknown_key_message(part, here, tp, cur))
            if part not in cur and is_last and _unwrap(tp) == Scenario.model_fields["relations"].annotation:
                return cur, tp, part  # a new pair of factions; checked when the scenario loads
            if part not in cur:
                model = _as_model(tp, cur)
                if model is None or _model_field(model, part) is None:
                    raise PathError(_unknown_key_message(part, here, tp, cur))
                if is_last:
                    return cur, model, part
                if create and _as_model(child_tp, {}) is not None:
                    cur[part] = {}
                elif create:
                    raise PathError(
                        f"'{format_path(here + (part,))}' is not set in this scenario, "
                        f"so '{format_path(parts)}' cannot be set inside it"
                    )
                else:
                    try:
                        cur, tp = _default_for(model, part), child_tp
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
            _, child_tp = _child_type(tp, part, cur)
            if is_last:
                return cur, tp, part
            cur, tp = cur[part], child_tp
        else:
            what = f"item [{part}]" if isinstance(part, int) else f"key '{part}'"
            raise PathError(f"{_describe_container(here)} is {describe_found(cur)}, it has no {what}")
    raise AssertionError("unreachable")  # pragma: no cover


def _unknown_key_message(part: Any, here: PathT, tp: Any, cur: dict) -> str:
    if tp == "rules":
        kind = str(part).split("/", 1)[0]
        if kind in RULE_MODELS:
            present = ", ".join(str(k) for k in cur) or "none"
            return (f"no rule '{part}' in this scenario{did_you_mean(part, list(cur))} "
                    f"(its rules: {present})")
        return (
            f"no rule '{part}' in this scenario"
            f"{did_you_mean(part, list(cur)) or did_you_mean(part, list(RULE_MODELS))}"
        )
    candidates = list(cur)
    if _is_model(_unwrap(tp)):
        candidates = _model_keys(_unwrap(tp))
    else:
        members = _union_members(_unwrap(tp))
        chosen = _pick_member(members, cur) if members else None
        if chosen is not None:
            candidates = _model_keys(chosen)
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
            return _default_for(_as_model(tp, container), last)
        except LookupError:
            raise PathError(
                f"'{format_path(parts)}' has no default: it must be given in the scenario"
            ) from None
    return container[last]


def parse_assignment(text: str) -> tuple[str, Any]:
    """'rules.checkpoint_blockade.stop_probability=0.5' → (path, 0.5); the value is read as YAML."""
    if "=" not in text:
        raise PathError(f"expected KEY.PATH=VALUE, found '{text}'")
    path, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return path.strip(), value


# =========================================================================== reading YAML


class StopReading(Exception):
    """Loading cannot go on; the problems collected so far say why."""


def _line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _yaml_error(display: str, err: yaml.YAMLError) -> Problem:
    """One line `YAML syntax error: …` at the line where the parser stopped."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    context = getattr(err, "context", None)
    context_mark = getattr(err, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        context += f" started at line {context_mark.line + 1}"
    parts = [context, getattr(err, "problem", None)]
    text = "; ".join(p for p in parts if p) or str(err)
    text = " ".join(text.split())
    if isinstance(err, yaml.constructor.ConstructorError):
        return Problem(display, line, "", f"YAML error: {text} (only plain YAML is read: "
                                          "no !!python tags)")
    return Problem(display, line, "", f"YAML syntax error: {text}")


def read_yaml(path: Path, display: str, problems: list[Problem]) -> tuple[Any, dict, bool]:
    """(data, {key path: line}, empty?) of one YAML file; problems appended, StopReading if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(display, None, "", "no such file"))
        raise StopReading from None
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Problem(display, None, "", f"cannot read the file: {err}"))
        raise StopReading from None
    loader = yaml.SafeLoader(text)
    keys = yaml.SafeLoader("")  # constructs single keys, so that `1:` and `yes:` match the data
    lines: dict[PathT, int] = {}
    try:
        node = loader.get_single_node()
        if node is not None:
            _index_lines(node, (), lines, display, problems, set(), keys)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        problems.append(_yaml_error(display, err))
        raise StopReading from None
    finally:
        loader.dispose()
        keys.dispose()
    return data, lines, node is None


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _index_lines(node, prefix: PathT, lines: dict, display: str, problems: list, active: set,
                 keys: yaml.SafeLoader) -> None:
    """Record the line of every key and list item under `node`; report duplicate keys.

    Keys brought in by a YAML merge (`<<: *anchor`) get the line where the anchor defines them,
    unless the mapping sets them itself.
    """
    if id(node) in active:  # a recursive alias
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        merges = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = _scalar_key(key_node, keys)
            line = _line_of(key_node)
            if key in seen:
                problems.append(
                    Problem(
                        display, line, format_path(prefix + (key,)),
                        f"duplicate key '{key_node.value}' (first given at line {seen[key]}); "
                        "give each key once",
                    )
                )
            seen[key] = line
            lines[prefix + (key,)] = line
            _index_lines(value_node, prefix + (key,), lines, display, problems, active, keys)
        for merged in merges:
            sources = merged.value if isinstance(merged, yaml.SequenceNode) else [merged]
            for source in sources:
                found: dict[PathT, int] = {}
                _index_lines(source, prefix, found, display, [], active, keys)
                for p, line in found.items():
                    if len(p) > len(prefix) and p[len(prefix)] not in seen:
                        lines.setdefault(p, line)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[prefix + (i,)] = _line_of(item)
            _index_lines(item, prefix + (i,), lines, display, problems, active, keys)
    active.discard(id(node))


def _scalar_key(node: yaml.ScalarNode, keys: yaml.SafeLoader) -> Any:
    """The constructed value of a scalar key node."""
    try:
        value = keys.construct_object(node, deep=True)
    except yaml.YAMLError:
        return node.value
    try:
        hash(value)
    except TypeError:
        return node.value
    return value


# =========================================================================== extends + merge

# origin of a key path: (file as displayed, line or None, note or None)
Origin = tuple[str, int | None, str | None]


def _display(path: Path) -> str:
    """A path as the user would recognise it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _merge(base: dict, base_orig: dict, over: dict, over_orig: dict, prefix: PathT = ()) -> None:
    """Deep-merge `over` into `base` (mappings recursively, lists and scalars replaced)."""
    for key, value in over.items():
        here = prefix + (key,)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            if here in over_orig:
                base_orig[here] = over_orig[here]
            _merge(base[key], base_orig, value, over_orig, here)
        else:
            base[key] = value
            _replace_origins(base_orig, over_orig, here)


def _replace_origins(target: dict, source: dict, prefix: PathT) -> None:
    n = len(prefix)
    for p in [p for p in target if p[:n] == prefix]:
        del target[p]
    for p, o in source.items():
        if p[:n] == prefix:
            target[p] = o


def _load_tree(path: Path, display: str, chain: list[tuple[Path, str, int | None]],
               problems: list[Problem], files: dict[str, Path] | None = None) -> tuple[dict, dict]:
    """The merged data of `path` and everything it extends, with the origin of every key path.

    `files` receives each file read, by the name used for it in messages.
    """
    if files is not None:
        files[display] = path
    data, lines, empty = read_yaml(path, display, problems)
    if empty:
        problems.append(Problem(display, None, "", "the file is empty: expected a scenario mapping"))
        raise StopReading
    if not isinstance(data, dict):
        problems.append(
            Problem(display, 1, "", f"expected a mapping of scenario keys (name: …, factions: …) "
                    f"at the top level, found {describe_found(data)}")
        )
        raise StopReading
    origins: dict[PathT, Origin] = {p: (display, ln, None) for p, ln in lines.items()}
    if "extends" not in data:
        return data, origins
    parent_name = data.pop("extends")
    line = lines.get(("extends",))
    for p in [p for p in origins if p[:1] == ("extends",)]:
        del origins[p]
    if not isinstance(parent_name, str) or not parent_name.strip():
        problems.append(Problem(display, line, "extends",
                                f"expected the name of a scenario file, found {describe_found(parent_name)}"))
        raise StopReading
    parent = path.parent / parent_name
    here = chain + [(path.resolve(), display, line)]
    key = parent.resolve()
    for i, (seen, seen_display, seen_line) in enumerate(here):
        if seen == key:
            names = [d for _, d, _ in here[i:]] + [seen_display]
            short = [Path(n).name for n in names]
            shown = short if len(set(short)) == len(set(names)) else names
            problems.append(Problem(seen_display, seen_line, "extends", "cycle " + " → ".join(shown)))
            raise StopReading
    if not parent.is_file():
        problems.append(Problem(display, line, "extends",
                                f"cannot find the scenario file '{parent_name}' (looked for {parent})"))
        raise StopReading
    base, base_orig = _load_tree(parent, _display(parent), here, problems, files)
    _merge(base, base_orig, data, origins)
    return base, base_orig


# =========================================================================== messages

_LIST_NOUNS = {  # list field → (one item, several items)
    "route": ("place name", "place names"),
    "at": ("place name", "place names"),
    "land_bridge": ("place name", "place names"),
    "against": ("faction id", "faction ids"),
    "from": ("faction id", "faction ids"),
    "land_bridge_factions": ("faction id", "faction ids"),
    "may_not_enter": ("region name", "region names"),
    "questions": ("question", "questions"),
    "forces": ("force", "forces"),
    "events": ("event", "events"),
    "factions": ("faction", "factions"),
}

_MAPPING_NOUNS = {
    "factions": "a mapping of faction id → {label, color, funding}",
    "relations": "a mapping like 'iran_militia/russia: rival'",
    "rules": "a mapping of rule name → parameters (not a list)",
    "set": "a mapping of key path → value",
}

_PATTERN_NOUNS = {
    "color": "a colour written '#rrggbb' (six hex digits)",
}


def describe_found(value: Any) -> str:
    """How a value found in a file is described in a message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a yes/no value)"
    if isinstance(value, float):
        return f"{value:.1f}" if value.is_integer() and abs(value) < 1e15 else f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"a string '{shown}'" if value else "an empty string"
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "an empty mapping" if not value else "a mapping"
    return f"a {type(value).__name__} {value!s:.40}"


def _found_value(value: Any) -> str:
    """Like describe_found, but numbers and strings are shown bare where a value was out of range."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return describe_found(value)
    if isinstance(value, str):
        return f"'{value}'"
    return describe_found(value)


def _bounds(info) -> str | None:
    lo = hi = None
    lo_op = hi_op = ""
    for meta in getattr(info, "metadata", []) or []:
        for attr, op in (("gt", ">"), ("ge", ">=")):
            v = getattr(meta, attr, None)
            if v is not None:
                lo, lo_op = v, op
        for attr, op in (("lt", "<"), ("le", "<=")):
            v = getattr(meta, attr, None)
            if v is not None:
                hi, hi_op = v, op
    if lo is not None and hi is not None:
        if lo_op == ">=" and hi_op == "<=":
            return f"between {lo:g} and {hi:g}"
        return f"{lo_op} {lo:g} and {hi_op} {hi:g}"
    if lo is not None:
        return f"{lo_op} {lo:g}"
    if hi is not None:
        return f"{hi_op} {hi:g}"
    return None


@dataclass
class _Loc:
    """A pydantic error location turned into a file key path, with what the schema expects there."""

    path: PathT
    tp: Any = None
    info: Any = None
    key_error: bool = False
    model: Any = None  # the model that owns the last key (for suggestions)
    scalar_union: bool = False  # the error is one member's of a union of plain types


def _clean_loc(loc: tuple, root: Any, prefix: PathT = ()) -> _Loc:
    """Strip union/discriminator tags from a pydantic loc by following the schema."""
    path = list(prefix)
    tp: Any = root
    info = None
    model = None
    key_error = False
    scalar_union = False
    parts = list(loc)
    i = 0
    while i < len(parts):
        part = parts[i]
        if part == "[key]":
            key_error = True
            i += 1
            continue
        cur = _unwrap(tp) if tp is not None else None
        members = _union_members(cur) if cur is not None else None
        if members is not None:
            chosen = next((m for m in members if _is_model(m) and _kind_of(m) == part), None)
            if chosen is not None or all(not _is_model(m) for m in members):
                scalar_union = chosen is None
                tp = chosen  # a tag: dropped from the path
                i += 1
                continue
        if cur is not None and _is_model(cur):
            found = _model_field(cur, part)
            model = cur
            path.append(found[0] if found else part)
            tp, info = (found[1].annotation, found[1]) if found else (None, None)
        elif cur is not None and typing.get_origin(cur) in (dict, list):
            path.append(part)
            tp, info = typing.get_args(cur)[-1], None
            model = None
        else:
            path.append(part)
            tp, info, model = None, None, None
        i += 1
    return _Loc(tuple(path), tp, info, key_error, model, scalar_union)


def _error_message(err: dict, where: _Loc) -> tuple[PathT, str]:
    """(path to report at, message) for one pydantic error."""
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    path = where.path
    last = path[-1] if path else None
    tp = _unwrap(where.tp) if where.tp is not None else None

    if kind == "missing":
        return path[:-1], f"missing required key '{last}'"
    if kind == "extra_forbidden":
        candidates = _model_keys(where.model) if where.model is not None else []
        return path, f"unknown key '{last}'{did_you_mean(last, candidates)}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        members = _union_members(tp) or []
        tags = [k for k in (_kind_of(m) for m in members if _is_model(m)) if k] or \
            re.findall(r"'([^']+)'", ctx.get("expected_tags", ""))
        if kind == "union_tag_not_found":
            return path, f"missing required key 'kind' (one of {', '.join(tags) or '?'})"
        tag = ctx.get("tag")
        hint = did_you_mean(tag, tags) or f"; expected one of {', '.join(tags)}"
        return path + ("kind",), f"unknown force kind '{tag}'{hint}"
    if kind == "invalid_key" or (where.key_error and kind == "string_type"):
        return path, f"a key must be text, found {describe_found(value)} (put it in quotes)"
    if where.key_error and kind == "string_pattern_mismatch":
        return path, (
            f"'{last}' is not a valid id: use lower-case letters, digits and underscores, "
            "starting with a letter (e.g. iran_militia)"
        )
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        rng = _bounds(where.info) or {
            "greater_than": f"> {ctx.get('gt')}", "greater_than_equal": f">= {ctx.get('ge')}",
            "less_than": f"< {ctx.get('lt')}", "less_than_equal": f"<= {ctx.get('le')}",
        }[kind]
        noun = "a whole number" if tp is int else "a number"
        return path, f"expected {noun} {rng}, found {_found_value(value)}"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float",
                "finite_number"):
        noun = "a whole number" if kind.startswith("int") or tp is int else "a number"
        if kind == "finite_number":
            noun = "a finite number"
        return path, f"expected {noun}, found {describe_found(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return path, f"expected true or false, found {describe_found(value)}"
    if kind in ("string_type",):
        hint = ""
        if isinstance(value, int | float | bool):
            hint = f" (quote it: \"{value}\")"
        elif isinstance(value, dict) and len(value) == 1:
            hint = " (a ': ' inside unquoted text starts a mapping: put the text in quotes)"
        return path, f"expected text, found {describe_found(value)}{hint}"
    if kind == "string_pattern_mismatch":
        noun = _PATTERN_NOUNS.get(str(last), f"text matching {ctx.get('pattern')}")
        return path, f"expected {noun}, found {_found_value(value)}"
    if kind == "literal_error":
        options = list(typing.get_args(tp)) if typing.get_origin(tp) is Literal else \
            re.findall(r"'([^']+)'", ctx.get("expected", ""))
        shown = ", ".join(f"'{o}'" for o in options)
        hint = did_you_mean(value, options) if isinstance(value, str) else ""
        return path, f"expected one of {shown}, found {_found_value(value)}{hint}"
    if kind == "list_type":
        noun = _LIST_NOUNS.get(str(last), (None, None))[1]
        expected = f"a list of {noun}" if noun else "a list"
        hint = ""
        if isinstance(value, str) and noun in ("place names", "faction ids", "region names"):
            hint = f" (write [{value}])"
        return path, f"expected {expected}, found {describe_found(value)}{hint}"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        expected = _MAPPING_NOUNS.get(str(last), "a mapping (key: value)")
        if path[:1] == ("rules",) and len(path) == 2:
            expected = "a mapping of rule parameters"
        return path, f"expected {expected}, found {describe_found(value)}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        one, many = _LIST_NOUNS.get(str(last), ("item", "items"))
        return path, f"expected at least {n} {one if n == 1 else many}, found {describe_found(value)}"
    if kind == "too_long":
        return path, f"expected at most {ctx.get('max_length')} items, found {describe_found(value)}"
    if kind == "value_error":
        return path, str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    if kind == "assertion_error":
        return path, err["msg"].removeprefix("Assertion failed, ")
    msg = err["msg"]
    return path, f"{msg[:1].lower()}{msg[1:]}, found {describe_found(value)}"


def pydantic_problems(exc: ValidationError, root: Any, prefix: PathT, report) -> None:
    """Report every error of a pydantic validation, merging the per-member errors of a union."""
    seen: set[PathT] = set()
    for err in exc.errors(include_url=False):
        where = _clean_loc(err["loc"], root, prefix)
        if where.scalar_union:
            if where.path in seen:
                continue
            seen.add(where.path)
            report(where.path, f"expected a number, true/false or text, found {describe_found(err.get('input'))}")
            continue
        path, message = _error_message(err, where)
        report(path, message)


# =========================================================================== the loader


class _Report:
    """Collects problems, locating each key path in the file and line that set it."""

    def __init__(self, origins: dict, source: str):
        self.origins = origins
        self.source = source
        self.problems: list[Problem] = []

    def where(self, path: PathT) -> Origin:
        p = tuple(path)
        while True:
            if p in self.origins:
                return self.origins[p]
            if not p:
                return (self.source, None, None)
            p = p[:-1]

    def __call__(self, path: PathT, message: str) -> None:
        file, line, note = self.where(path)
        if note:
            message = f"{message} ({note})"
        self.problems.append(Problem(file, line, format_path(path), message))


def scenario_digest(resolved: dict) -> str:
    """SHA-256 of the resolved scenario with the map named by its content, not its path, so
    the same scenario has the same hash in any checkout."""
    named = dict(resolved)
    map_file = Path(resolved["map"]["file"])
    named["map"] = {**resolved["map"], "file": hashlib.sha256(map_file.read_bytes()).hexdigest()}
    return hashlib.sha256(canonical_json(named).encode("utf-8")).hexdigest()


def load_scenario(path: str | Path, overrides: dict[str, object] | None = None) -> LoadedScenario:
    """Read, merge, override, validate and cross-check a scenario file.

    Raises :class:`~sim.errors.InputErrors` listing every problem found.
    """
    source = Path(path)
    display = _display(source)
    problems: list[Problem] = []
    files: dict[str, Path] = {}
    try:
        data, origins = _load_tree(source, display, [], problems, files)
    except StopReading:
        raise InputErrors(problems) from None
    report = _Report(origins, display)
    report.problems.extend(problems)  # duplicate keys: reported, and the rest still checked

    _resolve_map_file(data, origins, files, source)

    for key, value in (overrides or {}).items():
        try:
            parts = parse_path(key)
            set_by_path(data, parts, copy.deepcopy(value))
        except PathError as err:
            report.problems.append(Problem(display, None, str(key), f"{err} (in an override)"))
            continue
        _replace_origins(origins, {}, parts)
        origins[parts] = (display, None, f"set by the override {key}={value!r}")
        if parts == ("map", "file") and isinstance(value, str):  # relative to where we run
            data["map"]["file"] = str(Path(value).resolve())

    spec, rules = _validate_structure(data, report)
    cmap = None
    if spec is not None:
        cmap = _check_references(spec, rules, data, report)
    if report.problems:
        raise InputErrors(_sorted(report.problems, display))
    assert spec is not None and cmap is not None
    digest = scenario_digest(data)
    return LoadedScenario(spec=spec, rules=rules, source=source, resolved=data, map=cmap,
                          digest=digest, origins=origins)


def canonical_json(data: Any) -> str:
    """The canonical JSON text of a resolved scenario (sorted keys, no spaces) that is hashed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sorted(problems: list[Problem], display: str) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file != display, p.file, p.line or 0))


def _resolve_map_file(data: dict, origins: dict, files: dict[str, Path], source: Path) -> None:
    """Make map.file absolute, relative to the file that set it (default: the shipped map)."""
    block = data.get("map")
    if block is None:
        block = data["map"] = {}
    if not isinstance(block, dict):
        return
    value = block.get("file")
    if value is None:
        default = Scenario.model_fields["map"].default.file
        block["file"] = str((SCENARIO_DIR / default).resolve())
        return
    if not isinstance(value, str):
        return
    origin = origins.get(("map", "file"))
    setter = files.get(origin[0], source) if origin else source
    block["file"] = str((setter.parent / value).resolve())


def _validate_structure(data: dict, report: _Report) -> tuple[Scenario | None, list[RuleSpec]]:
    spec: Scenario | None = None
    try:
        spec = Scenario.model_validate(data, strict=True)
    except ValidationError as exc:
        pydantic_problems(exc, Scenario, (), report)

    rules: list[RuleSpec] = []
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, dict):
        return spec, rules
    for key, params in raw_rules.items():
        here = ("rules", key)
        if not isinstance(key, str):
            continue  # reported by the Scenario validation (keys are text)
        kind, _, label = key.partition("/")
        if kind not in RULE_MODELS:
            hint = did_you_mean(kind, list(RULE_MODELS)) or f"; expected one of {', '.join(RULE_MODELS)}"
            report(here, f"unknown rule{hint}")
            continue
        if "/" in key and not re.fullmatch(r"[A-Za-z0-9_-]+", label):
            report(here, "the label after '/' must be letters, digits, '_' or '-' "
                         f"(e.g. '{kind}/russia'), found '{label}'")
            continue
        if not isinstance(params, dict):
            continue  # reported by the Scenario validation (expected a mapping)
        try:
            model = RULE_MODELS[kind].model_validate(params, strict=True)
        except ValidationError as exc:
            pydantic_problems(exc, RULE_MODELS[kind], here, report)
            continue  # cross-checks still run on the rules that validated
        rules.append(RuleSpec(key=key, name=kind, params=model))
    return spec, rules


# =========================================================================== cross-checks


def _check_references(spec: Scenario, rules: list[RuleSpec], data: dict, report: _Report):
    factions = list(spec.factions)
    rule_keys = list(spec.rules)

    def faction(path: PathT, value: str | None, what: str = "faction") -> None:
        if value is not None and value not in spec.factions:
            report(path, f"unknown {what} '{value}'{did_you_mean(value, factions) or _one_of(factions)}")

    # ---- time
    step_days = spec.time.step_hours / 24.0
    duration = spec.time.duration_days
    if duration < step_days - 1e-12:
        report(("time", "duration_days"),
               f"the duration ({duration:g} days = {duration * 24:g} h) is shorter than one step "
               f"({spec.time.step_hours:g} h)")

    def within(path: PathT, day: float, what: str) -> None:
        if day >= duration:
            report(path, f"{what} day {day:g} is not before the end of the run "
                         f"(time.duration_days is {duration:g})")

    # ---- relations
    seen_pairs: dict[frozenset, tuple[str, str]] = {}
    for key, value in spec.relations.items():
        path = ("relations", key)
        sides = key.split("/")
        if len(sides) != 2 or not all(sides):
            report(path, f"expected a pair of faction ids 'a/b' (or 'a/*'), found '{key}'")
            continue
        a, b = sides
        bad = False
        for side in (a, b):
            if side != "*" and side not in spec.factions:
                report(path, f"unknown faction '{side}'{did_you_mean(side, factions) or _one_of(factions)}")
                bad = True
        if bad:
            continue
        if a == b and a != "*":
            report(path, f"a faction has no relation with itself ('{key}'); name two different factions")
            continue
        pair = frozenset((a, b))
        if pair in seen_pairs and seen_pairs[pair][1] != value:
            report(path, f"'{key}: {value}' contradicts '{seen_pairs[pair][0]}: {seen_pairs[pair][1]}'")
        seen_pairs[pair] = (key, value)

    # ---- rules: faction references, times
    deconfliction: dict[str, set[str]] = {}
    for rule in rules:
        base = ("rules", rule.key)
        p = rule.params
        for attr in ("by", "faction", "intercepted_by"):
            if attr == "by" and rule.name == "airstrikes":
                continue  # the striker is a label and need not be on the map
            value = getattr(p, attr, None)
            if isinstance(value, str):
                faction(base + (attr,), value)
        against = getattr(p, "against", None)
        if isinstance(against, str):
            faction(base + ("against",), against)
        elif isinstance(against, list):
            for i, f in enumerate(against):
                faction(base + ("against", i), f)
        for i, f in enumerate(getattr(p, "from_", None) or []):
            faction(base + ("from", i), f)
        if rule.name == "agreement":
            within(base + ("from_day",), p.from_day, "the agreement's start")
        if rule.name == "deconfliction_line" and p.enabled:
            deconfliction.setdefault(p.faction, set()).update(p.may_not_enter)

    for i, f in enumerate(spec.observe.land_bridge_factions or []):
        faction(("observe", "land_bridge_factions", i), f)

    # ---- forces (faction, times) and events
    for i, force in enumerate(spec.forces):
        faction(("forces", i, "faction"), force.faction)
        if force.kind == "convoy":
            within(("forces", i, "depart_day"), force.depart_day, "the convoy's departure")
    for i, event in enumerate(spec.events):
        ep = ("events", i)
        within(ep + ("at_day",), event.at_day, "the event")
        for action in ("enable", "disable"):
            name = getattr(event, action)
            if name is not None and name not in spec.rules:
                kinds_hint = did_you_mean(name, rule_keys)
                if not kinds_hint and name.split("/")[0] in RULE_MODELS:
                    kinds_hint = (" (add it under `rules` with enabled: false to switch it on later)"
                                  if action == "enable" else " (only rules under `rules` can be switched off)")
                elif not kinds_hint:
                    kinds_hint = _one_of(rule_keys, "rules")
                report(ep + (action,), f"no rule '{name}' under `rules`{kinds_hint}")
        if event.spawn is not None:
            faction(ep + ("spawn", "faction"), event.spawn.faction)
        for key, value in (event.set or {}).items():
            _check_event_set(data, ep + ("set", key), key, value, report)

    # ---- the map: places, regions, deployments, routes
    cmap = _load_map(spec, data, report)
    if cmap is None:
        return None
    _check_map(spec, rules, cmap, deconfliction, report)
    return cmap


def _one_of(options: list[str], what: str = "factions") -> str:
    if not options:
        return f" (no {what} are declared)"
    shown = ", ".join(options[:12]) + (", …" if len(options) > 12 else "")
    return f"; expected one of {shown}"


def _check_event_set(data: dict, path: PathT, key: str, value: Any, report: _Report) -> None:
    trial = copy.deepcopy(data)
    try:
        parts = parse_path(key)
        if len(parts) != 3 or parts[0] != "rules":
            raise PathError(f"only rule parameters can change during a run: write "
                            f"rules.<rule>.<parameter> (e.g. rules.airstrikes.rate_per_day), found '{key}'")
        set_by_path(trial, parts, value)
    except PathError as err:
        report(path, str(err))
        return
    # validate the new value with the rule's model
    model = _rule_model(parts[1])
    params = trial["rules"].get(parts[1])
    if model is None or not isinstance(params, dict):
        return
    try:
        model.model_validate(params, strict=True)
    except ValidationError as exc:
        _relay(exc, model, ("rules", parts[1]), parts, path, report)


def _relay(exc: ValidationError, root: Any, prefix: PathT, target: PathT, at: PathT, report: _Report) -> None:
    """Report the errors that a `set` event would cause at its target, located at the event."""
    def collect(path: PathT, message: str) -> None:
        if tuple(path[: len(target)]) == tuple(target):
            report(at, f"this event would set {format_path(target)} to an invalid value: {message}")
    pydantic_problems(exc, root, prefix, collect)


def _load_map(spec: Scenario, data: dict, report: _Report):
    from sim.geography import MapError, load_map

    file = Path(spec.map.file)
    try:
        return load_map(file, spec.map.cell_km)
    except MapError as err:
        report(("map", "file"), f"cannot load the map: {err}")
    except FileNotFoundError:
        report(("map", "file"), f"cannot load the map: {file}: no such file")
    except OSError as err:
        report(("map", "file"), f"cannot load the map: {file}: {err}")
    return None


def _place(cmap, name: str, path: PathT, report: _Report) -> Place | None:
    try:
        return cmap.find_place(name)
    except KeyError:
        suggestion = cmap.suggest_place(name)
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        report(path, f"unknown place '{name}'{hint}")
        return None


def _region_names(cmap) -> list[str]:
    return list(cmap.region_names)


def _region_index(cmap, name: str) -> int | None:
    names = _region_names(cmap)
    return names.index(name) if name in names else None


def _region(cmap, name: str, path: PathT, report: _Report) -> bool:
    names = _region_names(cmap)
    if name in names:
        return True
    report(path, f"unknown region '{name}'{did_you_mean(name, names) or _one_of(names, 'regions')}")
    return False


def hours_per_km(speeds) -> np.ndarray:
    """Hours per km by terrain class (indexed by ``Terrain``) from the scenario's `speeds` block:
    1/speed, ``inf`` for a speed of 0, and the river always ``inf`` — what ``PathFinder`` takes."""
    from sim.geography import Terrain

    hours = np.full(len(Terrain), np.inf)
    for terrain in Terrain:
        if terrain is not Terrain.RIVER:
            speed = getattr(speeds, terrain.name.lower())
            hours[int(terrain)] = 1.0 / speed if speed > 0 else np.inf
    return hours


def standable(cmap, kind: str) -> np.ndarray:
    """Cells where units of a force kind can stand: land off the river; desert for insurgents."""
    from sim.geography import Terrain

    ok = np.asarray(cmap.land, dtype=bool) & (cmap.terrain != int(Terrain.RIVER))
    if kind == "insurgent":
        ok &= cmap.terrain == int(Terrain.DESERT)
    return ok


def _check_map(spec: Scenario, rules: list[RuleSpec], cmap, deconfliction: dict, report: _Report) -> None:
    region_names = _region_names(cmap)
    forbidden_cache: dict[str, Any] = {}

    def forbidden_mask(faction_id: str):
        if faction_id not in forbidden_cache:
            idx = [_region_index(cmap, r) for r in deconfliction.get(faction_id, ()) if r in region_names]
            idx = [i for i in idx if i is not None]
            forbidden_cache[faction_id] = np.isin(cmap.region, idx) if idx else None
        return forbidden_cache[faction_id]

    # ---- rules: places and regions
    for rule in rules:
        base = ("rules", rule.key)
        at = getattr(rule.params, "at", None)
        if isinstance(at, str):
            _place(cmap, at, base + ("at",), report)
        elif isinstance(at, list):
            for i, name in enumerate(at):
                _place(cmap, name, base + ("at", i), report)
        for i, region in enumerate(getattr(rule.params, "may_not_enter", None) or []):
            _region(cmap, region, base + ("may_not_enter", i), report)
    for i, name in enumerate(spec.observe.land_bridge):
        _place(cmap, name, ("observe", "land_bridge", i), report)

    # ---- forces
    finder_cache: dict[Any, Any] = {}
    hours = hours_per_km(spec.speeds)

    def finder(faction_id: str | None):
        """The path finder of a faction's movers (None: one that ignores deconfliction lines)."""
        key = frozenset(deconfliction.get(faction_id, ())) if faction_id else frozenset()
        if key not in finder_cache:
            from sim.paths import PathFinder

            mask = forbidden_mask(faction_id) if faction_id else None
            finder_cache[key] = PathFinder(cmap, hours, forbidden=mask)
        return finder_cache[key]

    forces = [(("forces", i), f) for i, f in enumerate(spec.forces)]
    forces += [(("events", i, "spawn"), e.spawn) for i, e in enumerate(spec.events) if e.spawn is not None]
    for base, force in forces:
        if force.kind == "convoy":
            _check_convoy(base, force, cmap, finder, forbidden_mask, deconfliction, report)
        else:
            _check_deployment(base, force, cmap, forbidden_mask, deconfliction, report)


def _check_deployment(base, force, cmap, forbidden_mask, deconfliction, report: _Report) -> None:
    deploy = force.deploy
    dp = base + ("deploy",)
    ok = standable(cmap, force.kind)
    ground = "desert" if force.kind == "insurgent" else "land off the river"
    forbidden = forbidden_mask(force.faction)
    banned = deconfliction.get(force.faction, set())
    if deploy.region is not None:
        if not _region(cmap, deploy.region, dp + ("region",), report):
            return
        if deploy.region in banned:
            report(dp + ("region",),
                   f"{force.faction} may not enter the region '{deploy.region}' "
                   "(its deconfliction_line rule forbids it)")
            return
        cells = cmap.region_cells(deploy.region)
        if not _any_cell(ok, cells):
            report(dp + ("region",), f"the region '{deploy.region}' has no {ground} for "
                                     f"{force.kind} units to stand on")
        return
    if deploy.near is not None:
        place = _place(cmap, deploy.near, dp + ("near",), report)
        if place is None:
            return
        cells = cmap.cells_near(place, deploy.radius_km)
        if not _any_cell(ok, cells):
            report(dp + ("near",), f"there is no {ground} within {deploy.radius_km:g} km of "
                                   f"'{place.name}' for {force.kind} units to stand on; "
                                   "increase radius_km or choose another place")
            return
        if forbidden is not None and not _any_cell(ok & ~forbidden, cells):
            report(dp + ("near",), f"every cell within {deploy.radius_km:g} km of '{place.name}' lies "
                                   f"in a region {force.faction} may not enter "
                                   f"({', '.join(sorted(banned))}; deconfliction_line)")
        return
    for j, name in enumerate(deploy.at or []):
        place = _place(cmap, name, dp + ("at", j), report)
        if place is None:
            continue
        r, c = place.cell
        if not ok[r, c]:
            report(dp + ("at", j), f"'{place.name}' is not {ground}: {force.kind} units cannot stand there")
        elif forbidden is not None and forbidden[r, c]:
            report(dp + ("at", j), f"'{place.name}' lies in a region {force.faction} may not enter "
                                   f"({', '.join(sorted(banned))}; deconfliction_line)")


def _any_cell(mask, cells) -> bool:
    cells = np.asarray(cells)
    if cells.size == 0:
        return False
    return bool(mask[cells[:, 0], cells[:, 1]].any())


def _bank(cmap, place) -> Any:
    """Which side of the river a place is on (the map's bank code at its cell, else its label)."""
    bank = getattr(cmap, "bank", None)
    if bank is not None:
        code = int(bank[tuple(place.cell)])
        if code:
            return code
    return getattr(place, "bank", None)


def _check_convoy(base, force, cmap, finder, forbidden_mask, deconfliction, report: _Report) -> None:
    start = _place(cmap, force.start, base + ("start",), report)
    stops = [(base + ("route", j), _place(cmap, name, base + ("route", j), report))
             for j, name in enumerate(force.route)]
    if force.orders.withdraw_to is not None:
        _place(cmap, force.orders.withdraw_to, base + ("orders", "withdraw_to"), report)
    if start is None or any(p is None for _, p in stops):
        return
    with_rules = finder(force.faction)
    forbidden = forbidden_mask(force.faction)
    banned = ", ".join(sorted(deconfliction.get(force.faction, ())))
    prev_path, prev = base + ("start",), start
    if forbidden is not None and forbidden[tuple(start.cell)]:
        report(prev_path, f"'{start.name}' lies in a region {force.faction} may not enter "
                          f"({banned}; deconfliction_line)")
        return
    for path, place in stops:
        if not with_rules.reachable(tuple(prev.cell), tuple(place.cell)):
            if forbidden is not None and forbidden[tuple(place.cell)]:
                why = f"it lies in a region {force.faction} may not enter ({banned}; deconfliction_line)"
            elif forbidden is not None and finder(None).reachable(tuple(prev.cell), tuple(place.cell)):
                why = f"the only ways pass through regions {force.faction} may not enter ({banned})"
            elif _bank(cmap, prev) != _bank(cmap, place):
                why = "the river can only be crossed at a bridge"
            else:
                why = "terrain with speed 0 cannot be entered"
            report(path, f"'{place.name}' cannot be reached from '{prev.name}' over passable terrain ({why})")
            return
        prev = place


# =========================================================================== JSON Schema


def scenario_json_schema() -> dict:
    """JSON Schema (draft 2020-12) of a scenario file, for editors.

    `rules` is described as an object whose properties are the rule kinds (and 'kind/label'
    pattern properties) with each rule's parameters. A file with `extends` need only give the
    keys it changes, so its mappings have no required keys.
    """
    full = Scenario.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs: dict = full.pop("$defs", {})
    for model in RULE_MODELS.values():
        rule_schema = model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        defs.update(rule_schema.pop("$defs", {}))
        defs[model.__name__] = rule_schema
    defs["Scenario"] = full
    full["properties"]["rules"] = {
        "type": "object",
        "title": "Rules",
        "description": Scenario.model_fields["rules"].description,
        "properties": {kind: {"$ref": f"#/$defs/{m.__name__}"} for kind, m in RULE_MODELS.items()},
        "patternProperties": {
            f"^{re.escape(kind)}/[A-Za-z0-9_-]+$": {"$ref": f"#/$defs/{m.__name__}"}
            for kind, m in RULE_MODELS.items()
        },
        "additionalProperties": False,
    }
    full["properties"]["extends"] = {
        "type": "string",
        "description": "Scenario file this one extends (relative to this file); deep-merged: "
        "mappings merged key by key, lists and values replaced.",
    }
    # a partial twin of every model for files that extend another: no required keys in mappings
    partial: dict = {}
    for name, schema in defs.items():
        partial[f"{name}Partial"] = _partialise(schema)
    defs.update(partial)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Corridor scenario",
        "description": "A scenario of the Corridor what-if simulation (a stylised model, not a forecast).",
        "type": "object",
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/ScenarioPartial"},
        "else": {"$ref": "#/$defs/Scenario"},
        "$defs": defs,
    }


def _partialise(schema: Any, in_list: bool = False) -> Any:
    """Copy a schema, dropping `required` and pointing mapping refs at the partial twins.

    Items of lists are replaced wholesale by a child file, so they keep the full schema.
    """
    if isinstance(schema, list):
        return [_partialise(s, in_list) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "required" and not in_list:
            continue
        if key == "$ref" and not in_list and isinstance(value, str):
            out[key] = value + "Partial"
        elif key in ("items", "prefixItems"):
            out[key] = _partialise(value, True)
        elif key == "properties" and isinstance(value, dict):
            out[key] = {k: _partialise(v, in_list) for k, v in value.items()}
        else:
            out[key] = _partialise(value, in_list)
    return out


# =========================================================================== shipped scenarios


def shipped_scenarios(directory: Path) -> list[tuple[Path, str]]:
    """Every scenario file directly in `directory` (not sweeps/), sorted, with a short description."""
    out = []
    for path in sorted(Path(directory).glob("*.yaml")):
        out.append((path, _short_description(path)))
    return out


def _short_description(path: Path) -> str:
    try:
        data, _ = _load_tree(path, _display(path), [], [])
    except StopReading:
        return "(cannot be read: run `python run.py validate` on it)"
    text = data.get("description") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        return "(no description)"
    text = " ".join(text.split())
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = m.group(1) if m else text
    if len(sentence) > 100:
        cut = sentence[:100].rsplit(" ", 1)[0]
        sentence = cut.rstrip(",;:") + "…"
    return sentence


__all__ = [
    "LoadedScenario",
    "PathError",
    "RuleSpec",
    "canonical_json",
    "format_path",
    "get_by_path",
    "hours_per_km",
    "load_scenario",
    "parse_assignment",
    "parse_path",
    "scenario_json_schema",
    "set_by_path",
    "shipped_scenarios",
    "standable",
]

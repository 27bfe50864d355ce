"""Pydantic validation errors turned into messages a user can act on: at the key path as written
in the file, saying what was expected and what was found (with did-you-mean where it helps).
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from sim.program.errors import describe_found, did_you_mean
from sim.scenario.fields import (
    PathT,
    is_model,
    kind_of,
    model_field,
    model_keys,
    union_members,
    unwrap,
)

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
    "factions": "a mapping of faction id → {label, color, funding_usd_per_day, …}",
    "relations": "a mapping like 'iran_militia/russia: rival'",
    "rules": "a mapping of rule name → parameters (not a list)",
    "set": "a mapping of key path → value",
}

_PATTERN_NOUNS = {
    "color": "a colour written '#rrggbb' (six hex digits)",
}


def _found_value(value: Any) -> str:
    """Like describe_found, but numbers and strings are shown bare where a value was out of range."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return describe_found(value)
    if isinstance(value, str):
        return f"'{value}'"
    return describe_found(value)


def number_text(v: float) -> str:
    """A bound as written in a message: whole numbers in full, others in the shortest form."""
    return str(v) if isinstance(v, int) and not isinstance(v, bool) else f"{v:g}"


def range_text(lo: float | None, hi: float | None, lo_op: str = ">=", hi_op: str = "<=") -> str | None:
    """The bounds `lo` `lo_op` x `hi_op` `hi` as a message says them (None: that side unbounded):
    "between 0 and 1" only when both bounds are allowed, else "> 0 and <= 3650", "> 0", "<= 9";
    None when there is neither. A file's field and a command-line flag (`sim.program.flags`)
    say their bounds in these words."""
    if lo is not None and hi is not None:
        if lo_op == ">=" and hi_op == "<=":
            return f"between {number_text(lo)} and {number_text(hi)}"
        return f"{lo_op} {number_text(lo)} and {hi_op} {number_text(hi)}"
    if lo is not None:
        return f"{lo_op} {number_text(lo)}"
    if hi is not None:
        return f"{hi_op} {number_text(hi)}"
    return None


def _bounds(info) -> str | None:
    lo = hi = None
    lo_op, hi_op = ">=", "<="
    for meta in getattr(info, "metadata", []) or []:
        for attr, op in (("gt", ">"), ("ge", ">=")):
            v = getattr(meta, attr, None)
            if v is not None:
                lo, lo_op = v, op
        for attr, op in (("lt", "<"), ("le", "<=")):
            v = getattr(meta, attr, None)
            if v is not None:
                hi, hi_op = v, op
    return range_text(lo, hi, lo_op, hi_op)


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
        cur = unwrap(tp) if tp is not None else None
        members = union_members(cur) if cur is not None else None
        if members is not None:
            chosen = next((m for m in members if is_model(m) and kind_of(m) == part), None)
            if chosen is not None or all(not is_model(m) for m in members):
                scalar_union = chosen is None
                tp = chosen  # a tag: dropped from the path
                i += 1
                continue
        if cur is not None and is_model(cur):
            found = model_field(cur, part)
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
    tp = unwrap(where.tp) if where.tp is not None else None

    if kind == "missing":
        return path[:-1], f"missing required key '{last}'"
    if kind == "extra_forbidden":
        candidates = model_keys(where.model) if where.model is not None else []
        return path, f"unknown key '{last}'{did_you_mean(last, candidates)}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        members = union_members(tp) or []
        tags = [k for k in (kind_of(m) for m in members if is_model(m)) if k] or \
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


def one_of(options: list[str], what: str = "factions") -> str:
    """'; expected one of a, b, …' (at most 12 shown), or ' (no factions are declared)'."""
    if not options:
        return f" (no {what} are declared)"
    shown = ", ".join(options[:12]) + (", …" if len(options) > 12 else "")
    return f"; expected one of {shown}"


def field_value_problem(model: Any, name: str, value: Any) -> str | None:
    """The message the validation of a file gives for `value` as the field `name` of `model`
    (e.g. 'expected a whole number >= 0, found -1'), or None if it is valid. The same words for
    a command-line value (:mod:`sim.program.flags`) as for the same value in a file."""
    from pydantic import ConfigDict, TypeAdapter

    info = model.model_fields[name]
    adapter = TypeAdapter(typing.Annotated[info.annotation, *info.metadata],
                          config=ConfigDict(allow_inf_nan=False))
    try:
        adapter.validate_python(value, strict=True)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        return _error_message(err, _Loc((name,), info.annotation, info, model=model))[1]
    return None

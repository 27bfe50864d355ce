"""Reading one YAML file with the line of every key and list item, so that each problem can be
reported as ``file:line: key.path: message``. Duplicate keys and syntax errors are problems too.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from sim.program.errors import InputErrors, Problem, describe_content
from sim.scenario.dialect import (
    Loader,
    TooBig,
    check_expansion,
    check_file,
    read_text,
    scalar_surprise,
)
from sim.scenario.fields import PathT
from sim.scenario.keypaths import format_path


class StopReading(Exception):
    """Loading cannot go on; the problems collected so far say why."""


def _line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _yaml_error(display: str, err: yaml.YAMLError) -> Problem:
    """One line `YAML syntax error: …` at the line where the parser stopped."""
    if isinstance(err, yaml.reader.ReaderError):
        char = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "?")
        return Problem(display, None, "", f"YAML syntax error: the character #x{char:04x} at position "
                                          f"{err.position} is not allowed in YAML ({err.reason}); remove it")
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    context = getattr(err, "context", None)
    context_mark = getattr(err, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        context += f" started at line {context_mark.line + 1}"
    parts = [context, getattr(err, "problem", None)]
    text = "; ".join(p for p in parts if p) or str(err)
    text = " ".join(text.split())
    if isinstance(err, TooBig):
        return Problem(display, line, "", f"{text}; nothing was read")
    if isinstance(err, yaml.constructor.ConstructorError):
        return Problem(display, line, "", f"YAML error: {text} (only plain YAML is read: "
                                          "no !!python tags)")
    return Problem(display, line, "", f"YAML syntax error: {text}")


#: the last files parsed, by (display name, text): a scenario read again (each run of a sweep or a
#: calibration reads its file and every file it extends) costs a copy, not a parse (~25–60 ms)
_PARSED: dict[tuple[str, str], tuple[Any, dict, bool, tuple[Problem, ...]]] = {}
_PARSED_MAX = 32


def read_yaml(path: Path, display: str, problems: list[Problem]) -> tuple[Any, dict, bool]:
    """(data, {key path: line}, empty?) of one YAML file, read in Corridor's YAML
    (:mod:`sim.scenario.dialect`: its surprises refused, its limits applied before anything is
    built); problems appended, StopReading if unreadable. The file is read every time; a text
    parsed before (same name, same characters) is not parsed again: the caller gets its own copy."""
    refused = check_file(path)
    if refused:
        problems.append(Problem(display, None, "", refused))
        raise StopReading
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        problems.append(Problem(display, getattr(err, "line", None), "", f"cannot read the file: {err}"))
        raise StopReading from None
    key = (display, text)
    if key not in _PARSED:
        found: list[Problem] = []
        try:
            data, lines, empty = _parse(text, display, found)
        finally:
            problems.extend(found)  # a file that cannot be parsed (StopReading) is not kept
        if len(_PARSED) >= _PARSED_MAX:
            del _PARSED[next(iter(_PARSED))]  # the oldest
        _PARSED[key] = (data, lines, empty, tuple(found))
        return copy.deepcopy(data), dict(lines), empty
    data, lines, empty, found = _PARSED[key]
    problems.extend(found)
    return copy.deepcopy(data), dict(lines), empty


def _parse(text: str, display: str, problems: list[Problem]) -> tuple[Any, dict, bool]:
    """read_yaml's parse of `text`: problems appended, StopReading if it cannot go on."""
    try:
        loader = Loader(text)  # checks the characters first: a control character is a YAMLError
    except yaml.YAMLError as err:
        problems.append(_yaml_error(display, err))
        raise StopReading from None
    keys = Loader("")  # constructs single keys, so that `1:` and `yes:` match the data
    lines: dict[PathT, int] = {}
    try:
        node = loader.get_single_node()
        if node is not None:
            check_expansion(node)
            refused: list[Problem] = []
            _index_lines(node, (), lines, display, problems, set(), keys, refused)
            if refused:
                problems.extend(dict.fromkeys(refused))
                raise StopReading
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
                 keys: yaml.SafeLoader, refused: list | None = None) -> None:
    """Record the line of every key and list item under `node`; report duplicate keys, and in
    `refused` the plain values that YAML 1.1 reads by surprise and dates that do not exist
    (:func:`~sim.scenario.dialect.scalar_surprise`).

    Keys brought in by a YAML merge (`<<: *anchor`) get the line where the anchor defines them,
    unless the mapping sets them itself.
    """
    if id(node) in active:  # a recursive alias
        return
    active.add(id(node))
    if isinstance(node, yaml.ScalarNode) and refused is not None:
        message = scalar_surprise(node)
        if message:
            refused.append(Problem(display, _line_of(node), format_path(prefix), message))
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
            _index_lines(value_node, prefix + (key,), lines, display, problems, active, keys, refused)
        for merged in merges:
            sources = merged.value if isinstance(merged, yaml.SequenceNode) else [merged]
            for source in sources:
                found: dict[PathT, int] = {}
                _index_lines(source, prefix, found, display, [], active, keys, refused)
                for p, line in found.items():
                    if len(p) > len(prefix) and p[len(prefix)] not in seen:
                        lines.setdefault(p, line)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[prefix + (i,)] = _line_of(item)
            _index_lines(item, prefix + (i,), lines, display, problems, active, keys, refused)
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


def read_mapping_file(path: Path, display: str, keys: str) -> tuple[dict, dict, list[Problem]]:
    """(data, {key path: line}, problems so far) of a YAML file whose top level must be a
    mapping (a sweep or calibration file); InputErrors when it cannot be read or is not a
    mapping, naming `keys` (the keys it should hold, e.g. "name, scenario, parameters, …")."""
    problems: list[Problem] = []
    try:
        data, lines, empty = read_yaml(path, display, problems)
    except StopReading:
        raise InputErrors(problems) from None
    if empty or not isinstance(data, dict):
        found = "an empty file" if empty else describe_content(data)
        raise InputErrors(problems + [Problem(display, 1 if not empty else None, "",
                                              f"expected a mapping of {keys} at the top level, found {found}")])
    return data, lines, problems

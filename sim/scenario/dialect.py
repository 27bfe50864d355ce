"""The YAML that Corridor reads, for scenario files, sweep files and ``--set`` values alike:
YAML 1.1 as PyYAML reads it with the safe loader (no tags that build objects), without its
surprises, and within limits checked before anything is built.

Surprises of YAML 1.1, and what Corridor does instead:

* ``1:30`` is a base-60 integer (90) in YAML 1.1: refused, with the decimal to write (1.5);
* ``010`` is an octal integer (8): refused, with the number to write (10);
* ``2018-02-30`` looks like a date and PyYAML fails on it with a bare ValueError: refused,
  as a date that does not exist;
* ``1e4`` is text in YAML 1.1 (its floats need a dot: ``1.0e4``): read as the number 10000,
  as YAML 1.2 and every other tool read it. ``.inf`` and ``.nan`` are numbers, which the
  scenario's validation then refuses where a finite number is expected.

Limits (see :mod:`sim.scenario.limits`): a file larger than ``MAX_FILE_BYTES`` or that is not a
regular file (a folder, a FIFO, a device) is not read; nesting deeper than ``MAX_DEPTH`` stops
the parser at once; a document whose aliases would expand to more than ``MAX_NODES`` nodes (an
alias bomb), or that uses an anchor inside itself, is refused before any value is built.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError

from sim.scenario.encoding import decode_utf8
from sim.scenario.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(r"^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)"
                    r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_SEXAGESIMAL = re.compile(r"^([-+]?)([0-9][0-9_]*)((?::[0-5]?[0-9])+)(\.[0-9_]*)?$")
_OCTAL = re.compile(r"^([-+]?)0([0-9_]+)$")


class TooBig(ComposerError):
    """The document exceeds a limit; raised while composing, before any value is built."""


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader with the resolvers of :mod:`sim.scenario.dialect` and a depth limit."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise TooBig(None, None, f"nesting deeper than {MAX_DEPTH} levels (the limit)", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))


def surprise(text: str) -> str | None:
    """Why a plain (unquoted) scalar is refused, or None: base-60 and octal numbers."""
    m = _SEXAGESIMAL.match(text)
    if m:
        sign, head, tail, frac = m.groups()
        parts = [float(head.replace("_", ""))] + [float(p) for p in tail[1:].split(":")]
        parts[-1] += float("0" + frac.replace("_", "")) if frac else 0.0
        decimal = sum(p / 60**i for i, p in enumerate(parts))
        base60 = sum(p * 60 ** (len(parts) - 1 - i) for i, p in enumerate(parts))
        return (f"'{text}' is a base-60 number in YAML 1.1 (it would be read as {sign}{base60:g}); "
                f"write a decimal number, {sign}{decimal:.6g}, or put it in quotes if it is text")
    m = _OCTAL.match(text)
    if m:
        sign, digits = m.groups()
        plain = digits.lstrip("0_") or "0"
        return (f"'{text}' is an octal number in YAML 1.1 (a leading 0); write {sign}{plain}, "
                "or put it in quotes if it is text")
    return None


def scalar_surprise(node: yaml.ScalarNode) -> str | None:
    """Why a plain scalar node is refused, or None: `surprise` for text, and a date that YAML
    reads as a timestamp but that does not exist (`2018-02-30`; PyYAML's constructor fails on
    it with a bare ValueError)."""
    if node.style is not None:
        return None
    if node.tag == _STR:
        return surprise(node.value)
    if node.tag == _TIMESTAMP:
        loader = yaml.SafeLoader("")
        try:
            loader.construct_yaml_timestamp(node)
        except ValueError as err:
            return f"'{node.value}' is not a calendar date ({err}); write a date that exists, YYYY-MM-DD"
        finally:
            loader.dispose()
    return None


def check_file(path: Path) -> str | None:
    """Why a file is not read at all, or None: missing, not a regular file, or too large.
    Raises nothing; FileNotFoundError is reported as 'no such file'."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as err:
        return f"cannot read the file: {err.strerror or err}"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a device, FIFO or socket); give a YAML file"
    if info.st_size > MAX_FILE_BYTES:
        return (f"the file is {info.st_size:,} bytes; at most {MAX_FILE_BYTES:,} are read "
                "(the limit for scenario and sweep files)")
    return None


def read_text(path: Path) -> str:
    """The text of a file that passed check_file, read up to the size limit (a file that grew
    meanwhile is refused); raises OSError or ValueError (too large; NotUTF8, naming the encoding)."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"the file is larger than {MAX_FILE_BYTES:,} bytes (the limit)")
    return decode_utf8(data)


def check_expansion(node: yaml.Node) -> None:
    """Refuse a composed document whose aliases expand past the limits, or that uses an anchor
    inside itself: raises TooBig at the offending node. Linear in the size of the document as
    written (each node is measured once)."""
    sizes: dict[int, tuple[int, int]] = {}  # id → (nodes when expanded, height)
    active: set[int] = set()

    def measure(n: yaml.Node, level: int) -> tuple[int, int]:
        key = id(n)
        if key in active:
            raise TooBig(None, None, "an anchor is used inside itself (a recursive alias); "
                         "write the value out", n.start_mark)
        if key not in sizes:
            if level > MAX_DEPTH:
                raise TooBig(None, None, f"aliases nest deeper than {MAX_DEPTH} levels (the limit)",
                             n.start_mark)
            active.add(key)
            if isinstance(n, yaml.MappingNode):
                children = [c for pair in n.value for c in pair]
            elif isinstance(n, yaml.SequenceNode):
                children = list(n.value)
            else:
                children = []
            size, height = 1, 0
            for child in children:
                s, h = measure(child, level + 1)
                size, height = size + s, max(height, h + 1)
                if size > MAX_NODES:
                    raise TooBig(None, None, f"the document expands to more than {MAX_NODES:,} values "
                                 "(the limit; aliases count each time they are used)", n.start_mark)
            active.discard(key)
            sizes[key] = (size, height)
        size, height = sizes[key]
        if level + height > MAX_DEPTH:
            raise TooBig(None, None, f"aliases nest deeper than {MAX_DEPTH} levels (the limit)", n.start_mark)
        return sizes[key]

    measure(node, 1)


def plain_surprises(node: yaml.Node) -> list[tuple[yaml.Node, str]]:
    """(node, message) for each plain scalar under `node` that `scalar_surprise` refuses (each node
    once, however often aliases repeat it)."""
    found, seen, stack = [], set(), [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode):
            message = scalar_surprise(n)
            if message:
                found.append((n, message))
        elif isinstance(n, yaml.MappingNode):
            stack.extend(c for pair in n.value for c in pair)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return found


def load_value(text: str) -> Any:
    """One value written in Corridor's YAML (a `--set` value): raises ValueError with the
    reason for a refused scalar or a limit, yaml.YAMLError for a syntax error."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ValueError(f"the value is longer than {MAX_FILE_BYTES:,} bytes (the limit)")
    loader = Loader(text)  # raises yaml.YAMLError (ReaderError) for a control character
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        for _, message in plain_surprises(node):
            raise ValueError(message)
        return loader.construct_document(node)
    finally:
        loader.dispose()

"""The list of mutmut's equivalent mutants (`tests/mutation/equivalent.yaml`), each pinned to its mutation.

mutmut numbers a function's mutants in the order it makes them, so when the function's code
changes the numbers shift and a name can come to mean another mutation of the same function. An
entry therefore records, beside `why` (the reason no test can tell the mutant from the
original), the mutant's diff against the original function as mutmut generates it, each line
stripped of its indentation (one line as a string, several as a list, none as []): `replaces`,
the original's lines it changes, and `mutation`, what it has instead. Both, because the added
lines alone are often shared by mutants of one function (`watched = None` for `watched = False`,
which may be equivalent, and for `watched = True`, which is not):

    sim.submodels.engagement.x_square_law__mutmut_5:
      replaces: "if a <= 0 or b <= 0 or hours <= 0:"
      mutation: "if a <= 0 or b < 0 or hours <= 0:"
      why: "`b < 0` for `b <= 0` in the early return: ..."

`check` reads each entry's mutant from mutmut's mutated copy of the code (`mutants/<file>.py`,
beside the `.meta` listing its mutants' names) and confirms it only when the mutant exists and is
the one mutant of its function that makes the recorded change; any other entry is stale, with a
line saying what it expected and what the mutant now is (and which mutant of the function now
makes the recorded change, if one does). A change that several mutants of the function make (the
same line twice, e.g. two `continue` → `break`) cannot be pinned this way: such an entry is stale.
tests/mutation/mutmut_scores.py skips and subtracts the confirmed entries only.

    python tests/mutation/equivalents.py             # check the list against mutants/ (exit 1 if stale)
    python tests/mutation/equivalents.py NAME…       # entries for mutants NAME… (their diff; `why` to write)
"""

from __future__ import annotations

import ast
import difflib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MUTANTS_DIR = ROOT / "mutants"
EQUIVALENT = Path(__file__).with_name("equivalent.yaml")
ORIGINAL = "__mutmut_orig"  # the suffix of the unmutated copy mutmut keeps beside a function's mutants


@dataclass(frozen=True)
class Change:
    """A mutant's diff against its original function: the original's lines it changes
    (`replaces`) and what it has instead (`mutation`), each line stripped, in order."""

    replaces: tuple[str, ...]
    mutation: tuple[str, ...]

    def __str__(self) -> str:
        def shown(lines: tuple[str, ...]) -> str:
            return " / ".join(f"`{line}`" for line in lines) or "nothing"
        return f"{shown(self.replaces)} → {shown(self.mutation)}"


@dataclass(frozen=True)
class Equivalent:
    """One entry: the change its mutant makes (`Change`) and why it is equivalent."""

    change: Change
    why: str


def _lines(value) -> tuple[str, ...]:
    return tuple(line.strip() for line in ([value] if isinstance(value, str) else value))


def load(path: Path = EQUIVALENT) -> dict[str, Equivalent]:
    """{mutant name: Equivalent} of the list at `path`. ValueError naming the entry when one lacks
    `replaces`, `mutation` (both [] is no change) or `why`."""
    entries = {}
    for name, entry in (yaml.safe_load(path.read_text()) or {}).items():
        if not isinstance(entry, dict) or not entry.get("why") or "replaces" not in entry or "mutation" not in entry:
            raise ValueError(f"{path.name}: {name} needs `replaces`, `mutation` (the mutant's diff) and `why`")
        change = Change(_lines(entry["replaces"]), _lines(entry["mutation"]))
        if not change.replaces and not change.mutation:
            raise ValueError(f"{path.name}: {name} records no change")
        entries[name] = Equivalent(change, entry["why"])
    return entries


def diff(original: str, mutant: str) -> Change:
    """The lines of `original` (a function's source) that `mutant` changes, and what it has instead."""
    lines = list(difflib.unified_diff(original.splitlines(), mutant.splitlines(), lineterm="", n=0))[2:]
    return Change(tuple(line[1:].strip() for line in lines if line.startswith("-")),
                  tuple(line[1:].strip() for line in lines if line.startswith("+")))


def function_changes(source: str) -> dict[str, Change]:
    """{mutant function name: its Change} of every mutant in `source`, a module of mutmut's
    mutated copy (each mutant a function `<name>__mutmut_<n>` beside `<name>__mutmut_orig`); the
    def line is compared without the function's name."""
    lines, bodies = source.splitlines(), {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            bodies[node.name] = "\n".join(lines[node.lineno - 1:node.end_lineno]).replace(node.name, "", 1)
    return {name: diff(bodies[name.rsplit("__mutmut_", 1)[0] + ORIGINAL], body)
            for name, body in bodies.items() if not name.endswith(ORIGINAL)}


def changes(names: set[str], mutants_dir: Path = MUTANTS_DIR) -> dict[str, dict[str, Change]]:
    """For each of `names` that mutmut generated (listed in a `.meta` of `mutants_dir`), the
    Change of every mutant of its module ({mutant name: Change}, read from the module beside the
    `.meta`), so that a name's siblings can be searched too."""
    found = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        mine = names & set(json.loads(meta.read_text())["exit_code_by_key"])
        if mine:
            prefix = next(iter(mine)).rsplit(".", 1)[0] + "."
            module = function_changes(meta.with_name(meta.name.removesuffix(".meta")).read_text())
            found |= dict.fromkeys(mine, {prefix + f: change for f, change in module.items()})
    return found


def check(entries: dict[str, Equivalent], mutants_dir: Path = MUTANTS_DIR) -> tuple[dict[str, Equivalent], list[str]]:
    """(the entries whose mutant mutmut generated and makes the recorded change, one line per
    stale entry: its name, what it expected and what the mutant now is, or that there is none)."""
    found = changes(set(entries), mutants_dir)
    confirmed, stale = {}, []
    for name, entry in entries.items():
        if name not in found:
            stale.append(f"{name}: not a mutant mutmut generated (expected {entry.change})")
            continue
        module = found[name]
        function = name.rsplit("__mutmut_", 1)[0] + "__mutmut_"
        now = sorted((n for n, change in module.items() if n.startswith(function) and change == entry.change),
                     key=lambda n: int(n.rsplit("_", 1)[1]))
        if now == [name]:
            confirmed[name] = entry
        elif name in now:  # the same line twice in the function: a renumbering could swap them unseen
            stale.append(f"{name}: {entry.change} is made by {len(now)} mutants of the function "
                         f"({', '.join(n.rsplit('.', 1)[1] for n in now)}): the entry cannot tell which")
        else:
            moved = f"; the recorded change is now {', '.join(n.rsplit('.', 1)[1] for n in now)}" if now else ""
            stale.append(f"{name}: expected {entry.change}, the mutant now makes {module[name]}{moved}")
    return confirmed, stale


def entry_text(name: str, change: Change, why: str = "") -> str:
    """The lines of equivalent.yaml for mutant `name` making `change`."""
    def scalar(lines: tuple[str, ...]) -> str:
        return json.dumps(lines[0] if len(lines) == 1 else list(lines), ensure_ascii=False)
    return (f"{name}:\n  replaces: {scalar(change.replaces)}\n  mutation: {scalar(change.mutation)}\n"
            f"  why: {json.dumps(why, ensure_ascii=False)}")


def main(argv: list[str] | None = None, mutants_dir: Path = MUTANTS_DIR, equivalent_file: Path = EQUIVALENT) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        found = changes(set(argv), mutants_dir)
        for name in argv:
            if name in found:
                print(entry_text(name, found[name][name]))
            else:
                print(f"# {name}: not a mutant mutmut generated", file=sys.stderr)
        return 0 if set(argv) <= set(found) else 1
    confirmed, stale = check(load(equivalent_file), mutants_dir)
    for line in stale:
        print(f"{equivalent_file.name}: stale: {line}", file=sys.stderr)
    print(f"{len(confirmed)} of {len(confirmed) + len(stale)} entries make the change they record")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

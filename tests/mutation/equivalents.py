"""The list of mutmut's equivalent mutants (`tests/mutation/equivalent.yaml`), each pinned to its mutation.

mutmut numbers a function's mutants in the order it makes them, so when the function's code
changes the numbers shift and a name can come to mean another mutation of the same function. An
entry therefore records, beside `why` (the reason no test can tell the mutant from the
original), the `mutation`: the mutant's changed line(s) as mutmut generates them, each stripped
of its indentation (one line as a string, several as a list):

    sim.submodels.engagement.x_square_law__mutmut_5:
      mutation: "if a <= 0 or b < 0 or hours <= 0:"
      why: "`b < 0` for `b <= 0` in the early return: ..."

`check` reads each entry's mutant from mutmut's mutated copy of the code (`mutants/<file>.py`,
beside the `.meta` listing its mutants' names) and confirms it only when the mutant exists and
makes the recorded change; any other entry is stale, with a line saying what it expected and what
the mutant now is (and which mutant of the function now makes the recorded change, if one does).
tests/mutation/mutmut_scores.py skips and subtracts the confirmed entries only.

    python tests/mutation/equivalents.py             # check the list against mutants/ (exit 1 if stale)
    python tests/mutation/equivalents.py NAME…       # the entry lines for mutants NAME… (their mutation)
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
class Equivalent:
    """One entry: the mutant's changed lines (stripped, in order) and why it is equivalent."""

    mutation: tuple[str, ...]
    why: str


def load(path: Path = EQUIVALENT) -> dict[str, Equivalent]:
    """{mutant name: Equivalent} of the list at `path`. ValueError naming the entry when one lacks
    `mutation` or `why`."""
    entries = {}
    for name, entry in (yaml.safe_load(path.read_text()) or {}).items():
        if not isinstance(entry, dict) or not entry.get("mutation") or not entry.get("why"):
            raise ValueError(f"{path.name}: {name} needs a `mutation` (the mutant's changed lines) and a `why`")
        lines = entry["mutation"]
        entries[name] = Equivalent(tuple(line.strip() for line in ([lines] if isinstance(lines, str) else lines)),
                                   entry["why"])
    return entries


def changed_lines(original: str, mutant: str) -> tuple[str, ...]:
    """The lines of `mutant` (a function's source) that differ from `original`'s, stripped."""
    diff = list(difflib.unified_diff(original.splitlines(), mutant.splitlines(), lineterm="", n=0))[2:]
    return tuple(line[1:].strip() for line in diff if line.startswith("+"))


def function_mutations(source: str) -> dict[str, tuple[str, ...]]:
    """{mutant function name: its changed lines} of every mutant in `source`, a module of
    mutmut's mutated copy (each mutant a function `<name>__mutmut_<n>` beside `<name>__mutmut_orig`);
    the def line is compared without the function's name."""
    lines, bodies = source.splitlines(), {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            bodies[node.name] = "\n".join(lines[node.lineno - 1:node.end_lineno]).replace(node.name, "", 1)
    return {name: changed_lines(bodies[name.rsplit("__mutmut_", 1)[0] + ORIGINAL], body)
            for name, body in bodies.items() if not name.endswith(ORIGINAL)}


def mutations(names: set[str], mutants_dir: Path = MUTANTS_DIR) -> dict[str, dict[str, tuple[str, ...]]]:
    """{mutant name: {mutant name: changed lines} of every mutant of the same module} for each of
    `names` that mutmut generated (listed in a `.meta` of `mutants_dir`, read from the module beside it)."""
    found = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        mine = names & set(json.loads(meta.read_text())["exit_code_by_key"])
        if mine:
            module = meta.name.removesuffix(".meta")
            prefix = next(iter(mine)).rsplit(".", 1)[0] + "."
            by_function = {prefix + f: lines for f, lines in function_mutations(meta.with_name(module).read_text()).items()}
            found |= dict.fromkeys(mine, by_function)
    return found


def _shown(lines: tuple[str, ...]) -> str:
    return " / ".join(f"`{line}`" for line in lines) or "no added line"


def check(entries: dict[str, Equivalent], mutants_dir: Path = MUTANTS_DIR) -> tuple[dict[str, Equivalent], list[str]]:
    """(the entries whose mutant mutmut generated and makes the recorded mutation, one line per
    stale entry: its name, what it expected and what the mutant now is, or that there is none)."""
    found = mutations(set(entries), mutants_dir)
    confirmed, stale = {}, []
    for name, entry in entries.items():
        if name not in found:
            stale.append(f"{name}: not a mutant mutmut generated (expected {_shown(entry.mutation)})")
            continue
        module = found[name]
        if module[name] == entry.mutation:
            confirmed[name] = entry
            continue
        function = name.rsplit("__mutmut_", 1)[0] + "__mutmut_"
        now = sorted((n for n, lines in module.items() if n.startswith(function) and lines == entry.mutation),
                     key=lambda n: int(n.rsplit("_", 1)[1]))
        moved = f"; the recorded change is now {', '.join(n.rsplit('.', 1)[1] for n in now)}" if now else ""
        stale.append(f"{name}: expected {_shown(entry.mutation)}, the mutant now makes {_shown(module[name])}{moved}")
    return confirmed, stale


def main(argv: list[str] | None = None, mutants_dir: Path = MUTANTS_DIR, equivalent_file: Path = EQUIVALENT) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        found = mutations(set(argv), mutants_dir)
        for name in argv:
            if name not in found:
                print(f"# {name}: not a mutant mutmut generated", file=sys.stderr)
                continue
            lines = found[name][name]
            shown = json.dumps(lines[0], ensure_ascii=False) if len(lines) == 1 else json.dumps(list(lines), ensure_ascii=False)
            print(f"{name}:\n  mutation: {shown}\n  why: \"\"")
        return 0 if set(argv) <= set(found) else 1
    confirmed, stale = check(load(equivalent_file), mutants_dir)
    for line in stale:
        print(f"{equivalent_file.name}: stale: {line}", file=sys.stderr)
    print(f"{len(confirmed)} of {len(confirmed) + len(stale)} entries make the mutation they record")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

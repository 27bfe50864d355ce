"""`extends`: a scenario file read with every file it extends (relative to the file naming it;
chains allowed, cycles reported), deep-merged — mappings key by key, lists and scalars replaced —
remembering which file and line set each key path.
"""

from __future__ import annotations

from pathlib import Path

from sim.errors import Problem, describe_content, describe_found
from sim.scenario.dialect import check_file
from sim.scenario.fields import PathT
from sim.scenario.limits import MAX_EXTENDS
from sim.scenario.report import Origin, display_path, file_origins
from sim.scenario.yaml_lines import StopReading, read_yaml


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
            replace_origins(base_orig, over_orig, here)


def replace_origins(target: dict, source: dict, prefix: PathT) -> None:
    """Forget the origins of `prefix` and everything under it in `target`; take `source`'s instead."""
    n = len(prefix)
    for p in [p for p in target if p[:n] == prefix]:
        del target[p]
    for p, o in source.items():
        if p[:n] == prefix:
            target[p] = o


def load_tree(path: Path, display: str, chain: list[tuple[Path, str, int | None]],
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
                    f"at the top level, found {describe_content(data)}")
        )
        raise StopReading
    origins: dict[PathT, Origin] = file_origins(display, lines)
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
    if len(here) >= MAX_EXTENDS:
        problems.append(Problem(display, line, "extends", f"more than {MAX_EXTENDS} files extend one another "
                                "(the limit); shorten the chain"))
        raise StopReading
    try:
        key = parent.resolve()
    except (RuntimeError, OSError):  # Python says RuntimeError for a loop of symbolic links
        problems.append(Problem(display, line, "extends", f"'{parent_name}' is a loop of symbolic links; "
                                "name the scenario file itself"))
        raise StopReading from None
    for i, (seen, seen_display, seen_line) in enumerate(here):
        if seen == key:
            names = [d for _, d, _ in here[i:]] + [seen_display]
            short = [Path(n).name for n in names]
            shown = short if len(set(short)) == len(set(names)) else names
            problems.append(Problem(seen_display, seen_line, "extends", "cycle " + " → ".join(shown)))
            raise StopReading
    refused = check_file(parent)
    if refused:
        missing = refused == "no such file"
        problems.append(Problem(display, line, "extends",
                                f"cannot find the scenario file '{parent_name}' (looked for {parent})" if missing
                                else f"'{parent_name}' {refused}"))
        raise StopReading
    base, base_orig = load_tree(parent, display_path(parent), here, problems, files)
    _merge(base, base_orig, data, origins)
    return base, base_orig

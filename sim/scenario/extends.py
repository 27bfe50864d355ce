"""`extends`: a scenario file read with every file it extends (relative to the file naming it;
chains allowed, cycles reported), deep-merged — mappings key by key, lists and scalars replaced —
remembering which file and line set each key path.

A file that extends another may also name a key path as a top-level key, as ``--set`` does, to
change one element of a list without copying the list::

    extends: albu_kamal_blockade.yaml
    forces[7].strength: 50          # one key of the eighth force
    forces[2]: {units: 6}           # a mapping merges into the element, key by key

A key path that does not lead into the merged scenario is reported at its line.
"""

from __future__ import annotations

from pathlib import Path

from sim.program.errors import Problem, describe_content, describe_found
from sim.scenario.dialect import check_file
from sim.scenario.fields import PathT
from sim.scenario.keypaths import PathError, get_by_path, parse_path, set_by_path
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
    key_paths = {k: data.pop(k) for k in list(data) if isinstance(k, str) and ("[" in k or "." in k)}
    _merge(base, base_orig, data, origins)
    for text, value in key_paths.items():
        _merge_at_path(base, base_orig, text, value, origins, display, problems)
    return base, base_orig


def _merge_at_path(base: dict, base_orig: dict, text: str, value, origins: dict, display: str,
                   problems: list[Problem]) -> None:
    """Apply the top-level key `text` (a key path such as ``forces[7].strength``) to the merged
    `base`: a mapping merges into a mapping there, anything else replaces the value."""
    line = origins[(text,)][1] if (text,) in origins else None
    try:
        path = parse_path(text)
        shifted = {path + p[1:]: o for p, o in origins.items() if p[:1] == (text,)}
        target = get_by_path(base, path) if isinstance(value, dict) else None
        if isinstance(value, dict) and isinstance(target, dict):
            _merge(target, base_orig, value, shifted, path)
        else:
            set_by_path(base, path, value)
            replace_origins(base_orig, shifted, path)
    except PathError as err:
        problems.append(Problem(display, line, text, str(err)))

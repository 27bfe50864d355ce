"""What Corridor wrote, and so what `--force` may delete: a folder Corridor made, holding nothing
else. What "nothing else" can prove depends on how the folder was written:

* **A folder** is Corridor's when it holds the marker file :data:`MARKER` with :data:`TOKEN`
  and the kind of output it holds ("run", "sweep", …), written when Corridor created it.
* **A folder published whole** (run, export, discover, bench, replicates: built under a
  staging name, then renamed; :func:`sim.program.output.publish_folder`) also holds the record
  :data:`RECORD`: each file's size and modification time (ns) as published (:func:`files_in`).
  A file in it is Corridor's only if its kind's list names it (below) and the record lists it,
  unchanged; a file of yours named like one Corridor writes (your ``narrative.txt`` in place of
  its own), or one of its files you changed in size or modification time, is not ("changed since
  Corridor wrote it"; a same-size edit whose time was put back, as `cp -p` does, is not seen). A
  folder published before records were kept has none, and is judged by names alone, as a folder
  written bit by bit.
* **A folder written bit by bit** (sweep, compare, uncertainty, sensitivity, hindcast,
  calibration: runs added as they finish, sessions resumed and extended, other commands writing
  into it) keeps no record: a file in it is Corridor's when its path in the folder is one that
  its kind's command writes (:data:`WRITTEN`, one list per kind), or the temporary name
  through which one is written or a write probe, left by a write cut short, named exactly so
  (:func:`is_temporary`: not your ``.narrative.txt.orig``). So a file of yours named like one
  it writes (a ``report.md`` of yours) is taken for its own, except a run file (below). A folder
  inside is Corridor's when its kind's list names files in it (``gis/``, ``runs/``), or when
  it carries the marker of the one kind written inside another (:data:`NESTED`: a folder
  ``discover`` wrote into a sweep's): it is then looked into with its own kind's list, or
  record. Any other folder marked as Corridor's inside (a calibration written into a run's
  folder) holds another command's results: not this kind's to delete.
* **A run file** (``runs/<run id>.json``) is Corridor's by its name and its first bytes
  (:func:`is_run_file`): every one Corridor writes begins with ``{"columns":``. It is written
  under a temporary name and renamed when whole, so under its own name it is whole, unless the
  machine stopped before the disk held its bytes (a power cut), which can leave it empty or cut
  short: a file that begins so, or is a start of that (empty included), is Corridor's;
  :func:`run_file_state` says whether it is whole (it parses, as a JSON object with
  ``columns``, ``outcomes`` and ``series``) or cut short (run again by ``--resume``). A run's
  map (``maps/<run id>.npy``) likewise begins with NumPy's magic string. A file named like a
  run file that does not begin so (your ``runs/p005-r000.json``) is the user's: neither
  counted, deleted nor replaced, and `--force` and ``--resume`` refuse its folder.

`foreign_file` finds the first path in a folder that none of this proves Corridor's; a
folder holding one is refused by `--force` (:func:`refusal`) and by the one function that
deletes folders (:func:`sim.program.output.remove_corridor_folder`). Every command that
writes a folder has its kind's list here; a test builds each kind with its command and
finds nothing foreign in it (tests/test_written.py). Only reads: `sweep --dry-run` asks it too.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from pathlib import Path, PurePosixPath

from sim.program.errors import UserError

#: the marker file in every output folder Corridor creates, and the token it holds
MARKER = ".corridor-output"
TOKEN = "corridor-output-folder-v1"
#: beside the marker in a folder published whole: what Corridor wrote in it (`files_in`)
RECORD = ".corridor-written.json"

#: what `--force` does, in the --help of every command that publishes a folder whole
FORCE_HELP = ("replace the --out folder if it holds earlier results (only a folder Corridor made, holding nothing "
              "it did not write: a file of yours is named and the folder refused)")
#: … and of every command that writes a folder of many runs (judged by names: see the module's rules)
FORCE_HELP_BY_NAME = FORCE_HELP.removesuffix(")") + ", unless named like one Corridor writes there, e.g. report.md)"
#: `{run}` in a pattern: a run id, p000-r000 (sweep), a0-r00 (compare), r00 (uncertainty, hindcast)
RUN_ID = r"(p\d+-|a\d+-)?r\d+"
RUN_RECORD_START = b'{"columns":'  # every run file begins so (sim.experiments.runfolder.RunFolder.save)
NPY_MAGIC = b"\x93NUMPY"  # every run's map begins so (numpy.save)
MKSTEMP_RANDOM = "[a-z0-9_]{8}"  # the random part of tempfile.mkstemp's names (tempfile._RandomNameSequence)

_RUN = ("scenario.resolved.yaml", "provenance.json", "steps.csv", "summary.json", "moved_places.csv", "events.jsonl",
        "violent_events.csv", "narrative.txt", "control_map.png", "control_over_time.png", "support.png",
        "animation.gif", "gis/control.tif", "gis/control.qml", "gis/control_factions.tif", "gis/control_over_time.tif",
        "gis/control_over_time.qml", "gis/places.geojson", "gis/units.geojson", "gis/tracks.geojson",
        "gis/routes.geojson", "gis/events.geojson", "gis/violent_events.geojson")
_EXPORT = ("animation.gif", "map.png", "charts.png", "screen_map.png", "screen_charts.png", "narrative.txt")
_MANY_RUNS = ("runs/{run}.json", "maps/{run}.npy", "manifest.json", "runs.csv", "runs.parquet", "series.parquet")

#: kind → the paths (in the folder, `/` between folders; fnmatch patterns, `{run}` a run id) its command writes
WRITTEN: dict[str, tuple[str, ...]] = {
    "run": _RUN,  # sim.results.result.RunResult.save: what `run` and `sim.run(out=…)` write
    "export": (*_EXPORT, *(f"[ab]_*/{name}" for name in _EXPORT)),  # sim.app.export.export_runs: a_… b_… for two
    "discover": ("discover.json", "trajectory.csv", "discover.png"),  # sim.experiments.command.cmd_discover
    "bench": ("bench.csv", "figures.json", "bench.png"),  # sim.bench.step_cost
    "replicates": ("manifest.json", "runs.parquet", "wide.parquet", "tidy.parquet"),  # sim.api.replicate
    # sweep, sensitivity (sim.experiments.sweep, .sensitivity), compare (.compare), uncertainty (.uncertainty)
    **dict.fromkeys(("sweep", "compare", "uncertainty"), (
        *_MANY_RUNS, "report.md", "sweep.yaml", "design.csv", "series_*.png", "final_vs_*.png", "heatmap_*.png",
        "land_bridge_open.png", "convoy_outcomes.png", "sensitivity.csv", "sensitivity.md", "sensitivity_*.png",
        "compare.csv", "compare.md", "compare_*.png", "control_difference_*.png", "control_probability*.tif",
        "control_probability*.png")),
    "hindcast": (*_MANY_RUNS, "patterns.csv", "simulated_patterns.parquet", "milestones.csv", "scores.json",  # sim.hindcast.report
                 "events_*.png", "strikes.png", "event_density.png", "holders.png", "report.md"),
    "calibration": ("manifest.json", "abc.db", "abc.db-journal", "posterior.csv", "intervals.csv",  # sim.hindcast.calibrate
                    "generations.csv", "predictive.csv", "observed.json", "marginals.png", "pairs.png",
                    "predictive.png", "report.md"),
}


#: kind → the kinds of folder Corridor writes inside one (`discover`'s default --out is in the sweep it reads);
#: any other folder marked as Corridor's inside is another command's results: --force refuses the folder holding it
NESTED: dict[str, tuple[str, ...]] = {"sweep": ("discover",)}


def corridor_folder_kind(path: Path) -> str | None:
    """The kind of output ("run", "sweep", "compare", "export", …) a folder Corridor created
    holds, from its marker; None if `path` carries no marker of Corridor's."""
    marker = Path(path) / MARKER
    try:
        if not marker.is_file() or marker.stat().st_size > 4096:
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
        return str(data.get("kind")) if data.get("token") == TOKEN else None
    except (OSError, ValueError, AttributeError):
        return None


def is_corridor_folder(path: Path) -> bool:
    """Whether `path` is a folder that carries Corridor's marker (so Corridor created it)."""
    return corridor_folder_kind(path) is not None


def foreign_file(folder: Path, kind: str) -> Path | None:
    """The first file or folder (in name order, a folder's contents before the next name) in
    Corridor's folder `folder` of output `kind` that Corridor did not write, or changed since
    (see the module's rules); None when everything in it is Corridor's: what `--force` may
    delete. A kind with no list (another version's) and no record proves nothing but its
    marker. OSError if a folder cannot be read."""
    return _foreign(Path(folder), Path(folder), kind, _record(Path(folder)))


def files_in(folder: Path) -> dict[str, list[int]]:
    """Each file in `folder` (its path in it, `/` between folders) → [size in bytes, modification
    time in ns], the marker and the record aside: the record of a folder published whole."""
    found = {}
    for path in sorted(Path(folder).rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not path.is_symlink() and rel not in (MARKER, RECORD):
            found[rel] = [path.stat().st_size, path.stat().st_mtime_ns]
    return found


def _record(folder: Path) -> dict | None:
    """The files the record of `folder` lists (`files_in`); None if it has none, or none that reads."""
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    files = data.get("files") if isinstance(data, dict) and data.get("token") == TOKEN else None
    return files if isinstance(files, dict) else None


def _foreign(top: Path, folder: Path, kind: str, record: dict | None) -> Path | None:
    patterns = WRITTEN.get(kind, ())
    for entry in sorted(folder.iterdir()):
        rel = entry.relative_to(top).as_posix()
        if entry.is_symlink():
            return entry
        if entry.is_dir():
            if (inner := corridor_folder_kind(entry)) is not None:
                if inner not in NESTED.get(kind, ()):  # another command's results, not this kind's to delete
                    return entry
                found = foreign_file(entry, inner)  # looked into with its own kind's list
            elif any(_matches(rel, p, inside=True) for p in patterns):
                found = _foreign(top, entry, kind, record)
            else:
                return entry
            if found is not None:
                return found
        elif not (entry.is_file() and (rel == MARKER or _written(entry, rel, patterns, record))):
            return entry
    return None


def _written(path: Path, rel: str, patterns: tuple[str, ...], record: dict | None) -> bool:
    """Whether the file `path` (`rel` in its folder) is one Corridor wrote: one `patterns` names
    (a run file by its name and its contents, `is_run_file`, any other by its name) and, in a
    folder with a `record`, listed there unchanged (the record itself aside); else also the
    temporary of one."""
    named = any(_named(rel, p) and ("{run}" not in p or is_run_file(path)) for p in patterns)
    if record is not None:
        return rel == RECORD or (named and record.get(rel) == [path.stat().st_size, path.stat().st_mtime_ns])
    return named or is_temporary(rel, patterns)


def _matches(rel: str, pattern: str, inside: bool = False) -> bool:
    """Whether the path `rel` matches `pattern` folder by folder (a `*` does not cross a `/`);
    `inside`: whether `pattern` names files inside the folder `rel` (`gis/*.tif`, gis)."""
    parts, wanted = rel.split("/"), pattern.split("/")
    if len(wanted) != len(parts) + inside:
        return False
    return all(fnmatch.fnmatchcase(a, b) for a, b in zip(parts, wanted[:len(parts)], strict=True))


def _named(rel: str, pattern: str) -> bool:
    """Whether `pattern` (`{run}` a run id) names the path `rel`."""
    if "{run}" in pattern:
        return re.fullmatch(re.escape(pattern).replace(r"\{run\}", RUN_ID), rel) is not None
    return _matches(rel, pattern)


def is_temporary(rel: str, patterns: tuple[str, ...]) -> bool:
    """Whether the path `rel` is a temporary file left by a write cut short, named exactly as
    Corridor names them: `.<name>.<random><suffix>` beside a file `patterns` names, `<suffix>` that
    file's own (``.runs.csv.k2j4x_9a.csv``; sim.program.output.write_atomic), or a write probe
    `.corridor-probe-<random>` (sim.program.output.probe_writable); `<random>` is
    tempfile.mkstemp's 8 characters. A hidden file of yours (``.narrative.txt.orig``, vim's
    ``.summary.json.swp``) is not one."""
    where, _, name = rel.rpartition("/")
    beside = f"{where}/" if where else ""
    if re.fullmatch(rf"\.corridor-probe-{MKSTEMP_RANDOM}", name):
        return True
    for tail in {0, len(PurePosixPath(name).suffix)}:  # the suffix of the file it writes: none, or the name's own
        written = name[1:len(name) - tail - 9]
        shape = rf"\.{re.escape(written)}\.{MKSTEMP_RANDOM}{re.escape(PurePosixPath(written).suffix)}"
        if written and re.fullmatch(shape, name) and any(_named(beside + written, p) for p in patterns):
            return True
    return False


def is_run_file(path: Path) -> bool:
    """Whether `path` is a run file or a run's map Corridor wrote (the module's rules): named by
    a run id, and beginning as every one does, or a start of that (empty included)."""
    path = Path(path)
    start = NPY_MAGIC if path.suffix == ".npy" else RUN_RECORD_START
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(start))
    except OSError:
        return False
    return re.fullmatch(RUN_ID, path.stem) is not None and start.startswith(head)


def run_file_state(path: Path) -> str | None:
    """"whole" for a run file (`runs/<run id>.json`) holding a whole run record; "cut short" for
    one left empty or cut short by a crash (a run to run again); None for a file Corridor did
    not write (`is_run_file`): neither counted, deleted nor replaced."""
    if not is_run_file(path):
        return None
    try:
        record = json.loads(Path(path).read_bytes())
    except (OSError, ValueError, RecursionError):
        return "cut short"
    return "whole" if isinstance(record, dict) and {"columns", "outcomes", "series"} <= record.keys() else "cut short"


def refusal(folder: Path, kind: str, foreign: Path) -> UserError:
    """The one line `--force` refuses Corridor's folder `folder` of output `kind` with, which
    holds `foreign`, a file or folder Corridor did not write, a file it wrote that changed since
    (its folder's record lists it), or another command's folder of results."""
    is_dir = foreign.is_dir() and not foreign.is_symlink()
    shown = "".join(c if c.isprintable() else repr(c)[1:-1]  # on one line, no terminal escapes: a newline as \n
                    for c in foreign.relative_to(folder).as_posix()) + ("/" if is_dir else "")
    if is_dir and (inner := corridor_folder_kind(foreign)) is not None:
        why = f"{a_kind(inner)} folder of its own"
    else:
        why = "changed since Corridor wrote it" if _recorded(folder, foreign) else "which Corridor did not write"
    return UserError(f"{folder}: holds {shown}, {why}; --force deletes only what {a_kind(kind)} writes: move it "
                     "out first, or choose another --out")


def a_kind(kind: str) -> str:
    """The kind of output `kind` with its article: "an export", "a run"."""
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def _recorded(folder: Path, path: Path) -> bool:
    """Whether the record of the folder (in `folder`, itself included) that holds `path` lists it."""
    for parent in path.parents:
        if (record := _record(parent)) is not None:
            return path.relative_to(parent).as_posix() in record
        if parent == folder:
            return False
    return False


def not_a_folder(path: Path) -> UserError:
    """The refusal of a file or a symbolic link at the --out of a command that writes a folder
    (run, sweep, …): Corridor never writes, resumes or deletes through a link."""
    if path.is_symlink():
        return UserError(f"{path}: is a symbolic link (to {os.readlink(path)}); give the folder itself, or "
                         "choose another --out")
    return UserError(f"{path}: exists and is not a folder; choose another --out")


def not_marked(folder: Path, kind: str) -> UserError:
    """The line `--force` refuses a folder `folder` that carries no marker of Corridor's with, for
    a command that writes output of `kind` (run, sweep: the same words)."""
    return UserError(f"{folder}: exists and is not {a_kind(kind)} folder created by Corridor (no {MARKER} marker); "
                     "--force will not replace it: choose another --out")


def other_kind(folder: Path, held: str, kind: str) -> UserError:
    """The line `--force` refuses Corridor's folder `folder` holding output of another kind, `held`,
    with, for a command that writes output of `kind`."""
    return UserError(f"{folder}: holds Corridor's {held} output, not {a_kind(kind)}; --force replaces only the same "
                     "kind of output: choose another --out")

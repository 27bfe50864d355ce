"""What a sweep's output folder already holds, read without opening it for writing (no lock taken,
nothing written, the engine not imported: `sweep --dry-run` reads it too), and what a command
that resumes or extends it will run: the replicates per point it holds (as extended, not the
sweep file's), the analysis kept beside its runs, and the runs an interrupted
sweep had left unfinished.

`sim.experiments.sweep.run_sweep` and `sweep --dry-run` settle the replicates with the same
function (`replicates_to_run`), so the plan a dry run prints is the one the command runs, and
ask the folder the same question (`sim.experiments.runfolder.RunFolder.check`), so a dry run
refuses what the command refuses, in the same words.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.program.errors import UserError


def held_manifest(out: Path) -> dict:
    """The sweep folder `out`'s manifest, or {} when there is none that can be read."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def held_replicates(out: Path) -> int | None:
    """The replicates per point the sweep folder `out` holds (its manifest's, which records an
    extension before its first run), or None when there is no readable manifest with them."""
    try:
        return int(held_manifest(out)["replicates"])
    except (ValueError, KeyError, TypeError):
        return None


def held_analysis(out: Path) -> str | None:
    """The analysis the sweep folder `out` holds beside its runs ("sensitivity"): its manifest's
    `analysis`, or, in a folder written before manifests named it, its sensitivity.csv."""
    return held_manifest(out).get("analysis") or ("sensitivity" if (out / "sensitivity.csv").is_file() else None)


def resume_flag(add_replicates: int | None) -> str:
    """The option a command that resumes or extends a sweep folder was given, as its refusals name it."""
    return "--add-replicates" if add_replicates else "--resume"


def replicates_to_run(path: str | Path, out: Path | None, replicates: int | None, add_replicates: int | None,
                      resume: bool, analysis: str | None = None) -> tuple[int | None, bool]:
    """(replicates per point, resume) of a sweep of the file `path` into `out`: `add_replicates` N
    resumes with what the folder holds + N (the next seeds); a plain `resume` keeps what it holds
    unless `replicates` says more; otherwise `replicates` (None: the file's). UserError, before
    anything runs, for `--resume`/`--add-replicates` without `out`, for both `--add-replicates`
    and `--replicates`, for `--add-replicates` where no sweep folder is, and for a folder holding
    an analysis other than `analysis` (a plain sweep would leave it stale beside the new runs)."""
    flag = resume_flag(add_replicates)
    if (resume or add_replicates) and out is None:
        raise UserError(f"{flag} needs --out FOLDER: the folder of the sweep to "
                        + ("extend" if add_replicates else "finish"))
    if (resume or add_replicates) and (held := held_analysis(Path(out))) not in (None, analysis):
        again = f"--add-replicates {add_replicates}" if add_replicates else "--resume"
        made_by = held_manifest(Path(out)).get("sweep_file") or path  # the folder's own sweep file
        raise UserError(f"{out}: holds a {held} analysis ({held}.csv), which `sweep {flag}` would leave stale "
                        f"beside the new runs; use `{held} {made_by} {again} --out {out}`, which redoes the analysis")
    if add_replicates:
        if replicates is not None:
            raise UserError(f"--add-replicates {add_replicates} with --replicates {replicates}: give one (the "
                            "first adds to what the folder holds, the second sets the total with --resume)")
        held = held_replicates(Path(out))
        if held is None:
            raise UserError(f"--add-replicates: {out}: no sweep folder there (no readable manifest.json "
                            "with its replicates)")
        return held + add_replicates, True
    if resume and replicates is None:
        return held_replicates(Path(out)), True  # None (no folder there): the file's; open() says so
    if resume:
        check_not_dropping(Path(out), held_replicates(Path(out)) or 0, replicates)
    return replicates, resume


def check_not_dropping(out: Path, held: int, replicates: int) -> None:
    """UserError when a resumed sweep of `replicates` per point would leave out some of the `held`
    replicates per point the folder `out` already has (a total is given with --replicates)."""
    if held > replicates:
        raise UserError(f"{out}: holds {held} replicates per point; --replicates {replicates} would drop "
                        f"some: give at least {held} (more extend it with the next seeds)")


def unfinished_note(out: Path, add_replicates: int, unfinished: int, held: int) -> str | None:
    """The note (said under --quiet too) `--add-replicates` says when the folder's own sweep was not
    finished (interrupted, stopped): the `unfinished` runs of its `held` replicates per point that it runs as well as
    the new ones; None when every one of them was finished."""
    if not unfinished:
        return None
    return (f"  note: {out} was not finished: --add-replicates {add_replicates} also runs its {unfinished} unfinished "
            f"run{'s' if unfinished > 1 else ''} (of its {held} replicates per point)")

"""Writing results safely: every file lands whole (written under a temporary name, then
renamed), nothing the user already has is ever replaced or deleted, and two commands given the
same output never both claim it.

* **Ownership.** Every output folder Corridor creates holds a marker file, :data:`MARKER`, with
  a fixed token and its kind. A folder is replaced (``--force``) only when it carries that
  marker, of the same kind, and holds nothing its kind's command does not write
  (:mod:`sim.program.written`: in a folder published whole, nothing but the files its record
  lists, unchanged; in a folder written bit by bit, nothing its kind's command does not write,
  by name). A PNG written by Corridor carries the same token in its ``Software`` text field.
* **Publishing.** A run folder is built under a hidden staging name beside its final name and
  moved into place with a rename that cannot replace (:func:`sim.program.noreplace.rename_noreplace`):
  if another command took the name meanwhile, this one says so in one line (exit 2) and leaves
  the other's folder alone.
* **Clean-up.** Staging folders carry the id of the process building them; one left behind
  by a killed process (SIGKILL, a power cut) is removed by the next command that publishes
  beside it, once that process is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.program.errors import UserError
from sim.program.noreplace import rename_noreplace
from sim.program.written import (
    MARKER,
    RECORD,
    TOKEN,
    corridor_folder_kind,
    files_in,
    foreign_file,
    is_corridor_folder,
    not_a_folder,
    not_marked,
    other_kind,
    refusal,
)

#: the `Software` text of every PNG Corridor writes at a user-chosen path
PNG_SOFTWARE = "Corridor (corridor-output-v1)"

_STAGING = re.compile(r"^\..+\.corridor-(staging|trash)-(\d+)-[0-9a-f]+$")


class OutputTaken(UserError):
    """The output name was taken by another command while this one ran."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------------- ownership


def mark_folder(path: Path, kind: str, claim: Callable[[int], None] | None = None) -> None:
    """Write the marker into a folder Corridor created; FileExistsError if it is already marked
    (the atomic claim of the folder: of two commands, only one creates the marker). `claim` is
    given the marker's file descriptor as soon as the file exists, before it is written (to
    lock it, so that no other command ever sees it whole and unlocked)."""
    with open(Path(path) / MARKER, "x", encoding="utf-8") as fh:
        if claim is not None:
            claim(fh.fileno())
        json.dump({"token": TOKEN, "kind": kind}, fh)
        fh.write("\n")


def is_corridor_file(path: Path) -> bool:
    """Whether `path` is a regular file Corridor wrote (a PNG with Corridor's Software field)."""
    path = Path(path)
    if not path.is_file() or path.is_symlink():
        return False
    try:
        from PIL import Image

        with Image.open(path) as image:
            return image.info.get("Software") == PNG_SOFTWARE
    except Exception:  # not an image, unreadable: not provably ours
        return False


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and not any(path.iterdir())


def check_destination(path: Path, force: bool = False, kind: str | None = None, forceable: bool = True) -> None:
    """Refuse, before any work, an output path that is taken. `kind`: the kind of folder the
    command publishes there ("run", "export", …); None for a command that writes one file (a
    PNG). A folder's command refuses a file or a link at `path` (`not_a_folder`), and a folder
    that is not empty (with `force`: one that Corridor did not create, one that holds another
    kind of output — `--force` on a run never replaces a sweep —, or one holding a file Corridor
    did not write, named: `sim.program.written.foreign_file`); an empty folder is free. A file's
    command refuses a folder, and a file (with `force`: one Corridor did not write). Without
    `force`, the refusal advises --force only where the command has it (`forceable`) and it would
    be taken. A path the system refuses (a name too long, a loop of links) is refused in one line."""
    try:
        _check_destination(Path(path), force, kind, forceable)
    except OSError as err:
        from sim.program.oserrors import failure_line

        err.filename = path
        raise UserError(failure_line(err, "cannot create it", kept="nothing was written")) from None


def _check_destination(path: Path, force: bool, kind: str | None, forceable: bool) -> None:
    if not path.exists() and not path.is_symlink():
        _check_parent(path)
        return
    if kind is None:
        _check_file(path, force, forceable)
        return
    if path.is_symlink() or not path.is_dir():
        raise not_a_folder(path)
    if not any(path.iterdir()):
        return
    held = corridor_folder_kind(path)
    foreign = foreign_file(path, held) if held == kind else None
    if not force:
        raise _taken(path, forceable and held == kind and foreign is None)
    if held is None:
        raise not_marked(path, kind)
    if held != kind:
        raise other_kind(path, held, kind)
    if foreign is not None:
        raise refusal(path, held, foreign)


def _taken(path: Path, replaceable: bool) -> UserError:
    """The refusal of a path that exists, without --force; `replaceable`: --force would replace it."""
    return UserError(f"{path}: already exists; choose another --out" + (" or pass --force to replace it"
                                                                       if replaceable else ""))


def _check_file(path: Path, force: bool, forceable: bool) -> None:
    """Refuse what is at `path` for a command that writes one file there."""
    if path.is_dir() and not path.is_symlink():
        raise UserError(f"{path}: is a folder; give --out the name of a file")
    if force and is_corridor_file(path):
        return
    if force:
        raise UserError(f"{path}: exists and was not written by Corridor; --force replaces only "
                        "Corridor's own files: choose another --out")
    raise _taken(path, forceable and is_corridor_file(path))


def _check_parent(path: Path) -> None:
    """Refuse a path whose nearest existing parent is not a writable folder."""
    parent = path.parent
    while not parent.exists():
        if parent.is_symlink() or parent == parent.parent:
            break
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise UserError(f"{path}: {parent} is a file, not a folder; choose another --out")
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"{path}: cannot write in {parent} (permission denied); choose another --out")
    probe_creatable(path)


def probe_creatable(path: Path) -> None:
    """Create and remove a staging folder beside `path` (and the parents it lacks), so that a
    place the system will not write (read-only, full, /sys) is refused before any work.
    Raises OSError; leaves nothing behind."""
    missing = []
    parent = path.parent
    while not parent.exists() and not parent.is_symlink() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    try:
        for folder in reversed(missing):
            os.mkdir(folder)
        probe = _aside(path, "staging")
        os.mkdir(probe)
        os.rmdir(probe)
    finally:
        for folder in missing:
            with contextlib.suppress(OSError):
                os.rmdir(folder)


def probe_writable(folder: Path) -> None:
    """Create and remove a file in an existing folder (one to resume): OSError if it cannot be
    written (read-only, no space for a new file, no inodes)."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=".corridor-probe-")
    os.close(fd)
    os.unlink(name)


# ---------------------------------------------------------------------------- files


def write_atomic(path: Path, writer: Callable[[Path], None], replace: bool = True) -> Path:
    """Call `writer(tmp)` on a temporary file beside `path`, then move it into place. With
    `replace=False` the move fails with :class:`OutputTaken` if `path` exists by then."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; results are ordinary files
        if replace:
            os.replace(tmp, path)
        else:
            try:
                rename_noreplace(tmp, path)
            except FileExistsError:
                raise OutputTaken(f"{path}: was created by another command while this one ran; "
                                  "left as it is — choose another --out") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, data) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def publish_file(writer: Callable[[Path], None], final: Path, force: bool = False) -> Path:
    """Write one output file at a user-chosen path: never over another's file; with `force`,
    over a file Corridor wrote (see is_corridor_file)."""
    final = Path(final)
    check_destination(final, force)
    return write_atomic(final, writer, replace=force and final.exists())


# ---------------------------------------------------------------------------- folders


def new_run_folder(base: Path, stem: str) -> Path:
    """A fresh folder name under `base`: stem plus a timestamp, never one that exists."""
    from datetime import datetime

    slug = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
    name = f"{slug}_{datetime.now():%Y%m%d-%H%M%S}"
    candidate, n = Path(base) / name, 2
    while candidate.exists():
        candidate, n = Path(base) / f"{name}-{n}", n + 1
    return candidate


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def sweep_stale(parent: Path) -> list[Path]:
    """Remove the staging and trash folders that dead Corridor processes left in `parent`
    (only those carrying Corridor's marker); returns what was removed."""
    removed = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _STAGING.match(entry.name)
        if m and entry.is_dir() and not entry.is_symlink() and not _alive(int(m.group(2))) \
                and is_corridor_folder(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _aside(path: Path, what: str) -> Path:
    return path.parent / f".{path.name}.corridor-{what}-{os.getpid()}-{secrets.token_hex(4)}"


def new_marked_folder(path: Path, kind: str, claim: Callable[[int], None] | None = None) -> Path:
    """Create the folder `path` (parents as needed) and mark it as Corridor's (`claim`: as in
    `mark_folder`). An existing empty folder is adopted. Raises OutputTaken if another command
    claimed it first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(path)
    except FileExistsError:
        if not _is_empty_dir(path):
            raise OutputTaken(f"{path}: was created by another command while this one ran; "
                              "left as it is — choose another --out") from None
    try:
        mark_folder(path, kind, claim)
    except FileExistsError:
        raise OutputTaken(f"{path}: another command is writing into this folder; "
                          "left as it is — choose another --out") from None
    return path


def remove_corridor_folder(path: Path) -> None:
    """Delete a folder only if it carries Corridor's marker and holds nothing its kind's command
    does not write (`sim.program.written.foreign_file`): it is first moved aside (so the name is
    free at once, `set_aside`), then removed. Raises UserError otherwise (the refusal of `--force`)."""
    shutil.rmtree(set_aside(path), ignore_errors=True)


def set_aside(path: Path) -> Path:
    """Move Corridor's folder `path` aside, to a hidden name beside it (removed by `sweep_stale`
    once this process is gone), and return that name; the checks and refusals of
    `remove_corridor_folder`."""
    path = Path(path)
    if not is_corridor_folder(path) or path.is_symlink():
        raise UserError(f"{path}: was not created by Corridor (no {MARKER} marker); will not delete it — "
                        "choose another --out")
    if (foreign := foreign_file(path, kind := corridor_folder_kind(path))) is not None:
        raise refusal(path, kind, foreign)
    aside = _aside(path, "trash")
    rename_noreplace(path, aside)
    return aside


def publish_folder(build: Callable[[Path], None], final: Path, force: bool = False, kind: str = "run",
                   checked: bool = False, chosen: bool = True) -> Path:
    """Build a folder under a staging name beside `final`, then move it into place with a
    rename that cannot replace, so a crash never leaves a half-written folder where a finished
    one is expected, and two commands never both think they wrote `final`.

    `final` may not exist, may be an empty folder, or (with `force`) a folder Corridor created,
    which is then replaced. The folder keeps a record of each file's size and modification time
    as published (`sim.program.written.RECORD`): a file changed since is not deleted by `--force`. Raises UserError before `build` runs if `final` is taken, and
    OutputTaken if another command took it while `build` ran (this one's folder is then
    discarded). `checked`: the caller already called check_destination before its work.
    `chosen=False` (a name Corridor made up, e.g. by new_run_folder): if it is taken meanwhile,
    the folder is published as `final-2`, `final-3`, … instead; returns the name used."""
    final = Path(final)
    if not checked:
        check_destination(final, force, kind)
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(final.parent)
    staging = _aside(final, "staging")
    os.mkdir(staging)
    try:
        mark_folder(staging, kind)
        build(staging)
        write_json_atomic(staging / RECORD, {"token": TOKEN, "files": files_in(staging)})  # what --force may delete
        os.chmod(staging, 0o777 & ~_umask())
        if chosen:
            _install(staging, final, force)
        else:
            final = _install_fresh(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final


def _install(staging: Path, final: Path, force: bool) -> None:
    taken = OutputTaken(f"{final}: was created by another command while this one ran; "
                        "left as it is, and this command's results were not kept — run again with another --out")
    try:
        rename_noreplace(staging, final)
        return
    except FileExistsError:
        pass
    if _is_empty_dir(final):
        try:
            os.rmdir(final)  # fails if something was written into it meanwhile
        except OSError:
            raise taken from None
    elif force and is_corridor_folder(final):
        remove_corridor_folder(final)
    else:
        raise taken
    try:
        rename_noreplace(staging, final)
    except FileExistsError:
        raise taken from None


def _install_fresh(staging: Path, final: Path) -> Path:
    """Move staging to `final`, or to the first free of `final-2`, `final-3`, …"""
    for n in range(1, 1000):
        candidate = final if n == 1 else final.with_name(f"{final.name}-{n}")
        try:
            rename_noreplace(staging, candidate)
            return candidate
        except FileExistsError:
            continue
    raise OutputTaken(f"{final}: no free name beside it; choose an --out")

"""A failure of the machine in one line: a full disk, no inodes left, a read-only file system, a
permission refused, a path the kernel will not take, a device that failed.

:func:`failure_line` words an `OSError` as ``PATH: what failed (strerror); what was kept; what to
do``; :func:`exit_status` gives 2 where the user can act (free space, another --out) and 1 for a
device error. What was kept is known by the code that writes: a command of many runs keeps every
finished run in its folder (:func:`sim.experiments.runfolder.RunFolder.open` records which
folder, through :func:`working_in`), and a command that publishes a folder or a file whole
(`sim.program.output`) leaves nothing half-written behind.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

#: errno → (what failed, how to fix it or None); the user can act on each (exit status 2)
ACTIONABLE = {
    errno.ENOSPC: ("the disk is full", "free some space"),
    errno.EDQUOT: ("the disk quota is used up", "free some space"),
    errno.EROFS: ("the file system is read-only", "make it writable"),
    errno.EACCES: ("permission denied", "give write permission"),
    errno.EPERM: ("the system does not allow it", None),
    errno.ENAMETOOLONG: ("the name is too long", None),
    errno.ELOOP: ("a loop of symbolic links", None),
    errno.ENOTDIR: ("a part of the path is not a folder", None),
    errno.ENOENT: ("a folder on the way is missing or cannot be created", None),
    errno.EMFILE: ("too many files are open", "raise the limit (ulimit -n)"),
}

_STAGING = re.compile(r"\.([^/]+)\.corridor-(?:staging|trash)-\d+-[0-9a-f]+")
_folder: tuple[Path, str] | None = None  # (folder of many runs being written, its kind)


def working_in(path: Path | None, kind: str = "") -> None:
    """Record the folder of many runs this command writes into (None: none any more)."""
    global _folder
    _folder = None if path is None else (Path(path), kind)


def kept_note() -> str:
    """What was kept after a failure: the finished runs of the folder being written, if any."""
    if _folder is None:
        return "nothing was left half-written"
    path, kind = _folder
    try:
        finished = sum(1 for _ in (path / "runs").glob("*.json"))
    except OSError:
        finished = 0
    return (f"the {finished} finished runs are saved in {path}; once it is fixed, run the same command "
            f"with --resume --out {path} to run the rest")


def shown_path(name: str | bytes | Path) -> str:
    """The path as the user knows it: a staging folder (`.NAME.corridor-staging-PID-HEX`) is
    shown by the final name it was being built for."""
    return _STAGING.sub(r"\1", os.fsdecode(name))


def failure_line(err: OSError, what: str = "writing failed", kept: str | None = None,
                 elsewhere: str | None = "choose another --out") -> str:
    """`PATH: what failed: cause (strerror); what was kept; what to do` for an OSError; `kept`
    (default: :func:`kept_note`) says what was kept; `elsewhere`, how to write somewhere else
    (None where the user cannot choose, as in the app)."""
    name = err.filename if err.filename is not None else (_folder[0] if _folder else "")
    cause, fix = ACTIONABLE.get(err.errno, (None, None))
    if err.errno == errno.EIO:
        cause, fix = "the device failed", "check the disk and run again"
    # nothing to resume: another place is as good
    if (_folder is None or kept is not None) and err.errno in ACTIONABLE and elsewhere:
        fix = f"{fix}, or {elsewhere}" if fix else elsewhere
    strerror = err.strerror or type(err).__name__
    return (f"{shown_path(name)}: {what}{f': {cause}' if cause else ''} ({strerror}); {kept or kept_note()}"
            + (f"; {fix}" if fix else ""))


def exit_status(err: OSError) -> int:
    """2 where the user can act on the failure (ACTIONABLE), else 1."""
    return 2 if err.errno in ACTIONABLE else 1

"""Moving a file or folder to a name that must not exist yet, atomically: the move fails with
:class:`FileExistsError` when something is already there, instead of replacing it.

`os.rename` and `os.replace` silently replace an existing file, or an existing *empty* folder,
so "check that the name is free, then rename" loses a race with another command. Here the
kernel checks and moves in one step: `renameat2(RENAME_NOREPLACE)` on Linux, `renamex_np(
RENAME_EXCL)` on macOS. Where neither is available (another system, or a file system that does
not support it) the claim is made with calls that are atomic everywhere — `os.link` for a
file, `os.mkdir` for a folder (whose entries are then moved into it) — and the move is then
complete but not instantaneous for folders.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from pathlib import Path

_AT_FDCWD = -100
_RENAME_NOREPLACE = 1  # linux/fs.h
_RENAME_EXCL = 0x00000004  # macOS sys/stdio.h

try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - no C library to ask (e.g. some Windows builds)
    _LIBC = None


def _kernel_rename(src: bytes, dst: bytes) -> bool:
    """Ask the kernel for a no-replace rename; True if done, False if not supported here.
    Raises FileExistsError (the target exists) or another OSError."""
    if _LIBC is None:
        return False
    if sys.platform.startswith("linux") and hasattr(_LIBC, "renameat2"):
        result = _LIBC.renameat2(_AT_FDCWD, src, _AT_FDCWD, dst, _RENAME_NOREPLACE)
    elif sys.platform == "darwin" and hasattr(_LIBC, "renamex_np"):
        result = _LIBC.renamex_np(src, dst, _RENAME_EXCL)
    else:
        return False
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # this file system cannot do it: fall back
    raise OSError(err, os.strerror(err), os.fsdecode(dst))


def rename_noreplace(src: Path, dst: Path) -> None:
    """Move `src` (a file or a folder) to `dst` on the same file system, failing with
    FileExistsError if `dst` exists — also when another process creates it at the same moment.
    Other failures raise OSError as `os.rename` would."""
    src, dst = Path(src), Path(dst)
    if _kernel_rename(os.fsencode(src), os.fsencode(dst)):
        return
    if src.is_dir() and not src.is_symlink():
        os.mkdir(dst)  # the claim: atomic, FileExistsError if taken
        for entry in sorted(src.iterdir()):
            os.rename(entry, dst / entry.name)
        os.rmdir(src)
        return
    os.link(src, dst)  # the claim: atomic, FileExistsError if taken
    os.unlink(src)

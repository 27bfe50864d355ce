"""Writing results safely: every file lands whole (write to a temporary name, then rename), and
nothing the user already has is overwritten unless they ask for it."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.errors import UserError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def refuse_overwrite(path: Path, force: bool = False) -> None:
    """Stop with a clear error rather than silently replacing an existing output."""
    path = Path(path)
    if path.exists() and not force and (path.is_file() or any(path.iterdir())):
        raise UserError(
            f"{path}: already exists; choose another --out or pass --force to replace it"
        )


def write_atomic(path: Path, writer: Callable[[Path], None]) -> Path:
    """Call `writer(tmp)` on a temporary file beside `path`, then move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; results are ordinary files
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, data) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def new_run_folder(base: Path, stem: str) -> Path:
    """A fresh folder name under `base`: stem plus a timestamp, never one that exists."""
    import re
    from datetime import datetime

    slug = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")
    name = f"{slug}_{datetime.now():%Y%m%d-%H%M%S}"
    candidate, n = Path(base) / name, 2
    while candidate.exists():
        candidate, n = Path(base) / f"{name}-{n}", n + 1
    return candidate


def publish_folder(build: Callable[[Path], None], final: Path, force: bool = False) -> Path:
    """Build a folder under a temporary name beside `final`, then rename it into place, so a
    crash never leaves a half-written run folder where a finished one is expected."""
    import shutil

    final = Path(final)
    refuse_overwrite(final, force)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}."))
    try:
        build(staging)
        os.chmod(staging, 0o777 & ~_umask())
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return final

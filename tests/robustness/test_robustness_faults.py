"""Issue 21, item 2 — every write fails in turn (tests/faults.py, as SQLite's I/O-error tests):
for a run, a sweep and an export, the Nth call of the atomic-write and publish functions raises
ENOSPC, EROFS or EIO (in rotation), for every N from the first to the last write. Each time:
one clean line, exit status 2 (1 for EIO), nothing half-written, and for the sweep a later
--resume completes with the same tables as a sweep that never failed.

Every command is run once per write, so the file takes minutes: it is marked slow (`make verify`),
and its result is recorded in docs/verification.md. `full=False` leaves out the charts and the
GIF (a quicker check of the rest); `full=True` fails every write, those included."""

from __future__ import annotations

import errno
import itertools
import json

import pandas as pd
import pytest
from faults import error_lines, install, leftovers

from sim.program.cli import main

from conftest import ROOT

OPEN_ROAD = ROOT / "scenarios" / "open_road.yaml"
TINY = ["--set", "time.duration_days=2", "--set", "time.step_hours=12", "--set", "map.cell_km=4"]
CODES = (errno.ENOSPC, errno.EROFS, errno.EIO)
STATUS = {errno.ENOSPC: 2, errno.EROFS: 2, errno.EIO: 1}
WORDS = {errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
         errno.EIO: "the device failed"}

# each failed write is a whole command (2–5 s): about 3 minutes for the fast variants, so all are slow
pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.slow]


def one_line(capsys) -> str:
    err = error_lines(capsys.readouterr().err)
    assert len(err) == 1 and "Traceback" not in err[0], f"expected one line, found: {err}"
    return err[0]


def fail_each_write(monkeypatch, capsys, argv_for, check_after) -> int:
    """Run argv_for(n) with its nth write failing, for n = 1, 2, … until the command finishes
    before its nth write (so every write has failed once, caches warm or not); returns the
    number of writes of that last, complete command."""
    for n in itertools.count(1):
        code = CODES[n % len(CODES)]
        shim = install(monkeypatch, n, code)
        status = main(argv_for(n))
        monkeypatch.undo()
        if shim.failed is None:  # every write of the command has been failed once
            assert status == 0 and n > 3, f"the command wrote through the shim ({n - 1} writes)"
            capsys.readouterr()
            return n - 1
        line = one_line(capsys)
        assert status == STATUS[code], f"write {n} ({errno.errorcode[code]}): status {status}, line {line}"
        assert WORDS[code] in line, f"write {n}: {line}"
        check_after(n, line)
    raise AssertionError("unreachable")


@pytest.mark.parametrize("full", [False, True])
def test_every_write_of_a_run_fails_cleanly(tmp_path, monkeypatch, capsys, full):
    extra = [] if full else ["--no-animation"]

    def argv(n):
        return ["run", str(OPEN_ROAD), "--out", str(tmp_path / f"run{n}"), *extra, *TINY]

    def check(n, line):
        assert not (tmp_path / f"run{n}").exists(), f"write {n}: a half-written run folder was left"
        assert leftovers(tmp_path) == [], f"write {n}: {leftovers(tmp_path)}"
        assert "nothing was left half-written" in line, line

    fail_each_write(monkeypatch, capsys, argv, check)


@pytest.mark.parametrize("full", [False, True])
def test_every_write_of_an_export_fails_cleanly(tmp_path, monkeypatch, capsys, full):
    days = "1" if full else "0.5"

    def argv(n):
        return ["export", str(OPEN_ROAD), "--days", days, "--out", str(tmp_path / f"export{n}"), *TINY]

    def check(n, line):
        assert not (tmp_path / f"export{n}").exists() and leftovers(tmp_path) == [], f"write {n}"

    fail_each_write(monkeypatch, capsys, argv, check)


def sweep_file(folder):
    path = folder / "s.yaml"
    path.write_text(f"name: s\nscenario: {OPEN_ROAD}\n"
                    "set: {time.duration_days: 2, time.step_hours: 12, map.cell_km: 4}\n"
                    "parameters:\n  control.kernel_km: {values: [4.0, 6.0]}\nreplicates: 2\nseed: 5\n")
    return path


@pytest.mark.parametrize("full", [False, True])
def test_every_write_of_a_sweep_fails_cleanly_and_resume_completes_it(tmp_path, monkeypatch, capsys, full):
    path = sweep_file(tmp_path)
    extra = ["--workers", "1", "--quiet"] + ([] if full else ["--no-charts"])
    assert main(["sweep", str(path), "--out", str(tmp_path / "whole"), *extra]) == 0
    reference = pd.read_parquet(tmp_path / "whole" / "runs.parquet").drop(columns=["seconds"], errors="ignore")
    capsys.readouterr()

    def argv(n):
        return ["sweep", str(path), "--out", str(tmp_path / f"sweep{n}"), *extra]

    def check(n, line):
        out = tmp_path / f"sweep{n}"
        for run in (out / "runs").glob("*.json"):
            json.loads(run.read_text())  # every run file kept is whole
        assert leftovers(out) == [], f"write {n}: {leftovers(out)}"
        assert f"--resume --out {out}" in line, f"write {n}: the line says how to finish it: {line}"
        assert main(argv(n) + ["--resume"]) == 0, f"write {n}: --resume failed: {capsys.readouterr().err}"
        capsys.readouterr()
        table = pd.read_parquet(out / "runs.parquet").drop(columns=["seconds"], errors="ignore")
        pd.testing.assert_frame_equal(table, reference, obj=f"runs after write {n} failed and --resume")
        assert json.loads((out / "manifest.json").read_text())["status"] == "complete"

    fail_each_write(monkeypatch, capsys, argv, check)

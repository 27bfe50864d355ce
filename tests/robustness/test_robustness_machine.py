"""Issue 21, item 1 — a failure of the machine (a full disk, a read-only file system, a path the
kernel refuses) and an interrupt during any write, the GIF included, each end in one line with
the right exit status, nothing half-written, and for a sweep the finished runs kept for --resume."""

from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

import pandas as pd
import pytest
from faults import error_lines, install, leftovers

from sim.program.cli import main
from sim.program.oserrors import kept_note
from sim.program.signals import Terminated

from conftest import ROOT

OPEN_ROAD = ROOT / "scenarios" / "open_road.yaml"
BLOCKADE = ROOT / "scenarios" / "albu_kamal_blockade.yaml"
TINY = ["--set", "time.duration_days=2", "--set", "time.step_hours=12", "--set", "map.cell_km=4"]

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def sweep_file(folder: Path) -> Path:
    path = folder / "s.yaml"
    path.write_text(f"name: s\nscenario: {OPEN_ROAD}\n"
                    "set: {time.duration_days: 2, time.step_hours: 12, map.cell_km: 4}\n"
                    "parameters:\n  control.kernel_km: {values: [4.0, 6.0]}\n"
                    "replicates: 2\nseed: 5\n")
    return path


def one_line(capsys, *words) -> str:
    err = error_lines(capsys.readouterr().err)  # a progress bar redraws with \r
    assert len(err) == 1, f"expected one line, found: {err}"
    for w in words:
        assert w in err[0], f"expected {w!r} in: {err[0]}"
    assert "Traceback" not in err[0]
    return err[0]


def test_a_full_disk_while_a_run_is_written_gives_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    install(monkeypatch, 2, errno.ENOSPC)  # the second file of the run folder
    out = tmp_path / "run"
    assert main(["run", str(OPEN_ROAD), "--out", str(out), "--no-animation", *TINY]) == 2
    line = one_line(capsys, f"{out}", "the disk is full (No space left on device)", "nothing was left half-written",
                    "free some space, or choose another --out")
    assert ".corridor-staging" not in line, f"the user's name for the folder, not the staging one: {line}"
    assert not out.exists() and leftovers(tmp_path) == [], leftovers(tmp_path)


def test_a_device_error_is_one_line_with_status_1(tmp_path, monkeypatch, capsys):
    install(monkeypatch, 1, errno.EIO)
    assert main(["run", str(OPEN_ROAD), "--out", str(tmp_path / "r"), "--no-animation", *TINY]) == 1
    one_line(capsys, "the device failed (Input/output error)", "check the disk and run again")


def test_a_full_disk_during_a_sweep_keeps_the_finished_runs_and_resume_completes(tmp_path, monkeypatch, capsys):
    path, out = sweep_file(tmp_path), tmp_path / "sweep"
    shim = install(monkeypatch, 0, errno.ENOSPC)
    assert main(["sweep", str(path), "--out", str(tmp_path / "whole"), "--workers", "1", "--quiet", "--no-charts"]) == 0
    reference = pd.read_csv(tmp_path / "whole" / "runs.csv")
    capsys.readouterr()
    runs_written = [c for c in range(1, shim.calls + 1)]
    assert len(runs_written) > 4, "the sweep wrote its run files through the shim"
    monkeypatch.undo()
    install(monkeypatch, 6, errno.ENOSPC)  # sweep.yaml, design.csv, manifest, 2 runs, then the third run
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-charts"]) == 2
    line = one_line(capsys, "the disk is full", f"finished runs are saved in {out}", f"--resume --out {out}",
                    "; free some space")
    saved = len(list((out / "runs").glob("*.json")))
    assert 0 < saved < 8 and f"the {saved} finished runs are saved" in line, (saved, line)
    assert kept_note() == "nothing was left half-written", \
        f"the stopped sweep's folder is still named after its command returned: {kept_note()}"
    monkeypatch.undo()
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-charts", "--resume"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "runs.csv"), reference)


def test_resume_on_a_read_only_file_system_is_refused_before_any_run(tmp_path, monkeypatch, capsys):
    path, out = sweep_file(tmp_path), tmp_path / "sweep"
    install(monkeypatch, 6, errno.ENOSPC)
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-charts"]) == 2
    monkeypatch.undo()
    capsys.readouterr()

    def read_only(folder):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder))

    monkeypatch.setattr("sim.experiments.runfolder.probe_writable", read_only)
    monkeypatch.setattr("sim.experiments.engine.run_one", lambda task: pytest.fail("a run started"))
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet", "--resume"]) == 2
    one_line(capsys, "cannot write here: the file system is read-only (Read-only file system)")


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux's /sys")
def test_an_output_the_kernel_refuses_is_refused_before_simulating(monkeypatch, capsys):
    monkeypatch.setattr("sim.model.CorridorModel.run", lambda *a, **k: pytest.fail("simulated first"))
    assert main(["run", str(OPEN_ROAD), "--out", "/sys/kernel/corridor-x", "--no-animation", *TINY]) == 2
    one_line(capsys, "/sys/kernel/corridor-x: cannot create it", "nothing was written")
    assert not os.path.exists("/sys/kernel/corridor-x")


@pytest.mark.parametrize("signum,status,word", [(None, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_an_interrupt_while_the_gif_is_written_exits_as_an_interrupt(tmp_path, monkeypatch, capsys,
                                                                     signum, status, word):
    def stop(self):
        raise KeyboardInterrupt() if signum is None else Terminated(signum)

    monkeypatch.setattr("sim.figures.layered.LayeredMap.gif_frame", stop)  # while the GIF's frames are drawn
    out = tmp_path / "run"
    assert main(["run", str(OPEN_ROAD), "--out", str(out), *TINY]) == status
    one_line(capsys, word)
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux's /sys")
def test_an_export_to_its_default_folder_checks_outputs_before_simulating(monkeypatch, capsys):
    """Without --out the export's folder is named after the day reached, so it cannot be
    checked itself; the outputs/ folder it goes into is checked before the first step."""
    monkeypatch.setattr("sim.app.export.OUTPUTS", Path("/sys/kernel/corridor-outputs"))
    monkeypatch.setattr("sim.app.state.LiveRun.advance", lambda *a, **k: pytest.fail("simulated first"))
    assert main(["export", str(OPEN_ROAD), "--days", "0.5", *TINY]) == 2
    one_line(capsys, "/sys/kernel/corridor-outputs", "cannot create it", "nothing was written")


def test_a_full_disk_during_an_export_gives_one_line(tmp_path, monkeypatch, capsys):
    install(monkeypatch, 1, errno.ENOSPC)
    out = tmp_path / "export"
    assert main(["export", str(OPEN_ROAD), "--days", "0.5", "--out", str(out), *TINY]) == 2
    one_line(capsys, f"{out}", "the disk is full")
    assert not out.exists() and leftovers(tmp_path) == []


def test_the_apps_export_shows_a_full_disk_in_one_line(tmp_path, monkeypatch):
    pytest.importorskip("solara")
    from sim.app import actions
    from sim.program import oserrors

    # a folder of many runs this process was writing (a sweep from Python, or an earlier test)
    # has nothing to do with the app's export
    monkeypatch.setattr(oserrors, "_folder", (tmp_path / "sweep", "sweep"))
    before = actions.problem.value  # outside a Solara session the app's state is the process's: put back
    try:
        actions.report(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "outputs/app_x/map.png"))
        shown = actions.problem.value
    finally:
        actions.problem.value = before
    assert shown.startswith("outputs/app_x/map.png: writing failed: the disk is full") and "\n" not in shown, shown
    assert "went wrong" not in shown, f"a full disk is not reported as a bug: {shown}"
    assert shown.endswith("; free some space") and "--out" not in shown, f"the app has no --out to choose: {shown}"
    assert "nothing was left half-written" in shown and "finished runs" not in shown, \
        f"the app's export publishes whole; no runs of another folder are its: {shown}"


def test_a_folder_an_interrupted_command_left_is_not_named_when_the_next_one_cannot_be_opened(tmp_path, monkeypatch):
    """From Python (a notebook): a sweep stopped with Ctrl-C after its folder opened, then another
    sweep into a read-only folder. The refusal is about the second folder alone."""
    from sim.experiments.runfolder import RunFolder
    from sim.program.errors import UserError

    RunFolder(tmp_path / "first", "sweep", "identity").open(resume=False, force=False)  # never completed

    def read_only(folder):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder))

    monkeypatch.setattr("sim.experiments.runfolder.probe_writable", read_only)
    with pytest.raises(UserError) as refused:
        RunFolder(tmp_path / "second", "sweep", "identity").open(resume=False, force=False)
    message = str(refused.value)
    assert "cannot write here: the file system is read-only" in message, message
    assert "first" not in message and "nothing was left half-written" in message, \
        f"the refusal names the interrupted command's folder: {message}"


def test_a_module_imported_under_a_shim_is_failed_by_the_next_shim_and_writes_plainly_in_between(tmp_path, monkeypatch):
    """tests/faults.py: a module first imported while a shim is installed binds that shim by name
    and keeps it. Before the fix, the next shim left it out (the run's steps.csv and charts were
    never failed after the first test that imported them) and the dead shim still counted its writes."""
    import sys
    import types

    from sim.program import output

    late = types.ModuleType("sim.imported_under_a_shim")
    monkeypatch.setitem(sys.modules, late.__name__, late)
    with pytest.MonkeyPatch.context() as patch:
        first = install(patch, 0, errno.ENOSPC)
        late.write_atomic = output.write_atomic  # what `from sim.program.output import write_atomic` binds now
    late.write_atomic(tmp_path / "between", lambda tmp: tmp.write_text("x"))
    assert first.calls == 0 and (tmp_path / "between").read_text() == "x", "an undone shim writes as the original"
    second = install(monkeypatch, 1, errno.ENOSPC)
    with pytest.raises(OSError):
        late.write_atomic(tmp_path / "failed", lambda tmp: tmp.write_text("y"))
    assert second.paths == [str(tmp_path / "failed")] and not (tmp_path / "failed").exists(), \
        f"the next shim did not fail the write of a module imported under the first: {second.paths}"

"""Issue 12, kind 1 — no output is ever lost or overwritten: Corridor replaces or deletes only
what it can prove it wrote, publishes with a rename that cannot replace, and tells the loser of
a race in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sim.experiments.runfolder import RunFolder
from sim.program import noreplace
from sim.program.cli import main  # in-process: the command's exit status and its one line
from sim.program.errors import UserError
from sim.program.output import (
    MARKER,
    OutputTaken,
    check_destination,
    is_corridor_folder,
    new_marked_folder,
    publish_file,
    publish_folder,
    sweep_stale,
)
from sim.program.written import RECORD

from conftest import ROOT

BLOCKADE = ROOT / "scenarios" / "albu_kamal_blockade.yaml"
TINY = ["--set", "time.duration_days=2", "--set", "map.cell_km=2", "--set", "time.step_hours=12"]


def cli(*args, **kw):
    return subprocess.Popen([sys.executable, "run.py", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def error_lines(err: str) -> list[str]:
    """The lines of stderr that report an error (not notes, not the progress bar)."""
    return [line for line in err.splitlines()
            if line.strip() and not line.startswith("note:") and "step/s]" not in line and "%|" not in line]


def someone_elses_folder(path):
    """A folder that looks like a run folder (it has a manifest.json) but is the user's."""
    (path / "src").mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps({"manifest_version": 3}))
    (path / "src" / "background.js").write_text("// mine")
    return path


def test_force_never_deletes_a_folder_corridor_did_not_create(tmp_path):
    out = someone_elses_folder(tmp_path / "extension")
    for kind in ("sweep", "compare"):
        with pytest.raises(UserError, match="not a .* folder created by Corridor.*will not replace it"):
            RunFolder(out, kind, "x").open(resume=False, force=True)
    with pytest.raises(UserError, match="is not a run folder created by Corridor.*will not replace it"):
        publish_folder(lambda tmp: None, out, force=True)
    assert (out / "src" / "background.js").read_text() == "// mine"
    assert json.loads((out / "manifest.json").read_text()) == {"manifest_version": 3}


def test_force_replaces_a_folder_corridor_created(tmp_path):
    out = publish_folder(lambda tmp: (tmp / "summary.json").write_text("first"), tmp_path / "run")
    assert is_corridor_folder(out)
    publish_folder(lambda tmp: (tmp / "steps.csv").write_text("second"), out, force=True)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, RECORD, "steps.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"], "nothing left beside it"


def test_sweep_cli_force_on_a_foreign_folder_is_refused_in_one_line(tmp_path, capsys):
    out = someone_elses_folder(tmp_path / "ext")
    sweep = tmp_path / "s.yaml"
    sweep.write_text(f"name: s\ndescription: d\nscenario: {BLOCKADE}\nset: {{time.duration_days: 2, map.cell_km: 2}}\n"
                     "parameters:\n  rules.checkpoint_blockade.stop_probability: {values: [0.5]}\nreplicates: 1\n")
    code = main(["sweep", str(sweep), "--out", str(out), "--force", "--workers", "1", "--quiet"])  # in-process
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(error_lines(err)) == 1, err
    assert (out / "src" / "background.js").exists()


def test_two_runs_with_the_same_out_one_wins_the_other_is_told(tmp_path):
    out = tmp_path / "same"
    procs = [cli("run", str(BLOCKADE), "--out", str(out), "--no-animation", "--seed", str(s), *TINY) for s in (1, 2)]
    results = [(p.wait(timeout=240), *p.communicate()) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], results
    loser = next(r for r in results if r[0] == 2)
    assert "was created by another command" in loser[2] and "Traceback" not in loser[2]
    assert len(error_lines(loser[2])) == 1, loser[2]
    winner = next(r for r in results if r[0] == 0)
    assert f"wrote {out}" in winner[1]
    assert json.loads((out / "provenance.json").read_text())["seed"] in (1, 2), "one whole run folder"
    assert not [p for p in tmp_path.iterdir() if p.name != "same"], "no staging folder left behind"


def test_a_race_lost_during_the_build_keeps_the_winner(tmp_path):
    final = tmp_path / "out"

    def build(tmp):
        (tmp / "mine.txt").write_text("loser")
        final.mkdir()
        (final / "theirs.txt").write_text("winner")  # another command published meanwhile

    with pytest.raises(OutputTaken, match="was created by another command"):
        publish_folder(build, final)
    assert (final / "theirs.txt").read_text() == "winner"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_publishing_into_an_empty_folder_is_allowed(tmp_path):
    (tmp_path / "empty").mkdir()
    out = publish_folder(lambda tmp: (tmp / "a").write_text("x"), tmp_path / "empty")
    assert (out / "a").exists()


@pytest.mark.parametrize("kernel", [True, False], ids=["renameat2", "portable fallback"])
def test_rename_noreplace_never_replaces(tmp_path, monkeypatch, kernel):
    if not kernel:
        monkeypatch.setattr(noreplace, "_kernel_rename", lambda src, dst: False)
    for make in (lambda p: p.mkdir(), lambda p: p.write_text("x")):
        src, dst = tmp_path / "src", tmp_path / "dst"
        make(src)
        (dst).mkdir()  # an empty folder: os.rename would silently replace it
        with pytest.raises(FileExistsError):
            noreplace.rename_noreplace(src, dst)
        assert src.exists() and dst.is_dir()
        noreplace.rename_noreplace(src, tmp_path / "free")
        assert (tmp_path / "free").exists() and not src.exists()
        for p in (dst, tmp_path / "free"):
            p.rmdir() if p.is_dir() else p.unlink()


def test_single_files_force_replaces_only_corridor_pngs(tmp_path):
    mine = tmp_path / "photo.png"
    mine.write_bytes(b"\x89PNG my holiday")
    with pytest.raises(UserError, match="already exists"):
        check_destination(mine)
    with pytest.raises(UserError, match="was not written by Corridor"):
        publish_file(lambda tmp: tmp.write_bytes(b"new"), mine, force=True)
    assert mine.read_bytes() == b"\x89PNG my holiday"


def test_map_force_replaces_its_own_png_but_not_another(tmp_path, capsys):

    out = tmp_path / "map.png"
    run = ["map", "--cell-km", "5", "--out", str(out)]
    assert main(run) == 0, capsys.readouterr().err
    assert main(run + ["--force"]) == 0, capsys.readouterr().err
    other = tmp_path / "other.png"
    other.write_bytes(b"not ours")
    capsys.readouterr()
    assert main(run[:-1] + [str(other), "--force"]) == 2, "a file Corridor did not write is refused (status 2)"
    assert "was not written by Corridor" in capsys.readouterr().err
    assert other.read_bytes() == b"not ours"


def test_out_under_a_file_or_through_a_symlink_is_refused_before_work(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is a file, not a folder"):
        check_destination(tmp_path / "file" / "run")
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "keep").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(UserError, match="exists"):
        check_destination(tmp_path / "link", force=True)


def test_stale_staging_of_a_dead_process_is_swept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".run.corridor-staging-{pid}-abcd1234"
    stale.mkdir()
    (stale / MARKER).write_text(json.dumps({"token": "corridor-output-folder-v1", "kind": "run"}))
    foreign = tmp_path / f".notes.corridor-staging-{pid}-abcd1234"  # no marker: not ours
    foreign.mkdir()
    live = tmp_path / f".run.corridor-staging-{os.getpid()}-abcd1234"
    live.mkdir()
    (live / MARKER).write_text(stale.joinpath(MARKER).read_text())
    assert sweep_stale(tmp_path) == [stale]
    assert foreign.exists() and live.exists()


def test_a_folder_being_written_is_locked(tmp_path, monkeypatch):
    import fcntl

    asked = []  # every lock asked for: it must not wait for the holder (LOCK_NB), whatever the clock says
    flock = fcntl.flock
    monkeypatch.setattr(fcntl, "flock", lambda fd, operation: (asked.append(operation), flock(fd, operation))[1])
    out = new_marked_folder(tmp_path / "sweep", "sweep")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); "
        "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)"), str(out / MARKER)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        (out / "manifest.json").write_text(json.dumps({"kind": "sweep", "identity": "x"}))
        with pytest.raises(UserError, match="another Corridor command is writing into this folder"):
            RunFolder(out, "sweep", "x").open(resume=True, force=False)
        with pytest.raises(UserError, match="another Corridor command is writing into this folder"):
            RunFolder(out, "sweep", "x").open(resume=False, force=True)
        with pytest.raises(UserError, match="another Corridor command is writing into this folder"):
            RunFolder(out, "sweep", "x").open(resume=False, force=False)  # not "already exists; pass --resume"
        assert asked and all(op & fcntl.LOCK_NB for op in asked), \
            f"refused at once, not after waiting: every lock must be asked for with LOCK_NB, got {asked}"
        assert (out / MARKER).exists()
    finally:
        holder.kill()
        holder.wait()


def locked(folder) -> bool:
    """Whether a command holds the folder's lock, seen from a second open file of the marker, as
    another process would see it."""
    import fcntl

    fd = os.open(folder / MARKER, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing the only descriptor of this open file lets go of its lock
    return False


def test_a_folder_is_locked_only_while_a_command_writes_into_it(tmp_path):
    """A sweep finished, or stopped, from Python (a notebook that stays open) lets go of its
    folder: another command may resume or extend it."""
    folder = RunFolder(tmp_path / "sweep", "sweep", "x")
    folder.open(resume=False, force=False)
    folder.write_manifest({})
    assert locked(folder.path), "premise: a folder being written is locked"
    folder.write_manifest({}, status="complete")
    assert not locked(folder.path), "a finished folder is still locked by the process that wrote it"
    again = RunFolder(folder.path, "sweep", "x")
    again.open(resume=True, force=False)
    assert locked(folder.path), "premise: a resumed folder is locked again"
    again.set_status("interrupted")
    assert not locked(folder.path), "a stopped folder is still locked by the process that wrote it"


def test_a_made_up_name_taken_meanwhile_is_published_beside_it(tmp_path):
    final = tmp_path / "run_20260101-000000"

    def build(tmp):
        (tmp / "a").write_text("mine")
        final.mkdir()
        (final / "b").write_text("theirs")

    used = publish_folder(build, final, chosen=False)
    assert used == tmp_path / "run_20260101-000000-2" and (used / "a").read_text() == "mine"
    assert (final / "b").read_text() == "theirs"


def test_force_replaces_only_the_same_kind_of_output(tmp_path):
    """--force on a run does not replace a sweep (or any other kind of Corridor output)."""
    from sim.program.output import mark_folder

    sweep = tmp_path / "sweep"
    sweep.mkdir()
    mark_folder(sweep, "sweep")
    (sweep / "runs.csv").write_text("precious\n")
    with pytest.raises(UserError, match="holds Corridor's sweep output, not a run"):
        check_destination(sweep, force=True, kind="run")
    assert (sweep / "runs.csv").read_text() == "precious\n"
    check_destination(sweep, force=True, kind="sweep")  # the same kind: may be replaced


def tiny_sweep(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nscenario: {ROOT / 'scenarios' / 'open_road.yaml'}\n"
                    "set: {time.duration_days: 2, time.step_hours: 12, map.cell_km: 4}\n"
                    "parameters:\n  control.kernel_km: {values: [4.0, 6.0]}\nreplicates: 2\nseed: 5\n")
    return path


def test_a_command_that_fails_from_python_lets_go_of_its_folder(tmp_path, monkeypatch):
    """A sweep from a notebook that meets a full disk (an exception that is neither a failed run
    nor Ctrl-C) is locked while it writes, and let go when it fails: the terminal's --resume is
    not told that another command is writing. Its manifest says it stopped, and why; a refusal
    after the folder is opened (fewer replicates than it holds) leaves a finished folder's
    manifest as it was, and lets go of it too."""
    import errno

    from sim.experiments import runfolder
    from sim.experiments.sweep import run_sweep

    path, out = tiny_sweep(tmp_path), tmp_path / "sweep"
    save, held = runfolder.RunFolder.save, []

    def save_until_the_disk_is_full(self, task, result, columns):
        held.append(locked(self.path))
        if len(held) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        save(self, task, result, columns)

    monkeypatch.setattr(runfolder.RunFolder, "save", save_until_the_disk_is_full)
    with pytest.raises(OSError):
        run_sweep(path, out=out, workers=1, progress=False, charts=False)
    assert held == [True] * 3, "premise: the folder is locked while the sweep writes into it"
    assert not locked(out), "a sweep that failed from Python keeps its folder locked"
    status = json.loads((out / "manifest.json").read_text())["status"]
    assert status.startswith("stopped: OSError") and "No space left on device" in status, status
    monkeypatch.undo()
    run_sweep(path, out=out, workers=1, progress=False, charts=False, resume=True)
    assert not locked(out) and json.loads((out / "manifest.json").read_text())["status"] == "complete"
    with pytest.raises(UserError, match="holds 2 replicates per point"):
        run_sweep(path, out=out, workers=1, progress=False, charts=False, resume=True, replicates=1)
    assert not locked(out), "a sweep refused after its folder was opened keeps it locked"
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete", "a refusal relabelled the folder"

    def read_only(folder):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder))

    monkeypatch.setattr(runfolder, "probe_writable", read_only)  # refused by `open` once it holds the lock
    with pytest.raises(UserError, match="cannot write here"):
        run_sweep(path, out=out, workers=1, progress=False, charts=False, resume=True)
    assert not locked(out), "a folder refused as read-only by `open` stays locked"


def test_a_folder_being_created_is_locked_before_its_marker_is_whole_and_never_called_foreign(tmp_path, monkeypatch):
    """Two commands start on one new --out at once: the one that creates the folder locks its
    marker before writing it, so the other, once it can read the marker, finds the folder being
    written; if it looks in between (the marker not yet whole), or at a folder stopped before its
    manifest, the folder is "not started", never "not a sweep folder"."""
    from sim.program import output

    seen = []
    dump = json.dump

    def spy(obj, fh, *args, **kwargs):
        if fh.name.endswith(MARKER):
            seen.append(locked(tmp_path / "new"))
        return dump(obj, fh, *args, **kwargs)

    monkeypatch.setattr(output.json, "dump", spy)
    RunFolder(tmp_path / "new", "sweep", "x").open(resume=False, force=False)
    monkeypatch.undo()
    assert seen == [True], "the marker of a folder being created was written before it was locked"

    creating = tmp_path / "creating"
    creating.mkdir()
    (creating / MARKER).write_text("")  # created, not yet written
    stopped = new_marked_folder(tmp_path / "stopped", "sweep")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    for folder, state in ((creating, r"\(not started"), (stopped, r"\(not started"), (foreign, "and is not a sweep folder")):
        with pytest.raises(UserError, match=rf"already exists {state}"):
            RunFolder(folder, "sweep", "x").open(resume=False, force=False)

"""Provenance that survives (issue 22 item 6): a finished sweep extended with the next seeds, a
manifest that keeps every session across kills and resumes, a resume across a code change
refused unless forced (and then recorded), and Parquet files that say what they hold."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pandas as pd
import pytest
from test_sweep import ROOT, sweep_file, tables

import sim.experiments.command as command
import sim.experiments.runfolder as runfolder
import sim.experiments.sweep as sweep_module
from sim.experiments.design import replicate_seeds
from sim.experiments.parquet_meta import read_metadata
from sim.experiments.sweep import run_sweep
from sim.program.errors import UserError

from conftest import run_cli

pytestmark = [pytest.mark.xdist_group("sweeps"), pytest.mark.filterwarnings("ignore::UserWarning")]


def ctrl_c_at(monkeypatch, step: str, path, out, *, charts: bool) -> None:
    """Run the sweep `path` into `out` with Ctrl-C arriving when the sweep reaches `step` (a name
    in sim.experiments.sweep: "execute", the runs; "sweep_charts", after them); the interrupt must
    reach the caller."""
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(sweep_module, step, interrupt)
        with pytest.raises(KeyboardInterrupt):
            run_sweep(path, out=out, workers=1, progress=False, charts=charts)


def manifest(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_a_finished_sweep_extended_with_more_replicates_equals_the_larger_sweep(tmp_path):
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "grown"
    first = run_sweep(path, out=out, workers=1, progress=False, charts=False)
    assert first.session.ran == 4
    with pytest.raises(UserError, match="holds 2 replicates per point.*give at least 2"):
        run_sweep(path, out=out, workers=1, progress=False, charts=False, replicates=1, resume=True)
    grown = run_sweep(path, out=out, workers=1, progress=False, charts=False, replicates=3, resume=True)
    assert (grown.session.ran, grown.session.skipped) == (2, 4), "only replicate 2 of each point runs"
    whole = run_sweep(path, out=tmp_path / "whole", workers=1, progress=False, charts=False, replicates=3)
    got, want = tables(out), tables(tmp_path / "whole")
    pd.testing.assert_frame_equal(got[0], want[0], check_exact=True, obj="extended sweep vs 3 replicates at once")
    assert sorted(set(got[0]["seed"])) == sorted(replicate_seeds(5, 3)), "the next seeds, not new ones"
    assert whole.session.ran == 6

    # another process extends it while this one lives on (a notebook that ran the sweep): the
    # finished sweep let go of its folder's lock
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out", str(out),
                           "--add-replicates", "1", "--workers", "1", "--quiet", "--no-charts"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    m = manifest(out)
    assert m["replicates"] == 4 and len(pd.read_parquet(out / "runs.parquet")) == 8
    sessions = m["sessions"]
    assert [s["ran"] for s in sessions] == [4, 2, 2], "every session is kept, with the runs it added"
    assert [s.get("replicates") for s in sessions] == [2, 3, 4]
    assert all(s["started"] and s["ended"] and s["code_version"] for s in sessions)
    assert "--add-replicates" in sessions[-1]["command"]
    # a plain resume of the extended folder keeps its 4 replicates (the file says 2): nothing to run
    # (in this process: what is tested is the manifest, not the command line recorded above)
    done = run_cli("sweep", str(path), "--out", str(out), "--resume", "--workers", "1", "--quiet", "--no-charts")
    assert done.returncode == 0, f"expected a plain --resume to keep the folder's 4 replicates: {done.stderr}"
    assert "  nothing to run: all 8 runs are done\n" in done.stdout, done.stdout  # not "0 runs on none …"
    m = manifest(out)
    assert m["replicates"] == 4 and m["sessions"][-1]["ran"] == 0 and m["sessions"][-1]["replicates"] == 4
    assert len(pd.read_parquet(out / "runs.parquet")) == 8, "2 points × 4 replicates, none dropped"


def test_a_killed_session_stays_in_the_manifest_after_the_resume(tmp_path, monkeypatch):
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    ctrl_c_at(monkeypatch, "execute", path, out, charts=False)
    assert [s["ended"] for s in manifest(out)["sessions"]] == [None], "the killed session is recorded at its start"
    run_sweep(path, out=out, workers=1, progress=False, charts=False, resume=True)
    first, second = manifest(out)["sessions"]
    assert first["ended"] is None and "ran" not in first, "the killed session says it did not end"
    assert second["ended"] and second["ran"] == 4


def test_a_resume_across_a_code_change_is_refused_unless_forced_and_then_recorded(tmp_path, monkeypatch):
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    run_sweep(path, out=out, workers=1, progress=False, charts=False)
    old = manifest(out)["code_version"]
    monkeypatch.setattr(runfolder, "code_version", lambda: "v-next")
    with pytest.raises(UserError, match=f"was run with code version {old}, this is v-next.*add --force to --resume "):
        run_sweep(path, out=out, workers=1, progress=False, charts=False, replicates=3, resume=True)
    with pytest.raises(UserError, match="add --force to --add-replicates to mix them"):
        run_sweep(path, out=out, workers=1, progress=False, charts=False, add_replicates=1)
    run_sweep(path, out=out, workers=1, progress=False, charts=False, replicates=3, resume=True, force=True)
    m = manifest(out)
    assert m["mixed_code_versions"] is True and m["earlier_code_versions"] == [old]
    assert m["sessions"][-1]["mixed_with"] == old and m["sessions"][-1]["code_version"] == "v-next"
    assert len(pd.read_parquet(out / "runs.parquet")) == 6, "a forced resume keeps the folder and extends it"
    run_sweep(path, out=out, workers=1, progress=False, charts=False, replicates=3, resume=True)
    m = manifest(out)
    assert m["earlier_code_versions"] == [old] and m["mixed_code_versions"], "a later rewrite forgets neither"


def test_parquet_files_carry_units_labels_code_version_and_scenario_hash(tmp_path):
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    result = run_sweep(path, out=tmp_path / "out", workers=1, progress=False, charts=False)
    for name in ("runs", "series"):
        meta = read_metadata(tmp_path / "out" / f"{name}.parquet")
        assert meta["code_version"] == manifest(tmp_path / "out")["code_version"], name
        assert meta["scenario_sha256"] == sorted(set(result.plan.digests)), name
        assert meta["units"]["share_russia"] == "share of land (0–1)", name
        assert meta["labels"]["rules.checkpoint_blockade.stop_probability"] == "stop probability", name
        assert meta["labels"]["russia"] == "Russian forces", name
        assert "not a forecast" in meta["note"]


def test_adding_replicates_and_setting_them_at_once_is_refused_in_one_line(tmp_path, capsys):
    """`sweep --add-replicates 1 --replicates 20` ran the folder's count + 1 and ignored 20: now
    refused before anything is run (a fresh newcomer's finding)."""
    from sim.program.cli import main

    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    run_sweep(path, out=out, workers=1, progress=False, charts=False)
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", str(out), "--add-replicates", "1", "--replicates", "20",
                 "--workers", "1", "--quiet"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "--add-replicates 1 with --replicates 20: give one" in err[0], err
    assert manifest(out)["replicates"] == 2, "the folder was left as it was"


def test_a_dry_run_plans_the_replicates_the_sweep_would_run(tmp_path):
    """`sweep --dry-run --add-replicates N --out DIR` planned the file's replicates (4 runs where 6
    would run): it now settles them as the sweep does (what the folder holds + N) and says how
    many runs the folder already holds (a fresh reviewer's finding). The sweep then runs what the
    dry run said, and the dry run wrote nothing."""
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    run_sweep(path, out=out, workers=1, progress=False, charts=False)
    before = (out / "manifest.json").read_text(encoding="utf-8")
    dry = run_cli("sweep", str(path), "--out", str(out), "--dry-run", "--add-replicates", "1")
    assert dry.returncode == 0, dry.stderr
    assert "2 design points × 3 replicates = 6 runs" in dry.stdout, dry.stdout
    assert f"{out} holds 4 of them: 2 would run" in dry.stdout, dry.stdout
    assert "not finished" not in dry.stdout, "a finished folder has no unfinished runs to mention"
    assert (out / "manifest.json").read_text(encoding="utf-8") == before, "a dry run writes nothing"
    ran = run_sweep(path, out=out, workers=1, progress=False, charts=False, add_replicates=1)
    assert (ran.plan.n_runs, ran.session.ran, ran.session.skipped) == (6, 2, 4), "what the dry run said"
    # a total below what the folder holds is refused by the dry run as by the sweep (session 12's fresh review)
    fewer = run_cli("sweep", str(path), "--out", str(out), "--dry-run", "--resume", "--replicates", "2")
    assert fewer.returncode == 2 and "holds 3 replicates per point; --replicates 2 would drop some" in fewer.stderr, \
        (fewer.returncode, fewer.stdout, fewer.stderr)
    assert "would run" not in fewer.stdout, "the dry run must not plan what the sweep refuses"


def test_adding_replicates_to_an_interrupted_sweep_says_it_also_finishes_it(tmp_path, monkeypatch, capsys):
    """`--add-replicates` on an interrupted folder also runs the runs its own sweep left
    unfinished: it says so in one line, with their number, and so does its dry run (a fresh
    reviewer's finding). A folder whose own sweep finished gets no such line."""
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    ctrl_c_at(monkeypatch, "execute", path, out, charts=False)  # before its first run: 4 runs unfinished
    said = "was not finished: --add-replicates 1 also runs its 4 unfinished runs (of its 2 replicates per point)"
    dry = run_cli("sweep", str(path), "--out", str(out), "--dry-run", "--add-replicates", "1")
    assert f"{out} holds 0 of them: 6 would run" in dry.stdout and said in dry.stdout, dry.stdout
    lines: list[str] = []
    ran = run_sweep(path, out=out, workers=1, progress=False, charts=False, add_replicates=1, log=lines.append)
    assert ran.session.ran == 6
    assert [line for line in lines if "not finished" in line] == [f"  note: {out} {said}"], lines
    quiet = command._plan_log(argparse.Namespace(quiet=True))  # a note: said under --quiet too
    quiet(lines[-1])
    assert capsys.readouterr().out == lines[-1] + "\n"
    lines.clear()
    run_sweep(path, out=out, workers=1, progress=False, charts=False, add_replicates=1, log=lines.append)
    assert len(lines) == 1 and "not finished" not in lines[0], f"a finished folder: the plan line only, {lines}"


def test_ctrl_c_while_the_charts_are_written_says_every_run_is_saved_and_resume_finishes(tmp_path, monkeypatch, capsys):
    """Ctrl-C after the last run, while the tables and charts are written, printed only
    "interrupted" (session 12's fresh review): it now says the runs are all saved and that
    --resume writes the rest, and --resume does, running nothing again."""
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    ctrl_c_at(monkeypatch, "sweep_charts", path, out, charts=True)
    said = capsys.readouterr().err
    assert (f"interrupted while the tables, charts and report were written: the 4 runs are saved in {out}; "
            "--resume writes the rest") in said, said
    assert not (out / "report.md").exists(), "the report is written after the charts"
    again = run_sweep(path, out=out, workers=1, progress=False, charts=False, resume=True)
    assert (again.session.ran, again.session.skipped) == (0, 4) and (out / "report.md").is_file()


def test_a_dry_run_refuses_the_out_folder_as_the_sweep_does_in_the_same_words(tmp_path, monkeypatch):
    """`sweep --dry-run --out DIR` checked the folder only with --resume or --add-replicates: on a
    complete or interrupted folder, a file, or (with --resume) another sweep's folder it said "ok"
    where the sweep refuses (session 12's fresh reviewers). The dry run now asks the folder the
    sweep's own question (`RunFolder.check`): the same refusal, the same line, nothing written.
    The "different runs" refusal says what works: --force replaces only without --resume."""
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    complete, interrupted, a_file = tmp_path / "complete", tmp_path / "interrupted", tmp_path / "a_file"
    run_sweep(path, out=complete, workers=1, progress=False, charts=False)
    ctrl_c_at(monkeypatch, "execute", path, interrupted, charts=False)
    a_file.write_text("mine", encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    changed = sweep_file(other, stop=(0.0, 0.5), strength=(60,), replicates=2)
    before = {f: (f / "manifest.json").read_text(encoding="utf-8") for f in (complete, interrupted)}

    def refused(sweep, out, *flags) -> str:
        dry = run_cli("sweep", str(sweep), "--out", str(out), *flags, "--dry-run")
        real = run_cli("sweep", str(sweep), "--out", str(out), *flags, "--workers", "1", "--quiet", "--no-charts")
        said = [p.stderr.strip().splitlines()[-1] for p in (dry, real)]
        assert (dry.returncode, real.returncode) == (2, 2) and said[0] == said[1], (flags, dry, real)
        assert not dry.stdout, f"the dry run planned what the sweep refuses: {dry.stdout}"
        return said[0]

    assert refused(path, complete).startswith(f"{complete}: already exists (complete); pass --add-replicates N")
    assert refused(path, interrupted).startswith(f"{interrupted}: already exists (interrupted); pass --resume")
    assert refused(path, a_file) == refused(path, a_file, "--resume") == \
        f"{a_file}: exists and is not a folder; choose another --out"
    assert refused(path, a_file / "sub") == f"{a_file / 'sub'}: {a_file} is a file, not a folder; choose another --out"
    for flags in (["--resume"], ["--add-replicates", "1"], ["--resume", "--force"]):
        flag = flags[0]
        verb = "extend" if flag == "--add-replicates" else "finish"
        assert refused(changed, complete, *flags).endswith(
            f"so {flag} cannot {verb} it; choose a new --out, or run without {flag} and with --force to replace it")
    assert {f: (f / "manifest.json").read_text(encoding="utf-8") for f in before} == before, "nothing was written"
    assert a_file.read_text(encoding="utf-8") == "mine"
    # the advice works: without --resume, --force replaces (the dry run says so, and deletes nothing)
    dry = run_cli("sweep", str(changed), "--out", str(complete), "--force", "--dry-run")
    assert dry.returncode == 0 and f"{complete} would be replaced (--force)" in dry.stdout, (dry.stdout, dry.stderr)
    assert (complete / "manifest.json").read_text(encoding="utf-8") == before[complete]
    helped = " ".join(run_cli("sweep", "--help").stdout.split())  # and --resume --force resumes, as the help says
    assert "--force replace the --out folder if it holds earlier results (only a folder Corridor made, holding nothing " \
           "it did not write: a file of yours is named and the folder refused, unless named like one Corridor writes " \
           "there, e.g. report.md); with --resume (or --add-replicates) it " \
           "replaces nothing: it resumes a folder begun with another code version" in helped, helped


@pytest.mark.parametrize("where,signum", [("sim.experiments.sweep.execute", None),
                                          ("sim.experiments.engine.run_one", None),
                                          ("sim.experiments.engine.run_one", 15),
                                          ("sim.experiments.sweep.sweep_charts", None),
                                          ("sim.experiments.engine._Bar.__exit__", None)])
def test_a_stopped_sweep_says_one_message_of_what_it_saved(tmp_path, monkeypatch, capsys, where, signum):
    """Ctrl-C printed its explanation and then a bare "interrupted"; before the first run had
    finished it printed only "interrupted" (session 12's fresh reviewers). Now one message,
    wherever it stops (before the runs, during them, while the charts are written): the word
    (`terminated` for SIGTERM) and what the folder holds."""
    from sim.program.cli import main
    from sim.program.signals import Terminated

    def stop(*args, **kwargs):
        raise KeyboardInterrupt if signum is None else Terminated(signum)

    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    monkeypatch.setattr(where, stop)
    status = main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert "\n\n" not in err and not err.startswith("\n"), f"no blank line under --quiet: {err!r}"
    lines = [line for line in err.splitlines() if not line.startswith("note:")]
    word, none_saved = ("interrupted" if signum is None else "terminated"), \
        f"no run had finished, none is saved in {out}; --resume runs them"
    said = {"sim.experiments.sweep.execute": f"{word}: {none_saved}",
            "sim.experiments.engine.run_one": f"{word} after 0 of 4 runs: {none_saved}",
            "sim.experiments.sweep.sweep_charts": f"{word} while the tables, charts and report were written: the 4 "
                                                  f"runs are saved in {out}; --resume writes the rest",
            "sim.experiments.engine._Bar.__exit__": f"{word}: the 4 runs are all saved in {out}; --resume writes the "
                                                   "tables, charts and report"}[where]  # not "runs the rest"
    assert (status, lines) == (130 if signum is None else 143, [said])
    assert manifest(out)["status"] == "interrupted"


def test_force_deletes_only_what_a_sweep_wrote_and_refuses_a_folder_holding_anything_else(tmp_path):
    """`--force` deleted the user's own files inside a sweep folder (notes.md, a folder of their
    own) without a word (session 13's fresh tester, F9). Corridor never deletes what it did not
    write: a folder holding anything a sweep does not write is refused, the dry run and the sweep
    in the same line naming the first such file, and nothing is removed."""
    from sim.program.output import new_marked_folder

    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = new_marked_folder(tmp_path / "out", "sweep")
    (out / "runs").mkdir()
    for name in ("manifest.json", "runs.csv", "report.md", "convoy_outcomes.png", "series_share.png",
                 ".runs.csv.k2j4x_9a.csv", "runs/p000-r000.json", "runs/.p000-r001.json.x1b2c3d4.json"):
        (out / name).write_text('{"columns":{}}', encoding="utf-8")  # a run file begins so
    dry = run_cli("sweep", str(path), "--out", str(out), "--force", "--dry-run")
    assert dry.returncode == 0 and f"{out} would be replaced (--force)" in dry.stdout, (dry.stdout, dry.stderr)
    for mine in ("runs/zzz.json", "notes.md", "a_mine/a.txt"):  # each refused, the first in name order named
        (out / mine).parent.mkdir(exist_ok=True)
        (out / mine).write_text("mine", encoding="utf-8")
        said = [run_cli("sweep", str(path), "--out", str(out), "--force", *flags, "--workers", "1", "--quiet")
                for flags in (["--dry-run"], [])]
        first = "a_mine/" if mine.startswith("a_") else mine
        want = (f"{out}: holds {first}, which Corridor did not write; --force deletes only what a sweep writes: "
                "move it out first, or choose another --out")
        assert [(s.returncode, s.stderr.strip().splitlines()[-1]) for s in said] == [(2, want)] * 2, said
        assert (out / mine).read_text(encoding="utf-8") == "mine" and (out / "runs.csv").is_file(), "nothing removed"
    hindcast = new_marked_folder(tmp_path / "hindcast", "hindcast")  # its own list: its charts, not the sweep's
    (hindcast / "events_all.png").write_text("", encoding="utf-8")
    assert runfolder.RunFolder(hindcast, "hindcast", "x").check(resume=False, force=True) == "replace"
    (hindcast / "notes.md").write_text("mine", encoding="utf-8")
    with pytest.raises(UserError, match="holds notes.md, which Corridor did not write; --force deletes only what a "
                                        "hindcast writes"):
        runfolder.RunFolder(hindcast, "hindcast", "x").check(resume=False, force=True)


def test_a_resume_counts_and_keeps_what_the_dry_run_says_and_leaves_files_it_did_not_write(tmp_path):
    """The dry run of --resume counted run files left empty or cut short as held ("holds 4: 16
    would run" where the resume ran 18), and the resume deleted a runs/zzz.json it had not
    written (session 13's fresh tester, F10): both now count the whole run files only, and a
    file not named by a run id is neither counted nor touched."""
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    run_sweep(path, out=out, workers=1, progress=False, charts=False)
    (out / "runs" / "p000-r000.json").write_text('{"columns": {"run_id"', encoding="utf-8")  # cut short
    (out / "runs" / "p000-r001.json").write_text("", encoding="utf-8")  # left empty
    (out / "runs" / "zzz.json").write_text("mine", encoding="utf-8")
    dry = run_cli("sweep", str(path), "--out", str(out), "--resume", "--dry-run")
    assert f"{out} holds 2 of them: 2 would run" in dry.stdout, dry.stdout
    again = run_sweep(path, out=out, workers=1, progress=False, charts=False, resume=True)
    assert (again.session.ran, again.session.skipped) == (2, 2), "what the dry run said"
    assert (out / "runs" / "zzz.json").read_text(encoding="utf-8") == "mine"


def test_ctrl_c_before_a_new_run_finished_leaves_a_complete_folder_as_it_was(tmp_path, monkeypatch, capsys):
    """Ctrl-C during `--add-replicates` (waiting on the engine, or before a new run finished)
    rewrote a complete folder's manifest as interrupted with the new replicates, its session
    left open; Ctrl-C on a no-op --resume marked it interrupted too (session 13's fresh tester,
    F4). As when the engine cannot start, the folder is left as it was, complete, with the same
    replicates; and "as it was" is byte for byte: its manifest gains no session that ran nothing
    (session 13's testers found a closed session with `ran: 0`)."""
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    run_sweep(path, out=out, workers=1, progress=False, charts=False)
    before = (out / "manifest.json").read_bytes()

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    for where, options in (("sim.experiments.sweep.execute", {"add_replicates": 1}),  # the engine starting
                           ("sim.experiments.engine.run_one", {"add_replicates": 1}),  # the first new run
                           ("sim.experiments.sweep.assemble", {"resume": True})):  # a resume with nothing to run
        with monkeypatch.context() as patch:
            patch.setattr(where, interrupt)
            with pytest.raises(KeyboardInterrupt):
                run_sweep(path, out=out, workers=1, progress=False, charts=False, **options)
        said = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert said == [f"interrupted: nothing was run, and {out} is left as it was (complete)"], (where, said)
        assert (out / "manifest.json").read_bytes() == before, where

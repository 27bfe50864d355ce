"""What Corridor wrote (sim.program.written): every kind of output folder, built by its own
command, holds nothing its kind's list does not name, and `--force` refuses, before any work and
in one line naming it, a folder of any kind that holds a file of the user's — nothing removed."""

from __future__ import annotations

import pytest
from test_calibrate import GOOD, write
from test_sweep import sweep_file

from sim.program.cli import main
from sim.program.errors import UserError
from sim.program.output import new_marked_folder, publish_folder
from sim.program.written import (
    RECORD,
    WRITTEN,
    corridor_folder_kind,
    foreign_file,
    is_corridor_folder,
)

from conftest import run_cli

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

SHORT = ["--set", "time.duration_days=2", "--set", "map.cell_km=3"]
HINDCAST = ["corridor_campaign", "--replicates", "2", "--window", "2017-11-19:2017-12-02", "--set", "map.cell_km=4",
            "--set", "time.step_hours=12", "--set", "time.duration_days=14"]  # a first of the month: holders.png


def build(kind: str, tmp_path, out) -> None:
    """Write the folder `out` of output `kind` with the command that writes it, charts and all."""
    quick = ["--workers", "1", "--quiet", "--out", str(out)]
    if kind == "replicates":
        import sim

        sim.replicate("open_road", 2, overrides={"time.duration_days": 2, "map.cell_km": 10}, workers=1,
                      progress=False, out=out)
        return
    argv = {
        "sweep": ["sweep", str(sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)), *quick,
                  "--no-charts"],  # its charts: tests/test_sweep.py::test_sweep_charts_and_report
        "hindcast": ["hindcast", *HINDCAST, *quick],
    }[kind]
    assert main(argv) == 0, argv
    if kind == "sweep":  # discover writes its folder into the sweep's, where --force looks into it
        assert main(["discover", str(out), "--where", "convoys_arrived == 0"]) == 0


@pytest.mark.parametrize("kind", ["replicates", "sweep", "hindcast"])
def test_every_kind_of_folder_its_command_writes_holds_only_what_its_list_names(kind, tmp_path):
    """A command that writes a file its kind's list (WRITTEN) does not name would have `--force`
    refuse its own folder: each kind is built by its command, charts and all, and nothing in it
    is foreign. A sweep's charts, a sensitivity analysis, a comparison, an uncertainty map, an
    export and a calibration are checked where their tests write them (tests/test_sweep.py,
    test_sensitivity.py, test_compare.py, test_uncertainty.py, test_app_state.py,
    test_calibrate_recovery.py), and so is a run with every artefact (tests/test_cli_run.py); `bench`'s
    folder takes minutes of measuring: its three files are named by hand."""
    out = tmp_path / "out"
    build(kind, tmp_path, out)
    marked = corridor_folder_kind(out)
    assert marked == kind, f"the folder is marked {marked}"
    assert foreign_file(out, marked) is None, f"{kind} wrote {foreign_file(out, marked)}, which WRITTEN does not list"
    if kind == "sweep":
        assert any(is_corridor_folder(p) for p in out.iterdir()), "discover's folder is inside the sweep's"


@pytest.mark.parametrize(("kind", "argv"), [
    ("run", ["run", "open_road", *SHORT]),
    ("export", ["export", "open_road", "--days", "0.5"]),
    ("hindcast", ["hindcast", *HINDCAST, "--workers", "1", "--quiet"]),
    ("calibration", ["calibrate", "GOOD", "--workers", "1", "--quiet"]),
])
def test_force_refuses_a_folder_of_any_kind_holding_a_file_of_yours_before_any_work(kind, argv, tmp_path, capsys,
                                                                                   monkeypatch):
    """`run --force` (hindcast, calibrate, export) replaced the whole folder, with a notes.md the
    user had put in it (session 13's fresh testers): now refused in one line naming it, exit 2,
    before any run, and nothing removed."""
    import sim.model

    def no_run(*args, **kwargs):
        raise AssertionError("the command ran the model before refusing the folder")

    monkeypatch.setattr(sim.model.CorridorModel, "step", no_run)
    out = new_marked_folder(tmp_path / "out", kind)
    listed = next(p for p in WRITTEN[kind] if not set(p) & set("*?[{/"))  # a file the command writes
    for name in (listed, "notes.md"):
        (out / name).write_text("mine", encoding="utf-8")
    argv = [str(write(tmp_path, GOOD)) if a == "GOOD" else a for a in argv]
    assert main([*argv, "--out", str(out), "--force"]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert said == [f"{out}: holds notes.md, which Corridor did not write; --force deletes only what a"
                    f"{'n' if kind[0] in 'aeiou' else ''} {kind} writes: move it out first, or choose another --out"], said
    assert sorted(p.name for p in out.iterdir()) == sorted([".corridor-output", listed, "notes.md"])


def test_a_file_of_yours_put_in_the_folder_while_the_command_ran_is_not_deleted(tmp_path):
    """The one function that deletes a folder checks it again when the new one is moved into
    place: a file added to the old folder meanwhile keeps it, in the same words."""
    final = new_marked_folder(tmp_path / "out", "run")

    def build(staging):
        (final / "notes.md").write_text("mine", encoding="utf-8")  # the user, while the run ran

    with pytest.raises(UserError, match=f"^{final}: holds notes.md, which Corridor did not write"):
        publish_folder(build, final, force=True, kind="run")
    assert (final / "notes.md").read_text(encoding="utf-8") == "mine"


def test_force_looks_into_a_folder_corridor_marked_inside_a_sweeps(tmp_path):
    """`sweep --force` deleted a `discover` folder Corridor had marked inside the sweep's without
    looking inside, with the notes.md the user had put there, and the dry run said "it holds
    nothing else" (session 13's fresh testers): the marked folder is looked into with its own
    kind's list; the dry run and the sweep refuse in the same line naming the file, nothing removed."""
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = new_marked_folder(tmp_path / "out", "sweep")
    found = new_marked_folder(out / "discover_x", "discover")
    for name in ("manifest.json", "runs.csv", "discover_x/discover.json", "discover_x/notes.md"):
        (out / name).write_text("{}", encoding="utf-8")
    said = [run_cli("sweep", str(path), "--out", str(out), "--force", *flags, "--workers", "1", "--quiet")
            for flags in (["--dry-run"], [])]
    want = (f"{out}: holds discover_x/notes.md, which Corridor did not write; --force deletes only what a sweep "
            "writes: move it out first, or choose another --out")
    assert [(s.returncode, s.stderr.strip().splitlines()[-1]) for s in said] == [(2, want)] * 2, said
    assert (found / "notes.md").is_file() and (out / "runs.csv").is_file(), "nothing removed"
    (found / "notes.md").unlink()
    dry = run_cli("sweep", str(path), "--out", str(out), "--force", "--dry-run")
    assert dry.returncode == 0 and "would be replaced (--force)" in dry.stdout and "(it holds nothing else)" in dry.stdout


def test_a_file_of_yours_named_like_a_run_file_is_neither_deleted_nor_written_over(tmp_path):
    """`--force` deleted a runs/p001-r001.json of the user's, only its name checked (session 13's
    fresh testers), and `--resume` would have run p001-r001 over it. A run file is Corridor's by
    its first bytes too (sim.program.written): one that does not begin as a run record does is
    named and the folder refused, by --force and --resume and their dry runs alike, nothing
    touched; a file left empty or cut short by a crash is still Corridor's, and run again."""
    from sim.experiments.sweep import run_sweep

    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    run_sweep(path, out=out, workers=1, progress=False, charts=False)
    mine = out / "runs" / "p001-r001.json"
    mine.write_text("my notes on this run", encoding="utf-8")
    for flag, said in (("--force", "which Corridor did not write; --force deletes only what a sweep writes"),
                       ("--resume", "named like a run file but not one Corridor wrote; --resume would write its run "
                                    "there")):
        for dry in (["--dry-run"], []):
            done = run_cli("sweep", str(path), "--out", str(out), flag, *dry, "--workers", "1", "--quiet")
            assert (done.returncode, done.stderr.strip().splitlines()[-1]) == (
                2, f"{out}: holds runs/p001-r001.json, {said}: move it out first, or choose another --out"), done
            assert mine.read_text(encoding="utf-8") == "my notes on this run", f"{flag} {dry}: touched"
    mine.unlink()
    (out / "runs" / "p000-r000.json").write_text('{"columns":{"run_id":"p0', encoding="utf-8")  # cut short
    (out / "runs" / "p000-r001.json").write_text("", encoding="utf-8")  # left empty
    assert run_cli("sweep", str(path), "--out", str(out), "--force", "--dry-run").returncode == 0, "Corridor's"
    again = run_sweep(path, out=out, workers=1, progress=False, charts=False, resume=True)
    assert (again.session.ran, again.session.skipped) == (3, 1), "the two left by a crash and the one moved out"


def test_a_hidden_file_of_yours_is_not_taken_for_a_temporary_and_deleted(tmp_path, monkeypatch):
    """`--force` deleted the user's `.narrative.txt.orig`, vim's `.summary.json.swp` and any
    `.corridor-probe-*` as temporaries Corridor had left (session 14's fresh tester, F1): a
    temporary is what Corridor's own writes name so (`.<name>.<mkstemp's 8 characters><its
    suffix>`, `.corridor-probe-<8>`), exactly. What a write and a write probe cut short leave is
    Corridor's and replaced; each look-alike of yours is named and the folder refused, kept."""
    import os
    from pathlib import Path

    from sim.program.output import probe_writable, write_atomic

    out = new_marked_folder(tmp_path / "out", "run")
    left = []
    for name in ("narrative.txt", "gis/control.tif"):  # the temporary each write goes through
        write_atomic(out / name, lambda tmp: left.append(tmp) or tmp.write_text("half", encoding="utf-8"))
    with monkeypatch.context() as m:  # the probe, as a kill between its creation and removal leaves it
        m.setattr(os, "unlink", left.append)
        probe_writable(out)
    for tmp in left:
        Path(tmp).write_text("half", encoding="utf-8")
    assert len(set(left)) == 3 and foreign_file(out, "run") is None, sorted(out.rglob(".*"))
    for mine in (".narrative.txt.orig", ".summary.json.swp", ".corridor-probe-mine", ".narrative.txt.ab12cd.txt",
                 ".narrative.txt.ab12cd_x.csv", ".narrative.txt.ab12-d_x.txt", "gis/.control.tif.ab12cd_x.qml"):
        (out / mine).write_text("mine", encoding="utf-8")
        with pytest.raises(UserError, match=f"^{out}: holds {mine}, which Corridor did not write"):
            publish_folder(lambda staging: None, out, force=True, kind="run")
        assert (out / mine).read_text(encoding="utf-8") == "mine"
        (out / mine).unlink()
    publish_folder(lambda staging: None, out, force=True, kind="run")
    assert sorted(p.name for p in out.iterdir()) == [".corridor-output", RECORD], "the temporaries were Corridor's"


def test_a_command_that_writes_a_folder_refuses_a_file_at_its_out_before_any_work_as_the_sweep_does(
        tmp_path, monkeypatch, capsys):
    """`run --out X.png --force`, X.png a PNG Corridor wrote, ran the whole simulation, then said
    X.png "was created by another command while this one ran" (session 14's fresh tester, F3):
    a command that publishes a folder refuses a file at --out before any work, with or without
    --force, and run and sweep refuse a file, a link and a folder of yours in the same words. A
    command that writes a file refuses a folder there likewise."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    import sim.model
    from sim.program.output import PNG_SOFTWARE, is_corridor_file

    def no_run(*args, **kwargs):
        raise AssertionError("the command ran the model before refusing its --out")

    monkeypatch.setattr(sim.model.CorridorModel, "step", no_run)
    png, mine, link = tmp_path / "map.png", tmp_path / "mine", tmp_path / "link"
    info = PngInfo()
    info.add_text("Software", PNG_SOFTWARE)
    Image.new("RGB", (4, 4)).save(png, pnginfo=info)
    assert is_corridor_file(png), "a PNG as Corridor writes them"
    before = png.read_bytes()
    mine.mkdir()
    (mine / "notes.md").write_text("mine", encoding="utf-8")
    link.symlink_to(mine)
    sweep = ["sweep", str(sweep_file(tmp_path, stop=(0.0,), strength=(60,), replicates=1)), "--workers", "1", "--quiet"]
    said = {png: "{out}: exists and is not a folder; choose another --out",
            link: f"{{out}}: is a symbolic link (to {mine}); give the folder itself, or choose another --out",
            mine: ("{out}: exists and is not a {kind} folder created by Corridor (no .corridor-output marker); "
                   "--force will not replace it: choose another --out")}
    for out, flags in ((png, []), (png, ["--force"]), (link, ["--force"]), (mine, ["--force"])):
        for kind, command in (("run", ["run", "open_road", *SHORT, "--quiet"]), ("sweep", sweep)):
            assert main([*command, "--out", str(out), *flags]) == 2, (kind, out, flags)
            assert capsys.readouterr().err.strip().splitlines() == [said[out].format(out=out, kind=kind)], (kind, out)
    assert png.read_bytes() == before and sorted(p.name for p in mine.iterdir()) == ["notes.md"]
    assert main(["map", "--out", str(mine)]) == 2
    assert capsys.readouterr().err.strip() == f"{mine}: is a folder; give --out the name of a file"


def test_a_file_of_yours_named_like_one_corridor_writes_or_changed_since_is_not_replaced(tmp_path, monkeypatch,
                                                                                      capsys):
    """`run --force` replaced a narrative.txt of the user's in a run folder without a word: only
    run files were proved by their contents, any other file by its name (session 14's fresh
    tester, F2). A folder published whole keeps a record of each file's size and modification
    time as published (sim.program.written.RECORD): a file changed since (even one only touched),
    or named like one the command writes but not recorded, is named, the folder refused before
    any work, nothing touched; the folder as published is replaced. A folder with no record
    (an older version's) is judged by names alone."""
    import os

    import sim.model

    def no_run(*args, **kwargs):
        raise AssertionError("the command ran the model before refusing the folder")

    def build(staging):
        for name in ("narrative.txt", "steps.csv", "gis/control.qml"):
            (staging / name).parent.mkdir(exist_ok=True)
            (staging / name).write_text("Corridor's", encoding="utf-8")

    monkeypatch.setattr(sim.model.CorridorModel, "step", no_run)
    out = publish_folder(build, tmp_path / "out", kind="run")
    assert foreign_file(out, "run") is None, "as published: Corridor's"
    stat = (out / "steps.csv").stat()

    def mine(name, text="MY OWN NOTES", mtime_ns=None):
        kept = (out / name).stat().st_mtime_ns if mtime_ns == "kept" else mtime_ns
        (out / name).write_text(text, encoding="utf-8")
        if kept is not None:
            os.utime(out / name, ns=(kept, kept))

    for name, change, why in (
            ("narrative.txt", {}, "changed since Corridor wrote it"),  # your text in place of Corridor's
            ("steps.csv", {"text": "Corridor's", "mtime_ns": stat.st_mtime_ns + 10**9},  # only touched
             "changed since Corridor wrote it"),
            ("gis/control.qml", {"text": "Corridor's, edited", "mtime_ns": "kept"},  # its time put back
             "changed since Corridor wrote it"),
            ("events.jsonl", {}, "which Corridor did not write")):  # named like one a run writes; not in the record
        before = ((out / name).read_bytes(), (out / name).stat().st_mtime_ns) if (out / name).exists() else None
        mine(name, **change)
        kept = (out / name).read_bytes()
        assert main(["run", "open_road", *SHORT, "--quiet", "--out", str(out), "--force"]) == 2, name
        assert capsys.readouterr().err.strip().splitlines() == [
            f"{out}: holds {name}, {why}; --force deletes only what a run writes: move it out first, or choose "
            "another --out"], name
        assert (out / name).read_bytes() == kept, "nothing touched"
        if before is None:
            (out / name).unlink()
        else:  # Corridor's file as it was
            (out / name).write_bytes(before[0])
            os.utime(out / name, ns=(before[1], before[1]))
    assert foreign_file(out, "run") is None, "as published again"
    publish_folder(build, out, force=True, kind="run")
    (out / RECORD).unlink()  # as an older version published it: judged by names
    mine("narrative.txt")
    assert foreign_file(out, "run") is None


def test_force_refuses_a_folder_holding_another_commands_results_and_says_its_kind_with_its_article(
        tmp_path, monkeypatch, capsys):
    """`run --out RUN --force` deleted RUN/my_calibration/, a calibration the user had written
    there, and `sweep --force` a run written into the sweep's folder: any folder marked as
    Corridor's inside was looked into with its own kind's list (session 14's fresh tester, F8).
    Only the folder Corridor writes inside another (`discover`'s, in a sweep's) is; any other is
    named, the folder refused, before any work and by the dry run alike, nothing removed. The
    kind is said with its article ("not an export")."""
    import sim.model
    from sim.program.output import check_destination

    def no_run(*args, **kwargs):
        raise AssertionError("the command ran the model before refusing the folder")

    monkeypatch.setattr(sim.model.CorridorModel, "step", no_run)
    run = publish_folder(lambda staging: (staging / "steps.csv").write_text("1"), tmp_path / "run", kind="run")
    calibration = new_marked_folder(run / "my_calibration", "calibration")
    (calibration / "posterior.csv").write_text("hours of work", encoding="utf-8")
    assert main(["run", "open_road", *SHORT, "--quiet", "--out", str(run), "--force"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"{run}: holds my_calibration/, a calibration folder of its own; --force deletes only what a run writes: "
        "move it out first, or choose another --out"]
    sweep = sweep_file(tmp_path, stop=(0.0,), strength=(60,), replicates=1)
    out = new_marked_folder(tmp_path / "sweep", "sweep")
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    publish_folder(lambda staging: (staging / "steps.csv").write_text("1"), out / "my_extra_run", kind="run")
    said = [run_cli("sweep", str(sweep), "--out", str(out), "--force", *flags, "--workers", "1", "--quiet")
            for flags in (["--dry-run"], [])]
    want = (f"{out}: holds my_extra_run/, a run folder of its own; --force deletes only what a sweep writes: move it "
            "out first, or choose another --out")
    assert [(s.returncode, s.stderr.strip().splitlines()[-1]) for s in said] == [(2, want)] * 2, said
    assert (calibration / "posterior.csv").is_file() and (out / "my_extra_run" / "steps.csv").is_file()
    with pytest.raises(UserError, match=f"^{run}: holds Corridor's run output, not an export;"):
        check_destination(run, force=True, kind="export")


def test_a_taken_out_advises_force_only_where_the_command_has_it_and_it_would_be_taken(tmp_path, monkeypatch,
                                                                                     capsys):
    """"already exists; choose another --out or pass --force to replace it" was said where --force
    cannot help: bench (no --force), sim.run and sim.replicate (no force=), a folder or a file
    --force would refuse (session 14's fresh tester, F9, F7). --force is advised only where the
    command has it and would replace what is there."""
    import sim
    import sim.model
    from sim.bench.step_cost import main as bench

    def no_run(*args, **kwargs):
        raise AssertionError("the command ran the model before refusing its --out")

    monkeypatch.setattr(sim.model.CorridorModel, "step", no_run)
    run = publish_folder(lambda staging: (staging / "steps.csv").write_text("1"), tmp_path / "run", kind="run")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("mine", encoding="utf-8")
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG mine")
    for argv, out, advised in ((["run", "open_road", *SHORT, "--quiet"], run, True),  # a run folder of Corridor's
                               (["run", "open_road", *SHORT, "--quiet"], mine, False),  # --force would refuse it
                               (["map"], photo, False)):  # not a PNG Corridor wrote: --force would refuse it
        assert main([*argv, "--out", str(out)]) == 2
        assert capsys.readouterr().err.strip() == f"{out}: already exists; choose another --out" + (
            " or pass --force to replace it" if advised else ""), out
    for call, named in ((lambda: bench(run), "--out"), (lambda: sim.run("open_road", out=run), "out="),
                        (lambda: sim.replicate("open_road", 2, out=run), "out=")):  # the API names its argument
        with pytest.raises(UserError, match=f"^{run}: already exists; choose another {named}$"):
            call()


def test_a_name_of_yours_is_shown_on_one_line_without_its_terminal_escapes(tmp_path):
    """A file of the user's whose name holds a newline or a terminal escape was printed raw in the
    one-line refusal (a newline split it; `\\x1b[2J` cleared the screen: session 14's fresh
    tester): its unprintable characters are shown escaped."""
    out = new_marked_folder(tmp_path / "out", "run")
    (out / "notes\n\x1b[2J.md").write_text("mine", encoding="utf-8")
    with pytest.raises(UserError) as refused:
        publish_folder(lambda staging: None, out, force=True, kind="run")
    assert str(refused.value) == (f"{out}: holds notes\\n\\x1b[2J.md, which Corridor did not write; --force deletes "
                                  "only what a run writes: move it out first, or choose another --out")

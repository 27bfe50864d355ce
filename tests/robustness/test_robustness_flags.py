"""Issue 12, kind 3 — every numeric flag of every subcommand is checked when the command line is
read: exit 2, one line naming the flag, the same words as the same value in a scenario file,
and no work done."""

from __future__ import annotations

import re

import pytest

from sim.program.cli import main
from sim.program.errors import UserError
from sim.program.flags import parse_seed

from conftest import ROOT

BLOCKADE = str(ROOT / "scenarios" / "albu_kamal_blockade.yaml")
SWEEP = str(ROOT / "scenarios" / "sweeps" / "airstrike_rate.yaml")

# (command line up to the flag, flag, bad values)
FLAGS = [
    (["run", BLOCKADE], "--seed", ["-1", "nan", "inf", "1.5", "abc", "1e30", "1:30"]),
    (["compare", BLOCKADE, BLOCKADE], "--seed", ["-1", "nan", "-inf"]),
    (["export", BLOCKADE], "--seed", ["-1", ".nan"]),
    (["export", BLOCKADE], "--days", ["-1", "0", "nan", "inf", "1e9", "1:30"]),
    (["map"], "--cell-km", ["0", "-1", "nan", "inf", "100", "0.01"]),
    (["compare", BLOCKADE, BLOCKADE], "--replicates", ["0", "-3", "nan", "2.5", "1e9"]),
    (["compare", BLOCKADE, BLOCKADE], "--every-hours", ["0", "-1", "nan", "inf"]),
    (["compare", BLOCKADE, BLOCKADE], "--workers", ["0", "-1", "nan", "100000"]),
    (["sweep", SWEEP], "--workers", ["0", "nan", "inf"]),
    (["sweep", SWEEP], "--replicates", ["0", "-1", "1e12", "nan"]),
    # hindcast and uncertainty took any count: 10,000,000 spent minutes and 640 MB on seeds before the first run
    (["hindcast", BLOCKADE], "--replicates", ["0", "1e7", "10000000", "nan"]),
    (["uncertainty", BLOCKADE], "--replicates", ["0", "10000000"]),
    (["sensitivity", SWEEP], "--workers", ["0", "inf"]),
    (["viz"], "--port", ["0", "-1", "70000", "nan", "80.5"]),
    (["viz"], "--bench", ["0", "-5", "nan"]),
    (["bench"], "--runs", ["0", "-1", "nan"]),
    (["bench", "sweep"], "--small", ["0", "inf"]),
    (["bench", "campaign"], "--days", ["0", "-1", "nan", "1e9"]),
    (["bench", "campaign"], "--profile", ["0", "2.5"]),
]
CASES = [(head, flag, value) for head, flag, values in FLAGS for value in values]


@pytest.mark.parametrize(("head", "flag", "value"), CASES,
                         ids=[f"{h[0]} {f} {v}" for h, f, v in CASES])
def test_bad_numbers_on_the_command_line_exit_2_in_one_line(head, flag, value, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*head, f"{flag}={value}"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert f"argument {flag}:" in err and "Traceback" not in err
    assert "expected" in err or "base-60" in err


@pytest.mark.parametrize("head", [["viz", "--port"], ["viz", "--bench"], ["map", "--cell-km"],
                                  ["export", BLOCKADE, "--days"], ["compare", BLOCKADE, BLOCKADE, "--every-hours"]])
def test_text_where_a_number_is_expected_is_worded_as_in_a_file(head, capsys):
    """`viz --port abc` said "found 'abc'" where `map --cell-km abc` said "found a string 'abc'"
    (session 12's fresh reviewers): every number flag words what it found as a file's value is."""
    with pytest.raises(SystemExit):
        main([*head, "abc"])
    err = capsys.readouterr().err
    assert f"argument {head[-1]}: expected " in err and ", found a string 'abc'" in err, err


def _allows(bounds: str, value: float) -> bool:
    """Whether the bounds a message states ("between 1 and 200", "> 0 and <= 3650", ">= 0") allow `value`."""
    if bounds.startswith("between "):
        lo, hi = map(float, bounds.removeprefix("between ").split(" and "))
        return lo <= value <= hi
    ops = {">": float.__gt__, ">=": float.__ge__, "<": float.__lt__, "<=": float.__le__}
    for part in bounds.split(" and "):
        op, bound = part.split(" ")
        if not ops[op](value, float(bound)):
            return False
    return True


def test_a_refused_value_is_outside_the_bounds_its_message_states(capsys):
    """`bench campaign --days 0` said "expected a number between 0 and 3650, found 0": the days must
    be > 0, and the message must say so (a fresh reviewer's finding). Every refused value of every
    flag above whose message states bounds: the value found is outside them."""
    stated = re.compile(r"expected (?:a|an) [a-z ]*?((?:between|>=?|<=?) [^,]+), found (\S+) \(see")
    checked = 0
    for head, flag, value in CASES:
        with pytest.raises(SystemExit):
            main([*head, f"{flag}={value}"])
        err = capsys.readouterr().err
        if (found := stated.search(err)) is None:  # not a number, or a refused form: no bounds stated
            continue
        bounds, shown = found.groups()
        assert not _allows(bounds, float(shown)), f"{flag} {value}: the message allows the value it refuses: {err}"
        checked += 1
    assert checked >= 30, f"expected most refusals to state bounds, {checked} did"
    with pytest.raises(SystemExit):
        main(["bench", "campaign", "--days", "0"])
    assert "argument --days: expected a number of days > 0 and <= 3650, found 0 (see" in capsys.readouterr().err


def file_message(tmp_path, key_value: str) -> str:
    """The message `validate` gives for a scenario file that sets `key_value`."""
    path = tmp_path / "s.yaml"
    key, value = key_value.split(": ")
    block = {"seed": f"seed: {value}", "cell_km": f"map: {{cell_km: {value}}}",
             "duration_days": f"time: {{duration_days: {value}}}"}[key]
    path.write_text(f"name: s\ndescription: d\nextends: {BLOCKADE}\n{block}\n")
    with pytest.raises(UserError) as err:
        from sim.scenario import load_scenario

        load_scenario(path)
    return str(err.value).split(": ", 2)[-1]


@pytest.mark.parametrize(("args", "key_value"), [
    (["run", BLOCKADE, "--seed", "-1"], "seed: -1"),
    (["export", BLOCKADE, "--seed", "-7"], "seed: -7"),
    (["run", BLOCKADE, "--seed", ".nan"], "seed: .nan"),
    (["map", "--cell-km", "0.1"], "cell_km: 0.1"),
    (["map", "--cell-km", ".inf"], "cell_km: .inf"),
    (["export", BLOCKADE, "--days", "4000"], "duration_days: 4000"),
])
def test_a_flag_gets_the_words_of_the_same_value_in_a_file(args, key_value, tmp_path, capsys):
    expected = file_message(tmp_path, key_value)
    with pytest.raises(SystemExit):
        main(args)
    err = capsys.readouterr().err
    # the same words as the file's, but the value shown as it was typed on the command line
    # (a file's `.nan` reads as nan; a flag's `.nan` is shown as `.nan`)
    words, _, _ = expected.partition(" found ")
    assert words in err and f"found {args[-1]}" in err, (expected, err)


def test_the_apps_seed_box_uses_the_same_check():
    assert parse_seed("42") == 42 and parse_seed(" 7 ") == 7 and parse_seed(3) == 3
    for bad, words in [("-1", "expected a whole number between 0 and"), ("nan", "expected a whole number"),
                       ("", "expected a whole number"), ("1.5", "found 1.5"), ("twelve", "'twelve'"),
                       ("1:30", "base-60"), (str(2**64), "between 0 and")]:
        with pytest.raises(UserError, match=words) as err:
            parse_seed(bad)
        assert str(err.value).startswith("seed: ") and "\n" not in str(err.value)


def test_good_values_still_parse():
    from sim.program.cli import build_parser

    args = build_parser().parse_args(["run", BLOCKADE, "--seed", "12"])
    assert args.seed == 12 and isinstance(args.seed, int)
    args = build_parser().parse_args(["map", "--cell-km", "2"])
    assert args.cell_km == 2
    args = build_parser().parse_args(["export", "--days", "1e1"])
    assert args.days == 10.0
    args = build_parser().parse_args(["compare", BLOCKADE, BLOCKADE, "--every-hours", "6", "--replicates", "3"])
    assert (args.every_hours, args.replicates) == (6.0, 3)


@pytest.mark.parametrize("argv0,prog", [("run.py", "python run.py"), ("/x/sim/__main__.py", "python -m sim"),
                                        ("/x/.venv/bin/corridor", "corridor")])
def test_the_usage_names_the_program_as_it_was_invoked(monkeypatch, capsys, argv0, prog):
    """`corridor --help` and `python -m sim --help` name themselves, not `python run.py`; a
    command called in-process with its arguments (a script, a test) keeps the documented name."""
    import sys

    monkeypatch.setattr(sys, "argv", [argv0, "sweep", "--bogus"])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith(f"{prog} sweep: error: "), prog
    with pytest.raises(SystemExit):
        main(["sweep", "--bogus"])
    assert capsys.readouterr().err.startswith("python run.py sweep: error: ")


@pytest.mark.parametrize(("args", "said"), [
    (["sweep", "--bogus"], "unrecognized arguments: --bogus"),
    (["compare", "--bogus=3"], "unrecognized arguments: --bogus=3"),
    (["sweep", "--wor", "2"], "the following arguments are required: sweep"),  # --workers, abbreviated
    (["sweep"], "the following arguments are required: sweep"),
])
def test_an_unknown_option_is_the_error_said_before_a_missing_argument(args, said, capsys):
    """`sweep --bogus` said the sweep file was missing, not that --bogus is unknown (a fresh
    reviewer's finding): the unknown option is the error; a known one (abbreviated too) is not."""
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"python run.py {args[0]}: error: {said} (see "), err


def test_every_commands_help_is_wrapped_names_its_values_and_says_a_folder_being_written_is_refused(
        capsys, monkeypatch):
    """Cosmetics a fresh reviewer found: an unwrapped line in `compare --help` (no line of any
    command's help is longer than 92 characters, but an example command, kept whole to be
    pasted); `map --cell-km` without a metavar; the experiment commands' shared epilog silent on
    the lock that refuses a folder another command is writing into."""
    from sim.program.cli import build_parser

    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps its own lines to the terminal's width
    commands = [name for action in build_parser()._subparsers._group_actions for name in action.choices]
    helps = {}
    for command in commands:
        with pytest.raises(SystemExit):
            main([command, "--help"])
        helps[command] = capsys.readouterr().out
    long = [(c, line) for c, text in helps.items() for line in text.splitlines()
            if len(line) > 92 and not line.startswith("  python run.py ")]
    assert not long, long
    assert "--cell-km KM" in helps["map"], helps["map"]
    # every command's help says what it does before its arguments (map, run, viz… had none)
    bare = [c for c, text in helps.items()
            if text.split("\n\n")[1].lstrip().startswith(("positional arguments:", "options:"))]
    assert not bare, f"commands whose --help has no description: {bare}"
    for command in ("sweep", "compare", "uncertainty", "sensitivity", "hindcast"):
        assert "is locked: a second command on it" in " ".join(helps[command].split()), command


@pytest.mark.parametrize("head", [["run", BLOCKADE], ["sweep", SWEEP], ["hindcast", BLOCKADE], ["calibrate", "x.yaml"],
                                  ["export", BLOCKADE], ["bench", "model"]])
def test_an_out_ending_in_dot_dot_is_refused_in_one_line(head, tmp_path, capsys):
    """`run --out RUN/gis/.. --force` simulated, then failed with "Device or resource busy" (exit 1),
    and `sweep --out SWEEP/runs/..` said "cannot write here" (session 14's fresh tester): a name
    ending in ".." (or ".") names a folder by a way into it, which cannot be replaced. Refused as
    the flag is read, in one line, exit 2."""
    force = [] if head[0] == "bench" else ["--force"]  # bench writes a new folder and has no --force
    with pytest.raises(SystemExit) as stop:
        main([*head, "--out", f"{tmp_path}/x/..", *force])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1, err
    assert f"argument --out: expected the name of what to write, found '{tmp_path}/x/..', which ends in '..'" in err[0]

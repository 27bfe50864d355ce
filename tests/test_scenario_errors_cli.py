"""Bad input on the command line: a bad scenario file, a bad `--set`, a misspelt library name,
an empty name or a folder given for a file — each one line, exit status 2, no traceback, for
every command that reads them. The loader's own reports: tests/test_scenario_errors.py."""

from __future__ import annotations

import pytest
from test_scenario_errors import marked_line, militia, write

from conftest import run_cli


def test_cli_validate_bad_file_exits_2_without_traceback(tmp_path):
    root = write(tmp_path, {"bad.yaml": militia("strength: -5, deploy: {near: Abu Kamel}")})
    done = run_cli("validate", str(root))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    line = marked_line(root.read_text())
    assert f"bad.yaml:{line}: forces[0].strength: expected a number > 0, found -5" in done.stderr
    for err_line in done.stderr.strip().splitlines():
        assert err_line.count(":") >= 3 and "bad.yaml:" in err_line, done.stderr


BLOCKADE = "scenarios/albu_kamal_blockade.yaml"


@pytest.mark.parametrize("command", [
    ["run", BLOCKADE],
    ["export", BLOCKADE],
    ["compare", "scenarios/open_road.yaml", BLOCKADE],
], ids=lambda c: c[0])
def test_cli_set_is_read_alike_by_every_command(command, tmp_path):
    """Every command reads `--set` with one parser: a value that is not YAML stays text for the
    scenario's validation to reject, and a missing '=' is named; one line, exit 2, no traceback."""
    out = ["--out", str(tmp_path / "out")]
    bad_value = run_cli(*command, "--set", "time.duration_days=[", *out)
    assert bad_value.returncode == 2, bad_value.stderr
    assert bad_value.stderr.strip().splitlines() == [
        f"{command[1]}: time.duration_days: expected a number, found a string '[' "
        "(set by the override time.duration_days='[')"
    ]
    no_equals = run_cli(*command, "--set", "time.duration_days", *out)
    assert no_equals.returncode == 2, no_equals.stderr
    assert no_equals.stderr.strip() == "--set time.duration_days: expected KEY.PATH=VALUE, found 'time.duration_days'"
    assert not (tmp_path / "out").exists()


def test_cli_validate_yaml_syntax_error_is_one_line(tmp_path):
    root = write(tmp_path, {"broken.yaml": "name: [x\n"})
    done = run_cli("validate", str(root))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "broken.yaml:" in lines[0] and "YAML syntax error" in lines[0]


@pytest.mark.parametrize("command, kind, guess", [
    (["validate", "open_rod"], "scenario", "open_road"),
    (["compare", "open_road", "open_rod"], "scenario", "open_road"),
    (["uncertainty", "open_rod"], "scenario", "open_road"),
    (["sweep", "blockade_screenin", "--dry-run"], "sweep", "blockade_screening"),
    (["sensitivity", "blockade_screenin"], "sweep", "blockade_screening"),
], ids=lambda c: c[0] if isinstance(c, list) else "")
def test_every_command_reads_a_library_name_and_names_the_nearest_when_it_is_wrong(command, kind, guess, tmp_path):
    """A scenario or sweep on the command line is a path or a library name, for every command (as
    in `run`): a misspelt name is looked up in the library, so the one-line refusal suggests the
    name meant (a command that only opened paths would say 'no such file' and nothing else)."""
    done = run_cli(*command, cwd=tmp_path)  # from elsewhere: the name is not a path that exists
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()], f"one line expected, got {done.stderr!r}"
    assert f"nor a {kind} of that name" in done.stderr and f"did you mean '{guess}'" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command, expected", [
    (["validate", ""], "argument files: expected a file or folder name, found an empty one"),
    (["run", "open_road", "--out", ""], "argument --out: expected a file or folder name, found an empty one"),
    (["sweep", "folder", "--dry-run"], "folder: is a folder, not a sweep file"),
    (["validate", "folder"], "folder: is a folder, not a scenario file"),
], ids=["empty-scenario", "empty-out", "folder-sweep", "folder-scenario"])
def test_an_empty_name_or_a_folder_is_refused_as_such(command, expected, tmp_path):
    """An empty name is not read as '.', and a folder given for a file is called a folder (not
    'no such sweep file'): one line, exit status 2."""
    (tmp_path / "folder").mkdir()
    done = run_cli(*command, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and expected in done.stderr, f"expected {expected!r}: {done.stderr!r}"


def test_validate_and_a_dry_run_accept_library_names(tmp_path):
    validated = run_cli("validate", "open_road", "albu_kamal_blockade", cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr
    assert [line.split(":")[0] for line in validated.stdout.splitlines()] == ["ok  open_road", "ok  albu_kamal_blockade"]
    dry = run_cli("sweep", "blockade_screening", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("ok  ") and "blockade_screening.yaml" in dry.stdout.splitlines()[0], dry.stdout

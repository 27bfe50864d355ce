"""The campaign benchmark (`python run.py bench campaign`): it prints a CPU-seconds row per
configuration and never fails on time; a suite's options are refused with another suite."""

from __future__ import annotations

import pytest

from sim.bench.campaign import CONFIGURATIONS
from sim.program.cli import main


def test_bench_campaign_prints_one_row_of_cpu_seconds_per_configuration(capsys):
    assert main(["bench", "campaign", "--days", "2"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.strip().endswith(tuple(f"{t:g}" for _, _, t in CONFIGURATIONS))
            and line.split()[0].endswith("km")]
    assert [r[0] for r in rows] == [f"{km:g}km" for km, _, _ in CONFIGURATIONS], f"one row per configuration in:\n{out}"
    steps = [int(r[2]) for r in rows]
    assert steps == [round(2 * 24 / h) for _, h, _ in CONFIGURATIONS], f"two days are 48 h of steps: {steps}"
    assert all(float(r[4]) >= 0.0 for r in rows), f"CPU seconds are figures, not verdicts:\n{out}"


@pytest.mark.parametrize("args", [["bench", "sweep", "--days", "3"], ["bench", "campaign", "--runs", "5"],
                                  ["bench", "campaign", "--out", "x"]])
def test_a_suites_options_are_refused_with_another_suite(args, capsys):
    assert main(args) == 2, "a misplaced option is a user error (exit status 2)"
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "an option of `bench" in err, err

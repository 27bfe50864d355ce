"""tests/verify_campaign.py's check 3 on made-up results: it measures escalation on the what-if
with Russia expanding and reports the record-funded campaign's count beside it."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests"))
import verify_campaign as vc  # noqa: E402


def _runs(escalated: list[bool]) -> list[dict]:
    return [{"tension.escalations": int(e), "hostile_iran_militia_russia_share": 0.2 if e else 0.0}
            for e in escalated]


def test_check_3_measures_the_what_if_and_reports_the_calm_campaign_beside_it():
    year = {vc.CAMPAIGN: _runs([False] * 5), vc.EXPANDS: _runs([True, True, False, False, False])}
    fig = vc.check_escalation(year, range(1, 6))
    assert fig.passed, "2 of 5 runs of the what-if escalated: some but not all, a PASS even with the campaign at 0"
    assert fig.estimate.startswith("runs in which Iran-backed militias and Russia turned hostile: 40%"), (
        f"the estimate should be the what-if's share, 2 of 5 = 40 %: {fig.estimate}")
    assert f"{vc.CAMPAIGN} as the record funds it: 0%" in fig.estimate, (
        f"the record-funded campaign's 0 of 5 should be reported beside it: {fig.estimate}")
    assert vc.EXPANDS in fig.settings, fig.settings
    assert "median 73" in fig.details[0], f"0.2 × 365 = 73 days hostile in the runs that escalated: {fig.details}"


def test_check_3_fails_when_every_run_of_the_what_if_escalates_whatever_the_campaign_does():
    year = {vc.CAMPAIGN: _runs([True, False, False]), vc.EXPANDS: _runs([True] * 3)}
    fig = vc.check_escalation(year, range(1, 4))
    assert not fig.passed, "all 3 runs of the what-if escalated: not 'some but not all', a FAIL"

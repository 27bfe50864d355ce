"""tests/verify_campaign.py's checks 1, 2 and 3 on made-up results: they measure the what-if with
Russia expanding (the blockade against campaign_no_blockade.yaml in 1 and 2, escalation in 3) and
report the record-funded campaign beside it."""

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


def _bridge(shares: list[float], bridge: list[float]) -> list[dict]:
    return [{"share_russia": s, "land_bridge_russia_open_share": b} for s, b in zip(shares, bridge, strict=True)]


def test_check_1_measures_the_what_ifs_pair_and_reports_the_record_funded_pair_beside_it():
    # open road − blockade, by hand: shares 0.02, 0.021, 0.019 (mean 0.02, sd 0.001); bridge 0.2, 0.21,
    # 0.19 (mean 0.2, sd 0.01); t(2, 0.975) = 4.303, so ±4.303·0.001/√3 = ±0.0025, ±4.303·0.01/√3 = ±0.0248
    arms = {vc.BLOCKADE: _bridge([0.01, 0.02, 0.03], [0.0, 0.0, 0.0]),
            vc.OPEN_ROAD: _bridge([0.03, 0.041, 0.049], [0.2, 0.21, 0.19]),
            vc.CAMPAIGN: _bridge([0.001] * 3, [0.0] * 3),
            vc.RECORD_OPEN: _bridge([0.001] * 3, [0.0] * 3)}
    fig = vc.blockade_figure(arms, range(1, 4))
    assert fig.passed, "both of the what-if's paired intervals exclude 0: a PASS although the record-funded pair is 0"
    assert "open road − blockade +0.0200 [+0.0175, +0.0225]" in fig.estimate, (
        f"the land share's difference should be the what-if's, 0.02 ± 0.0025: {fig.estimate}")
    assert "open road − blockade +0.2000 [+0.1752, +0.2248]" in fig.estimate, (
        f"the land bridge's difference should be the what-if's, 0.2 ± 0.0248: {fig.estimate}")
    assert fig.settings.startswith(f"{vc.EXPANDS} (the blockade) against {vc.OPEN_ROAD}"), fig.settings
    assert vc.RECORD_OPEN in fig.details[0] and "+0.0000 [+0.0000, +0.0000]" in fig.details[0], (
        f"the record-funded pair's 0 difference should be reported beside it: {fig.details}")
    assert "rules.checkpoint_blockade.enabled=False" in vc.RECORD_OPEN, vc.RECORD_OPEN


def test_check_2_counts_the_what_ifs_blockade_and_reports_the_record_funded_pair_beside_it():
    year = {vc.BLOCKADE: _bridge([0.0] * 4, [0.0, 0.0, 0.0, 0.1]),  # opened in 1 of 4 runs: 25 %
            vc.OPEN_ROAD: _bridge([0.0] * 4, [0.2, 0.3, 0.1, 0.0]),  # 3 of 4: 75 %
            vc.CAMPAIGN: _bridge([0.0] * 4, [0.0] * 4),
            vc.RECORD_OPEN: _bridge([0.0] * 4, [0.0] * 4)}
    fig = vc.check_land_bridge(None, range(1, 5), year, (vc.OPEN_ROAD,))
    assert fig.passed, "the open road opens the bridge in 3 of 4 runs (> 50 %), the blockade in 1 of 4 (< 50 %)"
    assert fig.estimate.startswith(f"{vc.OPEN_ROAD}: 75%"), f"the open road's 3 of 4 = 75 %: {fig.estimate}"
    assert f"{vc.EXPANDS} (the blockade): 25%" in fig.estimate, f"the what-if's blockade, 1 of 4 = 25 %: {fig.estimate}"
    assert "opened in 0% [0%, 49%] (n = 4) of runs with the checkpoint, 0% [0%, 49%] (n = 4) without it" in fig.details[-1], (
        f"the record-funded pair's 0 of 4 each (Wilson upper bound 49 %) should be reported beside it: {fig.details}")

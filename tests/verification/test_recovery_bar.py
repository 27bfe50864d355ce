"""The recovery check's known failure (tests/test_calibrate_recovery.py, `coverage_holds`): a parameter
whose posterior width is a published failure still has its coverage asserted, xfails on its
width, and fails once its width passes, so that docs/verification.md is corrected. The
calibrations are replaced by fixed rows: 10 targets a parameter, every truth inside."""

from __future__ import annotations

import pandas as pd
import pytest
import test_calibrate_recovery as test_calibrate
import verify_recovery


def rows(ambush_width: float, ambush_inside: bool = True) -> pd.DataFrame:
    """10 targets of a strike rate (width 0.3 of the prior's) and of the ambush rate."""
    return pd.DataFrame([{"parameter": p, "inside": inside, "width_ratio": w, "truth": 1.0, "q05": 0.0, "q95": 2.0}
                         for p, w, inside in (("a.rate", 0.3, True), (test_calibrate.AMBUSH, ambush_width, ambush_inside))
                         for _ in range(10)])


def check(monkeypatch, tmp_path, table: pd.DataFrame) -> None:
    monkeypatch.setattr(verify_recovery, "recover", lambda *a, **k: table)
    test_calibrate.coverage_holds(tmp_path, 10, tmp_path, 1, known_wide=(test_calibrate.AMBUSH,))


def test_a_known_wide_parameter_xfails_on_its_width(monkeypatch, tmp_path):
    with pytest.raises(pytest.xfail.Exception, match="0.60"):
        check(monkeypatch, tmp_path, rows(0.6))


def test_a_known_wide_parameter_that_became_narrow_fails(monkeypatch, tmp_path):
    with pytest.raises(AssertionError, match="failure is gone"):
        check(monkeypatch, tmp_path, rows(0.4))


def test_a_known_wide_parameter_s_coverage_is_still_asserted(monkeypatch, tmp_path):
    with pytest.raises(AssertionError, match="truth inside the 90 % interval for 0 of 10"):
        check(monkeypatch, tmp_path, rows(0.6, ambush_inside=False))

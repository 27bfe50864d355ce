"""Colour-blind students must tell the factions apart: the shipped scenarios' faction colours,
as the maps show them (55 % over the desert), differ by a visible CIELAB ΔE with normal vision
and under simulated deuteranopia and protanopia (Machado et al. 2009, severity 100, via
colorspacious), and from the uncoloured (ungoverned) desert."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from sim.figures.style import CONTROL_ALPHA, CONVOY_STATE_COLORS, OKABE_ITO
from sim.geography import TERRAIN_COLORS, Terrain
from sim.scenario import load_scenario

from conftest import SCENARIOS

colorspacious = pytest.importorskip("colorspacious")
#: smallest ΔE (CIELAB) between two faction fills; about 2.3 is a just-noticeable difference, and
#: the palette before this test had 4.7 under deuteranopia (Iran-backed against Russian)
MIN_DELTA_E = 12.0
VISIONS = (None, "deuteranomaly", "protanomaly")


def _seen(rgb: np.ndarray, cvd: str | None) -> np.ndarray:
    if cvd is None:
        return rgb
    space = {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}
    return np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0.0, 1.0)


DESERT = np.array(to_rgb(TERRAIN_COLORS[Terrain.DESERT]))


def _fill(colour: str) -> np.ndarray:
    """A faction's colour as the control map shows it, over the desert."""
    return np.array(to_rgb(colour)) * CONTROL_ALPHA + DESERT * (1 - CONTROL_ALPHA)


def _min_delta_e(colours: list[np.ndarray], cvd: str | None) -> tuple[float, int, int]:
    seen = [_seen(c, cvd) for c in colours]
    return min((float(colorspacious.deltaE(seen[i], seen[j], input_space="sRGB1", uniform_space="CIELab")), i, j)
               for i, j in itertools.combinations(range(len(seen)), 2))


@pytest.mark.parametrize("cvd", VISIONS, ids=lambda v: v or "normal")
def test_shipped_faction_fills_differ_under_colour_vision_deficiency(cvd):
    checked = set()
    for path in sorted(SCENARIOS.glob("*.yaml")):
        factions = load_scenario(path).spec.factions
        colours = tuple(f.color.lower() for f in factions.values())
        if colours in checked:
            continue
        checked.add(colours)
        fills = [_fill(c) for c in colours] + [DESERT]
        names = [*factions, "ungoverned desert"]
        delta, i, j = _min_delta_e(fills, cvd)
        assert delta >= MIN_DELTA_E, f"{path.name}: {names[i]} against {names[j]}: ΔE {delta:.1f} ({cvd or 'normal'})"
        assert all(c.upper() in OKABE_ITO.values() for c in colours), f"{path.name}: {colours} not all Okabe–Ito"


def test_the_measure_catches_the_old_palette():
    """The check is not vacuous: the pre-issue-13 green and red were nearly one colour to a deuteranope."""
    old = [_fill(c) for c in ("#2e7d32", "#c62828")]
    assert _min_delta_e(old, None)[0] > 25
    assert _min_delta_e(old, "deuteranomaly")[0] < MIN_DELTA_E


def test_convoy_states_that_follow_each_other_differ_for_a_deuteranope():
    states = [np.array(to_rgb(c)) for c in CONVOY_STATE_COLORS.values()]
    delta, i, j = _min_delta_e(states, "deuteranomaly")
    assert delta >= 8.0, (list(CONVOY_STATE_COLORS)[i], list(CONVOY_STATE_COLORS)[j], delta)

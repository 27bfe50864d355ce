"""A run's animated GIF (`sim.figures.one_run.write_animation`, drawn by `sim.figures.layered.LayeredMap`):
a frame per snapshot, each showing that snapshot's control colours, its units in their factions'
colours and its own clock, 4 frames a second with the last held."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from sim.figures.layered import LAST_FRAME_MS
from sim.figures.style import CONTROL_ALPHA

from conftest import ROOT

VALLEY = ROOT / "tests" / "fixtures" / "two_town_valley" / "valley.yaml"
CONTESTED, UNGOVERNED = -1, -2


@pytest.fixture(scope="module")
def gif(tmp_path_factory):
    """The valley's run with its snapshots replaced by chosen ones: nobody's ground (day 0), all
    the first faction's (day 1), all the second's with one of its units (day 2), all contested
    (day 3); its GIF's frames as RGB arrays."""
    from sim.figures.one_run import write_animation
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    result = CorridorModel(load_scenario(VALLEY), 7).run()
    real = result.frames[0]
    unit = real["units"][real["units"]["faction"] == 1][:1].copy()
    unit["strength"] = 400.0  # the largest marker
    none = real["units"][:0]
    frames = [(UNGOVERNED, none), (0, none), (1, unit), (CONTESTED, none)]
    result.frames = [{"hours": 24.0 * day, "controller": np.full_like(real["controller"], code), "units": units}
                     for day, (code, units) in enumerate(frames)]
    out = write_animation(result, tmp_path_factory.mktemp("gif") / "animation.gif")
    image = Image.open(out)
    pictures, durations = [], []
    for i in range(image.n_frames):
        image.seek(i)
        durations.append(image.info["duration"])
        pictures.append(np.asarray(image.convert("RGB"), dtype=float))
    return result, pictures, durations


def test_a_frame_per_snapshot_at_four_a_second_the_last_held(gif):
    result, pictures, durations = gif
    assert len(pictures) == len(result.frames) == 4
    assert durations == [250, 250, 250, LAST_FRAME_MS]


def test_each_frame_shows_its_snapshots_control_colours(gif):
    """Where the all-faction frame differs from the ungoverned one (the map, less the lines and
    labels over it), it is the ungoverned picture washed with that faction's colour."""
    result, (ungoverned, first, second, contested), _ = gif
    area = np.abs(first - ungoverned).sum(axis=2) > 30
    assert area.mean() > 0.3, "the control colours cover the map"
    under = np.median(ungoverned[area], axis=0)
    for picture, color in ((first, result.faction_colors[0]), (second, result.faction_colors[1])):
        expected = under * (1 - CONTROL_ALPHA) + np.array(to_rgb(color)) * 255 * CONTROL_ALPHA
        assert np.abs(np.median(picture[area], axis=0) - expected).max() < 12, (color, np.median(picture[area], axis=0))
    dark = contested[area].mean(axis=1) < 90
    assert 0.15 < dark.mean() < 0.5, "contested ground is hatched: dark stripes with the terrain between"


def test_units_are_drawn_in_their_factions_colour_and_the_clock_changes(gif):
    result, (_, first, second, _), _ = gif
    marker = np.array(to_rgb(result.faction_colors[1])) * 255
    exact = np.abs(second - marker).max(axis=2) < 8
    assert exact.sum() > 40, "the second faction's unit is drawn in its colour, not washed"
    top = slice(0, 40)  # the title: scenario, clock and seed
    assert not np.array_equal(first[top], second[top]), "each frame's title gives its own clock"

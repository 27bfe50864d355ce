"""Drawing the map: a whole PNG written atomically, a basemap on any axes, legend entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from sim.figures.basemap import draw_basemap, draw_map_png, terrain_legend_handles
from sim.geography import load_map

# coarse cells move a few places and warn about it; that is tested once, in test_geography
pytestmark = pytest.mark.filterwarnings("ignore:euphrates_corridor.geojson:UserWarning")
MAP = Path(__file__).resolve().parents[1] / "scenarios" / "maps" / "euphrates_corridor.geojson"


def test_draw_map_png_writes_a_whole_png(tmp_path):
    corridor_map = load_map(MAP, 2.0)
    out = draw_map_png(corridor_map, tmp_path / "map.png")
    assert out == tmp_path / "map.png"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]  # no temporary file left
    assert out.stat().st_size > 50_000
    with Image.open(out) as img:
        assert img.format == "PNG"
        width, height = img.size
    assert 1000 < width < 2500 and 700 < height < 2000


def test_basemap_on_given_axes_with_labels_and_scale_bar():
    corridor_map = load_map(MAP, 1.0)
    fig = Figure(figsize=(8, 6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    draw_basemap(ax, corridor_map, places_kinds={"city", "crossing"})
    texts = {t.get_text() for t in ax.texts}
    assert {"Albu Kamal", "Al-Mayadeen", "Deir ez-Zor", "Al-Qa'im", "Albu Kamal crossing"} <= texts
    assert "Hajin" not in texts  # towns filtered out
    assert ax.get_xlabel() == "km east" and ax.get_ylabel() == "km north"
    assert any(type(a).__name__ == "AnchoredSizeBar" for a in ax.artists)
    assert ax.get_xlim() == (0, corridor_map.shape[1] * corridor_map.cell_km)


def test_legend_handles_cover_terrain_lines_and_places():
    labels = {h.get_label() for h in terrain_legend_handles(load_map(MAP, 1.0))}
    assert {"desert", "river", "riverbank / farmland", "urban", "bridge", "border crossing"} <= labels
    assert {"road", "track", "border", "river centreline", "city", "town", "crossing"} <= labels


def test_a_kept_label_placement_draws_the_same_labels_and_another_size_is_placed_again():
    """The labels' offsets chosen once are kept (`basemap._PLACEMENTS`) and drawn again for the same
    map, size and font without trying the offsets: the same labels at the same offsets, the same
    pixels. A larger font is placed afresh, as if nothing had been kept."""
    import numpy as np

    from sim.figures import basemap

    corridor_map = load_map(MAP, 2.0)

    def draw(label_pt: float):
        fig = Figure(figsize=(8, 5), dpi=100)
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        draw_basemap(ax, corridor_map, label_pt=label_pt)
        canvas.draw()
        return [(t.get_text(), t.xyann) for t in ax.texts], np.asarray(canvas.buffer_rgba()).copy()

    basemap._PLACEMENTS.clear()
    placed, placed_px = draw(11.0)
    kept, kept_px = draw(11.0)
    assert len(basemap._PLACEMENTS) == 1, "the second drawing of the same map should reuse the first's placement"
    assert kept == placed and len(placed) >= 20, f"kept labels differ from those placed: {set(kept) ^ set(placed)}"
    assert np.array_equal(kept_px, placed_px), "the kept placement should draw the same pixels"
    larger, _ = draw(16.0)
    basemap._PLACEMENTS.clear()
    fresh, _ = draw(16.0)
    assert larger == fresh, "at 16 pt the labels must be placed for 16 pt, not drawn at the offsets kept for 11 pt"
    assert larger != placed, "16 pt labels should need other offsets than 11 pt ones (else this test proves nothing)"

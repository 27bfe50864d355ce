"""Render a run's controller GeoTIFF with its own colour table, for docs/map.md.

    python docs/render_control_geotiff.py     # runs albu_kamal_blockade (seed 1), writes docs/img/control_geotiff.png

It reads ``gis/control.tif`` as a GIS would — GDAL (rasterio) gives the grid, the bounds in
EPSG:4326, the band's colour table and the class labels in the file's ``classes`` tag — and draws
those cells in those colours on longitude/latitude axes with a legend, as QGIS shows the file
with ``control.qml``. Nothing here knows the model's colours: what you see is what the file says.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import rasterio  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.figures.style import stamp  # noqa: E402


def render(tif_path: Path, png: Path, title: str) -> Path:
    """Draw band 1 of `tif_path` with its colour table and class labels into `png`."""
    with rasterio.open(tif_path) as tif:
        codes, table, tags = tif.read(1), tif.colormap(1), tif.tags()
        west, south, east, north = tif.bounds
    labels = dict(item.split("=", 1) for item in tags["classes"].split("; "))
    colours = np.array([table.get(v, (0, 0, 0, 0)) for v in range(256)]) / 255.0
    fig, ax = plt.subplots(figsize=(9, 6.2), dpi=110)
    ax.imshow(codes, cmap=ListedColormap(colours), vmin=0, vmax=255, extent=(west, east, south, north),
              interpolation="nearest")
    handles = [Patch(facecolor=colours[int(v)], edgecolor="0.3", label=lab) for v, lab in labels.items()]
    handles.append(Patch(facecolor=colours[255], edgecolor="0.3", label="river (nodata 255)"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, title="controller band", title_fontsize=8)
    ax.set_xlabel("longitude (° E, EPSG:4326)")
    ax.set_ylabel("latitude (° N, EPSG:4326)")
    ax.set_title(title, fontsize=10)
    stamp(fig, f"{tif_path.name}: scenario {tags['scenario']}, seed {tags['seed']}, {tags['datetime']}, "
               f"code {tags['code_version']}")
    fig.savefig(png, bbox_inches="tight")
    plt.close(fig)
    return png


if __name__ == "__main__":
    warnings.simplefilter("ignore", UserWarning)  # the map's notes about moved places
    with tempfile.TemporaryDirectory() as tmp:
        run = sim.run("albu_kamal_blockade", seed=1, out=Path(tmp) / "run")
        out = render(run.folder / "gis" / "control.tif", ROOT / "docs" / "img" / "control_geotiff.png",
                     "gis/control.tif of albu_kamal_blockade at the end, drawn with the file's colour table")
    print(f"wrote {out}")

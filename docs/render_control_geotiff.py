"""Render a run's controller GeoTIFF with GDAL's own colour handling, for docs/map.md.

    python docs/render_control_geotiff.py     # runs albu_kamal_blockade (seed 1), writes docs/img/control_geotiff.png

GDAL does the colouring, as `gdal_translate -expand rgba -outsize 400% 400% -r nearest control.tif
control_geotiff.png` would (that command is not on every machine; rasterio ships the same GDAL):
a VRT whose four bands read band 1 of ``gis/control.tif`` through its colour table
(``<ColorTableComponent>`` 1–4, the VRT form of ``-expand rgba``), 4× larger with nearest
resampling, is copied to PNG by GDAL's PNG driver (`rasterio.shutil.copy`). Nothing here knows
the model's colours: every pixel is the colour and alpha the file's colour table gives its cell
(the river, nodata 255, comes out transparent, as QGIS shows nodata). The legend (the file's
``classes`` tag with the table's colours) and the caption are written into docs/map.md between
the markers ``<!-- control_geotiff -->`` and ``<!-- /control_geotiff -->``.
"""

from __future__ import annotations

import re
import sys
import tempfile
import warnings
from pathlib import Path
from xml.sax.saxutils import escape

import rasterio
import rasterio.shutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402

SCALE = 4  # output pixels per cell side (nearest resampling: each cell a 4 × 4 block)
MARKERS = ("<!-- control_geotiff -->", "<!-- /control_geotiff -->")


def expand_rgba_vrt(tif_path: Path, scale: int = SCALE) -> str:
    """The VRT (XML text) of `tif_path`'s band 1 expanded to RGBA through its colour table,
    `scale` times larger: what `gdal_translate -of VRT -expand rgba -outsize …` writes."""
    with rasterio.open(tif_path) as tif:
        width, height = tif.width, tif.height
    source = escape(str(Path(tif_path).resolve()))
    bands = "".join(
        f'<VRTRasterBand dataType="Byte" band="{k}"><ColorInterp>{name}</ColorInterp>'
        f'<ComplexSource resampling="nearest"><SourceFilename relativeToVRT="0">{source}</SourceFilename>'
        f'<SourceBand>1</SourceBand><SrcRect xOff="0" yOff="0" xSize="{width}" ySize="{height}"/>'
        f'<DstRect xOff="0" yOff="0" xSize="{width * scale}" ySize="{height * scale}"/>'
        f"<ColorTableComponent>{k}</ColorTableComponent></ComplexSource></VRTRasterBand>"
        for k, name in enumerate(("Red", "Green", "Blue", "Alpha"), start=1))
    return f'<VRTDataset rasterXSize="{width * scale}" rasterYSize="{height * scale}">{bands}</VRTDataset>'


def render(tif_path: Path, png: Path) -> list[str]:
    """Write `png` (GDAL's RGBA expansion of band 1 of `tif_path`); return the legend lines
    (Markdown table rows: code, label, colour from the file's colour table)."""
    with tempfile.TemporaryDirectory() as tmp:
        vrt = Path(tmp) / "expand_rgba.vrt"
        vrt.write_text(expand_rgba_vrt(tif_path), encoding="utf-8")
        with rasterio.Env(GDAL_PAM_ENABLED="NO"):  # no .aux.xml beside the PNG
            rasterio.shutil.copy(vrt, png, driver="PNG")
    with rasterio.open(tif_path) as tif:
        table, tags = tif.colormap(1), tif.tags()
    classes = [item.split("=", 1) for item in tags["classes"].split("; ")] + [["255", "river (nodata)"]]

    def colour(code: int) -> str:
        rgba = table[code]
        return f"`#{''.join(f'{c:02x}' for c in rgba[:3])}`" + (" at alpha 0 (transparent)" if rgba[3] == 0 else "")

    rows = [f"| {code} | {label} | {colour(int(code))} |" for code, label in classes]
    caption = (f"`gis/control.tif` of scenario `{tags['scenario']}`, seed {tags['seed']}, at {tags['datetime']} "
               f"(code {tags['code_version']}), coloured by GDAL from the file's colour table "
               f"({SCALE} × {SCALE} pixels a cell; `python docs/render_control_geotiff.py`):")
    return [caption, "", f"![control.tif rendered by GDAL (-expand rgba)](img/{png.name})", "",
            "| code | class (the file's `classes` tag) | colour (the file's colour table) |", "|---|---|---|", *rows]


def write_into_doc(doc: Path, lines: list[str]) -> None:
    """Replace the text between the markers in `doc` by `lines`."""
    text = doc.read_text(encoding="utf-8")
    block = "\n".join([MARKERS[0], *lines, MARKERS[1]])
    new, n = re.subn(re.escape(MARKERS[0]) + r".*?" + re.escape(MARKERS[1]), lambda _: block, text, flags=re.S)
    if n != 1:
        raise SystemExit(f"{doc}: expected the markers {MARKERS} once")
    doc.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    warnings.simplefilter("ignore", UserWarning)  # the map's note about moved places
    with tempfile.TemporaryDirectory() as tmp:
        run = sim.run("albu_kamal_blockade", seed=1, out=Path(tmp) / "run")
        legend = render(run.folder / "gis" / "control.tif", ROOT / "docs" / "img" / "control_geotiff.png")
    write_into_doc(ROOT / "docs" / "map.md", legend)
    print(f"wrote {ROOT / 'docs' / 'img' / 'control_geotiff.png'} and its legend in docs/map.md")

"""The optional parts of Corridor and the extra that installs each: the core install runs,
validates, lists and draws scenarios and runs experiments on a local process pool; these need
more (pyproject.toml's [project.optional-dependencies]).
"""

from __future__ import annotations

#: top-level module → (extra, what needs it)
EXTRAS = {
    "solara": ("app", "the teaching app (viz)"),
    "solara_assets": ("app", "the teaching app (viz)"),
    "ipyvue": ("app", "the teaching app (viz)"),
    "ipyvuetify": ("app", "the teaching app (viz)"),
    "reacton": ("app", "the teaching app (viz)"),
    "ipywidgets": ("app", "the teaching app (viz)"),
    "uvicorn": ("app", "the teaching app (viz)"),
    "starlette": ("app", "the teaching app (viz)"),
    "distributed": ("dask", "running on Dask (--dask)"),
    "dask": ("dask", "running on Dask (--dask)"),
    "SALib": ("sensitivity", "Sobol and Morris designs and sensitivity analysis"),
    "psutil": ("bench", "the benchmarks (bench)"),
    "rasterio": ("gis", "GeoTIFF output (control.tif, control_probability.tif)"),
    "ema_workbench": ("discovery", "scenario discovery with PRIM (discover)"),
    "pyabc": ("calibration", "calibration by ABC-SMC (calibrate)"),
    "cloudpickle": ("calibration", "calibration by ABC-SMC (calibrate)"),
}


def available(module: str) -> bool:
    """Is the optional `module` (a key of `EXTRAS`) installed?"""
    from importlib.util import find_spec

    return find_spec(module) is not None


def missing_extra(err: ModuleNotFoundError) -> str | None:
    """The one-line message for a missing optional package, or None if `err` is not one."""
    top = (err.name or "").split(".")[0]
    if top not in EXTRAS:
        return None
    extra, what = EXTRAS[top]
    return (f"{what} needs the optional package '{top}', which is not installed: "
            f"pip install 'corridor[{extra}]' (or 'corridor[all]' for every optional part)")


def require(module: str) -> None:
    """Raise `UserError` with the one-line message if the optional `module` (a key of `EXTRAS`)
    is not installed; callers check before anything is written."""
    from importlib.util import find_spec

    from sim.program.errors import UserError

    if find_spec(module) is None:
        raise UserError(missing_extra(ModuleNotFoundError(name=module)))

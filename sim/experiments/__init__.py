"""Experiments outside the model: parameter sweeps, what-if comparisons and sensitivity analysis.

The model is a function from (scenario with overrides, seed) to named outcomes; everything here
drives it through a `concurrent.futures` executor (a local process pool or a Dask cluster), so
results do not depend on which worker ran which run. See docs/experiments.md.
"""

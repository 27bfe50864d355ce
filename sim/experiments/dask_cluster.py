"""A Dask cluster as an engine of many runs (`--dask local` or `--dask ADDRESS`): the executor
`client.get_executor()` gives, and a local cluster that leaves nothing behind in this process.

:func:`dask_executor` is what `sim.experiments.engine.open_executor` opens for `--dask`.
"""

from __future__ import annotations

import os
from contextlib import ExitStack, contextmanager

from sim.program.errors import UserError


@contextmanager
def dask_executor(address: str, workers: int):
    """(executor, description, worker threads) of the Dask cluster at `address` ("local": a
    cluster of `workers` processes started here, one thread each). An unreachable scheduler, or a
    local cluster that does not start, is a `UserError` (one line). A local Dask cluster sets its workers' variables (one thread per numerical library,
    `MALLOC_TRIM_THRESHOLD_`, `PYTHONHASHSEED`, ...) in this process's environment, where every
    process started later would inherit them: they are undone when the cluster closes, or fails
    to start (a worker that cannot start, Ctrl-C while it starts)."""
    from distributed import Client, LocalCluster  # imported only when Dask is asked for

    with ExitStack() as stack:  # on leaving: the client closed, then the cluster, then the environment
        if address == "local":
            stack.callback(_environment_put_back, dict(os.environ))
            try:
                cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
                stack.callback(cluster.close)
                client = Client(cluster)
            except Exception as err:  # noqa: BLE001 - whatever Dask raises, one line (Ctrl-C passes)
                raise UserError(f"--dask local: the local Dask cluster did not start ({type(err).__name__}: "
                                f"{err}); run without --dask (a process pool: --workers N)") from None
            where = "local Dask cluster"
        else:
            try:
                client = Client(address, timeout="15s")
            except (OSError, TimeoutError) as err:
                raise UserError(f"--dask {address}: cannot reach the Dask scheduler ({err})") from None
            where = f"Dask cluster at {address}"
        stack.callback(client.close)
        slots = sum(client.nthreads().values()) or 1
        yield client.get_executor(pure=False), f"{where} ({slots} worker threads)", slots


def _environment_put_back(environ: dict[str, str]) -> None:
    """Make `os.environ` `environ` again, touching only the variables that differ."""
    for name in set(os.environ) - set(environ):
        del os.environ[name]
    for name, value in environ.items():
        if os.environ.get(name) != value:
            os.environ[name] = value

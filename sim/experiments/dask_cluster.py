"""A Dask cluster as an engine of many runs (`--dask local` or `--dask ADDRESS`): the executor
`client.get_executor()` gives, and a local cluster that leaves nothing behind in this process.

:func:`dask_executor` is what `sim.experiments.engine.open_executor` opens for `--dask`.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from contextlib import ExitStack, contextmanager

from sim.program.errors import UserError, describe_found
from sim.program.extras import require

#: the local scheduler's HTTP server (no dashboard) on any free port: not on 8787, where another
#: cluster (a notebook's, a second sweep's) would make Dask print that it moved
ANY_PORT = {"dashboard_address": "127.0.0.1:0"}


def check_dask(dask: str | None) -> None:
    """Refuse a `--dask` that is neither None, 'local' nor a scheduler's address as Dask reads it
    (`address_problem`), or Dask when `distributed` is not installed: UserError, one line. The
    engine's check (`sim.experiments.engine.check_engine`) and `sweep --dry-run`'s, which does
    not import the engine: both before anything is written."""
    if dask is not None and not dask.strip():
        raise UserError(f"--dask: expected 'local' or a scheduler address like tcp://host:8786, found "
                        f"{describe_found(dask)}")
    if dask and dask != "local" and (problem := address_problem(dask)) is not None:
        raise UserError(f"--dask {dask}: expected 'local' or a scheduler address like tcp://host:8786 ({problem})")
    if dask:
        require("distributed")


def address_problem(address: str) -> str | None:
    """What keeps `address` from being a Dask scheduler's address, read as distributed reads it
    (distributed.comm.addressing.parse_address and parse_host_port, without importing it):
    `[scheme://]host:port`, the scheme tcp when none is given (``localhost:8786``), one of
    tcp, tls, ws, wss (or inproc, an address inside this process, taken as it is), an IPv6
    host in brackets (``tcp://[::1]:8786``), the port a number from 1 to 65535. None if nothing."""
    scheme, sep, where = address.rpartition("://")
    if sep and scheme not in ("tcp", "tls", "ws", "wss", "inproc"):
        return f"{scheme}:// is not one of Dask's: tcp://, tls://, ws://, wss://"
    if scheme == "inproc":
        return None
    host, colon, port = where.rpartition(":")
    if not (colon and port) or "]" in port:  # tcp://[::1] has no port either
        return "no port number"
    if not host.strip("[]"):
        return "no host"
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        return "an IPv6 host goes in brackets: tcp://[::1]:8786"
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        return f"the port {port} is not a number from 1 to 65535"
    return None


@contextmanager
def dask_executor(address: str, workers: int):
    """(executor, description, worker threads) of the Dask cluster at `address` ("local": a
    cluster of `workers` processes started here, one thread each).

    An unreachable scheduler, a local cluster that does not start, or a cluster lost as the
    client asks it for its workers is a `UserError` (one line naming `--dask`). A local cluster
    keeps Dask's own log lines quiet (below CRITICAL: a failing worker's tracebacks, the
    cluster's closing) in this process and in its workers, for as long as it runs: Dask puts this
    process's handlers back when the cluster closes or fails to start. A client or cluster that fails to
    close (a nanny's process that does not end in time under load) is a warning, not a failure:
    every run has finished and is saved by then, and the command builds its tables. A local Dask
    cluster sets its workers' variables (one thread per numerical library,
    `MALLOC_TRIM_THRESHOLD_`, `PYTHONHASHSEED`, ...) in this process's environment, where every
    process started later would inherit them: they are undone when the cluster closes, or fails
    to start (a worker that cannot start, Ctrl-C while it starts)."""
    from distributed import Client, LocalCluster  # imported only when Dask is asked for

    flag = f"--dask {address}"
    with ExitStack() as stack:  # on leaving: the client closed, then the cluster, then the environment
        if address == "local":
            stack.callback(_environment_put_back, dict(os.environ))
            try:
                cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       scheduler_kwargs=ANY_PORT,
                                       silence_logs=logging.CRITICAL)  # Dask's log lines, here and in the workers
                stack.callback(_closed, cluster.close, f"{flag}: the local Dask cluster")
                client = Client(cluster)
            except Exception as err:  # noqa: BLE001 - whatever Dask raises, one line (Ctrl-C passes)
                raise UserError(f"{flag}: the local Dask cluster did not start ({type(err).__name__}: "
                                f"{err}); run without --dask (a process pool: --workers N)") from None
            where = "local Dask cluster"
        else:
            try:
                client = Client(address, timeout="15s")
            except (OSError, TimeoutError, ValueError) as err:  # ValueError: an address Dask cannot read
                raise UserError(f"{flag}: cannot reach the Dask scheduler ({err})") from None
            where = f"Dask cluster at {address}"
        stack.callback(_closed, client.close, f"{flag}: the Dask client")
        try:
            slots = sum(client.nthreads().values()) or 1
            executor = client.get_executor(pure=False)
        except Exception as err:  # noqa: BLE001 - a scheduler lost as it is asked: one line (Ctrl-C passes)
            raise UserError(f"{flag}: the {where} was lost as it started ({type(err).__name__}: {err}); "
                            "run without --dask (a process pool: --workers N)") from None
        yield executor, f"{where} ({slots} worker thread{'s' if slots != 1 else ''})", slots


def _closed(close: Callable[[], object], what: str) -> None:
    """Close a Dask client or cluster; if that fails (dask/distributed#9300: a nanny's process
    that does not join in time under load), warn in one line and go on."""
    try:
        close()
    except Exception as err:  # noqa: BLE001 - whatever Dask raises; Ctrl-C passes
        warnings.warn(f"{what} did not close cleanly ({type(err).__name__}: {err}); the finished runs are "
                      "saved", stacklevel=2)


def _environment_put_back(environ: dict[str, str]) -> None:
    """Make `os.environ` `environ` again, touching only the variables that differ."""
    for name in set(os.environ) - set(environ):
        del os.environ[name]
    for name, value in environ.items():
        if os.environ.get(name) != value:
            os.environ[name] = value

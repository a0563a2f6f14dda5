"""The fork server local workers are forked from (light: imports nothing heavy, so ``batch`` can start it
before it imports anything else).

With Dask's default (``spawn``) every local worker starts a fresh interpreter and imports Dask (~0.7 s
CPU), then numpy, retrogait and the balance metrics on its first file, and tears it all down at the end;
N workers pay this N times, and the first file waits for it. A multiprocessing fork server imports
:data:`WORKER_PRELOAD` once, in the background, while the client is still importing its own modules and
Dask and starting the scheduler, and every worker is a fork of it (copy-on-write; a worker that Dask
replaces after a crash is forked the same way).

The fork server's imports are the longest step of a local batch's start-up (the client is ready to
start workers before they are done), so ``retrogait batch`` calls :func:`start_fork_server` first
thing, and :func:`stop_fork_server` when the run is over (a fork server we started holds nothing:
stopping it at once spares the wait for its interpreter to tear down).
"""

from __future__ import annotations

import os
import signal

#: Imported once by the fork server (in this order): Dask's worker and everything
#: :func:`~retrogait.batch.task.analyze_file` needs, so no worker imports them itself; last
#: :mod:`retrogait.batch.preloaded`, which freezes them for the garbage collector (see there).
WORKER_PRELOAD = ("distributed", "numpy", "pyarrow", "pyarrow.parquet", "retrogait.cli", "retrogait.batch.task",
                  "retrogait.batch.rows", "retrogait.batch.arrow",
                  "retrogait.analysis", "retrogait.analysis.calibration", "retrogait.io.loading",
                  "retrogait.balance.metrics", "retrogait.commands.analyze",
                  "retrogait.history.store", "retrogait.batch.preloaded")

#: glibc's malloc settings for local workers (read when the fork server starts; its forks inherit them):
#: heap memory is given back to the system only when 256 MiB of it are free at the top, and only blocks
#: of 32 MiB or more get a mapping of their own. By default glibc adapts both as a process runs, so
#: whether a worker keeps its numpy temporaries' memory between files or hands it back and faults it in
#: again (~1,200 page faults a ten-minute file) depends on its allocation history: two identical
#: 400-file runs of one worker made 203 and 1,343 faults a file, and the second took 8 % more CPU a
#: file (104.3 against 96.5 ms). With these settings 23 faults a file in every run (96-98 ms), for ~4 MB
#: more peak memory a worker. Other C libraries ignore the variable.
WORKER_MALLOC = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"

#: The environment of the fork server and so of every local worker: what Dask's nannies set
#: (``distributed.nanny.pre-spawn-environ``: one thread for OpenMP, MKL and OpenBLAS, whose pools are
#: sized when numpy is imported), without MALLOC_TRIM_THRESHOLD_ (see ``runner.LOCAL_CLUSTER_CONFIG``),
#: with the nannies' fixed hash seed and with :data:`WORKER_MALLOC`. Values already in the environment
#: win.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "6640",
              "GLIBC_TUNABLES": WORKER_MALLOC}

_started: list[int] = []  # pid of the fork server this process started (and has not stopped)


def _server() -> object:
    from multiprocessing import forkserver

    return forkserver._forkserver  # the process-wide fork server (a private name of multiprocessing)


def _server_pid() -> int | None:
    pid = getattr(_server(), "_forkserver_pid", None)
    return pid if isinstance(pid, int) else None


def start_fork_server() -> bool:
    """Start the fork server local workers are forked from, importing :data:`WORKER_PRELOAD` in the
    background (returns at once). Idempotent. False where there are no fork servers (Windows):
    workers are then spawned as usual.

    Sets :data:`WORKER_ENV` in this process's environment (defaults only) first: the server and its
    forks get the environment of the moment it starts.
    """
    import multiprocessing
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    for k, v in WORKER_ENV.items():
        os.environ.setdefault(k, v)
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    before = _server_pid()
    multiprocessing.get_context("forkserver").set_forkserver_preload(list(WORKER_PRELOAD))
    forkserver.ensure_running()  # returns at once; the server imports in the background
    pid = _server_pid()
    if pid is not None and pid != before:
        _started[:] = [pid]
    return True


def stop_fork_server() -> None:
    """Stop the fork server if this process started it (:func:`start_fork_server`) and it still runs.

    Call it once no worker of it is needed any more (the cluster is closed). It is killed (SIGKILL: it
    holds no state, and a signal mask inherited from the caller cannot delay it) rather than asked to
    exit, which would wait for its interpreter to tear down the modules it imported; multiprocessing
    then starts a new one when one is needed again. A fork server started by someone else (another
    library, an earlier call that keeps it) is left alone.
    """
    pid = _server_pid()
    if not _started or pid != _started[0]:
        _started.clear()
        return
    _started.clear()
    try:
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))  # Windows has no SIGKILL (nor fork servers)
    except ProcessLookupError:
        pass
    stop = getattr(_server(), "_stop", None)  # closes our end of its "alive" pipe and reaps it
    if stop is not None:
        stop()

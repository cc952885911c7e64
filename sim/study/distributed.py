"""Run simulation tasks in this process, on a local process pool or on a Dask distributed cluster.

A task is one replication of one variant, at one point of a sweep: ``(point, variant,
replication)`` (:mod:`sim.study.tasks`). Everything the tasks need is built once in this process as
a :class:`sim.study.tasks.Bundle` and sent to each worker once: forked pool workers inherit it,
Dask workers receive it by ``client.scatter(..., broadcast=True)``. Each task then only sends its
name and gets back its result frames.

Results do not depend on where a task runs: a task is :func:`sim.study.tasks.simulate_frames` of
its spec with the same seed and replication, so ``--workers 1``, ``--workers N`` and ``--dask`` give
identical frames (and the folders written from them identical tables).

Dask is imported only when a Dask run starts. ``"local"`` starts a
:class:`dask.distributed.LocalCluster` of single-threaded worker processes on this machine (one per
core unless told otherwise) and stops it at the end; any other address names the scheduler of an
existing cluster (``tcp://host:8786``), whose workers need this package installed (and the data
folder, ``XBORDER_DATA``, when the scenario has focus areas drawn from a region's jurisdictions).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing as mp
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

import pandas as pd

from sim.errors import UsageError
from sim.study.stops import Stopped, end_with_parent
from sim.study.tasks import Bundle, Task

OnDone = Callable[[Task, dict[str, pd.DataFrame]], None]
"""Called in this process with each finished task and its frames (in the order they finish)."""

CONNECT_TIMEOUT = "15s"
"""How long to wait for a Dask scheduler at an address."""


# ---------------------------------------------------------------------------------------- running


def execute(bundle: Bundle, tasks: Sequence[Task], *, seed: int, on_done: OnDone, workers: int = 1,
            dask: Any = None) -> None:
    """Run `tasks`, calling `on_done` here as each one finishes.

    Parameters
    ----------
    bundle
        Everything the tasks need (:func:`sim.study.tasks.make_bundle`).
    tasks
        ``(point, variant, replication)`` triples.
    seed
        The root seed (the same for every task: common random numbers).
    on_done
        Called in this process with each finished task and its frames.
    workers
        Without `dask`: processes (1 runs here, in order). With ``dask="local"``: the size of the
        LocalCluster (1 or less: one worker per core).
    dask
        ``None``, ``"local"``, a scheduler address or a connected ``dask.distributed.Client``.
    """
    if dask is not None:
        with dask_client(dask, workers=workers) as client:
            _execute_dask(client, bundle, tasks, seed=seed, on_done=on_done)
    elif workers <= 1:
        for task in tasks:
            on_done(task, bundle.run(task, seed))
    else:
        _execute_pool(bundle, tasks, seed=seed, workers=workers, on_done=on_done)


class WorkerLost(RuntimeError):
    """A worker process died abruptly (killed by the operating system, most often for lack of
    memory); the tasks that had finished were handed to ``on_done`` before this was raised."""


_LOST = ("a worker process died abruptly (killed by the operating system, most often for lack of "
         "memory: try fewer workers)")


# local process pool: workers get the bundle once (inherited on fork, pickled once on spawn)

_BUNDLE: Bundle | None = None


def _init_pool_worker(bundle: Bundle, parent: int) -> None:
    global _BUNDLE
    end_with_parent(parent)  # the parent handles Ctrl-C and stop signals; no worker outlives it
    _BUNDLE = bundle


def _pool_task(task: Task, seed: int) -> dict[str, pd.DataFrame]:
    assert _BUNDLE is not None, "pool worker without a bundle"
    return _BUNDLE.run(task, seed)


def _execute_pool(bundle: Bundle, tasks: Sequence[Task], *, seed: int, workers: int,
                  on_done: OnDone) -> None:
    """Run `tasks` on a pool of forked (or spawned) worker processes.

    Ctrl-C (workers ignore SIGINT; the parent gets it): tasks not yet started are cancelled, the
    ones in progress (at most a few, one per worker and one queued) finish and are handed to
    `on_done` like any other, then ``KeyboardInterrupt`` propagates. A second Ctrl-C, or a stop
    signal (:class:`sim.study.stops.Stopped`: SIGTERM, SIGHUP), stops the workers at once. A worker
    that dies (the operating system kills it, e.g. out of memory) breaks the pool: what had
    finished goes to `on_done`, then :class:`WorkerLost` is raised. Workers end with this process
    (:func:`sim.study.stops.end_with_parent`). Stopping a worker while it sends a result leaves
    half a message in the result pipe, on which the pool's own thread (and the interpreter at exit)
    would wait forever: :func:`_stop_pool` ends that wait.
    """
    method = "fork" if "fork" in mp.get_all_start_methods() and sys.platform != "darwin" else "spawn"
    ex = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method),
                                initializer=_init_pool_worker, initargs=(bundle, os.getpid()))
    futures: dict[cf.Future[dict[str, pd.DataFrame]], Task] = {}
    try:
        try:
            futures = {ex.submit(_pool_task, task, seed): task for task in tasks}
            for fut in cf.as_completed(futures):
                task = futures.pop(fut)
                try:
                    frames = fut.result()
                except BrokenProcessPool as exc:
                    # as_completed yields in order of completion: every result that came back
                    # before the pool broke has been handed to on_done already
                    raise WorkerLost(_LOST) from exc
                on_done(task, frames)
        except KeyboardInterrupt as exc:
            if isinstance(exc, Stopped):  # SIGTERM, SIGHUP: stop now (a scheduler's KILL may follow)
                raise
            running = [f for f in futures if not f.cancel()]
            if running:
                print(f"xborder: stopping: finishing the {len(running)} replication(s) in progress "
                      "(Ctrl-C again to stop at once)", file=sys.stderr, flush=True)
            for fut in cf.as_completed(running):
                if not fut.cancelled() and fut.exception() is None:
                    on_done(futures.pop(fut), fut.result())
            ex.shutdown(wait=True)
            raise
    except BaseException:
        _stop_pool(ex, futures)
        raise
    else:
        ex.shutdown(wait=True)


def _stop_pool(ex: cf.ProcessPoolExecutor, futures: Mapping[cf.Future[Any], Task]) -> None:
    """Stop a pool now: cancel what is left and terminate its worker processes."""
    for f in futures:
        f.cancel()
    procs = list((getattr(ex, "_processes", None) or {}).values())
    # taken before shutdown(), which drops the executor's references to both
    result_queue = getattr(ex, "_result_queue", None)
    ex.shutdown(wait=False, cancel_futures=True)
    for p in procs:  # our own workers: stop them rather than wait for running tasks
        if p.is_alive():
            p.kill()
    for p in procs:
        p.join(timeout=10)
    # A worker stopped while it sent a result leaves half a message in the result pipe: the pool's
    # thread would wait for the rest forever, and the interpreter for that thread at exit. With the
    # workers gone, this process holds the pipe's only writing end: closing it ends that wait.
    writer = getattr(result_queue, "_writer", None)
    if writer is not None:
        writer.close()


# Dask


def _dask_task(bundle: Bundle, task: Task, seed: int) -> dict[str, pd.DataFrame]:
    return bundle.run(task, seed)


@contextmanager
def dask_client(dask: Any, *, workers: int = 0) -> Iterator[Any]:
    """A Dask client for `dask`: ``"local"`` (a LocalCluster, closed on exit), an address, or a client.

    Parameters
    ----------
    dask
        ``"local"``, a scheduler address such as ``tcp://10.0.0.5:8786``, or a ``Client`` (used
        as is and left open).
    workers
        For ``"local"``: single-threaded worker processes (1 or less: one per core).
    """
    if not isinstance(dask, str):
        yield dask
        return
    from dask.distributed import Client, LocalCluster

    address = dask.strip()
    if address == "local":
        n = workers if workers > 1 else (os.cpu_count() or 1)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    client = connect(address)
    try:
        yield client
    finally:
        client.close()


def connect(address: str) -> Any:
    """A client connected to the Dask scheduler at `address` (``UsageError`` if none answers)."""
    from dask.distributed import Client

    if not address.strip():
        raise UsageError("--dask needs 'local' or a scheduler address such as tcp://host:8786")
    try:
        return Client(address.strip(), timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--dask {address}: cannot reach a Dask scheduler there ({exc})") from None


def _execute_dask(client: Any, bundle: Bundle, tasks: Sequence[Task], *, seed: int,
                  on_done: OnDone) -> None:
    from dask.distributed import KilledWorker, as_completed

    # one object, sent to every worker once; tasks refer to it by its future
    [remote] = client.scatter([bundle], broadcast=True, hash=False)
    run_id = uuid.uuid4().hex[:8]
    futures: dict[Any, Task] = {}
    lost = 0
    try:
        for task in tasks:
            point, variant, rep = task
            key = f"xborder-{run_id}-{point or 'run'}-{variant}-{rep}"
            futures[client.submit(_dask_task, remote, task, seed, key=key, pure=False)] = task
        for fut in as_completed(list(futures)):
            task = futures.pop(fut)
            try:
                frames = fut.result()
            except KilledWorker:  # its workers died, as many times as Dask allows: the others go on
                lost += 1
                continue
            fut.release()
            on_done(task, frames)
    finally:
        if futures:
            client.cancel(list(futures))
        futures.clear()
        remote.release()
    if lost:
        raise WorkerLost(f"{lost} of {len(tasks)} task(s) lost: {_LOST}")


@contextmanager
def connected(dask: Any) -> Iterator[Any]:
    """`dask` ready for :func:`execute`, connected before anything is written.

    A scheduler address is connected to at once (``UsageError`` if none answers: a wrong address
    writes nothing) and the client is closed on exit; ``None``, ``"local"`` (the LocalCluster
    starts with the tasks) and a connected client are yielded as they are.
    """
    if not (isinstance(dask, str) and dask.strip() != "local"):
        yield dask
        return
    client = connect(dask)
    try:
        yield client
    finally:
        client.close()

"""Independent fits as tasks: one at a time here, on this machine's cores, or on a
Dask cluster (the ``fanout`` block, ``parameters_fanout.yml``).

A node builds its fits as ``Task`` objects (a top-level function and its inputs)
and hands them to ``fan_out(params).run``; results come back in the order given,
whatever order they finish in, so tables are those of a sequential run.

- ``workers: 1``: in this process, in order.
- ``workers: null`` (default): a Dask ``LocalCluster`` of ``cores // threads_per_fit``
  worker processes, one fit each at a time, ``threads_per_fit`` torch threads per
  fit (workers x threads <= cores: no oversubscription); where CUDA is found,
  ``fits_per_gpu`` workers per GPU instead, worker ``i`` on GPU ``i mod n`` (one
  CUDA context per worker process). Every fit, here or on a
  worker, runs with ``threads_per_fit`` torch and BLAS threads: the same float
  reductions, so the tables of every runner are the same.
- ``scheduler: tcp://host:8786`` (or ``PIRATE_PAIN_DASK_SCHEDULER``): the fits go to
  that scheduler's workers; inputs travel with each task (at most one task per
  worker thread in flight).
  A worker that dies mid-fit loses nothing: the scheduler runs the task elsewhere.

Within one Kedro run the local cluster is started by the first node that fans out
and kept for the next ones (``FanoutHook`` stops it when the run ends), so later
nodes find their workers started and their modules imported. On a cluster the
next fit to go out is the one expected to take longest (the mean time of its kind
so far; kinds not yet timed first, in order), so no long fit starts last while the
other workers idle.

Workers never touch MLflow: the node logs each fit's nested run from the results,
in this process, so no worker opens a stray run (kedro-mlflow #689). A node that
passes ``done`` to ``run`` does that as each result arrives, while the workers fit
the next ones, instead of after the last.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from .modeling.config import ConfigBlock, TrainConfig

logger = logging.getLogger(__name__)

SCHEDULER_ENV = "PIRATE_PAIN_DASK_SCHEDULER"
Done = Callable[[int, Any], None]  # called with a task's position and result
# Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536: glibc then hands freed
# memory back at once and a torch fit, which frees and reallocates its tensors every
# batch, runs 1.5x slower (measured: docs/fanout.md). None unsets it.
WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


class FanoutParams(ConfigBlock):
    workers: int | None = Field(None, ge=1)  # null: cores // threads_per_fit
    threads_per_fit: int = Field(1, ge=1)  # torch threads of one fit in a worker
    scheduler: str | None = None  # a Dask scheduler address; null: $SCHEDULER_ENV
    retries: int = Field(2, ge=0)  # reruns of a task that raised on a worker
    fits_per_gpu: int = Field(2, ge=1)  # local workers per GPU where CUDA is found

    def address(self) -> str | None:
        return self.scheduler or os.environ.get(SCHEDULER_ENV) or None

    def local_workers(self) -> int:
        if self.workers is not None:
            return self.workers
        if gpus := cuda_devices():
            return gpus * self.fits_per_gpu
        return max(1, (os.cpu_count() or 1) // self.threads_per_fit)


def cuda_devices() -> int:
    """The number of CUDA devices this process sees (0 without CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def pin_gpu() -> None:
    """On worker ``i`` of a local cluster on a CUDA machine: GPU ``i mod n`` becomes
    this process's current device, so ``cuda`` (and ``auto``) fits of the workers
    spread over the GPUs. Elsewhere (this process, a remote worker: give each its
    GPU with ``CUDA_VISIBLE_DEVICES``) nothing changes."""
    if not cuda_devices():
        return
    try:
        from dask.distributed import get_worker

        name = get_worker().name
    except (ImportError, ValueError):  # no Dask, or not on a worker
        return
    if isinstance(name, int):  # LocalCluster numbers its workers 0, 1, ...
        import torch

        torch.cuda.set_device(name % cuda_devices())


@dataclass
class Task:
    """One fit: ``function(*args)`` runs where a worker is free."""

    name: str
    function: Callable[..., Any]
    args: tuple = field(default_factory=tuple)
    kind: str = ""  # fits of one kind take about as long (the candidate); "": name

    def cost_key(self) -> str:
        return self.kind or self.name


def next_task(waiting: list[tuple[int, Task]], seconds: dict[str, list[float]]) -> int:
    """The position in ``waiting`` of the task to send out next: the longest
    expected (mean seconds of its kind so far), a kind not yet timed before any
    timed one, ties in the given order (longest processing time first, which keeps
    the end of a batch from waiting on one long fit)."""

    def expected(item: tuple[int, Task]) -> float:
        times = seconds.get(item[1].cost_key())
        return sum(times) / len(times) if times else float("inf")

    return max(range(len(waiting)), key=lambda k: (expected(waiting[k]), -k))


def run_task(
    function: Callable[..., Any], threads: int, *args: Any
) -> tuple[Any, float]:
    """``function(*args)`` with ``threads`` BLAS / OpenMP threads (threadpoolctl), as
    on a worker whatever the process: the same float reductions, the same result.
    Returns the result and the seconds it took there."""
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    pin_gpu()
    with threadpool_limits(limits=threads):
        result = function(*args)
    return result, time.perf_counter() - started


class Sequential:
    """Tasks one after the other in this process (``workers: 1``), with the
    threads a worker would have, so the results are a worker's."""

    def __init__(self, threads: int) -> None:
        self.threads = threads

    def share(self, value: Any) -> Any:
        return value

    def run(self, tasks: list[Task], route: str, done: Done | None = None) -> list[Any]:
        progress = Progress(route, len(tasks))
        results = []
        for i, task in enumerate(tasks):
            result, seconds = run_task(task.function, self.threads, *task.args)
            results.append(result)
            progress.done(task.name, seconds)
            if done is not None:
                done(i, result)
        return results


class OnDask:
    """Tasks on a Dask cluster: a ``LocalCluster`` of this machine, or a scheduler
    at an address."""

    def __init__(self, client, threads: int, retries: int) -> None:
        self.client, self.threads, self.retries = client, threads, retries
        self.seconds: dict[str, list[float]] = {}  # per kind, for next_task

    def share(self, value: Any) -> Any:
        """``value`` itself: it travels with each task that takes it, so a worker
        that dies takes no input with it. (Data scattered to the workers is not
        safe: Dask's memory manager drops the extra copies, and a killed worker's
        fits were cancelled for "lost dependencies".)"""
        return value

    def run(self, tasks: list[Task], route: str, done: Done | None = None) -> list[Any]:
        """At most one task per worker thread in flight, the next (``next_task``)
        as soon as one finishes: no worker idles while tasks wait (the scheduler
        would otherwise place tasks by where their data lies and how long it
        guesses they take), and results come back in the order given. ``done(i,
        result)`` runs here as each result arrives (in the order they finish),
        while the workers go on fitting."""
        from dask.distributed import as_completed

        progress = Progress(route, len(tasks))
        run_id = uuid.uuid4().hex[:8]
        waiting = list(enumerate(tasks))
        index, results, futures = {}, [None] * len(tasks), []
        running = as_completed()

        def submit() -> None:
            i, task = waiting.pop(next_task(waiting, self.seconds))
            future = self.client.submit(
                run_task,
                task.function,
                self.threads,
                *task.args,
                key=f"fit-{run_id}-{i}",
                pure=False,
                retries=self.retries,
            )
            index[future.key] = i
            futures.append(future)
            running.add(future)

        try:
            while waiting and running.count() < self.slots():
                submit()
            for future in running:
                # raises the task's own exception here when it failed
                i = index[future.key]
                results[i], seconds = future.result()
                self.seconds.setdefault(tasks[i].cost_key(), []).append(seconds)
                progress.done(tasks[i].name, seconds)
                while waiting and running.count() < self.slots():
                    submit()
                if done is not None:  # after the next fit went out
                    done(i, results[i])
            return results
        finally:
            self.client.cancel(futures)

    def slots(self) -> int:
        """Worker threads in the cluster now (workers may join or leave)."""
        return max(1, sum(self.client.nthreads().values()))


class Progress:
    """One line per finished fit: its seconds, done of total, elapsed, estimated
    remaining."""

    def __init__(self, route: str, total: int) -> None:
        self.route, self.total, self.count = route, total, 0
        self.started = time.perf_counter()

    def done(self, name: str, seconds: float) -> None:
        self.count += 1
        elapsed = time.perf_counter() - self.started
        left = elapsed / self.count * (self.total - self.count)
        logger.info(
            "%s: %d/%d fits done (%s, %s), %s elapsed, about %s left",
            self.route,
            self.count,
            self.total,
            name,
            _clock(seconds),
            _clock(elapsed),
            _clock(left),
        )


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}m{seconds:02d}s"


def configured(runner, config: TrainConfig) -> TrainConfig:
    """``config`` as the runner fits it: ``threads_per_fit`` torch threads."""
    return config.model_copy(update={"torch_threads": runner.threads})


@contextmanager
def fan_out(params: FanoutParams) -> Iterator[Sequential | OnDask]:
    """The runner ``params`` ask for; a local cluster started here is stopped after,
    unless a Kedro run holds it (``RUN_CLUSTER``)."""
    address = params.address()
    if address is None and params.local_workers() == 1:
        yield Sequential(params.threads_per_fit)
        return
    from dask.distributed import Client

    if address is not None:
        logger.info("Fits go to the Dask scheduler at %s", address)
        with Client(address) as client:
            yield OnDask(client, params.threads_per_fit, params.retries)
        return
    workers = params.local_workers()
    if RUN_CLUSTER.active:
        client = RUN_CLUSTER.client(workers)
        yield OnDask(client, params.threads_per_fit, params.retries)
        return
    with local_cluster(workers) as client:
        yield OnDask(client, params.threads_per_fit, params.retries)


@contextmanager
def local_cluster(workers: int) -> Iterator[Any]:
    """A client of a new ``LocalCluster`` of ``workers`` processes, stopped after."""
    import dask
    from dask.distributed import Client, LocalCluster

    logger.info(
        "Fits run on %d local worker processes%s",
        workers,
        f", on {cuda_devices()} GPU(s)" if cuda_devices() else "",
    )
    with (
        dask.config.set(WORKER_CONFIG),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.WARNING,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


class RunCluster:
    """The local cluster of one Kedro run: started by the first node that fans out,
    kept for the others, stopped by ``stop`` (``FanoutHook``, when the run ends or
    fails)."""

    def __init__(self) -> None:
        self.active = False
        self.workers = 0
        self.stack = ExitStack()
        self.open_client: Any = None
        self.lock = threading.Lock()  # nodes of a ThreadRunner ask at once

    def start(self) -> None:
        self.active = True

    def client(self, workers: int) -> Any:
        with self.lock:
            if self.open_client is not None and workers != self.workers:
                self.stack.close()  # a node asked for another size
                self.open_client = None
            if self.open_client is None:
                self.open_client = self.stack.enter_context(local_cluster(workers))
                self.workers = workers
            else:
                logger.info("Fits run on the run's %d local worker processes", workers)
            return self.open_client

    def stop(self) -> None:
        with self.lock:
            self.active = False
            self.open_client = None
            self.stack.close()


RUN_CLUSTER = RunCluster()

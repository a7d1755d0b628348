"""Where the partitions of an analysis run: here (pipelined) or on a Dask cluster.

Both backends run the same pure function, :func:`geo.partition.analyse_partition`, on the
same kind of partitions and yield one :class:`geo.overlay.AnalysisResult` per partition,
so the stored rows are the same whichever runs them (tested with a ``LocalCluster``).

* ``local`` (``ALLPA_ANALYSIS_BACKEND=local``, the default): with more than one partition
  and ``ALLPA_ANALYSIS_PROCESSES`` above 1 (0 = one per usable core; the default is 1),
  worker processes forked after the layers are loaded each take whole partitions, overlays
  *and* the caller's ``finish`` (flag rules, COPY text), so the pure-Python rules run on
  every core rather than behind one GIL; they read the layers their parent loaded (fork
  shares the pages) and send back only text. Partitions are handed out and returned in
  order (``imap``), a few at a time. Their cost is memory: touching the inherited objects
  copies their pages, so the tree holds most of the layers twice (bench_analysis). With one
  process (the default) or one partition: computed one ahead in a thread (GEOS releases the
  GIL) while the caller finishes the previous one.
* ``dask``: partitions are submitted to a ``dask.distributed`` cluster
  (``ALLPA_DASK_SCHEDULER=tcp://host:8786``, or a ``LocalCluster`` on this machine when
  unset), ordered along a Hilbert curve computed by ``dask-geopandas``. At most
  ``DASK_IN_FLIGHT`` partitions are in flight, and results come back in submission order.
  For a continent, not for Peru: shipping partitions to workers costs more than it saves
  on one machine.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import numpy as np

from geo.geodesy import workers
from geo.overlay import AnalysisResult
from geo.partition import (
    Partition,
    PartitionPlan,
    analyse_partition,
    materialise,
    partition_plans,
    partitions,
)
from layers.config import Settings

DASK_IN_FLIGHT = 8
T = TypeVar("T")


def local_processes(settings: Settings) -> int:
    """Worker processes of the local backend: the setting, or the usable cores."""
    wanted = settings.analysis_processes
    return wanted if wanted > 0 else workers()


def partition_outputs(inputs: Any, settings: Settings, community_ids: set[str] | None,
                      finish: Callable[[AnalysisResult], T]) -> Iterator[T]:
    """``finish`` applied to the analysis of every partition, in partition order.

    ``finish`` must be pure with respect to its inputs (it may run in a forked worker, whose
    side effects the caller never sees) and return something picklable.
    """
    compute = partial(analyse_partition, radius_m=settings.point_radius_m,
                      neighbour_min_ha=settings.neighbour_overlap_min_ha)
    ids = None if community_ids is None else sorted(community_ids)
    if settings.analysis_backend == "dask":
        for result in _dask(inputs, settings, ids, compute):
            yield finish(result)
        return
    size = max(settings.analysis_partition_size, 1)
    procs = local_processes(settings)
    total = len(inputs.communities) if ids is None else len(ids)
    if procs > 1 and total > size:
        # a multiple of the processes, so that no core idles through the last round
        count = math.ceil(math.ceil(total / size) / procs) * procs
        size = math.ceil(total / count)
    plans = list(partition_plans(inputs.communities, inputs.concessions, inputs.water,
                                 size=size, radius_m=settings.point_radius_m,
                                 community_ids=ids))
    n = min(procs, len(plans))
    if n > 1:
        yield from _forked(inputs, plans, compute, finish, n)
        return
    parts = (materialise(p, inputs.communities, inputs.concessions, inputs.water,
                         inputs.consultations) for p in plans)
    for result in _pipelined(parts, compute):
        yield finish(result)


#: What forked workers run: set in the parent just before the fork, read in the children.
_FORK_JOB: tuple[Any, list[PartitionPlan], Callable[[Partition], AnalysisResult],
                 Callable[[AnalysisResult], Any]] | None = None


def _fork_init(threads: int) -> None:
    os.environ["ALLPA_GEO_THREADS"] = str(threads)  # the cores are shared among processes


def _fork_task(k: int) -> Any:
    assert _FORK_JOB is not None
    inputs, plans, compute, finish = _FORK_JOB
    part = materialise(plans[k], inputs.communities, inputs.concessions, inputs.water,
                       inputs.consultations)
    return finish(compute(part))


def _forked(inputs: Any, plans: list[PartitionPlan],
            compute: Callable[[Partition], AnalysisResult],
            finish: Callable[[AnalysisResult], T], n: int) -> Iterator[T]:
    """Partitions over ``n`` forked processes (inputs shared copy-on-write), in order."""
    global _FORK_JOB
    _FORK_JOB = (inputs, plans, compute, finish)
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(n, initializer=_fork_init, initargs=(max(1, workers() // n),),
                      maxtasksperchild=None) as pool:
            _FORK_JOB = None  # the children hold their copy; the parent needs none
            yield from pool.imap(_fork_task, range(len(plans)), chunksize=1)
    finally:
        _FORK_JOB = None


def partition_results(inputs: Any, settings: Settings,
                      community_ids: set[str] | None) -> Iterator[AnalysisResult]:
    """The analysis of ``inputs`` (all communities, or ``community_ids``) by partition."""
    compute = partial(analyse_partition, radius_m=settings.point_radius_m,
                      neighbour_min_ha=settings.neighbour_overlap_min_ha)
    ids = None if community_ids is None else sorted(community_ids)
    if settings.analysis_backend == "dask":
        yield from _dask(inputs, settings, ids, compute)
        return
    parts = partitions(inputs.communities, inputs.concessions, inputs.water,
                       inputs.consultations, size=settings.analysis_partition_size,
                       radius_m=settings.point_radius_m, community_ids=ids)
    yield from _pipelined(parts, compute)


def _pipelined(parts: Iterator[Partition], compute: Callable[[Partition], AnalysisResult]
               ) -> Iterator[AnalysisResult]:
    """Compute partition k+1 in a thread while the caller consumes partition k."""
    with ThreadPoolExecutor(1, thread_name_prefix="allpa-partition") as pool:
        pending: deque[Future[AnalysisResult]] = deque()
        for part in parts:
            pending.append(pool.submit(compute, part))
            if len(pending) > 1:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _dask(inputs: Any, settings: Settings, ids: list[str] | None,
          compute: Callable[[Partition], AnalysisResult]) -> Iterator[AnalysisResult]:
    import dask_geopandas
    from distributed import Client, LocalCluster

    cluster = None
    if settings.dask_scheduler:
        client = Client(settings.dask_scheduler)
    else:
        cluster = LocalCluster(processes=False, n_workers=1, dashboard_address=None)
        client = Client(cluster)
    try:
        comms = inputs.communities
        nparts = max(1, len(comms) // max(settings.analysis_partition_size, 1))
        geoms = comms.geometry.reset_index(drop=True)
        present = np.flatnonzero((~geoms.isna() & ~geoms.is_empty).to_numpy())
        distance = (dask_geopandas.from_geopandas(geoms.iloc[present].reset_index(drop=True),
                                                  npartitions=nparts)
                    .hilbert_distance().compute(scheduler=client.get).sort_index())
        order = np.concatenate([present[distance.to_numpy().argsort(kind="stable")],
                                np.setdiff1d(np.arange(len(geoms)), present)]).astype(np.intp)
        parts = partitions(comms, inputs.concessions, inputs.water, inputs.consultations,
                           size=settings.analysis_partition_size,
                           radius_m=settings.point_radius_m, community_ids=ids, order=order)
        in_flight: deque[Any] = deque()
        for part in parts:
            in_flight.append(client.submit(compute, part, pure=False))
            if len(in_flight) >= DASK_IN_FLIGHT:
                yield _take(in_flight.popleft())
        while in_flight:
            yield _take(in_flight.popleft())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _take(future: Any) -> AnalysisResult:
    result: AnalysisResult = future.result()
    future.release()
    return result

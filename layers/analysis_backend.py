"""Where the partitions of an analysis run: here (pipelined) or on a Dask cluster.

Both backends run the same pure function, :func:`geo.partition.analyse_partition`, on the
same kind of partitions and yield one :class:`geo.overlay.AnalysisResult` per partition,
so the stored rows are the same whichever runs them (tested with a ``LocalCluster``).

* ``local`` (``ALLPA_ANALYSIS_BACKEND=local``, the default): partitions are computed one
  ahead in a worker thread (GEOS releases the GIL) while the caller turns the previous one
  into flags and COPY payloads, so both cores work and at most two partitions' results are
  alive at once.
* ``dask``: partitions are submitted to a ``dask.distributed`` cluster
  (``ALLPA_DASK_SCHEDULER=tcp://host:8786``, or a ``LocalCluster`` on this machine when
  unset), ordered along a Hilbert curve computed by ``dask-geopandas``. At most
  ``DASK_IN_FLIGHT`` partitions are in flight, and results come back in submission order.
  For a continent, not for Peru: shipping partitions to workers costs more than it saves
  on one machine.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np

from geo.overlay import AnalysisResult
from geo.partition import Partition, analyse_partition, partitions
from layers.config import Settings

DASK_IN_FLIGHT = 8


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

"""The partitioned analysis stores the same rows however it is cut and wherever it runs.

On the sample (committed in a database of its own): a full run with the default partition
size (one partition), then with tiny partitions (many: pipelined over a thread, then over two forked
worker processes), then on a
Dask ``LocalCluster`` (``ALLPA_ANALYSIS_BACKEND=dask``, partitions ordered by
dask-geopandas): the current derived rows are identical each time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from distributed import LocalCluster
from sqlalchemy.engine import Engine

from layers.config import Settings
from tests.dbutil import fresh_database
from tests.layers.test_analysis_db import _analyse, _current_derived


@pytest.fixture
def sample_engine(settings: Settings) -> Iterator[Engine]:
    with fresh_database(settings, "partitioned", sample=True) as engine:
        yield engine


def _full(engine: Engine, settings: Settings) -> dict[str, list[tuple[object, ...]]]:
    with engine.begin() as conn:
        summary = _analyse(conn, settings, full=True)
    assert summary.mode == "full" and summary.overlaps > 0 and summary.flags > 0
    return _current_derived(engine)


def test_partitions_and_dask_store_the_single_process_rows(sample_engine: Engine,
                                                           settings: Settings) -> None:
    single = _full(sample_engine, settings)
    assert all(len(rows) > 10 for rows in single.values())

    # many partitions, in this process (a thread) and in two forked worker processes
    for processes in (1, 2):
        tiny = dataclasses.replace(settings, analysis_partition_size=3,
                                           analysis_processes=processes)
        assert _full(sample_engine, tiny) == single

    with LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                      dashboard_address=None) as cluster:
        on_dask = dataclasses.replace(settings, analysis_backend="dask",
                                              dask_scheduler=cluster.scheduler_address,
                                              analysis_partition_size=4)
        assert _full(sample_engine, on_dask) == single

"""Partitioned analysis: the partitions' rows together equal one ``analyse`` call exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.overlay import analyse
from geo.partition import analyse_partition, hilbert_order, merge_results, partitions
from tests.geo.test_overlay import _random_world


def _assert_same(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]) -> None:
    assert got.keys() == want.keys()
    for name, table in want.items():
        pd.testing.assert_frame_equal(got[name], table, check_exact=True, obj=name)


@pytest.mark.parametrize("size", [1, 7, 40, 1000])
def test_partitions_merge_to_the_full_result(size: int) -> None:
    comm, conc, water, cons = _random_world()
    full = analyse(comm, conc, water, cons, radius_m=3000, neighbour_min_ha=0.5)
    assert len(full.neighbour_overlaps) and len(full.proximity) and len(full.water_at_risk)
    parts = list(partitions(comm, conc, water, cons, size=size, radius_m=3000))
    assert len(parts) == -(-len(comm) // size)
    ids = [i for p in parts for i in p.community_ids]
    assert sorted(ids) == sorted(comm["id"])  # every community in exactly one partition
    if size < len(comm):  # a partition carries only the slices that can touch it
        assert max(len(p.concessions) for p in parts) < len(conc)
    merged = merge_results([analyse_partition(p, radius_m=3000, neighbour_min_ha=0.5)
                            for p in parts])
    _assert_same(merged.tables(), full.tables())
    pd.testing.assert_frame_equal(merged.overlap_rows(), full.overlap_rows(), check_exact=True)


def test_partitions_of_a_selection() -> None:
    comm, conc, water, cons = _random_world()
    selected = ["C003", "C010", "C017", "C040", "C077", "C119"]
    one = analyse(comm, conc, water, cons, radius_m=3000, community_ids=selected)
    parts = list(partitions(comm, conc, water, cons, size=2, radius_m=3000,
                            community_ids=selected))
    merged = merge_results([analyse_partition(p, radius_m=3000) for p in parts],
                           community_ids=selected)
    assert merged.community_ids == one.community_ids
    _assert_same(merged.tables(), one.tables())


def test_hilbert_order_keeps_neighbours_together() -> None:
    rng = np.random.default_rng(3)
    pts = shapely.points(rng.uniform(0, 1, 4000), rng.uniform(0, 1, 4000))
    order = hilbert_order(pts)
    assert sorted(order.tolist()) == list(range(4000))
    xy = shapely.get_coordinates(pts[order])
    step = np.hypot(*np.diff(xy, axis=0).T)
    assert np.median(step) < 0.03  # random order: ~0.5
    assert len(hilbert_order(np.array([None, pts[0]], dtype=object))) == 2

"""Step timers and honest memory figures for the benchmarks."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Timer:
    """Seconds per named step (a step entered twice accumulates)."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - t

    @property
    def total(self) -> float:
        return sum(self.steps.values())


def _status_mb(field_name: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024.0  # kB
    return float("nan")


def peak_rss_mb() -> float:
    """High-water resident set of *this* process image (``VmHWM``).

    Not ``ru_maxrss``: on Linux a child started by fork + exec inherits the parent's peak
    there, so a benchmark child spawned by a big parent would report the parent's memory.
    ``VmHWM`` belongs to the address space, which ``exec`` replaces.
    """
    return _status_mb("VmHWM")


def rss_mb() -> float:
    """Current resident set (``VmRSS``)."""
    return _status_mb("VmRSS")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (e.g. a PostgreSQL backend).

    CPU time barely moves when other jobs share the machine, unlike wall time, so it is
    the steadier figure to compare on a busy machine.
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime

"""The snapshot build: ramp many materials in parallel into a snapshot directory.

`simulate` ramps materials through Dask distributed (a local cluster of one single-threaded
process per worker, or an existing scheduler), skips materials already finished or failed, and
writes each result as it arrives (`tcramp.snapshots` holds the format). Process-wide settings a
worker needs (heap allocation, torch threads) are made once per process by `setup_process`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from .data import Material
from .pipeline import MaterialError, simulate_material
from .ramp import RampConfig
from .snapshots import (
    failure_path,
    file_key,
    material_path,
    open_run,
    packed_names,
    write_failure,
    write_material,
)

__all__ = ["SimulateResult", "setup_process", "shard", "simulate"]


@cache
def _heap_allocation() -> None:
    """Keep tensor buffers on the heap in Dask worker processes.

    Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536; setting that variable turns
    off glibc's dynamic mmap threshold, so every buffer over 128 KiB (most of CHGNet's edge
    tensors) is mmapped and page-faulted afresh, which halves MD speed. Raising the mmap and trim
    thresholds restores heap reuse. No-op where glibc is absent.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError, TypeError):
        pass


def setup_process(threads: int) -> None:
    """Process-wide settings for ramping: `threads` torch threads, tensor buffers on the heap."""
    import torch  # heavy: only processes that ramp need it (they load the force field anyway)

    torch.set_num_threads(threads)
    _heap_allocation()


def _ramp(material: Material, config: RampConfig, mlff: str, weights: str | None, device: str) -> pd.DataFrame:
    """One task of a run: set up this process, then `simulate_material`."""
    setup_process(config.torch_threads)
    return simulate_material(material, config, mlff, weights, device)


@dataclass
class SimulateResult:
    """What a `simulate` call did: materials finished now, skipped as already done, and failures
    (name -> reason, including ones recorded by earlier runs)."""

    finished: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def shard(materials: Sequence[Material], spec: str | None) -> list[Material]:
    """Materials of shard `i/N` (every N-th from the i-th, 0-based); all when `spec` is None."""
    if not spec:
        return list(materials)
    i, n = (int(x) for x in spec.split("/"))
    if not 0 <= i < n:
        raise ValueError(f"shard {spec!r}: need 0 <= i < N")
    return list(materials)[i::n]


def simulate(
    materials: Sequence[Material],
    out: str | Path,
    config: RampConfig = RampConfig(),
    *,
    mlff: str = "chgnet",
    weights: str | None = None,
    device: str = "auto",
    workers: int = 2,
    scheduler: str | None = None,
    on_event: Callable[[str, str, str | None], None] | None = None,
) -> SimulateResult:
    """Ramp `materials` into the snapshot directory `out`, resuming what is there.

    `workers=0` runs in this process; otherwise a Dask local cluster of `workers` processes, or
    the cluster at `scheduler` (`tcp://host:port`). `on_event(kind, name, reason)` is called with
    kind "done", "failed" or "skipped" for each material.
    """
    out = open_run(out, config, mlff, weights)
    packed = packed_names(out)
    result = SimulateResult()
    emit = on_event or (lambda *a: None)
    todo = []
    for m in materials:
        if m.name in packed or material_path(out, m.name).exists():
            result.skipped.append(m.name)
            emit("skipped", m.name, None)
        elif failure_path(out, m.name).exists():
            result.failed[m.name] = json.loads(failure_path(out, m.name).read_text())["reason"]
            emit("failed", m.name, result.failed[m.name])
        else:
            todo.append(m)

    def record(m: Material, df: pd.DataFrame | None, exc: BaseException | None) -> None:
        if exc is None:
            write_material(out, df)
            result.finished.append(m.name)
            emit("done", m.name, None)
        else:
            reason = str(exc).removeprefix(f"{m.name}: ")
            write_failure(out, m.name, reason)
            result.failed[m.name] = reason
            emit("failed", m.name, reason)

    args = (config, mlff, weights, device)
    if not todo:
        return result
    if workers == 0 and scheduler is None:
        for m in todo:
            try:
                record(m, _ramp(m, *args), None)
            except MaterialError as exc:
                record(m, None, exc)
        return result

    # distributed is heavy to import and only needed for parallel runs
    from contextlib import nullcontext

    from distributed import Client, LocalCluster, as_completed
    from distributed.scheduler import KilledWorker

    local = (
        nullcontext(scheduler)
        if scheduler
        else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    )
    with local as cluster, Client(cluster) as client:  # closed on every exit, errors included
        futures = {
            client.submit(_ramp, m, *args, key=f"ramp-{file_key(m.name)}-{config.settings_hash}", pure=False): m
            for m in todo
        }
        for fut in as_completed(futures):
            m = futures[fut]
            exc = fut.exception()
            if isinstance(exc, KilledWorker):
                exc = MaterialError(f"{m.name}: worker process died while ramping it")
            elif exc is not None and not isinstance(exc, MaterialError):
                raise exc
            record(m, fut.result() if exc is None else None, exc)
    return result

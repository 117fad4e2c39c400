"""The record build: carry many materials through the stages into a record store, in parallel.

`simulate` builds each material up to a stage (`tcramp.stages`) through Dask distributed (a
local cluster of one single-threaded process per worker, or an existing scheduler), continuing
from the stages already stored, skipping materials finished or failed, and writing each stage's
rows as they arrive (`tcramp.snapshots` holds the format). Process-wide settings a worker needs
(heap allocation, torch and BLAS threads) are made once per process by `setup_process`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from .data import Material
from .mlff import DEFAULT_BACKEND, backend_class, load_mlff
from .pipeline import MaterialError, build_material
from .ramp import RampConfig
from .snapshots import failed, file_key, finished, open_stage, read_stage_rows, write_failure, write_rows
from .stages import MODEL_STAGES, PER_MATERIAL, upto

__all__ = ["SimulateResult", "setup_process", "shard", "simulate"]

BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


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
    """Process-wide settings for ramping: `threads` torch and BLAS threads (ASE's cell filter ran
    15× slower with OpenBLAS's default threading), tensor buffers on the heap."""
    import torch  # heavy: only processes that ramp need it (they load the force field anyway)
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)
    _heap_allocation()


def _build(material: Material, stage: str, stored, held, config: RampConfig, mlff: str, weights, device: str, limit):
    """One task of a run: set up this process, then `build_material`."""
    setup_process(config.torch_threads)
    return build_material(
        material, stage, config, stored=stored, held=held, mlff=mlff, weights=weights, device=device, limit=limit
    )


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


def _plan(materials, dirs: dict[str, Path], result: SimulateResult, emit):
    """(material, stored rows, held later stages) for each material that lacks a stage; the
    others are recorded as skipped or failed."""
    held = {s: finished(d) for s, d in dirs.items()}
    bad = {}
    for d in dirs.values():
        bad.update(failed(d))
    last = list(dirs)[-1]  # its rows are never a later stage's input: not read
    rows = {s: read_stage_rows(d) for s, d in dirs.items() if s in PER_MATERIAL and s != last and held[s]}
    todo = []
    for m in materials:
        have = [s for s in dirs if m.name in held[s]]
        if m.name in bad:
            result.failed[m.name] = bad[m.name]
            emit("failed", m.name, bad[m.name])
        elif len(have) == len(dirs):
            result.skipped.append(m.name)
            emit("skipped", m.name, None)
        else:
            first = next(s for s in dirs if s not in have)
            stored = {s: rows[s][rows[s]["name"] == m.name] for s in upto(first)[:-1] if s in rows}
            todo.append((m, stored, [s for s in have if s not in stored]))
    return todo


def simulate(
    materials: Sequence[Material],
    out: str | Path,
    config: RampConfig = RampConfig(),
    *,
    stage: str = "samples",
    mlff: str = DEFAULT_BACKEND,
    weights: str | None = None,
    device: str = "auto",
    workers: int = 2,
    scheduler: str | None = None,
    limit: float | None = None,
    on_event: Callable[[str, str, str | None], None] | None = None,
) -> SimulateResult:
    """Build `materials` up to `stage` into the record store `out`, continuing what is there.

    `workers=0` runs in this process; otherwise a Dask local cluster of `workers` processes, or
    the cluster at `scheduler` (`tcp://host:port`). `on_event(kind, name, reason)` is called with
    kind "done", "failed" or "skipped" for each material; `limit` the seconds one material may
    take (a material over it is recorded as failed). The force field is loaded here first when a
    stage needs it (only its name is checked for a remote `scheduler`): an unknown `mlff`, a
    missing device or unreadable `weights` raise before any material runs, never recorded as
    failures.
    """
    if set(upto(stage)) & set(MODEL_STAGES):
        if scheduler is None:  # a remote cluster's workers may hold devices and files this process lacks
            load_mlff(mlff, weights, device)
        else:
            backend_class(mlff)
    dirs = {s: open_stage(out, s, config, mlff, weights) for s in upto(stage)}
    result = SimulateResult()
    emit = on_event or (lambda *a: None)
    todo = _plan(materials, dirs, result, emit)

    def record(m: Material, new: dict[str, pd.DataFrame], exc: MaterialError | None) -> None:
        for s, df in new.items():
            write_rows(dirs[s], df)
        if exc is None:
            result.finished.append(m.name)
            emit("done", m.name, None)
        else:
            reason = str(exc).removeprefix(f"{m.name}: ")
            write_failure(dirs[exc.stage], m.name, reason)
            result.failed[m.name] = reason
            emit("failed", m.name, reason)

    args = (config, mlff, weights, device, limit)
    if not todo:
        return result
    if workers == 0 and scheduler is None:
        for m, stored, held in todo:
            record(m, *_build(m, stage, stored, held, *args))
        return result

    _distributed(todo, stage, args, dirs, record, workers=workers, scheduler=scheduler, threads=config.torch_threads)
    return result


def _distributed(todo, stage: str, args: tuple, dirs: dict, record, *, workers: int, scheduler, threads: int) -> None:
    """Build `todo` on a Dask local cluster of `workers` processes (or the one at `scheduler`),
    passing each material's outcome to `record`; a dead worker fails only its material."""
    # distributed is heavy to import and only needed for parallel runs
    from contextlib import nullcontext

    from distributed import Client, LocalCluster, as_completed
    from distributed.scheduler import KilledWorker

    for var in BLAS_THREADS:  # worker processes read these when they import numpy
        os.environ.setdefault(var, str(threads))
    local = (
        nullcontext(scheduler)
        if scheduler
        else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    )
    with local as cluster, Client(cluster) as client:  # closed on every exit, errors included
        futures = {
            client.submit(
                _build, m, stage, stored, held, *args, key=f"build-{file_key(m.name)}-{dirs[stage].name}", pure=False
            ): m
            for m, stored, held in todo
        }
        for fut in as_completed(futures):
            m = futures[fut]
            exc = fut.exception()
            if isinstance(exc, KilledWorker):
                first = next(s for s in dirs if m.name not in finished(dirs[s]))
                record(m, {}, MaterialError(f"{m.name}: worker process died while building it", first))
            elif exc is not None:
                raise exc
            else:
                record(m, *fut.result())

"""The snapshot dataset: one Parquet file per finished material, plus the run that builds it.

On-disk record (schema version 1), directory `OUT/`:
- `run.json` — the MLFF name and weights, the ramp settings and their hash.
- `materials/{key}.parquet` — one row per sampled temperature of one material, written to a
  temporary file and renamed, so a killed run leaves whole files or none.
- `failures/{key}.json` — `{"name", "reason"}` for a material that could not be ramped.
- `packs/part-{hash}.parquet` — finished materials merged by `pack` (same columns), so a large
  build is a few files; a pack interrupted before its sources are removed is cleaned up later.

Columns: name, formula, weight, parent_id, group, sc_class, synth_doped, tc, T_target, T_measured,
superconducting (T_target < tc), energy_per_atom, volume_per_atom, n_atoms, composition_error,
step, seed, backend, backend_version, latent_size, ramp_hash, latent_0 .. latent_{d-1} (float32).
`read_snapshots` reads any number of such directories (e.g. shards of one build) as one table.

`simulate` ramps materials in parallel through Dask distributed (a local cluster of one
single-threaded process per worker, or an existing scheduler), skips materials already
finished or failed, and writes each result as it arrives.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .data import Material
from .ramp import RampConfig, material_seed, ramp, temperatures

__all__ = [
    "SCHEMA_VERSION",
    "SimulateResult",
    "file_key",
    "pack",
    "read_config",
    "read_failures",
    "read_snapshots",
    "simulate",
    "simulate_material",
    "ramp_structure",
]

SCHEMA_VERSION = 1
_META_KEY = b"tcramp_schema"


class MaterialError(RuntimeError):
    """A material could not be ramped; the message starts with its name."""


def file_key(name: str) -> str:
    """File-name stem for a material: a readable prefix plus a hash (names hold any character)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80]
    return f"{safe}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@cache
def _heap_allocation() -> None:
    """Keep tensor buffers on the heap in Dask worker processes.

    Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536; setting that variable turns
    off glibc's dynamic mmap threshold, so every buffer over 128 KiB (most of CHGNet's edge
    tensors) is mmapped and page-faulted afresh, which halves MD speed. Raising the mmap and trim
    thresholds restores heap reuse. No-op where glibc is absent.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError, TypeError):
        pass


def ramp_structure(
    structure,
    *,
    name: str,
    tc: float = 0.0,
    config: RampConfig = RampConfig(),
    mlff: str = "chgnet",
    weights: str | None = None,
    device: str = "auto",
) -> pd.DataFrame:
    """Order, check and ramp one (pymatgen) structure: one row per temperature with T_target,
    T_measured, energy/volume per atom, step, n_atoms, composition_error, seed, backend
    columns and latent_0.. (float32). `tc` > 0 adds the dense points around it."""
    import torch
    from pymatgen.io.ase import AseAtomsAdaptor

    from .mlff import load_mlff
    from .structures import order

    _heap_allocation()
    torch.set_num_threads(config.torch_threads)
    seed = material_seed(config.seed, name)
    model = load_mlff(mlff, weights, device)
    cell = order(
        structure,
        max_atoms=config.max_atoms,
        min_atoms=config.min_atoms,
        tol=config.composition_tol,
        seed=seed,
    )
    atoms = AseAtomsAdaptor.get_atoms(cell.structure)
    model.check(atoms)
    df = pd.DataFrame.from_records(ramp(atoms, model, temperatures(tc, config), config, seed))
    latent = pd.DataFrame(
        list(df.pop("latent")), columns=[f"latent_{i}" for i in range(model.latent_size)]
    ).astype("float32")
    info = pd.DataFrame(
        {
            "n_atoms": len(atoms),
            "composition_error": cell.composition_error,
            "seed": seed,
            "backend": model.name,
            "backend_version": model.version,
            "latent_size": model.latent_size,
            "ramp_hash": config.settings_hash,
        },
        index=df.index,
    )
    return pd.concat([df, info, latent], axis=1)


def simulate_material(
    material: Material,
    config: RampConfig = RampConfig(),
    mlff: str = "chgnet",
    weights: str | None = None,
    device: str = "auto",
) -> pd.DataFrame:
    """Snapshot rows of one material: its ramp (`ramp_structure`) with its identity and labels.

    Raises `MaterialError` whose message names the material and the reason.
    """
    try:
        df = ramp_structure(
            material.structure, name=material.name, tc=material.tc, config=config,
            mlff=mlff, weights=weights, device=device,
        )
    except Exception as exc:
        reason = str(exc).removeprefix(f"{material.name}: ")
        raise MaterialError(f"{material.name}: {type(exc).__name__}: {reason}") from exc
    meta = {
        "name": material.name,
        "formula": material.formula,
        "weight": material.weight,
        "parent_id": material.parent_id,
        "group": material.group,
        "sc_class": material.sc_class,
        "synth_doped": material.synth_doped,
        "tc": material.tc,
    }
    head = pd.DataFrame({k: [v] * len(df) for k, v in meta.items()})
    df.insert(0, "superconducting", df["T_target"] < material.tc)
    return pd.concat([head, df], axis=1)


def _to_parquet(df: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: str(SCHEMA_VERSION).encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _files(paths: Iterable[str | Path], sub: str, suffix: str) -> list[Path]:
    out = []
    for p in map(Path, paths):
        if p.is_file():
            out.append(p)
        else:
            out += sorted(f for f in p.rglob(f"*{suffix}") if f.parent.name == sub and not f.name.startswith("."))
    return out


def _read(f: Path, columns: list[str] | None = None) -> pd.DataFrame:
    table = pq.read_table(f, columns=columns)
    version = (pq.read_schema(f).metadata or {}).get(_META_KEY, b"?").decode()
    if version != str(SCHEMA_VERSION):
        raise ValueError(f"{f}: snapshot schema {version}, this tcramp reads {SCHEMA_VERSION}")
    return table.to_pandas()


def _packed(out: Path) -> set[str]:
    """Names of the materials held in `out/packs`."""
    return {n for f in _files([out], "packs", ".parquet") for n in _read(f, ["name"]).name.unique()}


def read_snapshots(*paths: str | Path) -> pd.DataFrame:
    """All snapshot rows under the given run directories or Parquet files, as one DataFrame
    sorted by (name, T_target). Refuses files of another schema version."""
    packs = [_read(f) for f in _files(paths, "packs", ".parquet")]
    packed = {n for df in packs for n in df.name.unique()}
    singles = [_read(f) for f in _files(paths, "materials", ".parquet")]
    frames = packs + [df for df in singles if df.name.iloc[0] not in packed]
    if not frames:
        raise FileNotFoundError(f"no snapshot files under {', '.join(map(str, paths))}")
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values(["name", "T_target"], kind="stable").reset_index(drop=True)


def pack(out: str | Path) -> Path | None:
    """Merge the finished per-material files of run directory `out` into one pack file and
    remove them; returns the pack's path (None when nothing was left to pack)."""
    out = Path(out)
    _drop_packed(out)
    files = sorted((out / "materials").glob("*.parquet"))
    if not files:
        return None
    df = pd.concat([_read(f) for f in files], ignore_index=True)
    digest = hashlib.sha1("\n".join(sorted(df.name.unique())).encode()).hexdigest()[:12]
    (out / "packs").mkdir(exist_ok=True)
    path = out / "packs" / f"part-{digest}.parquet"
    _atomic_write(path, _to_parquet(df.sort_values(["name", "T_target"], kind="stable")))
    for f in files:
        f.unlink()
    return path


def _drop_packed(out: Path) -> None:
    """Remove per-material files already held by a pack (left by an interrupted `pack`)."""
    packed = {file_key(n) for n in _packed(out)}
    for f in (out / "materials").glob("*.parquet"):
        if f.stem in packed:
            f.unlink()


def read_config(*paths: str | Path) -> RampConfig:
    """The ramp settings recorded in the `run.json` of each run directory (all must agree)."""
    found = {}
    for p in map(Path, paths):
        manifest = p / "run.json"
        if manifest.exists():
            run = json.loads(manifest.read_text())
            found[run["ramp_hash"]] = run["ramp"]
    if len(found) != 1:
        raise ValueError(f"need one ramp setting under {', '.join(map(str, paths))}, found {len(found)}")
    return RampConfig(**next(iter(found.values())))


def read_failures(*paths: str | Path) -> pd.DataFrame:
    """The recorded failures (name, reason) under the given run directories."""
    rows = [json.loads(f.read_text()) for f in _files(paths, "failures", ".json")]
    return pd.DataFrame(rows, columns=["name", "reason"])


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


def _manifest(out: Path, config: RampConfig, mlff: str, weights: str | None) -> None:
    """Write `run.json`, or check that an existing one matches this run's settings."""
    want = {
        "schema_version": SCHEMA_VERSION,
        "mlff": mlff,
        "weights": weights,
        "ramp_hash": config.settings_hash,
        "ramp": {k: v for k, v in asdict(config).items() if k != "torch_threads"},
    }
    path = out / "run.json"
    if path.exists():
        have = json.loads(path.read_text())
        if {k: have.get(k) for k in want} != want:
            raise ValueError(
                f"{out} holds snapshots of other settings (mlff {have.get('mlff')}, ramp "
                f"{have.get('ramp_hash')}); use another --out"
            )
    else:
        _atomic_write(path, json.dumps(want, indent=1).encode())


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
    out = Path(out)
    (out / "materials").mkdir(parents=True, exist_ok=True)
    (out / "failures").mkdir(exist_ok=True)
    _manifest(out, config, mlff, weights)
    _drop_packed(out)
    packed = _packed(out)
    result = SimulateResult()
    emit = on_event or (lambda *a: None)
    todo = []
    for m in materials:
        done = out / "materials" / f"{file_key(m.name)}.parquet"
        fail = out / "failures" / f"{file_key(m.name)}.json"
        if m.name in packed or done.exists():
            result.skipped.append(m.name)
            emit("skipped", m.name, None)
        elif fail.exists():
            result.failed[m.name] = json.loads(fail.read_text())["reason"]
            emit("failed", m.name, result.failed[m.name])
        else:
            todo.append(m)

    def record(m: Material, df: pd.DataFrame | None, exc: BaseException | None) -> None:
        key = file_key(m.name)
        if exc is None:
            _atomic_write(out / "materials" / f"{key}.parquet", _to_parquet(df))
            result.finished.append(m.name)
            emit("done", m.name, None)
        else:
            reason = str(exc).removeprefix(f"{m.name}: ")
            _atomic_write(out / "failures" / f"{key}.json", json.dumps({"name": m.name, "reason": reason}).encode())
            result.failed[m.name] = reason
            emit("failed", m.name, reason)

    args = (config, mlff, weights, device)
    if not todo:
        return result
    if workers == 0 and scheduler is None:
        for m in todo:
            try:
                record(m, simulate_material(m, *args), None)
            except MaterialError as exc:
                record(m, None, exc)
        return result

    from distributed import Client, LocalCluster, as_completed
    from distributed.scheduler import KilledWorker

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    with Client(scheduler or cluster) as client:
        futures = {
            client.submit(simulate_material, m, *args, key=f"ramp-{file_key(m.name)}-{config.settings_hash}", pure=False): m
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
    if cluster is not None:
        cluster.close()
    return result

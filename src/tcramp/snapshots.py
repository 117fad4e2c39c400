"""The snapshot dataset format: one Parquet file per finished material, merged into packs.

On-disk record (schema version 2), directory `OUT/`:
- `run.json` — the MLFF name and weights, the ramp settings and their hash.
- `materials/{key}.parquet` — one row per sampled temperature of one material, written to a
  temporary file and renamed, so a killed run leaves whole files or none.
- `failures/{key}.json` — `{"name", "reason"}` for a material that could not be ramped.
- `packs/part-{hash}.parquet` — finished materials merged by `pack` (same columns), so a large
  build is a few files; a pack interrupted before its sources are removed is cleaned up later.

Columns: identity and labels (name, formula, weight, parent_id, group, sc_class, synth_doped,
tc, superconducting = T_target < tc); the material's descriptors, the same on each of its rows
(`relax_*`, `ph_*`, `nc_*`, `bond_*`; see `tcramp.records`; Parquet stores the repeats as runs);
n_atoms, composition_error, seed, sampler, backend, backend_version, latent_size, ramp_hash;
then per temperature: T_target, T_measured, sampler_statistics, energy_per_atom,
volume_per_atom, step, epot_rise, epot_anharm, msd_*, msd_ratio_*, magmom_*, latent_0 ..
latent_{d-1} (all-atom mean) and latent_lo_*, latent_hi_* (element roles), stored as float16, read as float32.
`read_snapshots` reads any number of such directories (e.g. shards of one build) as one table,
`read_descriptors` one row per material. `tcramp.run.simulate` writes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .ramp import RampConfig

__all__ = [
    "SCHEMA_VERSION",
    "failure_path",
    "file_key",
    "material_path",
    "open_run",
    "pack",
    "packed_names",
    "descriptor_columns",
    "read_config",
    "read_descriptors",
    "read_failures",
    "read_snapshots",
    "read_weights",
    "write_failure",
    "write_material",
]

SCHEMA_VERSION = 2
DESCRIPTOR_PREFIXES = ("relax_", "ph_", "nc_", "bond_")
IDENTITY = ["name", "formula", "weight", "parent_id", "group", "sc_class", "synth_doped", "tc"]
_META_KEY = b"tcramp_schema"


def file_key(name: str) -> str:
    """File-name stem for a material: a readable prefix plus a hash (names hold any character)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80]
    return f"{safe}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _to_parquet(df: pd.DataFrame) -> bytes:
    """Parquet bytes of `df`, latents stored as float16 (`tcramp.records` rounds them to it)."""
    lat = [c for c in df.columns if c.startswith("latent_")]
    table = pa.Table.from_pandas(df.astype(dict.fromkeys(lat, "float16")), preserve_index=False)
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
        raise ValueError(
            f"{f}: snapshot schema {version}, this tcramp reads {SCHEMA_VERSION}; rebuild the set with "
            "`tcramp simulate` into a new --out (v2 adds relaxation, phonons, contrast and thermal columns)"
        )
    half = [f.name for f in table.schema if f.type == pa.float16()]
    for c in half:
        table = table.set_column(table.schema.get_field_index(c), c, table[c].cast(pa.float32()))
    return table.to_pandas()


def _packed(out: Path) -> set[str]:
    """Names of the materials held in `out/packs`."""
    return {n for f in _files([out], "packs", ".parquet") for n in _read(f, ["name"]).name.unique()}


def packed_names(out: str | Path) -> set[str]:
    """Names of the materials packed in run directory `out`, after removing per-material files
    that a pack already holds (left by an interrupted `pack`)."""
    _drop_packed(Path(out))
    return _packed(Path(out))


def material_path(out: str | Path, name: str) -> Path:
    """Where a finished material's rows live before packing."""
    return Path(out) / "materials" / f"{file_key(name)}.parquet"


def failure_path(out: str | Path, name: str) -> Path:
    """Where a material's failure record lives."""
    return Path(out) / "failures" / f"{file_key(name)}.json"


def write_material(out: str | Path, df: pd.DataFrame) -> Path:
    """Write one material's rows (atomically) into run directory `out`."""
    path = material_path(out, df["name"].iloc[0])
    _atomic_write(path, _to_parquet(df))
    return path


def write_failure(out: str | Path, name: str, reason: str) -> Path:
    """Record (atomically) that material `name` could not be ramped, and why."""
    path = failure_path(out, name)
    _atomic_write(path, json.dumps({"name": name, "reason": reason}).encode())
    return path


def open_run(out: str | Path, config: RampConfig, mlff: str, weights: str | None) -> Path:
    """Create run directory `out` with its `run.json`, or check that an existing one holds
    snapshots of these settings."""
    out = Path(out)
    (out / "materials").mkdir(parents=True, exist_ok=True)
    (out / "failures").mkdir(exist_ok=True)
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
    return out


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


def descriptor_columns(df: pd.DataFrame) -> list[str]:
    """The material-level descriptor columns of a snapshot table, in file order."""
    return [c for c in df.columns if c.startswith(DESCRIPTOR_PREFIXES)]


def read_descriptors(*paths: str | Path) -> pd.DataFrame:
    """One row per material under the given run directories: identity, labels, cell and backend
    columns and the descriptors (relaxation, phonons, neighbour contrast), sorted by name."""
    df = read_snapshots(*paths)
    keep = [*IDENTITY, *descriptor_columns(df), "n_atoms", "composition_error", "sampler", "backend", "ramp_hash"]
    return df.drop_duplicates("name")[keep].reset_index(drop=True)


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


def _runs(paths) -> list[dict]:
    return [json.loads((p / "run.json").read_text()) for p in map(Path, paths) if (p / "run.json").exists()]


def read_config(*paths: str | Path) -> RampConfig:
    """The ramp settings recorded in the `run.json` of each run directory (all must agree)."""
    found = {run["ramp_hash"]: run["ramp"] for run in _runs(paths)}
    if len(found) != 1:
        raise ValueError(f"need one ramp setting under {', '.join(map(str, paths))}, found {len(found)}")
    return RampConfig(**next(iter(found.values())))


def read_weights(*paths: str | Path) -> str | None:
    """The force-field weights recorded in the `run.json` of each run directory (all must agree;
    None: the backend's default weights)."""
    found = {run.get("weights") for run in _runs(paths)}
    if len(found) != 1:
        raise ValueError(f"need one force-field checkpoint under {', '.join(map(str, paths))}, found {len(found)}")
    return found.pop()


def read_failures(*paths: str | Path) -> pd.DataFrame:
    """The recorded failures (name, reason) under the given run directories."""
    rows = [json.loads(f.read_text()) for f in _files(paths, "failures", ".json")]
    return pd.DataFrame(rows, columns=["name", "reason"])

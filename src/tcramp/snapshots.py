"""The record store: each stage of each material in Parquet, one directory per stage build.

On-disk record (schema version 3), store directory `OUT/`, one sub-directory per stage and
settings, `OUT/{stage}-{hash}/` (`tcramp.stages`: cell, relaxed, phonons, samples; the hash
chains the stage's settings to its parent's and the force field):
- `stage.json` — stage, hash, parent hash, its settings, force field and weights;
- `materials/{key}.parquet` — one material's rows of that stage (written to a temporary file
  and renamed, so a killed run leaves whole files or none);
- `failures/{key}.json` — `{"name", "reason"}` for a material this stage could not compute;
- `packs/part-{hash}.parquet` — finished materials merged by `pack`.

One stage directory holds one setting (mixed builds are refused by construction); several may
sit side by side (e.g. phonons at two displacements over the same relaxations). Columns by
stage: cell — identity and labels (name, formula, weight, parent_id, group, sc_class,
synth_doped, tc), n_atoms, composition_error, seed, `cell` (the ordered cell, ASE JSON, exact)
and `cell_nc_*`/`cell_bond_*`; relaxed — `relax_*`, relaxed_energy, relaxed_fmax,
`relaxed_cell`, `nc_*`/`bond_*`, `relaxed_latent_*` and `relaxed_magmom_*` (the relaxed cell
at rest), backend, backend_version; phonons — `ph_*` and the force sets `fc_*` (`CELLS`); samples — per
temperature T_target, T_measured, sampler_statistics, energy_per_atom, volume_per_atom, step
(model calls of the ramp so far), epot_*, msd_*, magmom_*, latents (float16 on disk, read as float32), sampler, latent_size.
Every row carries `{stage}_hash`. `read_materials` joins the per-material stages (one row per
material holding all of them); `read_snapshots` adds them to each temperature row; both give
`stage` and `ramp_hash`, the deepest stage read and its hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .mlff import DEFAULT_BACKEND
from .phonons import FORCE_SETS
from .ramp import RampConfig
from .stages import PER_MATERIAL, STAGES, stage_hash, stage_settings

__all__ = [
    "IDENTITY",
    "atomic_write",
    "SCHEMA_VERSION",
    "convert_v2",
    "failed",
    "file_key",
    "finished",
    "open_stage",
    "pack",
    "read_config",
    "read_earlier",
    "read_failures",
    "read_materials",
    "read_snapshots",
    "read_stage",
    "read_stage_rows",
    "read_table",
    "read_weights",
    "stages_held",
    "write_failure",
    "write_rows",
]

SCHEMA_VERSION = 3
IDENTITY = ["name", "formula", "weight", "parent_id", "group", "sc_class", "synth_doped", "tc"]
CELLS = ("cell", "relaxed_cell", *FORCE_SETS)  # exact cells and force sets, kept out of model tables unless asked for
STAGE_FILE = "stage.json"
_META_KEY = b"tcramp_schema"


def file_key(name: str) -> str:
    """File-name stem for a material: a readable prefix plus a hash (names hold any character;
    a leading '.' becomes '_', so no record is a hidden file)."""
    safe = re.sub(r"^\.|[^A-Za-z0-9._-]+", "_", name)[:80]
    return f"{safe}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename: whole files or none."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _to_parquet(df: pd.DataFrame, version: int = SCHEMA_VERSION) -> bytes:
    """Parquet bytes of `df`, latents stored as float16 (`tcramp.records` rounds them to it)."""
    lat = [c for c in df.columns if "latent_" in c and c != "latent_size"]
    table = pa.Table.from_pandas(df.astype(dict.fromkeys(lat, "float16")), preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _META_KEY: str(version).encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _read(f: Path, columns: list[str] | None = None, version: int = SCHEMA_VERSION) -> pd.DataFrame:
    have = (pq.read_schema(f).metadata or {}).get(_META_KEY, b"?").decode()
    if have != str(version):
        hint = " (`tcramp convert` turns a v2 snapshot set into a record store)" if have == "2" else ""
        raise ValueError(f"{f}: record schema {have}, this tcramp reads {version}{hint}")
    table = pq.read_table(f, columns=columns)
    for c in [f.name for f in table.schema if f.type == pa.float16()]:
        table = table.set_column(table.schema.get_field_index(c), c, table[c].cast(pa.float32()))
    return table.to_pandas()


def _files(d: Path, sub: str, suffix: str) -> list[Path]:
    return sorted(f for f in (d / sub).glob(f"*{suffix}") if not f.name.startswith("."))


# --- writing one stage directory ------------------------------------------------------------


def open_stage(
    store: str | Path, stage: str, config: RampConfig, mlff: str = DEFAULT_BACKEND, weights: str | None = None
) -> Path:
    """The directory of `stage` built with these settings under `store` (created with its
    `stage.json` when new)."""
    h = stage_hash(config, stage, mlff, weights)
    d = Path(store) / f"{stage}-{h}"
    (d / "materials").mkdir(parents=True, exist_ok=True)
    (d / "failures").mkdir(exist_ok=True)
    if not (d / STAGE_FILE).exists():
        i = STAGES.index(stage)
        meta = {
            "schema_version": SCHEMA_VERSION,
            "stage": stage,
            "hash": h,
            "parent": stage_hash(config, STAGES[i - 1], mlff, weights) if i else None,
            "settings": stage_settings(config, stage, mlff),
            "mlff": mlff if stage != "cell" else None,
            "weights": weights if stage != "cell" else None,
        }
        atomic_write(d / STAGE_FILE, json.dumps(meta, indent=1).encode())
    return d


def write_rows(d: str | Path, df: pd.DataFrame, version: int = SCHEMA_VERSION) -> Path:
    """Write one material's rows of a stage (atomically) into stage directory `d`."""
    path = Path(d) / "materials" / f"{file_key(df['name'].iloc[0])}.parquet"
    atomic_write(path, _to_parquet(df, version))
    return path


def write_failure(d: str | Path, name: str, reason: str) -> Path:
    """Record (atomically) that stage directory `d` could not compute material `name`, and why."""
    path = Path(d) / "failures" / f"{file_key(name)}.json"
    atomic_write(path, json.dumps({"name": name, "reason": reason}).encode())
    return path


def finished(d: str | Path) -> set[str]:
    """Names of the materials stage directory `d` holds (packed or not)."""
    d = Path(d)
    packed = {n for f in _files(d, "packs", ".parquet") for n in _read(f, ["name"]).name.unique()}
    return packed | {_read(f, ["name"]).name.iloc[0] for f in _files(d, "materials", ".parquet")}


def failed(d: str | Path) -> dict[str, str]:
    """Name -> reason of the materials stage directory `d` could not compute."""
    return {r["name"]: r["reason"] for r in (json.loads(f.read_text()) for f in _files(Path(d), "failures", ".json"))}


def pack(store: str | Path) -> list[Path]:
    """Merge the finished per-material files of every stage directory under `store` into one
    pack each and remove them; returns the packs written."""
    out = []
    for d in sorted(p for p in Path(store).iterdir() if (p / STAGE_FILE).exists()):
        packed = {n for f in _files(d, "packs", ".parquet") for n in _read(f, ["name"]).name.unique()}
        files = _files(d, "materials", ".parquet")
        for f in [f for f in files if _read(f, ["name"]).name.iloc[0] in packed]:
            f.unlink()  # left by a pack interrupted before it removed its sources
        files = [f for f in files if f.exists()]
        if not files:
            continue
        df = pd.concat([_read(f) for f in files], ignore_index=True)
        digest = hashlib.sha1("\n".join(sorted(df.name.unique())).encode()).hexdigest()[:12]
        (d / "packs").mkdir(exist_ok=True)
        path = d / "packs" / f"part-{digest}.parquet"
        atomic_write(path, _to_parquet(df.sort_values([c for c in ("name", "T_target") if c in df], kind="stable")))
        for f in files:
            f.unlink()
        out.append(path)
    return out


# --- reading ----------------------------------------------------------------------------------


def _stages(paths: Iterable[str | Path]) -> dict[str, list[Path]]:
    """hash -> stage directories of that hash under the given stores (shards of one build)."""
    out: dict[str, list[Path]] = {}
    for root in map(Path, paths):
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: no such record store")
        for d in sorted(root.iterdir()):
            if (d / STAGE_FILE).exists():
                out.setdefault(json.loads((d / STAGE_FILE).read_text())["hash"], []).append(d)
    return out


def _meta(dirs: list[Path]) -> dict:
    return json.loads((dirs[0] / STAGE_FILE).read_text())


def _pick(found: dict[str, list[Path]], paths, stage: str, mlff: str | None, config: RampConfig | None) -> str:
    """The hash of the one `stage` build of `config` (of `mlff` if given); without a config, the
    only one, or among several the one of the default settings (`RampConfig()`); without `mlff`,
    among builds of several backends the default backend's (`tcramp.mlff.DEFAULT_BACKEND`)."""
    where = ", ".join(map(str, paths))

    def of(c: RampConfig, h: str) -> bool:
        return h == stage_hash(c, stage, _meta(found[h])["mlff"], _meta(found[h])["weights"])

    pick = [h for h, d in found.items() if _meta(d)["stage"] == stage and mlff in (None, _meta(d)["mlff"])]
    pick = [h for h in pick if of(config, h)] if config is not None else pick
    if config is None and len(pick) > 1:
        pick = [h for h in pick if of(RampConfig(), h)] or pick
    if mlff is None and len(pick) > 1:  # builds of several backends: the default backend's
        pick = [h for h in pick if _meta(found[h])["mlff"] == DEFAULT_BACKEND] or pick
    if not pick:
        raise FileNotFoundError(f"no {stage} stage{f' of {mlff}' if mlff else ''} under {where}")
    if len(pick) > 1:
        raise ValueError(
            f"several {stage} builds under {where} ({', '.join(sorted(pick))}); name one with --mlff or the settings (none is of the default settings)"
        )
    return pick[0]


def _chain(paths, stage: str, mlff: str | None, config: RampConfig | None) -> list[list[Path]]:
    """Stage directories from `cell` to `stage` of one build (`_pick`'s and its parents)."""
    found = _stages(paths)
    chain, h = [], _pick(found, paths, stage, mlff, config)
    while h is not None:
        if h not in found:
            raise FileNotFoundError(f"{chain[-1][0]}: its parent stage {h} is missing")
        chain.append(found[h])
        h = _meta(found[h])["parent"]
    return chain[::-1]


def _rows(dirs: list[Path]) -> pd.DataFrame:
    """All rows of one stage build (its directories across stores), each material once: from
    the first file holding it (store by store in the order given, packs before single files)."""
    frames, seen = [], set()
    for f in [f for d in dirs for sub in ("packs", "materials") for f in _files(d, sub, ".parquet")]:
        df = _read(f)
        frames.append(df[~df["name"].isin(seen)])
        seen.update(df["name"])
    if not frames:
        return pd.DataFrame({"name": pd.Series(dtype=str)})
    df = pd.concat(frames, ignore_index=True)
    keys = [c for c in ("name", "T_target") if c in df]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def read_stage_rows(d: str | Path) -> pd.DataFrame:
    """The rows stage directory `d` holds (packed or not), each material once."""
    return _rows([Path(d)])


def read_stage(*paths: str | Path, stage: str, mlff: str | None = None, config: RampConfig | None = None):
    """The rows of one stage build under the given stores (see `_pick` for which build)."""
    found = _stages(paths)
    return _rows(found[_pick(found, paths, stage, mlff, config)])


def read_materials(
    *paths: str | Path,
    stage: str = "relaxed",
    mlff: str | None = None,
    config: RampConfig | None = None,
    cells: bool = False,
) -> pd.DataFrame:
    """One row per material holding every per-material stage up to `stage`, sorted by name, with
    `stage` and `ramp_hash` (the deepest stage read, its hash); `cells` keeps the exact cells."""
    chain = _chain(paths, stage, mlff, config)
    df = None
    for dirs in chain[: len(PER_MATERIAL)]:
        part = _rows(dirs)
        df = part if df is None else df.merge(part, on="name", how="inner")
    last = _meta(chain[min(len(chain), len(PER_MATERIAL)) - 1])
    df = df.assign(stage=last["stage"], ramp_hash=last["hash"])
    return df if cells else df.drop(columns=[c for c in CELLS if c in df])


def read_snapshots(*paths: str | Path, mlff: str | None = None, config: RampConfig | None = None) -> pd.DataFrame:
    """The temperature rows of every material holding all four stages, each with its material's
    stage columns and `superconducting` (T_target < tc), sorted by (name, T_target)."""
    chain = _chain(paths, "samples", mlff, config)
    mat = read_materials(*paths, stage="phonons", mlff=mlff, config=config)
    rows = _rows(chain[-1])
    if rows.empty:
        raise FileNotFoundError(f"no samples under {', '.join(map(str, paths))}")
    df = mat.drop(columns=["stage", "ramp_hash"]).merge(rows, on="name", how="inner")
    df.insert(df.columns.get_loc("T_target"), "superconducting", df["T_target"] < df["tc"])
    df = df.assign(stage="samples", ramp_hash=_meta(chain[-1])["hash"])
    return df.sort_values(["name", "T_target"], kind="stable").reset_index(drop=True)


def read_earlier(
    *paths: str | Path, held: int, mlff: str | None = None, config: RampConfig | None = None
) -> list[pd.DataFrame]:
    """The ablation's sets beside the `held` materials holding all four stages: every material
    holding `relaxed`, and those holding `phonons` when more than `held` do (a build that has run
    `phonons` ahead of `samples`)."""
    out = [read_materials(*paths, stage="relaxed", mlff=mlff, config=config)]
    phonons = read_materials(*paths, stage="phonons", mlff=mlff, config=config)
    return out + [phonons] if len(phonons) > held else out


def read_table(
    *paths: str | Path, stage: str, mlff: str | None = None, config: RampConfig | None = None
) -> pd.DataFrame:
    """What a model reading up to `stage` learns from: `read_snapshots` for samples, else
    `read_materials` to that stage."""
    if stage == "samples":
        return read_snapshots(*paths, mlff=mlff, config=config)
    return read_materials(*paths, stage=stage, mlff=mlff, config=config)


def read_config(*paths: str | Path, stage: str = "samples", mlff: str | None = None) -> RampConfig:
    """The settings of one build up to `stage` (defaults for the stages after it)."""
    settings = {k: v for dirs in _chain(paths, stage, mlff, None) for k, v in _meta(dirs)["settings"].items()}
    known = {f.name for f in fields(RampConfig)}
    return RampConfig(**{k: v for k, v in settings.items() if k in known})


def read_weights(*paths: str | Path, stage: str = "relaxed", mlff: str | None = None) -> str | None:
    """The force-field checkpoint of one build (None: the backend's default weights)."""
    return _meta(_chain(paths, stage, mlff, None)[-1])["weights"]


def read_failures(*paths: str | Path) -> pd.DataFrame:
    """The recorded failures (name, stage, reason) under the given stores."""
    rows = [
        {"name": n, "stage": _meta(dirs)["stage"], "reason": r}
        for dirs in _stages(paths).values()
        for d in dirs
        for n, r in failed(d).items()
    ]
    return pd.DataFrame(rows, columns=["name", "stage", "reason"])


def stages_held(*paths: str | Path) -> pd.DataFrame:
    """Per stage build under the stores: stage, hash, force field, materials held and failed."""
    rows = []
    for h, dirs in _stages(paths).items():
        m = _meta(dirs)
        done = set().union(*(finished(d) for d in dirs))
        bad = set().union(*(failed(d) for d in dirs))
        rows.append({"stage": m["stage"], "hash": h, "mlff": m["mlff"], "materials": len(done), "failed": len(bad)})
    return pd.DataFrame(rows).sort_values(["stage", "hash"]) if rows else pd.DataFrame(rows)


def convert_v2(source: str | Path, store: str | Path) -> dict[str, int]:
    """Import a schema-2 snapshot set (one table per material, all stages flattened) into record
    store `store`: its phonon descriptors and temperature rows become the `phonons` and
    `samples` stages of its settings; the `cell` and `relaxed` stages are left to `simulate`
    (relaxation is deterministic: it recomputes the v2 relaxations, checked in the tests), so
    a converted material reads as built once those are. Returns materials per stage written."""
    source = Path(source)
    run = json.loads((source / "run.json").read_text())
    config = RampConfig(**run["ramp"])
    files = _files(source, "packs", ".parquet") + _files(source, "materials", ".parquet")
    df = pd.concat([_read(f, version=2) for f in files], ignore_index=True)
    per_t = [*df.columns[df.columns.get_loc("T_target") :], "sampler", "latent_size"]
    parts = {
        "phonons": df.drop_duplicates("name")[["name", *(c for c in df if c.startswith("ph_"))]],
        "samples": df[["name", *per_t]],
    }
    out = {}
    for stage, part in parts.items():
        d = open_stage(store, stage, config, run["mlff"], run["weights"])
        part = part[~part["name"].isin(finished(d))].assign(**{f"{stage}_hash": d.name.split("-")[-1]})
        if part.empty:
            continue
        digest = hashlib.sha1("\n".join(sorted(part.name.unique())).encode()).hexdigest()[:12]
        (d / "packs").mkdir(exist_ok=True)
        atomic_write(d / "packs" / f"part-{digest}.parquet", _to_parquet(part.reset_index(drop=True)))
        out[stage] = part.name.nunique()
    return out

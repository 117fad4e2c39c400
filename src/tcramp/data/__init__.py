"""Datasets: the bundled 3DSC_MP set and users' CSV datasets, as typed `Material` records.

Each record carries its structure source (CIF text or a file path); the structure is parsed on
first access so loading the 5,773 bundled records stays fast.
"""

from __future__ import annotations

import csv
import io
import math
import tarfile
import warnings
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pymatgen.core import Structure

__all__ = ["Material", "load_3dsc", "load_csv", "load_dataset", "read_structure", "stratified"]

ARCHIVE = "3dsc_mp.tar.gz"


@dataclass(frozen=True)
class Material:
    """One material to ramp: identity, labels and where its structure comes from.

    `group` joins materials that must never straddle a train/test split (the parent structure
    for the bundled set); `source` is CIF text (`cif=True`) or a path any ASE/pymatgen reader
    understands.
    """

    name: str
    formula: str
    tc: float
    sc_class: str
    parent_id: str
    synth_doped: bool
    weight: float
    group: str
    source: str = field(repr=False)
    cif: bool = field(default=False, repr=False)

    @property
    def structure(self) -> Structure:
        """The (possibly disordered) structure, parsed now; raises `ValueError` naming the material."""
        return read_structure(self.source, name=self.name, text=self.cif)


def read_structure(source: str | Path, *, name: str | None = None, text: bool = False) -> Structure:
    """Parse a structure from CIF text or a file (CIF via pymatgen keeps partial occupancies;
    any other format ASE reads goes through ASE)."""
    label = name or str(source)
    try:
        with warnings.catch_warnings():  # pymatgen warns on every rounded coordinate
            warnings.simplefilter("ignore")
            return _parse(source, text)
    except Exception as exc:  # parsers raise many types; report one clear error
        raise ValueError(f"{label}: cannot read structure: {type(exc).__name__}: {exc}") from exc


def _parse(source: str | Path, text: bool) -> Structure:
    if text:
        return Structure.from_str(str(source), fmt="cif")
    path = Path(source)
    if path.suffix.lower() == ".cif":
        return Structure.from_file(path)
    from ase.io import read
    from pymatgen.io.ase import AseAtomsAdaptor

    return AseAtomsAdaptor.get_structure(read(path))


@cache
def _archive() -> tuple[list[dict], dict[str, str]]:
    blob = resources.files(__name__).joinpath(ARCHIVE).read_bytes()
    rows, cifs = [], {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for m in tar.getmembers():
            data = tar.extractfile(m).read().decode()
            if m.name == "3DSC_MP.csv":
                rows = list(csv.DictReader(io.StringIO(data)))
            else:
                cifs[Path(m.name).stem] = data
    return rows, cifs


def load_3dsc() -> list[Material]:
    """The bundled 3DSC_MP set (5,773 materials; CC BY 4.0, see `data/ATTRIBUTION.md`)."""
    rows, cifs = _archive()
    return [
        Material(
            name=r["name"],
            formula=r["formula_sc"],
            tc=float(r["tc"]),
            sc_class=r["sc_class"],
            parent_id=r["material_id"],
            synth_doped=r["synth_doped"] == "True",
            weight=float(r["weight"]),
            group=r["material_id"],
            source=cifs[r["name"]],
            cif=True,
        )
        for r in rows
    ]


def load_csv(path: str | Path) -> list[Material]:
    """A user dataset: CSV with columns `name,structure,tc` (structure paths relative to the CSV)
    and optional `group,sc_class,formula` (rows sharing a group or formula never straddle a
    train/test split; without `formula` a build takes it from the structure). Refuses, naming
    the file and lines, missing columns, no rows, a repeated name and a tc that is not a finite
    number >= 0."""
    path = Path(path)
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    missing = {"name", "structure", "tc"} - set(reader.fieldnames or [])
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    if not rows:
        raise ValueError(f"{path}: no rows under the header")
    lines: dict[str, list[int]] = {}
    for line, r in enumerate(rows, start=2):
        lines.setdefault(r["name"], []).append(line)
    repeated = {n: v for n, v in lines.items() if len(v) > 1}
    if repeated:
        raise ValueError(
            f"{path}: repeated names: "
            + "; ".join(f"{n!r} on lines {', '.join(map(str, v))}" for n, v in repeated.items())
        )
    return [_csv_material(path, line, r) for line, r in enumerate(rows, start=2)]


def _csv_material(path: Path, line: int, r: dict) -> Material:
    try:
        tc = float(r["tc"])
    except (TypeError, ValueError):
        tc = math.nan
    if not (math.isfinite(tc) and tc >= 0):
        raise ValueError(f"{path}: line {line} ({r['name']}): tc {r['tc']!r} is not a finite number >= 0")
    src = Path(r["structure"])
    return Material(
        name=r["name"],
        formula=r.get("formula") or "",
        tc=tc,
        sc_class=r.get("sc_class") or "",
        parent_id=r.get("group") or r["name"],
        synth_doped=False,
        weight=1.0,
        group=r.get("group") or r["name"],
        source=str(src if src.is_absolute() else path.parent / src),
    )


TC_BINS = (0.0, 5.0, 15.0, 40.0, 80.0)


def stratified(materials: list[Material], seed: int = 0) -> list[Material]:
    """The materials reordered so that every prefix is a stratified sample over sc_class x Tc bin
    (Tc = 0 and the bins of `TC_BINS`).

    Strata get positions in proportion to the square root of their size (small classes are not
    drowned, large ones still dominate); order inside a stratum is a seeded shuffle.
    """
    import bisect
    import math
    import random

    strata: dict[tuple, list[Material]] = {}
    for m in materials:
        tc_bin = -1 if m.tc <= 0 else bisect.bisect_left(TC_BINS, m.tc)
        strata.setdefault((m.sc_class, tc_bin), []).append(m)
    rng = random.Random(seed)
    queues = {k: rng.sample(v, len(v)) for k, v in sorted(strata.items())}
    weight = {k: math.sqrt(len(v)) for k, v in queues.items()}
    taken = dict.fromkeys(queues, 0)
    out = []
    while len(out) < len(materials):
        open_ = [k for k in queues if taken[k] < len(queues[k])]
        total = sum(weight[k] for k in open_)
        # the stratum furthest behind its share of the next position
        k = max(open_, key=lambda k: (weight[k] / total * (len(out) + 1) - taken[k], weight[k]))
        out.append(queues[k][taken[k]])
        taken[k] += 1
    return out


def load_dataset(dataset: str | Path = "3dsc") -> list[Material]:
    """`"3dsc"` for the bundled set, else a path to a user CSV."""
    return load_3dsc() if str(dataset) == "3dsc" else load_csv(dataset)

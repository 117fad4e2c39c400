"""MD throughput on this machine: the bare model, a plain ASE loop, and tcramp's ramp engine.

Usage: python benchmarks/md_throughput.py [--workers N] [--sample K] [--out results.json]

On the same bundled structures (small, medium, ~50 atoms) and the same default ramp, reports
atom-steps per second for
  a. the bare CHGNet model, energy + forces on a ready graph (graph construction excluded) and
     with CHGNet's own graph converter each call (included): N single-threaded processes, the
     way (c) uses the cores;
  b. a plain per-structure ASE Langevin loop with CHGNet's ASE calculator: one process, torch's
     default threads (what a user would write);
  c. tcramp's engine (`ramp_structure` with the md sampler, as each Dask worker runs it): N single-threaded
     processes; and once more through `tcramp.simulate`'s local Dask cluster;
then `ratio_vs_ase=` (c/b) and `ratio_vs_model=` (c/a, graph excluded), how well the measured
temperature tracks the target and whether the potential energy keeps up with it, wall time per material for the default ramp, and the projected
hours for all 3DSC_MP materials the default atom cap covers. The projection times (c) on K
further randomly drawn bundled materials, fits seconds per MD step = alpha + beta * atoms, and
sums it over every covered material's own ramp length.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from tcramp.data import load_3dsc
from tcramp.mlff import load_mlff
from tcramp.pipeline import ordered_cell, ramp_structure
from tcramp.ramp import RampConfig, temperatures
from tcramp.run import simulate
from tcramp.snapshots import read_snapshots
from tcramp.structures import CellError

NAMES = [
    "Al0.5Ga0.5V3-MP-mp-1228807",  # 8 atoms
    "Ba2Cu3Pr0.5Y0.5O7-MP-mp-1228182",  # 26 atoms
    "Ba0.123Cu1La1.877O4-MP-mp-1077929-synth_doped",  # 49 atoms
]


def _init(threads: int) -> None:
    import warnings

    import torch

    warnings.filterwarnings("ignore")
    torch.set_num_threads(threads)


def _materials(names):
    by_name = {m.name: m for m in load_3dsc()}
    return [by_name[n] for n in names]


def _cells(names):
    from pymatgen.io.ase import AseAtomsAdaptor

    return [AseAtomsAdaptor.get_atoms(ordered_cell(m.structure, m.name).structure) for m in _materials(names)]


def _steps(tc: float) -> int:
    c = RampConfig()
    return c.first_equil_steps + c.sample_steps + (len(temperatures(tc, c)) - 1) * (c.equil_steps + c.sample_steps)


def bare_model(names, calls: int = 12) -> dict:
    """(a) seconds per energy+forces call, graph excluded and included, per structure."""
    import torch
    from chgnet.model.model import BatchedGraph
    from pymatgen.io.ase import AseAtomsAdaptor

    m = load_mlff("chgnet", None, "cpu").model
    out = {}
    for name, atoms in zip(names, _cells(names)):
        atoms.rattle(0.02, seed=0)
        s = AseAtomsAdaptor.get_structure(atoms)

        def call(graph):
            b = BatchedGraph.from_graphs(
                [graph], bond_basis_expansion=m.bond_basis_expansion, angle_basis_expansion=m.angle_basis_expansion
            )
            r = m._compute(b, compute_force=False, return_crystal_feas=True)
            torch.autograd.grad((r["e"] * r["atoms_per_graph"]).sum(), b.atom_positions)

        g = m.graph_converter(s)
        call(g)
        t = time.perf_counter()
        for _ in range(calls):
            call(g)
        excl = (time.perf_counter() - t) / calls
        t = time.perf_counter()
        for _ in range(calls):
            call(m.graph_converter(s))
        incl = (time.perf_counter() - t) / calls
        out[name] = {"atoms": len(atoms), "excluded": excl, "included": incl}
    return out


def plain_ase(names) -> dict:
    """(b) a user's loop: ASE Langevin + CHGNetCalculator through the same ramp, one process."""
    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
    from chgnet.model.dynamics import CHGNetCalculator

    c = RampConfig()
    calc = CHGNetCalculator(model=load_mlff("chgnet", None, "cpu").model, use_device="cpu")
    out = {}
    for m, atoms in zip(_materials(names), _cells(names)):
        temps = temperatures(m.tc, c)
        atoms.calc = calc
        MaxwellBoltzmannDistribution(atoms, temperature_K=temps[0], rng=np.random.default_rng(0))
        dyn = Langevin(
            atoms,
            c.timestep_fs * units.fs,
            temperature_K=temps[0],
            friction=c.friction_per_fs / units.fs,
            fixcm=False,
            rng=np.random.default_rng(0),
        )
        t = time.perf_counter()
        for i, temp in enumerate(temps):
            dyn.set_temperature(temperature_K=temp)
            dyn.run((c.first_equil_steps if i == 0 else c.equil_steps) + c.sample_steps)
        out[m.name] = {"atoms": len(atoms), "steps": _steps(m.tc), "seconds": time.perf_counter() - t}
    return out


def engine(names) -> dict:
    """(c) tcramp's ramp engine on each material: wall seconds, atoms, steps, T tracking."""
    from ase import units

    out = {}
    for m in _materials(names):
        t = time.perf_counter()
        df = ramp_structure(m.structure, name=m.name, tc=m.tc, config=RampConfig(sampler="md"), device="cpu")
        sec = time.perf_counter() - t
        track = ((df.T_measured - df.T_target).abs() / df.T_target).tolist()
        hot = df[df.T_target >= 20]
        heat = np.polyfit(hot.T_target, hot.energy_per_atom, 1)[0] / (1.5 * units.kB)
        out[m.name] = {
            "atoms": int(df.n_atoms.iloc[0]),
            "steps": int(df.step.max()),
            "seconds": sec,
            "tracking": track,
            "heat": float(heat),
        }
    return out


def _pool(fn, jobs, workers):
    """Run `fn(job)` for each job in `workers` single-threaded processes; results and wall time."""
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(1,)) as pool:
        list(pool.map(_init, [1] * workers))  # start every process before timing
        t = time.perf_counter()
        res = list(pool.map(fn, jobs))
        return res, time.perf_counter() - t


def _rate(records) -> float:
    return sum(r["atoms"] * r["steps"] for r in records) / sum(r["seconds"] for r in records)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--sample", type=int, default=10, help="extra random materials for the projection")
    p.add_argument("--out", default=None)
    a = p.parse_args()
    n = a.workers
    _init(1)
    t_start = time.time()

    # (a) every process runs the same calls: aggregate rate = n x the per-process rate
    res, _ = _pool(bare_model, [NAMES] * n, n)
    calls = {k: {f: np.mean([r[k][f] for r in res]) for f in ("atoms", "excluded", "included")} for k in NAMES}
    atoms_sum = sum(calls[k]["atoms"] for k in NAMES)
    rate_a = n * atoms_sum / sum(calls[k]["excluded"] for k in NAMES)
    rate_a_graph = n * atoms_sum / sum(calls[k]["included"] for k in NAMES)

    # (b) one process with torch's default thread count
    import torch

    torch.set_num_threads(os.cpu_count())
    base = plain_ase(NAMES)
    torch.set_num_threads(1)
    rate_b = _rate(base.values())

    # (c) n processes, each ramping the named materials (cores all busy, as in a build)
    res_named, wall = _pool(engine, [NAMES] * n, n)
    eng = [r[k] for r in res_named for k in NAMES]
    rate_c = sum(r["atoms"] * r["steps"] for r in eng) / wall
    tracking = float(np.mean([x for r in eng for x in r["tracking"]]))

    # (c) again through tcramp.simulate's local Dask cluster: each material once per worker
    import dataclasses
    import tempfile

    copies = [dataclasses.replace(m, name=f"{m.name}#{k}") for k in range(n) for m in _materials(NAMES)]
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        simulate(copies, tmp, workers=n, device="cpu")
        wall_dask = time.perf_counter() - t  # includes starting the cluster
        d = read_snapshots(tmp).groupby("name").agg(atoms=("n_atoms", "first"), steps=("step", "max"))
    rate_dask = float((d.atoms * d.steps).sum() / wall_dask)
    heat = float(np.mean([r["heat"] for r in eng]))

    # projection: a random sample of covered materials ramped by the engine, then a per-step fit

    covered = []
    for m in load_3dsc():
        try:
            cell = ordered_cell(m.structure, m.name)
            covered.append((m.name, len(cell.structure), _steps(m.tc)))
        except (CellError, ValueError):
            pass
    rng = random.Random(0)
    sample = [c[0] for c in rng.sample(covered, a.sample)]
    chunks = [sample[i::n] for i in range(n)]
    res, _ = _pool(engine, chunks, n)
    timed = [r for part in res for r in part.values()] + eng
    x = np.array([r["atoms"] for r in timed], float)
    y = np.array([r["seconds"] / r["steps"] for r in timed])
    beta, alpha = np.polyfit(x, y, 1)
    per_material = [steps * (alpha + beta * atoms) for _, atoms, steps in covered]
    hours = sum(per_material) / n / 3600

    lines = [
        f"machine: {os.cpu_count()} cores, workers={n}, torch {torch.__version__}",
        "structures: " + ", ".join(f"{k} ({int(calls[k]['atoms'])} atoms)" for k in NAMES),
        "default ramp steps per material: " + ", ".join(str(base[k]["steps"]) for k in NAMES),
        f"a_model_atom_steps_per_s={rate_a:.0f} (graph excluded), {rate_a_graph:.0f} (graph included)",
        f"b_plain_ase_atom_steps_per_s={rate_b:.0f}",
        f"c_tcramp_atom_steps_per_s={rate_c:.0f}",
        f"c_via_dask_atom_steps_per_s={rate_dask:.0f} (tcramp.simulate, local cluster start-up included)",
        f"ratio_vs_ase={rate_c / rate_b:.2f}",
        f"ratio_vs_model={rate_c / rate_a:.2f}",
        f"ratio_vs_model_with_graph={rate_c / rate_a_graph:.2f}",
        f"temperature_tracking=mean |T_measured - T_target| / T_target = {tracking:.3f}",
        f"thermalisation=d(E_pot per atom)/dT over T >= 20 K in units of 3/2 kB = {heat:.2f} "
        "(1 for a harmonic solid in equilibrium; lower means positions lag the ramp)",
    ]
    per = {k: np.mean([r[k]["seconds"] for r in res_named]) for k in NAMES}
    lines.append(
        "wall_s_per_material (c, one core each): "
        + ", ".join(f"{int(calls[k]['atoms'])} atoms {per[k]:.1f}" for k in NAMES)
    )
    lines += [
        f"median_wall_s_per_material_sample={np.median([r['seconds'] for r in timed]):.1f} "
        f"(engine, {len(timed)} ramps incl. {a.sample} random materials, one core each)",
        f"per_step_fit: seconds = {alpha:.4f} + {beta:.5f} * atoms",
        f"covered_materials={len(covered)}",
        f"slope_s_per_material={sum(per_material) / len(covered) / n:.2f} (wall on {n} cores)",
        f"projected_hours={hours:.1f}",
        f"benchmark_wall_s={time.time() - t_start:.0f}",
    ]
    print("\n".join(lines))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"lines": lines, "model": calls, "plain_ase": base, "engine": eng}, f, indent=1, default=float)


if __name__ == "__main__":
    main()

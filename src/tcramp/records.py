"""One material's v2 record as table rows: snapshot rows (one per sampled temperature) and the
descriptor row (relaxation, phonons, neighbour contrast).

Per-atom quantities are pooled onto element roles (`tcramp.roles`): latents as the all-atom mean
(`latent_k`, the v1 column) and the means over the most cation-like (`latent_lo_k`) and most
anion-like (`latent_hi_k`) element; scalars (magnetic moment, mean-square displacement and its
ratio to the harmonic value) over the four slots lo, hi, all, std.

Thermal columns of a snapshot row:
- `msd_*` (Å²): mean over the sampled configurations of each atom's squared displacement from
  its relaxed position (centre-of-mass drift removed);
- `msd_ratio_*`: that over the harmonic value of the same atoms at the same temperature, from
  the relaxed cell's Γ modes and the sampler's statistics (classical for MD, quantum for
  harmonic draws) — 1 for a harmonic crystal in equilibrium; MD above 1 means anharmonic
  softening, below 1 lag behind the target;
- `epot_rise`: potential-energy rise above the relaxed cell per atom, over (3/2) k_B T (the
  classical harmonic value is 1; quantum draws exceed it at low T by the zero-point energy);
- `epot_anharm`: that rise over the harmonic energy ½ uᵀΦu of the very same displacements (Φ the
  Γ force constants of the cell): 1 for a harmonic crystal, whatever the statistics.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from ase import Atoms, units

from . import phonons
from .relax import Relaxation
from .roles import ROLES, flatten, pool, pool_elements
from .samplers import Sample

__all__ = ["descriptor_row", "snapshot_rows"]


def snapshot_rows(samples: list[Sample], relaxed: Relaxation, phonon, min_frequency: float) -> pd.DataFrame:
    """Snapshot rows of one ramp: T_target, T_measured, energy_per_atom, volume_per_atom, step,
    thermal and magnetic columns, then the latent columns (float32 holding float16 values). Γ modes below
    `min_frequency` THz are left out of the harmonic reference."""
    atoms: Atoms = relaxed.atoms
    symbols, n = atoms.get_chemical_symbols(), len(atoms)
    e0 = relaxed.energy
    temps = [s.T_target for s in samples]
    ref = {
        stats: phonons.harmonic_msd(phonon, temps, classical=stats == "classical", min_frequency=min_frequency)
        for stats in {s.statistics for s in samples}
    }
    fc = phonons.gamma_force_constants(phonon)
    rows, latents = [], []
    for i, s in enumerate(samples):
        msd = (s.displacements**2).sum(axis=2).mean(axis=0)
        u = s.displacements.reshape(len(s.energies), -1)
        harmonic_energy = 0.5 * np.einsum("ki,ij,kj->k", u, fc, u).mean()
        rise = float(s.energies.mean() - e0)
        measured, harmonic = pool(symbols, msd), pool(symbols, ref[s.statistics][i])
        row = {
            "T_target": s.T_target,
            "T_measured": s.T_measured,
            "sampler_statistics": s.statistics,
            "energy_per_atom": float(s.energies.mean()) / n,
            "volume_per_atom": s.volume / n,
            "step": s.calls,
            "epot_rise": rise / (n * 1.5 * units.kB * s.T_target),
            "epot_anharm": rise / harmonic_energy if harmonic_energy > 0 else np.nan,
            **flatten(measured, "msd"),
        }
        row.update({f"msd_ratio_{k}": float(measured[k] / harmonic[k]) for k in ("lo", "hi", "all")})
        if s.magmom is not None:
            row.update(flatten(pool(symbols, s.magmom), "magmom"))
        rows.append(row)
        p = pool(symbols, s.atom_latent)
        latents.append(np.concatenate([p["all"]] + [p[r] for r in ROLES]))
    d = samples[0].atom_latent.shape[1]
    names = [f"latent_{k}" for k in range(d)] + [f"latent_{r}_{k}" for r in ROLES for k in range(d)]
    # float16 precision (3 significant digits, ample for features) halves the stored set; rounding here
    # keeps predict's inputs identical to what training reads back
    lat = np.array(latents, np.float16).astype(np.float32)
    return pd.concat([pd.DataFrame(rows), pd.DataFrame(lat, columns=names)], axis=1)


def descriptor_row(relaxed: Relaxation, phonon, contrast: dict[str, float]) -> dict[str, float]:
    """Material-level descriptors: `relax_*`, `ph_*` (role-pooled per-element phonon moments as
    `ph_{quantity}_{slot}`) and the neighbour-contrast `nc_*`/`bond_*` columns."""
    symbols = relaxed.atoms.get_chemical_symbols()
    ph = phonons.descriptors(phonon)
    per_element = ph.pop("elements")
    row = {
        "relax_energy_change": relaxed.energy_change,
        "relax_volume_change": relaxed.volume_change,
        "relax_max_displacement": relaxed.max_displacement,
        "relax_steps": relaxed.steps,
        **{f"ph_{k}": v for k, v in ph.items()},
    }
    for q in next(iter(per_element.values())):
        row.update(flatten(pool_elements({e: v[q] for e, v in per_element.items()}, symbols), f"ph_{q}"))
    return {**row, **contrast}

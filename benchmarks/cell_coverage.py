"""How many bundled 3DSC_MP materials the default ordered-cell settings cover, and how well.

Usage: python benchmarks/cell_coverage.py [--max-atoms 64] [--tol 0.005] [--out cells.csv]
Prints coverage (materials whose ordered cell fits the atom cap), the atom-count distribution
and the composition-error distribution (max |atomic-fraction difference|) for synth_doped cells.
"""

import argparse
import time

import numpy as np
import pandas as pd

from tcramp.data import load_3dsc
from tcramp.ramp import RampConfig, material_seed
from tcramp.structures import CellError, order

p = argparse.ArgumentParser()
p.add_argument("--max-atoms", type=int, default=RampConfig.max_atoms)
p.add_argument("--tol", type=float, default=RampConfig.composition_tol)
p.add_argument("--out", default=None)
a = p.parse_args()

t0 = time.time()
rows = []
for m in load_3dsc():
    row = {"name": m.name, "synth_doped": m.synth_doped, "sc_class": m.sc_class, "tc": m.tc}
    try:
        s = m.structure
        row["sites"] = len(s)
        c = order(s, max_atoms=a.max_atoms, tol=a.tol, seed=material_seed(RampConfig.seed, m.name))
        row.update(atoms=len(c.structure), multiplicity=c.multiplicity, error=c.composition_error)
    except (CellError, ValueError) as exc:
        row["reason"] = str(exc)[:80]
    rows.append(row)
df = pd.DataFrame(rows)
if a.out:
    df.to_csv(a.out, index=False)
ok = df["atoms"].notna()
print(f"max_atoms={a.max_atoms} tol={a.tol}  ({time.time() - t0:.0f} s)")
print(
    f"covered={ok.sum()} of {len(df)} ({ok.mean():.1%}); synth_doped covered={(ok & df.synth_doped).sum()} of {df.synth_doped.sum()}"
)
print("covered by sc_class:", df[ok].sc_class.value_counts().to_dict())
q = [0.5, 0.9, 0.99, 1.0]
print(
    "atoms per cell quantiles",
    dict(zip(q, np.quantile(df.atoms[ok], q).round(1))),
    "mean",
    round(df.atoms[ok].mean(), 1),
)
e = df.error[ok & df.synth_doped]
print(
    "synth_doped composition error quantiles",
    dict(zip(q, np.quantile(e, q).round(4))),
    f"share <= tol {(e <= a.tol + 1e-12).mean():.1%}",
)

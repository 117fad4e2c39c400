"""Learning curve of the shipped model's kind: grouped-CV Tc MAE against the number of materials.

Usage: python benchmarks/learning_curve.py [STORE=data/records] [N ...]   (default N: 173 600 1500
and every material holding the shipped model's stage). For each N, the first N materials of the
bundled stratified order that hold the stage are cross-validated on the leakage-grouped folds of
`tcramp.splits` (5 folds): the shipped kind, groups and parameters (`tcramp.training.train`),
Magpie-RF and the zero predictor on the same folds. Prints mean ± std over folds (K) per method,
and the paired per-fold MAE difference of the shipped kind to Magpie-RF (real when it exceeds its std);
writes the same means and stds to docs/learning_curve.csv (`tcramp.report.LEARNING_CURVE_COLUMNS`,
the report's learning-curve figure).
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from tcramp.cv import baselines, material_folds
from tcramp.data import load_3dsc, stratified
from tcramp.groups import material_view
from tcramp.models import TcModel
from tcramp.pipeline import shipped_model_dir
from tcramp.report import LEARNING_CURVE_COLUMNS
from tcramp.snapshots import read_config, read_table, read_weights
from tcramp.training import train

store = sys.argv[1] if len(sys.argv) > 1 else "data/records"
meta = TcModel.load(shipped_model_dir()).meta
table = read_table(store, stage=meta.stage, mlff=meta.backend or None)
config = read_config(store, stage=meta.stage, mlff=meta.backend or None)
weights = read_weights(store, stage=meta.stage, mlff=meta.backend or None)
rank = {m.name: i for i, m in enumerate(stratified(load_3dsc()))}
order = sorted(table["name"], key=lambda n: rank.get(n, len(rank)))
sizes = [int(n) for n in sys.argv[2:]] or [n for n in (173, 600, 1500) if n < len(order)] + [len(order)]
CSV = Path(__file__).resolve().parents[1] / "docs" / "learning_curve.csv"


def fold_mae(pred: np.ndarray, y: np.ndarray, folds) -> np.ndarray:
    return np.array([np.abs(pred[te] - y[te]).mean() for _, te in folds])


def pm(x: np.ndarray) -> str:
    return f"{np.mean(x):.2f} ± {np.std(x):.2f}"


print(f"shipped kind {meta.kind} on {'+'.join(meta.groups)} ({meta.stage} stage); {len(order)} materials hold it")
print("| N | zero | Magpie-RF | shipped kind | Δ shipped − RF (paired) |\n|---|---|---|---|---|")
rows = []
for n in sizes:
    df = table[table["name"].isin(order[:n])].reset_index(drop=True)
    model, oof = train(df, meta.kind, meta.params, groups=meta.groups, config=config, weights=weights)
    mat, cols = material_view(df, ["magpie"], config)
    folds = material_folds(df, 5, 0)  # train's folds: the same grouped splits of the sorted names
    y = mat["tc"].to_numpy(float)
    rf = baselines(mat, folds, 0, ["magpie-rf"])["magpie-rf"].to_numpy()
    shipped = pd.Series(oof["tc50"].to_numpy(), index=oof["name"]).loc[mat["name"]].to_numpy()
    zero, forest, ours = (fold_mae(p, y, folds) for p in (np.zeros(len(y)), rf, shipped))
    print(
        f"| {n} | {pm(zero)} | {pm(forest)} | {pm(ours)} | {np.mean(ours - forest):+.2f} ± {np.std(ours - forest):.2f} |"
    )
    rows += [(n, m, np.mean(x), np.std(x)) for m, x in (("zero", zero), ("Magpie-RF", forest), ("shipped kind", ours))]
pd.DataFrame(rows, columns=LEARNING_CURVE_COLUMNS).to_csv(CSV, index=False)

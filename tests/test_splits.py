import hashlib

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator

from tcramp.cv import LeakageKFold, material_folds, material_groups
from tcramp.splits import grouped_folds, leakage_groups


def _bundled_frame(bundled) -> pd.DataFrame:
    return pd.DataFrame(
        [{"name": m.name, "formula": m.formula, "parent_id": m.parent_id, "group": m.group} for m in bundled.values()]
    )


def test_groups_join_formula_parent_and_material(bundled):
    df = _bundled_frame(bundled)
    df = pd.concat([df, df.iloc[:50]], ignore_index=True)  # several rows per material, as snapshots
    g = leakage_groups(df)
    for key in ("name", "formula", "parent_id"):
        assert (df.assign(g=g).groupby(key)["g"].nunique() == 1).all(), key
    # one parent doped many times is one group
    sib = df[df.parent_id == "mp-1228182"]
    assert len(sib.name.unique()) > 3 and len(set(g[sib.index])) == 1


def test_no_group_straddles_folds_on_the_real_set(bundled):
    df = _bundled_frame(bundled)
    g = leakage_groups(df)
    folds = grouped_folds(g, 5, seed=1)
    seen = np.zeros(len(df), int)
    for train, test in folds:
        seen[test] += 1
        for key in ("name", "formula", "parent_id"):
            assert not set(df[key].iloc[train]) & set(df[key].iloc[test]), key
    assert (seen == 1).all()
    sizes = [len(t) for _, t in folds]
    assert max(sizes) < 2.5 * min(sizes)


def _folds_before_the_cv_module(table: pd.DataFrame, k: int, seed: int):
    """`tcramp.splits.material_folds` as it was when the committed results were made."""
    group_of = dict(zip(table["name"], leakage_groups(table)))
    return grouped_folds(np.array([group_of[n] for n in sorted(table.drop_duplicates("name")["name"])]), k, seed)


def _same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, u) and np.array_equal(y, v) for (x, y), (u, v) in zip(a, b))


def test_splitter_gives_the_committed_folds(bundled, tiny_snapshots):
    """`LeakageKFold` over the materials' groups reproduces the folds behind the committed results:
    on the bundled set (rows shuffled; pinned by a digest) and on a snapshot store."""
    df = _bundled_frame(bundled).sample(frac=1, random_state=0)
    folds = material_folds(df, 5, 0)
    assert _same(folds, _folds_before_the_cv_module(df, 5, 0))
    assert hashlib.sha256(np.concatenate([te for _, te in folds]).tobytes()).hexdigest()[:16] == "6348097040b95aa1"
    splitter = LeakageKFold(5, 0)
    assert splitter.get_n_splits() == 5 and isinstance(splitter, BaseCrossValidator)
    assert _same(list(splitter.split(groups=material_groups(df))), folds)
    _, snap = tiny_snapshots
    for k in (3, 5):
        assert _same(material_folds(snap, k, 0), _folds_before_the_cv_module(snap, k, 0))

import numpy as np
import pandas as pd

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

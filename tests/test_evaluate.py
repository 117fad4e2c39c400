"""The evaluation run on a real (tiny) snapshot build: same folds for all methods, files, table."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tcramp.ablation import AblationConfig, configurations
from tcramp.ablation import write_readme_table as write_ablation_table
from tcramp.cli import app
from tcramp.evaluate import METHODS, EvalConfig, _calibrate, evaluate, write_readme_table
from tcramp.ramp import RampConfig
from tcramp.render import ablation_table, results_table, write_block
from tcramp.run import simulate
from tcramp.snapshots import read_earlier, read_materials, read_snapshots
from tcramp.splits import grouped_folds, leakage_groups
from tcramp.stages import stage_hash

from conftest import EARLY, TINY

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
ABL_BEGIN, ABL_END = "<!-- ablation:begin -->", "<!-- ablation:end -->"


@pytest.fixture(scope="module")
def evaluated(tiny_snapshots, staged_store, tmp_path_factory):
    _, df = tiny_snapshots
    out = tmp_path_factory.mktemp("eval")
    cfg = EvalConfig(
        folds=3,
        catboost={"iterations": 30, "depth": 3},
        mlp={"hidden": (16,), "epochs": 5},
        extrapolation_quantile=0.8,
        leave_class_out=True,
        leave_elements_out=("Al",),
        curves=("Al0.5Ga0.5V3-MP-mp-1228807",),
        worst=5,
        ablation=AblationConfig(
            folds=3,
            regressor={"iterations": 20, "depth": 2},
            classifier_params={"iterations": 20, "depth": 2},
            classifier=(("magpie",),),
            log_target=(("magpie",),),
            mlp={"params": {"hidden": [8], "epochs": 3, "random_seed": 7}, "features": "magpie,latent"},
        ),
    )
    early = read_materials(staged_store, stage="relaxed")
    return out, evaluate(df, out, cfg, config=TINY, log=lambda *a: None, materials=[early]), df


def test_phonons_set_joins_the_ablation_while_samples_lag(staged_store, bundled, tmp_path):
    """A build that has run `phonons` ahead of `samples` adds the phonons set (the physics groups
    on more materials); with as many holding both, only the relaxed set joins the samples one."""
    held = read_snapshots(staged_store)["name"].nunique()
    assert [t["stage"].iloc[0] for t in read_earlier(staged_store, held=held)] == ["relaxed"]
    store = tmp_path / "store"
    shutil.copytree(staged_store, store)
    simulate([bundled[EARLY[0]]], store, TINY, stage="phonons", workers=0, device="cpu")
    relaxed, phonons = read_earlier(store, held=held)
    assert (relaxed["stage"].iloc[0], phonons["stage"].iloc[0]) == ("relaxed", "phonons")
    assert len(phonons) == held + 1 and EARLY[0] in set(phonons["name"])
    assert "ph_omega_log" in phonons


def test_every_method_scored_on_the_same_materials(evaluated):
    out, result, df = evaluated
    overall = result["cv"]["overall"]
    assert set(overall) == set(METHODS)
    assert len({v["n"] for v in overall.values()}) == 1 and overall["mean"]["n"] == df.name.nunique()
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk["cv"]["overall"] == overall
    pred = pd.read_csv(out / "predictions.csv", index_col=0)
    assert set(pred.index) == set(df.name) and set(METHODS) <= set(pred.columns)
    for m in METHODS:  # the metrics are the held-out predictions' errors
        assert overall[m]["mae"] == pytest.approx((pred[m] - pred.tc_true).abs().mean())
    assert overall["zero"]["mae"] == pytest.approx(pred.tc_true.mean())
    assert result["ratio_ramp_vs_magpie_rf"] == pytest.approx(
        min(overall[m]["mae"] for m in ("ramp-catboost", "ramp-mlp")) / overall["magpie-rf"]["mae"]
    )
    # held-out snapshots: P(SC) ranks superconducting rows above normal ones (temperature is an input)
    assert result["classifier"]["ramp-catboost"]["auc"] > 0.6


def test_experiments_plots_and_summary(evaluated):
    out, result, _ = evaluated
    assert any(k.startswith("extrapolation") for k in result["experiments"])
    assert any(k.startswith("leave element out: Al") for k in result["experiments"])
    for f in ("parity.png", "reliability.png", "summary.md"):
        assert (out / f).stat().st_size > 0
    assert list(out.glob("curve-Al0.5Ga0.5V3*.png"))
    assert result["high_error"]["worst"] and "Highest errors" in (out / "summary.md").read_text()


def test_readme_table_is_regenerated_from_metrics(evaluated, tmp_path):
    out, result, _ = evaluated
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\nstale\n{END}\nrest\n")
    write_readme_table(readme, json.loads((out / "metrics.json").read_text()))
    text = readme.read_text()
    assert results_table(result) in text and "stale" not in text and text.endswith("rest\n")


def test_real_split_never_shares_material_formula_or_parent(bundled):
    """On the bundled set's real metadata: no fold's train and test share any key."""
    rows = pd.DataFrame(
        [
            {
                "name": m.name,
                "formula": m.formula,
                "parent_id": m.parent_id,
                "group": m.group,
                "tc": m.tc,
                "sc_class": m.sc_class,
                "synth_doped": m.synth_doped,
            }
            for m in bundled.values()
        ]
    )
    g = leakage_groups(rows)
    for train, test in grouped_folds(g, 5, seed=0):
        for key in ("name", "formula", "parent_id"):
            assert not set(rows[key].iloc[train]) & set(rows[key].iloc[test])


def test_calibrated_threshold_never_uses_its_own_fold():
    """Fold 0 alone would pick 30 %; the other folds agree on 70 %, and fold 0 gets 70 %."""
    rows = []
    for fold, best in ((0, 0.3), (1, 0.7), (2, 0.7), (3, 0.7)):
        for i in range(4):
            tc = 10.0 * (i + 1)
            row = {"fold": fold, "tc_true": tc, "ramp-catboost": tc + 20}
            row.update({f"ramp-catboost@{t}": tc + (0 if t / 100 == best else 20) for t in range(30, 85, 5) if t != 50})
            rows.append(row)
    cv = pd.DataFrame(rows)
    chosen = _calibrate(cv)
    assert chosen["ramp-catboost"] == [0.7, 0.7, 0.7, 0.7]
    assert (cv.loc[cv.fold == 0, "ramp-catboost@cal"] == cv.loc[cv.fold == 0, "ramp-catboost@70"]).all()


def test_hybrid_ablation_and_base_grid_only(tiny_snapshots, tmp_path):
    """Magpie + T without the latent, trained on the base grid only: runs, and says so."""
    _, df = tiny_snapshots
    cfg = EvalConfig(
        folds=3,
        catboost={"iterations": 20, "depth": 2},
        mlp={"hidden": (8,), "epochs": 3},
        groups=("temperature", "magpie"),
        dense=False,
        ablation=None,
        extrapolation_quantile=None,
        leave_class_out=False,
        leave_elements_out=(),
        curves=(),
    )
    result = evaluate(df, tmp_path, cfg, config=TINY, log=lambda *a: None)
    assert result["features"] == {"groups": ["temperature", "magpie"], "dense": False}
    assert np.isfinite(result["thresholds"]["ramp-catboost@cal"]["mae"])
    assert "Ramp classifier inputs: temperature, magpie; base grid only" in (tmp_path / "summary.md").read_text()


def test_default_config_is_checked_against_the_snapshots(tiny_snapshots, tmp_path):
    """Without `config`, evaluate takes the default settings and refuses a build of others by name
    (it used to fail inside `temperatures(0.0, None)`)."""
    _, df = tiny_snapshots
    with pytest.raises(ValueError, match=f"samples settings {stage_hash(RampConfig(), 'samples')} differ"):
        evaluate(df, tmp_path / "out")


def test_ablation_scores_every_configuration_on_the_evaluation_folds(evaluated, tmp_path):
    """Each group alone, Magpie + each, all and all minus each, the baselines, the Allen–Dynes head
    and the classifier, every one on the same held-out materials with fold spreads; the README
    table is regenerated from ablation.json."""
    out, result, df = evaluated
    sets = json.loads((out / "ablation.json").read_text())
    assert list(sets) == ["relaxed", "samples"]
    early, summary = sets["relaxed"], sets["samples"]
    assert (
        early["_meta"]["materials"] == df.name.nunique() + len(EARLY)
        and summary["_meta"]["materials"] == df.name.nunique()
    )
    assert {"phonon", "latent"} & set(early["_meta"]["groups"]) == set() and "contrast" in early["_meta"]["groups"]
    groups = summary["_meta"]["groups"]
    assert {"magpie", "phonon", "thermal", "contrast", "latent"} <= set(groups)
    want = {f"reg:{k}" for k in configurations(tuple(groups))} | {"zero", "median", "mean", "magpie-rf"}
    assert want | {"allen-dynes:all", "clf:magpie+T", "clf-mlp:magpie+latent+T", "reg-log:magpie"} <= set(summary)
    assert "clf-mlp:magpie+latent+T" not in early  # a snapshot classifier: only where samples exist
    all_pred = pd.read_csv(out / "ablation.csv")
    pred = all_pred[all_pred["set"] == "samples"].dropna(axis=1, how="all")
    assert len(pred) == df.name.nunique() and pred.drop(columns=["sc_class"]).notna().all().all()
    # the folds are evaluate's: a material's ablation fold holds the same materials as its CV fold
    cv = pd.read_csv(out / "predictions.csv", index_col=0)
    for _, g in pred.groupby("fold"):
        assert cv.loc[g["name"], "fold"].nunique() == 1
    for m in (
        "zero",
        "magpie-rf",
        "reg:magpie",
        "clf:magpie+T",
        "clf-mlp:magpie+latent+T",
    ):  # mean ± std over folds of held-out MAE
        mae = pred.groupby("fold").apply(lambda g, m=m: (g[m] - g.tc_true).abs().mean())
        assert summary[m]["overall"]["mae_mean"] == pytest.approx(mae.mean())
        assert summary[m]["overall"]["mae_std"] == pytest.approx(mae.std(ddof=0))
    # paired Δ per slice against Magpie-CatBoost and Magpie + contrast, by hand on class Other
    other = pred[pred["sc_class"] == "Other"]
    by_fold = other.groupby("fold").apply(
        lambda g: (g["reg:all"] - g.tc_true).abs().mean() - (g["reg:magpie+contrast"] - g.tc_true).abs().mean()
    )
    got = summary["reg:all"]["other"]["vs"]["reg:magpie+contrast"]
    assert got == pytest.approx({"mean": by_fold.mean(), "std": by_fold.std(ddof=0)})
    assert summary["reg:magpie"]["tc<30"]["vs"]["reg:magpie"] == {"mean": 0.0, "std": 0.0}
    assert "Δ vs magpie+contrast, Other" in ablation_table(sets)
    # every row states its N: the set's materials
    table = ablation_table(sets)
    rows = [line for line in table.splitlines() if line.startswith("| reg:magpie | regressor |")]
    assert [line.split(" | ")[2] for line in rows] == [str(early["_meta"]["materials"]), str(df.name.nunique())]
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{ABL_BEGIN}\nstale\n{ABL_END}\nrest\n")
    write_ablation_table(readme, sets)
    assert ablation_table(sets) in readme.read_text() and "stale" not in readme.read_text()
    assert "Ratio of its MAE to Magpie-RF" in (out / "summary.md").read_text()


def test_readme_tables_are_the_committed_evaluation():
    """The README's results and ablation tables are exactly what `tcramp evaluate --readme`
    writes from the committed docs/evaluation/metrics.json and ablation.json."""
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    metrics = json.loads((root / "docs/evaluation/metrics.json").read_text())
    summary = json.loads((root / "docs/evaluation/ablation.json").read_text())
    assert f"{BEGIN}\n{results_table(metrics)}\n{END}" in readme
    assert f"{ABL_BEGIN}\n{ablation_table(summary)}\n{ABL_END}" in readme
    docs, b = root / "docs/evaluation-7net-l3i5", "7net-l3i5"  # the physics build's own blocks
    metrics, summary = (json.loads((docs / f).read_text()) for f in ("metrics.json", "ablation.json"))
    assert f"<!-- results-{b}:begin -->\n{results_table(metrics)}\n<!-- results-{b}:end -->" in readme
    assert f"<!-- ablation-{b}:begin -->\n{ablation_table(summary)}\n<!-- ablation-{b}:end -->" in readme


@pytest.mark.slow
def test_baselines_fitted_once_per_fold_and_shared_with_the_ablation(tiny_snapshots, tmp_path, monkeypatch):
    """Magpie-RF is fitted once per CV fold, its predictions shared by the CV table and the
    ablation on the same materials (before: once more per fold in the ablation)."""
    from sklearn.ensemble import RandomForestRegressor

    fits = []
    fit = RandomForestRegressor.fit
    monkeypatch.setattr(RandomForestRegressor, "fit", lambda self, *a, **k: fits.append(1) or fit(self, *a, **k))
    _, df = tiny_snapshots
    cfg = EvalConfig(
        folds=3,
        catboost={"iterations": 10, "depth": 2},
        mlp={"hidden": (8,), "epochs": 2},
        ablation=AblationConfig(folds=3, regressor={"iterations": 5, "depth": 2}, classifier=(), log_target=()),
        extrapolation_quantile=None,
        leave_class_out=False,
        leave_elements_out=(),
        curves=(),
    )
    evaluate(df, tmp_path, cfg, config=TINY, log=lambda *a: None)
    assert len(fits) == 3
    cv = pd.read_csv(tmp_path / "predictions.csv", index_col=0)
    abl = pd.read_csv(tmp_path / "ablation.csv").set_index("name")
    assert np.allclose(cv["magpie-rf"], abl.loc[cv.index, "magpie-rf"])


def test_write_block_replaces_only_between_its_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- x:begin -->\nold\n<!-- x:end -->\nb <!-- y:begin -->keep<!-- y:end -->\n")
    write_block(readme, "x", "new")
    assert readme.read_text() == "a\n<!-- x:begin -->\nnew\n<!-- x:end -->\nb <!-- y:begin -->keep<!-- y:end -->\n"


def test_evaluate_refuses_a_trial_that_is_not_an_mlp_one(tmp_path):
    """`--mlp` takes the JSON of `tcramp search --model mlp --best`; anything else is a one-line
    error naming the file, before any record is read."""
    best = tmp_path / "best.json"
    best.write_text(json.dumps({"model": "catboost-tc", "params": {}, "features": "magpie"}))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    for path in (best, bad):
        r = CliRunner().invoke(
            app, ["evaluate", "--out", str(tmp_path / "o"), "--snapshots", str(tmp_path), "--mlp", str(path)]
        )
        assert r.exit_code == 2 and path.name in r.output and not (tmp_path / "o").exists()

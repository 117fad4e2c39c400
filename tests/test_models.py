"""Classifiers, the trained Tc model and its files, on a real (tiny) CHGNet snapshot build."""

import json
import subprocess
from pathlib import Path

import chgnet
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from tcramp.composition import magpie_columns
from tcramp.data import load_3dsc
from tcramp.estimators import MLPSC, CatBoostSC, CatBoostTc
from tcramp.groups import GROUPS
from tcramp.models import TcModel
from tcramp.pipeline import predict_tc
from tcramp.run import simulate
from tcramp.search import _fail_dead, search
from tcramp.snapshots import read_config
from tcramp.training import train

from conftest import CLI, TINY, TRAIN


def _xy(df):
    X = df[GROUPS["latent"].columns(df)].to_numpy(np.float32)
    return X, df.superconducting.to_numpy()


@pytest.mark.parametrize("est", [CatBoostSC(iterations=40, depth=3), MLPSC(hidden=(16, 8), epochs=15)])
def test_sklearn_contract_and_native_save(est, tiny_snapshots, tmp_path):
    _, df = tiny_snapshots
    X, y = _xy(df)
    assert clone(est).get_params() == est.get_params() and not hasattr(est, "classes_")
    fitted = clone(est).fit(X, y)
    p = fitted.predict_proba(X)
    assert p.shape == (len(X), 2) and np.allclose(p.sum(1), 1, atol=1e-5)
    assert (fitted.predict(X) == fitted.classes_[p.argmax(1)]).all()
    fitted.save(tmp_path / "m")
    again = type(est).load(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(X), p, atol=1e-6)


def test_mlp_clips_inputs_to_the_training_range(tiny_snapshots):
    """A column constant in training (as a rare Magpie feature can be in one fold) and far off on
    a new row would reach |z| ~ 1e7 and saturate the net (one such fold gave Tc 300 K for many
    materials); clipped to the training range it reads as the training value."""
    _, df = tiny_snapshots
    X, y = _xy(df)
    X = np.column_stack([X, np.zeros(len(X))])
    fitted = MLPSC(hidden=(16,), epochs=5).fit(X, y)
    far = X.copy()
    far[:, -1] = 1e3
    np.testing.assert_allclose(fitted.predict_proba(far), fitted.predict_proba(X), atol=1e-7)


def test_mlp_keeps_best_validation_or_last(tiny_snapshots):
    _, df = tiny_snapshots
    X, y = _xy(df)
    best = MLPSC(hidden=(16,), epochs=25, keep_best=True).fit(X, y)
    last = MLPSC(hidden=(16,), epochs=25, keep_best=False).fit(X, y)
    assert len(best.history_) == 25
    assert not np.allclose(best.predict_proba(X), last.predict_proba(X)) or np.argmin(best.history_) == 24


def test_train_save_load_and_refuse_other_latents(tiny_snapshots, tmp_path):
    run, df = tiny_snapshots
    model, table = train(df, "catboost", {"iterations": 40, "depth": 3}, groups=("latent",), folds=3, config=TINY)
    assert model.meta.n_members == 3 and model.meta.latent_size == 64
    assert model.meta.training_set["materials"] == len(TRAIN)
    assert set(table.name) == set(TRAIN) and np.isfinite(model.meta.cv["tc_mae"])
    model.save(tmp_path / "model")
    loaded = TcModel.load(tmp_path / "model")
    np.testing.assert_allclose(loaded.proba(df), model.proba(df))
    other = df.assign(latent_size=256, backend="orb-d3-v2")
    with pytest.raises(ValueError, match="model trained on backend chgnet; rows hold orb-d3-v2"):
        loaded.proba(other)
    with_t, _ = train(
        df, "catboost", {"iterations": 20, "depth": 2}, groups=("latent", "temperature"), folds=3, config=TINY
    )
    assert with_t.features[-1] == "T_target"


def test_magpie_hybrid_computes_composition_features_from_the_formula(tiny_snapshots):
    """A latent + Magpie + T model: the Magpie inputs come from each row's formula, so a bare
    ramp (as `predict` makes) scores the same as the training rows that carried them."""
    _, df = tiny_snapshots
    model, _ = train(
        df, "catboost", {"iterations": 20, "depth": 2}, groups=("latent", "magpie", "temperature"), folds=3, config=TINY
    )
    assert model.meta.groups == ("latent", "magpie", "temperature") and model.features[64:-1] == magpie_columns()
    assert not any(c.startswith("magpie_") for c in df.columns)  # the input was not mutated
    p = model.proba(df)
    assert p.shape == (3, len(df)) and np.isfinite(p).all()
    al = df[df.name == "Al0.25V0.75-MP-mp-1387"]
    np.testing.assert_allclose(model.proba(al.assign(formula="V3 Al1")), p[:, al.index], atol=1e-6)


def test_model_files_are_validated(tiny_snapshots, tmp_path):
    _, df = tiny_snapshots
    model, _ = train(df, "mlp", {"hidden": [8], "epochs": 5}, groups=("latent",), folds=2, config=TINY)
    d = model.save(tmp_path / "m")
    assert sorted(p.name for p in d.iterdir()) == ["fold-0.json", "fold-0.pt", "fold-1.json", "fold-1.pt", "model.json"]
    meta = json.loads((d / "model.json").read_text())
    (d / "model.json").write_text(json.dumps({**meta, "schema_version": 99}))
    with pytest.raises(ValueError, match="schema 99"):
        TcModel.load(d)
    with pytest.raises(FileNotFoundError, match="not a tcramp model"):
        TcModel.load(tmp_path)


@pytest.mark.slow
def test_cli_train_then_predict_round_trip_on_user_csv(small, tiny_snapshots, tmp_path):
    run, _ = tiny_snapshots
    model_dir = tmp_path / "model"
    r = subprocess.run(
        [
            *CLI,
            "train",
            "--snapshots",
            str(run),
            "--out",
            str(model_dir),
            "--folds",
            "3",
            "--params",
            '{"iterations": 40, "depth": 3}',
            "--model",
            "catboost",
            "--features",
            "latent,temperature",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "Tc MAE" in r.stderr and (model_dir / "model.json").exists() and (model_dir / "cv_tc.csv").exists()
    cif = tmp_path / "AlGaV3.cif"
    small[0].structure.to(filename=str(cif))
    (tmp_path / "bad.cif").write_text("garbage\n")
    out = tmp_path / "pred"
    r = subprocess.run(
        [
            *CLI,
            "predict",
            str(cif),
            str(tmp_path / "bad.cif"),
            "--model",
            str(model_dir),
            "--out",
            str(out),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 1 and "FAILED" in r.stderr and "bad.cif" in r.stderr
    assert "AlGaV3" in r.stdout and "Tc@50%" in r.stdout
    pred = pd.read_csv(out / "predictions.csv")
    assert list(pred.name) == ["AlGaV3"] and np.isfinite(pred.tc50).all()
    assert (pred.tc_low <= pred.tc50).all() and (pred.tc50 <= pred.tc_high).all()
    png = next(out.glob("*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # resumable: a second run reuses the stored result
    r2 = subprocess.run(
        [*CLI, "predict", str(cif), "--model", str(model_dir), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r2.returncode == 0 and pd.read_csv(out / "predictions.csv").tc50.iloc[0] == pred.tc50.iloc[0]
    assert len(list((out / "results").glob("*.json"))) == 1
    # another model in the same directory is not served the first model's cached result
    r = subprocess.run(
        [
            *CLI,
            "train",
            "--snapshots",
            str(run),
            "--out",
            str(model_dir),
            "--folds",
            "2",
            "--params",
            '{"iterations": 10, "depth": 2}',
            "--model",
            "catboost",
            "--features",
            "latent,temperature",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    r3 = subprocess.run(
        [*CLI, "predict", str(cif), "--model", str(model_dir), "--out", str(out), "--device", "cpu"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r3.returncode == 0 and len(list((out / "results").glob("*.json"))) == 2


@pytest.mark.slow
def test_search_resumes_the_same_sqlite_study_after_a_kill(tiny_snapshots, tmp_path):
    import os
    import signal
    import sqlite3
    import time

    run, _ = tiny_snapshots
    db = tmp_path / "s.db"
    cmd = [
        *CLI,
        "search",
        "--snapshots",
        str(run),
        "--storage",
        f"sqlite:///{db}",
        "--folds",
        "2",
        "--model",
        "catboost",
    ]
    proc = subprocess.Popen(
        [*cmd, "--trials", "50"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )

    def complete() -> int:
        if not db.exists():
            return 0
        with sqlite3.connect(db) as c:
            try:
                return c.execute("select count(*) from trials where state='COMPLETE'").fetchone()[0]
            except sqlite3.OperationalError:
                return 0

    deadline = time.time() + 240
    while complete() < 2:
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = complete()
    time.sleep(11)  # past the heartbeat grace period: the killed trial is stale
    r = subprocess.run([*cmd, "--trials", str(before + 1)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(db) as c:
        assert c.execute("select count(*) from studies").fetchone()[0] == 1
        assert c.execute("select count(*) from trials where state='COMPLETE'").fetchone()[0] == before + 1
        assert c.execute("select count(*) from trials where state='RUNNING'").fetchone()[0] == 0
    assert "best #" in r.stderr


def test_trial_killed_before_its_first_heartbeat_is_failed_on_resume(tmp_path):
    """Optuna alone leaves such a trial RUNNING forever; a live trial with a fresh heartbeat stays."""
    import optuna
    from optuna.storages import RDBStorage
    from optuna.trial import TrialState

    store = RDBStorage(f"sqlite:///{tmp_path / 's.db'}", heartbeat_interval=5, grace_period=10)
    st = optuna.create_study(storage=store)
    dead, live = st.ask(), st.ask()
    store.record_heartbeat(live._trial_id)
    _fail_dead(st, store, grace=0)
    assert store.get_trial(dead._trial_id).state == TrialState.FAIL
    assert store.get_trial(live._trial_id).state == TrialState.RUNNING


def test_search_starts_from_each_familys_defaults(tiny_snapshots, tmp_path):
    run, snaps = tiny_snapshots
    st = search(
        snaps,
        f"sqlite:///{tmp_path / 's.db'}",
        trials=3,
        folds=2,
        families=("catboost", "mlp", "catboost-tc"),
        groups=("latent", "temperature"),
        config=read_config(run),
    )
    first, second, third = (t.user_attrs["params"] for t in st.trials[:3])
    cb, mlp, reg = CatBoostSC().get_params(), MLPSC().get_params(), CatBoostTc().get_params()
    searched = ("depth", "iterations", "learning_rate", "l2_leaf_reg")
    assert {k: first[k] for k in searched} == {k: cb[k] for k in searched}
    assert tuple(second["hidden"]) == mlp["hidden"] and second["epochs"] == mlp["epochs"]
    assert {k: third[k] for k in (*searched, "log_target")} == {k: reg[k] for k in (*searched, "log_target")}


def test_model_records_the_builds_weights_and_predict_ramps_with_them(small, tiny_snapshots, tmp_path):
    """A build from a local checkpoint (CHGNet 0.3.0's own file) trains a model that records the
    checkpoint, and `predict` loads it instead of the default weights."""
    ckpt = str(next((Path(chgnet.__file__).parent / "pretrained" / "0.3.0").glob("*.pth.tar")))
    build = tmp_path / "build"
    more = [m for m in small if m.name != small[1].name] + [
        m for m in load_3dsc() if m.name in ("Al0.25V0.75-MP-mp-1387", "Ag1Y1-MP-mp-2474")
    ]
    assert simulate(more, build, TINY, stage="relaxed", weights=ckpt, workers=0, device="cpu").ok
    r = subprocess.run(
        [
            *CLI,
            "train",
            "--snapshots",
            str(build),
            "--out",
            str(tmp_path / "model"),
            "--folds",
            "2",
            "--params",
            '{"iterations": 10, "depth": 2}',
            "--features",
            "magpie,contrast",  # a relaxed-stage model: it reads the build's force field
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "model" / "model.json").read_text())["weights"] == ckpt
    model = TcModel.load(tmp_path / "model")
    assert model.meta.weights == ckpt
    assert ckpt in predict_tc(small[1].structure, model, device="cpu", threads=1)["backend_version"]


def test_tc_regressor_round_trip_refusal_and_predict(small, tiny_snapshots, tmp_path):
    """The regression control on material-level groups: CV table per material, saved and loaded
    with its groups, refusing snapshots that lack one, and predicting a new structure's Tc."""
    _, df = tiny_snapshots
    groups = ("magpie", "phonon", "thermal", "contrast")
    model, table = train(df, "catboost-tc", {"iterations": 30, "depth": 2}, groups=groups, folds=3, config=TINY)
    assert model.regressor and model.meta.groups == groups and len(table) == df.name.nunique()
    assert any(f.endswith("@max") for f in model.features) and "T_target" not in model.features
    assert (table.tc50 >= 0).all() and "auc" not in model.meta.cv
    loaded = TcModel.load(model.save(tmp_path / "reg"))
    assert loaded.meta == model.meta
    np.testing.assert_allclose(loaded.predict(df), model.predict(df))
    with pytest.raises(ValueError, match="lack feature group.*phonon"):
        loaded.predict(df.drop(columns=[c for c in df if c.startswith("ph_")]))
    r = predict_tc(small[1].structure, loaded, name="AgMg", device="cpu")
    assert r["kind"] == "regression" and 0 <= r["tc_low"] <= r["tc50"] <= r["tc_high"]


@pytest.mark.parametrize(
    "kind, groups",
    [("catboost", ("magpie", "temperature")), ("catboost-tc", ("magpie", "phonon"))],
)
def test_trained_model_beats_the_zero_predictor_on_held_out_materials(tiny_snapshots, kind, groups):
    """The CV Tc of every material comes from the fold member that did not see its leakage group,
    and is closer to the truth than 0 K (MAE 6.1 K on the fixture; measured 4.8 and 4.3 K)."""
    _, df = tiny_snapshots
    model, table = train(df, kind, {"iterations": 60, "depth": 3}, groups=groups, folds=3, config=TINY)
    assert model.meta.cv["tc_mae"] == pytest.approx((table.tc50 - table.tc_true).abs().mean())
    assert model.meta.cv["tc_mae"] < 0.9 * table.tc_true.abs().mean()


# Every scikit-learn estimator check (`parametrize_with_checks`), with the one that cannot hold:
# CatBoostTc clips its predictions at 0 K (Tc >= 0) and the check's standardised targets are half
# negative. The classifiers are binary (the superconducting state: tags multi_class=False) and,
# like the regressor, take NaN inputs (tags allow_nan=True): the checks adapt to both.
EXPECTED = {"check_regressors_train": "predictions clipped at 0 K; the check's targets are half negative"}


@parametrize_with_checks(
    [
        CatBoostSC(iterations=5, thread_count=1),
        CatBoostTc(iterations=5, thread_count=1),
        MLPSC(hidden=(16,), dropout=0.1, epochs=100, learning_rate=1e-2),
    ],
    expected_failed_checks=lambda est: EXPECTED if isinstance(est, CatBoostTc) else {},
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)

"""Hyper-parameter search: Optuna (TPE, SQLite storage) over the model families (the two
classifiers and the Tc regressor), minimising grouped-CV Tc MAE, resumable after a kill."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import optuna

from .estimators import MLPSC, CatBoostSC, CatBoostTc
from .groups import DEFAULT, parse, prepare
from .ramp import RampConfig
from .training import train

__all__ = ["HIDDEN", "search"]

HIDDEN = {"64-32": (64, 32), "128-64": (128, 64), "256-128-64": (256, 128, 64), "128": (128,)}


def _defaults(kind: str) -> dict:
    """The classifier's default parameters as a trial of the search space (enqueued first, so a
    search never ends worse than the untuned model)."""
    if kind in ("catboost", "catboost-tc"):
        p = (CatBoostSC() if kind == "catboost" else CatBoostTc()).get_params()
        out = {"model": kind, **{k: p[k] for k in ("depth", "iterations", "learning_rate", "l2_leaf_reg")}}
        return out if kind == "catboost" else {**out, "log_target": p["log_target"]}
    p = MLPSC().get_params()
    return {
        "model": kind,
        "hidden": next(k for k, v in HIDDEN.items() if v == tuple(p["hidden"])),
        "dropout": p["dropout"],
        "epochs": p["epochs"],
        "mlp_learning_rate": p["learning_rate"],
        "weight_decay": p["weight_decay"],
    }


def _suggest(trial, families) -> tuple[str, dict]:
    kind = trial.suggest_categorical("model", list(families))
    if kind in ("catboost", "catboost-tc"):
        params = {
            "depth": trial.suggest_int("depth", 3, 8),
            "iterations": trial.suggest_int("iterations", 100, 1500, log=True),
            "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
            "l2_leaf_reg": trial.suggest_float("l2_leaf_reg", 1.0, 30.0, log=True),
        }
        if kind == "catboost-tc":
            params["log_target"] = trial.suggest_categorical("log_target", [False, True])
        return kind, params
    return kind, {
        "hidden": HIDDEN[trial.suggest_categorical("hidden", list(HIDDEN))],
        "dropout": trial.suggest_float("dropout", 0.2, 0.7),
        "epochs": trial.suggest_int("epochs", 50, 600, log=True),
        "learning_rate": trial.suggest_float("mlp_learning_rate", 1e-4, 3e-3, log=True),
        "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
    }


def _fail_dead(study, store, grace: float) -> None:
    """Mark trials of killed runs failed. Optuna's `fail_stale_trials` skips a trial killed before
    its first heartbeat (inside `study.ask()`); one still without a heartbeat `grace` s after its
    start is dead as well."""
    import optuna  # heavy: only a search needs it
    import sqlalchemy
    from optuna.trial import TrialState

    optuna.storages.fail_stale_trials(study)
    with store.engine.connect() as c:
        beating = {r[0] for r in c.execute(sqlalchemy.text("select trial_id from trial_heartbeats"))}
    cutoff = datetime.now() - timedelta(seconds=grace)
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if t._trial_id not in beating and t.datetime_start < cutoff:
            store.set_trial_state_values(t._trial_id, TrialState.FAIL)


def search(
    snapshots: pd.DataFrame,
    storage: str,
    *,
    trials: int = 30,
    study: str = "tcramp",
    folds: int = 3,
    families=("catboost-tc",),
    groups=DEFAULT,
    config: RampConfig | None = None,
    weights: str | None = None,
    seed: int = 0,
) -> optuna.Study:
    """Optuna search over model `families` (`catboost`, `mlp`, `catboost-tc`) on the inputs of
    feature `groups`, minimising grouped-CV Tc MAE (a classifier's AUC recorded per trial),
    starting from each family's defaults. The study lives in `storage` (an SQLite URL):
    a rerun continues it, marking trials of a killed run as failed, until `trials` trials have
    completed."""
    import optuna  # heavy: only a search needs it
    from optuna.storages import RDBStorage
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    groups = parse(groups)
    snapshots = prepare(snapshots, groups)
    store = RDBStorage(storage, heartbeat_interval=5, grace_period=10)
    st = optuna.create_study(
        study_name=study,
        storage=store,
        load_if_exists=True,
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
    )

    if not st.trials:
        for kind in families:
            st.enqueue_trial(_defaults(kind))

    def objective(trial):
        kind, params = _suggest(trial, families)
        model, _ = train(
            snapshots,
            kind,
            params,
            groups=groups,
            folds=folds,
            seed=seed,
            config=config,
            weights=weights,
        )
        trial.set_user_attr("auc", model.meta.cv.get("auc"))
        trial.set_user_attr("params", model.meta.params)
        return model.meta.cv["tc_mae"]

    _fail_dead(st, store, grace=store.grace_period)
    done = len(st.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    if trials > done:
        st.optimize(objective, n_trials=trials - done)
    return st

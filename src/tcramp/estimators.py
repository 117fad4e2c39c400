"""Tc estimators with scikit-learn's contract: classifiers of the superconducting state
P(SC | inputs, T) (Tc where the curve crosses a threshold) and, as the control, direct Tc regression.

`CatBoostSC` (gradient-boosted trees, the research's first model) and `MLPSC` (a compressing
PyTorch MLP with high dropout, trained long, keeping the best-validation checkpoint unless
`keep_best=False`). Both take parameters in `__init__` only, learn in `fit(X, y, groups=None)`
and answer `predict_proba(X)` with columns (normal, superconducting). `CatBoostTc` regresses Tc
of a material from material-level inputs (`tcramp.groups.material_view`). Saving uses native,
pickle-free formats: CatBoost's `.cbm`, and for the MLP a tensor state dict loaded with
`torch.load(weights_only=True)` plus JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import cv

__all__ = ["CLASSIFIERS", "REGRESSORS", "CatBoostSC", "CatBoostTc", "MLPSC", "load_estimator"]


def _fit_data(est, X, y):
    """X as float32 (NaN allowed: CatBoost and the MLP take missing values) and y, checked by
    scikit-learn (2-d X, equal lengths, more than one sample), recording `n_features_in_`; for a
    classifier y encoded 0/1 by its two labels, recorded as `classes_` (the state: [False, True])."""
    X, y = validate_data(est, X, y, dtype=np.float32, ensure_all_finite="allow-nan")
    if len(X) < 2:
        raise ValueError(f"{type(est).__name__}: n_samples = 1; a fit needs more than one sample")
    if is_classifier(est):  # two labels (the superconducting state), encoded 0/1 in order
        check_classification_targets(y)
        est.classes_, y = np.unique(y, return_inverse=True)
        if len(est.classes_) > 2:
            raise ValueError(
                f"Only binary classification is supported (the superconducting state), not {len(est.classes_)} classes"
            )
        if len(est.classes_) < 2:
            raise ValueError(f"{type(est).__name__} needs both classes (superconducting and not) in y")
    return X, y


def _predict_data(est, X) -> np.ndarray:
    """X checked against the fitted estimator (fitted, as many features as in `fit`)."""
    check_is_fitted(est)
    return validate_data(est, X, reset=False, dtype=np.float32, ensure_all_finite="allow-nan")


def _save_cbm(est, path: Path, kind: str) -> None:
    """A CatBoost estimator as CatBoost's native `.cbm` and its parameters as JSON (no pickle)."""
    est.model_.save_model(str(path.with_suffix(".cbm")))
    path.with_suffix(".json").write_text(json.dumps({"kind": kind, "params": est.get_params()}))


def _load_cbm(cls, path: Path, model_cls):
    """The estimator `_save_cbm` wrote at `path`, its CatBoost model of class `model_cls`."""
    est = cls(**json.loads(path.with_suffix(".json").read_text())["params"])
    est.model_ = model_cls()
    est.model_.load_model(str(path.with_suffix(".cbm")))
    est.n_features_in_ = len(est.model_.feature_names_)
    return est


class _Classifier(ClassifierMixin, BaseEstimator):
    """Shared by the binary classifiers of the superconducting state: `predict` (the class of
    highest probability; classes_ = [False, True]) and scikit-learn's tags (binary, NaN taken)."""

    def predict(self, X) -> np.ndarray:
        p = self.predict_proba(X)
        return self.classes_[p.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags


def _catboost(est, cls):
    """A CatBoost model of class `cls` with the tree parameters of tcramp estimator `est`."""
    return cls(
        iterations=est.iterations,
        depth=est.depth,
        learning_rate=est.learning_rate,
        l2_leaf_reg=est.l2_leaf_reg,
        border_count=est.border_count,
        random_seed=est.random_seed,
        thread_count=est.thread_count,
        verbose=False,
        allow_writing_files=False,
    )


class CatBoostSC(_Classifier):
    """CatBoost classifier of T < Tc from snapshot features."""

    suffixes = (".cbm", ".json")

    def __init__(
        self,
        iterations: int = 600,
        depth: int = 6,
        learning_rate: float = 0.08,
        l2_leaf_reg: float = 3.0,
        border_count: int = 254,
        random_seed: int = 0,
        thread_count: int = -1,
    ):
        self.iterations = iterations
        self.depth = depth
        self.learning_rate = learning_rate
        self.l2_leaf_reg = l2_leaf_reg
        self.border_count = border_count
        self.random_seed = random_seed
        self.thread_count = thread_count

    def fit(self, X, y, groups=None):
        from catboost import CatBoostClassifier

        X, y = _fit_data(self, X, y)
        self.model_ = _catboost(self, CatBoostClassifier)
        self.model_.fit(X, np.asarray(y, int))
        return self

    def predict_proba(self, X) -> np.ndarray:
        X = _predict_data(self, X)
        return self.model_.predict_proba(X)

    def save(self, path: Path) -> None:
        _save_cbm(self, path, "catboost")

    @classmethod
    def load(cls, path: Path) -> CatBoostSC:
        from catboost import CatBoostClassifier

        est = _load_cbm(cls, path, CatBoostClassifier)
        est.classes_ = np.array([False, True])
        return est


class MLPSC(_Classifier):
    """Compressing MLP (input → hidden … → 2) with dropout, trained with AdamW on standardised
    features (missing values set to the training mean, values clipped to the training range: a
    column nearly constant in training would otherwise reach |z| ~ 1e7 on a new material and
    saturate the net). A grouped 15 % of the training rows (by `groups` when given) is held out for
    validation; the lowest-validation-loss weights are kept (`keep_best=True`) or the last ones."""

    suffixes = (".pt", ".json")
    stats = ("mean_", "scale_", "low_", "high_")  # the input transform, saved beside the weights

    def __init__(
        self,
        hidden: tuple[int, ...] = (128, 64),
        dropout: float = 0.5,
        epochs: int = 300,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 256,
        keep_best: bool = True,
        random_seed: int = 0,
    ):
        self.hidden = hidden
        self.dropout = dropout
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.keep_best = keep_best
        self.random_seed = random_seed

    def _standardise(self, X) -> np.ndarray:
        """Standardised features clipped to the training range; a missing value (NaN, e.g. a
        phonon descriptor of an unstable cell) becomes the training mean."""
        x = np.clip(np.asarray(X, np.float32), self.low_, self.high_)
        return np.nan_to_num((x - self.mean_) / self.scale_)

    def _net(self, n_in: int):
        import torch

        layers, width = [], n_in
        for h in self.hidden:
            layers += [torch.nn.Linear(width, h), torch.nn.SiLU(), torch.nn.Dropout(self.dropout)]
            width = h
        layers.append(torch.nn.Linear(width, 2))
        return torch.nn.Sequential(*layers)

    def fit(self, X, y, groups=None):
        import torch

        X, y = _fit_data(self, X, y)
        y = np.asarray(y, int)
        torch.manual_seed(self.random_seed)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        train, val = next(cv.LeakageKFold(7, self.random_seed).split(groups=groups))
        with np.errstate(all="ignore"):  # all-missing columns: mean 0, scale 1e-6, range ±inf
            self.mean_ = np.nan_to_num(np.nanmean(X[train], axis=0)).astype(np.float32)
            self.scale_ = (np.nan_to_num(np.nanstd(X[train], axis=0)) + 1e-6).astype(np.float32)
            self.low_ = np.nan_to_num(np.nanmin(X[train], axis=0), nan=-np.inf).astype(np.float32)
            self.high_ = np.nan_to_num(np.nanmax(X[train], axis=0), nan=np.inf).astype(np.float32)
        xt = torch.tensor(self._standardise(X))
        yt = torch.tensor(y)
        net = self._net(X.shape[1])
        opt = torch.optim.AdamW(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        loss_fn = torch.nn.CrossEntropyLoss()
        gen = torch.Generator().manual_seed(self.random_seed)
        best, self.history_ = (np.inf, None), []
        for _ in range(self.epochs):
            net.train()
            perm = torch.as_tensor(train)[torch.randperm(len(train), generator=gen)]
            for i in range(0, len(perm), self.batch_size):
                idx = perm[i : i + self.batch_size]
                opt.zero_grad()
                loss_fn(net(xt[idx]), yt[idx]).backward()
                opt.step()
            net.eval()
            with torch.no_grad():
                v = float(loss_fn(net(xt[val]), yt[val]))
            self.history_.append(v)
            if v < best[0]:
                best = (v, {k: t.clone() for k, t in net.state_dict().items()})
        if self.keep_best:
            net.load_state_dict(best[1])
        self.net_ = net.eval()
        return self

    def predict_proba(self, X) -> np.ndarray:
        import torch

        x = torch.tensor(self._standardise(_predict_data(self, X)))
        with torch.no_grad():
            return torch.softmax(self.net_(x), dim=1).numpy().astype(float)

    def save(self, path: Path) -> None:
        import torch

        state = {k: v for k, v in self.net_.state_dict().items()}
        for k in self.stats:
            state[k] = torch.tensor(getattr(self, k))
        torch.save(state, path.with_suffix(".pt"))
        params = {**self.get_params(), "hidden": list(self.hidden)}
        path.with_suffix(".json").write_text(json.dumps({"kind": "mlp", "params": params}))

    @classmethod
    def load(cls, path: Path) -> MLPSC:
        import torch

        meta = json.loads(path.with_suffix(".json").read_text())
        est = cls(**{**meta["params"], "hidden": tuple(meta["params"]["hidden"])})
        state = torch.load(path.with_suffix(".pt"), weights_only=True)
        for k in cls.stats:
            setattr(est, k, state.pop(k).numpy())
        est.net_ = est._net(len(est.mean_))
        est.n_features_in_ = len(est.mean_)
        est.net_.load_state_dict(state)
        est.net_.eval()
        est.classes_ = np.array([False, True])
        return est


class CatBoostTc(RegressorMixin, BaseEstimator):
    """CatBoost regression of Tc (K) from material-level inputs, on log1p(Tc) when `log_target`
    (most Tcs sit near 0 and a few near 130 K); predictions are clipped at 0."""

    suffixes = (".cbm", ".json")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def __init__(
        self,
        iterations: int = 600,
        depth: int = 6,
        learning_rate: float = 0.05,
        l2_leaf_reg: float = 3.0,
        border_count: int = 254,
        log_target: bool = False,
        random_seed: int = 0,
        thread_count: int = -1,
    ):
        self.iterations = iterations
        self.depth = depth
        self.learning_rate = learning_rate
        self.l2_leaf_reg = l2_leaf_reg
        self.border_count = border_count
        self.log_target = log_target
        self.random_seed = random_seed
        self.thread_count = thread_count

    def fit(self, X, y, groups=None):
        from catboost import CatBoostRegressor

        X, y = _fit_data(self, X, y)
        y = np.asarray(y, float)
        self.model_ = _catboost(self, CatBoostRegressor)
        self.model_.fit(X, np.log1p(y) if self.log_target else y)
        return self

    def predict(self, X) -> np.ndarray:
        X = _predict_data(self, X)
        p = self.model_.predict(X)
        return np.clip(np.expm1(p) if self.log_target else p, 0, None)

    def save(self, path: Path) -> None:
        _save_cbm(self, path, "catboost-tc")

    @classmethod
    def load(cls, path: Path) -> CatBoostTc:
        from catboost import CatBoostRegressor

        return _load_cbm(cls, path, CatBoostRegressor)


CLASSIFIERS = {"catboost": CatBoostSC, "mlp": MLPSC}
REGRESSORS = {"catboost-tc": CatBoostTc}


def load_estimator(path: Path):
    """A saved classifier or regressor (`path` without suffix), by the kind recorded beside it."""
    kind = json.loads(Path(path).with_suffix(".json").read_text())["kind"]
    return {**CLASSIFIERS, **REGRESSORS}[kind].load(Path(path))

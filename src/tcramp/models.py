"""Tc models with scikit-learn's contract: classifiers of the superconducting state
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

import hashlib
import json
from dataclasses import MISSING, asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import roc_auc_score

from . import cv
from .domain import feature_ranges, input_warnings
from .groups import DEFAULT, GROUPS, columns, material_view, parse, prepare, stage_of
from .mlff import REGISTRY, backend_class
from .ramp import RampConfig
from .snapshots import SCHEMA_VERSION
from .splits import check_folds, leakage_groups
from .stages import STAGES, stage_hash
from .tc import curve_tc

__all__ = [
    "CLASSIFIERS",
    "REGRESSORS",
    "CatBoostSC",
    "CatBoostTc",
    "MLPSC",
    "ModelMeta",
    "TcModel",
    "load_classifier",
    "sha256",
    "train",
]


class _Classifier(ClassifierMixin, BaseEstimator):
    """Shared `predict`: the class of highest probability (classes_ = [False, True])."""

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


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

        self.model_ = _catboost(self, CatBoostClassifier)
        self.model_.fit(np.asarray(X, np.float32), np.asarray(y, int))
        self.classes_ = np.array([False, True])
        return self

    def predict_proba(self, X) -> np.ndarray:
        return self.model_.predict_proba(np.asarray(X, np.float32))

    def save(self, path: Path) -> None:
        self.model_.save_model(str(path.with_suffix(".cbm")))
        path.with_suffix(".json").write_text(json.dumps({"kind": "catboost", "params": self.get_params()}))

    @classmethod
    def load(cls, path: Path) -> CatBoostSC:
        from catboost import CatBoostClassifier

        meta = json.loads(path.with_suffix(".json").read_text())
        est = cls(**meta["params"])
        est.model_ = CatBoostClassifier()
        est.model_.load_model(str(path.with_suffix(".cbm")))
        est.classes_ = np.array([False, True])
        return est


class MLPSC(_Classifier):
    """Compressing MLP (input → hidden … → 2) with dropout, trained with AdamW on standardised
    features (missing values set to the training mean). A grouped 15 % of the training rows (by `groups` when given) is held out for
    validation; the lowest-validation-loss weights are kept (`keep_best=True`) or the last ones."""

    suffixes = (".pt", ".json")

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
        """Standardised features; a missing value (NaN, e.g. a phonon descriptor of an unstable
        cell) becomes the training mean."""
        return np.nan_to_num((np.asarray(X, np.float32) - self.mean_) / self.scale_)

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

        X, y = np.asarray(X, np.float32), np.asarray(y, int)
        torch.manual_seed(self.random_seed)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        train, val = next(cv.LeakageKFold(7, self.random_seed).split(groups=groups))
        with np.errstate(all="ignore"):  # all-missing columns get mean 0, scale 1
            self.mean_ = np.nan_to_num(np.nanmean(X[train], axis=0)).astype(np.float32)
            self.scale_ = (np.nan_to_num(np.nanstd(X[train], axis=0)) + 1e-6).astype(np.float32)
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
        self.net_, self.classes_ = net.eval(), np.array([False, True])
        return self

    def predict_proba(self, X) -> np.ndarray:
        import torch

        x = torch.tensor(self._standardise(X))
        with torch.no_grad():
            return torch.softmax(self.net_(x), dim=1).numpy().astype(float)

    def save(self, path: Path) -> None:
        import torch

        state = {k: v for k, v in self.net_.state_dict().items()}
        state["mean_"], state["scale_"] = torch.tensor(self.mean_), torch.tensor(self.scale_)
        torch.save(state, path.with_suffix(".pt"))
        params = {**self.get_params(), "hidden": list(self.hidden)}
        path.with_suffix(".json").write_text(json.dumps({"kind": "mlp", "params": params}))

    @classmethod
    def load(cls, path: Path) -> MLPSC:
        import torch

        meta = json.loads(path.with_suffix(".json").read_text())
        est = cls(**{**meta["params"], "hidden": tuple(meta["params"]["hidden"])})
        state = torch.load(path.with_suffix(".pt"), weights_only=True)
        est.mean_, est.scale_ = state.pop("mean_").numpy(), state.pop("scale_").numpy()
        est.net_ = est._net(len(est.mean_))
        est.net_.load_state_dict(state)
        est.net_.eval()
        est.classes_ = np.array([False, True])
        return est


class CatBoostTc(RegressorMixin, BaseEstimator):
    """CatBoost regression of Tc (K) from material-level inputs, on log1p(Tc) when `log_target`
    (most Tcs sit near 0 and a few near 130 K); predictions are clipped at 0."""

    suffixes = (".cbm", ".json")

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

        y = np.asarray(y, float)
        self.model_ = _catboost(self, CatBoostRegressor)
        self.model_.fit(np.asarray(X, np.float32), np.log1p(y) if self.log_target else y)
        return self

    def predict(self, X) -> np.ndarray:
        p = self.model_.predict(np.asarray(X, np.float32))
        return np.clip(np.expm1(p) if self.log_target else p, 0, None)

    def save(self, path: Path) -> None:
        self.model_.save_model(str(path.with_suffix(".cbm")))
        path.with_suffix(".json").write_text(json.dumps({"kind": "catboost-tc", "params": self.get_params()}))

    @classmethod
    def load(cls, path: Path) -> CatBoostTc:
        from catboost import CatBoostRegressor

        meta = json.loads(path.with_suffix(".json").read_text())
        est = cls(**meta["params"])
        est.model_ = CatBoostRegressor()
        est.model_.load_model(str(path.with_suffix(".cbm")))
        return est


CLASSIFIERS = {"catboost": CatBoostSC, "mlp": MLPSC}
REGRESSORS = {"catboost-tc": CatBoostTc}


def load_classifier(path: Path):
    """A saved classifier or regressor (`path` without suffix), by the kind recorded beside it."""
    kind = json.loads(Path(path).with_suffix(".json").read_text())["kind"]
    return {**CLASSIFIERS, **REGRESSORS}[kind].load(Path(path))


# ---------------------------------------------------------------------------------------------
# A trained Tc model: an ensemble of grouped-CV fold classifiers plus what it was trained on.

MODEL_FILE = "model.json"
CV_FILE = "cv_tc.csv"  # `tcramp train`'s out-of-fold Tc per material, beside the model


@dataclass(frozen=True)
class ModelMeta:
    """What a trained Tc model is and was trained on, stored as `model.json`.

    `weights` is the force-field checkpoint of the snapshots (None: the backend's default), so
    `predict` ramps new structures with the same force field; `ramp` the ramp settings (without
    `torch_threads`); `training_set` its hash and counts; `cv` the grouped-CV metrics; `groups`
    the feature groups (`tcramp.groups`) whose columns are `features`; `kind` a classifier
    (snapshot rows → P(SC)) or a regressor (`REGRESSORS`: one material-level row → Tc);
    `stage` the deepest record stage its inputs come from (`tcramp.stages`; `predict` computes
    no later one) and `ramp_hash` that stage's hash (backend "" and latent_size 0 when no
    force-field stage is read); `files` the SHA-256 of every file the model needs (fold files by
    name, "weights" for the checkpoint), checked on load; `ranges` each feature's training
    [min, max] (None in models saved before tcramp recorded it), for `TcModel.warnings`."""

    kind: str
    params: dict
    groups: tuple[str, ...]
    features: tuple[str, ...]
    n_members: int
    backend: str
    backend_version: str
    latent_size: int
    schema_version: int
    ramp_hash: str
    ramp: dict
    training_set: dict
    cv: dict
    files: dict
    stage: str = "samples"
    weights: str | None = None
    ranges: dict | None = None

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "groups": list(self.groups), "features": list(self.features)}, indent=1)

    @classmethod
    def from_json(cls, text: str, source: str | Path = "model.json") -> ModelMeta:
        """Parse and validate (every field present, no unknown ones, this snapshot schema, a
        consistent model: see `_inconsistency`)."""
        data = json.loads(text)
        names = {f.name for f in fields(cls)}
        missing = {f.name for f in fields(cls) if f.default is MISSING} - set(data)
        if missing:
            raise ValueError(f"{source}: metadata lacks {sorted(missing)}")
        if set(data) - names:
            raise ValueError(f"{source}: unknown metadata {sorted(set(data) - names)}")
        if data["schema_version"] != SCHEMA_VERSION:
            raise ValueError(f"{source}: snapshot schema {data['schema_version']}, this tcramp reads {SCHEMA_VERSION}")
        problem = _inconsistency(data)
        if problem:
            raise ValueError(f"{source}: {problem}")
        return cls(**{**data, "groups": tuple(data["groups"]), "features": tuple(data["features"])})


def _inconsistency(data: dict) -> str | None:
    """Why metadata `data` cannot describe a usable model (None when it can): kind, members,
    groups, stage, ramp settings against `ramp_hash`, backend and its installed version."""
    kinds = [*CLASSIFIERS, *REGRESSORS]
    if data["kind"] not in kinds:
        return f"unknown model kind {data['kind']!r}; known: {', '.join(kinds)}"
    if not isinstance(data["n_members"], int) or data["n_members"] < 1:
        return f"n_members {data['n_members']!r}, need an int >= 1"
    unknown = [g for g in data["groups"] if g not in GROUPS]
    if unknown or not data["groups"]:
        return f"unknown feature groups {unknown or '(none)'}; known: {', '.join(GROUPS)}"
    stage = data.get("stage", "samples")
    if stage not in STAGES:
        return f"unknown stage {stage!r}; known: {', '.join(STAGES)}"
    if data["backend"] and data["backend"] not in REGISTRY:
        return f"unknown backend {data['backend']!r}; known: {', '.join(REGISTRY)}"
    try:
        ramp_hash = stage_hash(RampConfig(**data["ramp"]), stage, data["backend"], data.get("weights"))
    except TypeError as exc:
        return f"ramp settings invalid: {exc}"
    if ramp_hash != data["ramp_hash"]:
        return f"ramp settings hash to {ramp_hash}, not the recorded ramp_hash {data['ramp_hash']}"
    if not data["backend"]:
        return None
    try:
        installed = backend_class(data["backend"]).installed_version()
    except ImportError as exc:
        return f"backend {data['backend']} is not installed ({exc})"
    if str(data["backend_version"]).split(" / ")[0] != installed:
        return f"trained with {data['backend_version']}, installed {installed}; install that version or retrain"
    return None


@dataclass
class TcModel:
    """Fold classifiers of one grouped CV (the ensemble `predict` averages) and their metadata."""

    members: list
    meta: ModelMeta

    @property
    def features(self) -> list[str]:
        return list(self.meta.features)

    @property
    def regressor(self) -> bool:
        return self.meta.kind in REGRESSORS

    @property
    def fingerprint(self) -> str:
        """Hash of the metadata (training set, settings, CV metrics): tells two models apart."""
        return hashlib.sha1(self.meta.to_json().encode()).hexdigest()[:16]

    def inputs(self, df: pd.DataFrame) -> pd.DataFrame:
        """The model's input table from snapshot rows: the rows themselves (groups' computed
        columns added) for a classifier, one row per material for a regressor."""
        self.check(df)
        if self.regressor:
            df, cols = material_view(df, self.meta.groups, RampConfig(**self.meta.ramp))
        else:
            df = prepare(df, self.meta.groups)
            cols = columns(df, self.meta.groups)
        if list(self.features) != cols:
            raise ValueError(
                f"inputs differ from the model's features ({len(self.features)} columns of {self.meta.groups})"
            )
        return df

    def proba(self, df: pd.DataFrame) -> np.ndarray:
        """P(SC) per member and row of a classifier: (n_members, n_rows). Refuses other latents."""
        X = self.inputs(df)[self.features].to_numpy(np.float32)
        return np.stack([m.predict_proba(X)[:, 1] for m in self.members])

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Tc (K) per member and material of a regressor: (n_members, n_materials), materials by name."""
        X = self.inputs(df)[self.features].to_numpy(np.float32)
        return np.stack([m.predict(X) for m in self.members])

    def warnings(self, df: pd.DataFrame) -> list[str]:
        """Domain warnings on the inputs of `df` (`tcramp.domain.input_warnings`)."""
        return input_warnings(self.inputs(df)[self.features], self.meta.ranges)

    def check(self, df: pd.DataFrame) -> None:
        """Refuse rows of another force field or latent size than the model's."""
        want = {"backend": self.meta.backend, "latent_size": self.meta.latent_size}
        for col, value in want.items():
            have = set(df[col]) if value and col in df else {value}
            if have != {value}:
                raise ValueError(f"model trained on {col} {value}; rows hold {', '.join(map(str, sorted(have)))}")

    def save(self, directory: str | Path) -> Path:
        """Write the fold models and `model.json`, recording the SHA-256 of every file it needs."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for i, m in enumerate(self.members):
            m.save(directory / f"fold-{i}")
        self.meta = replace(self.meta, files={k: sha256(f) for k, f in model_files(directory, self.meta).items()})
        (directory / MODEL_FILE).write_text(self.meta.to_json())
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> TcModel:
        """Load and validate a model directory (native formats only, no pickle); refuses a file
        whose SHA-256 differs from the one `model.json` records."""
        directory = Path(directory)
        path = directory / MODEL_FILE
        if not path.exists():
            raise FileNotFoundError(f"{directory}: not a tcramp model (no {MODEL_FILE})")
        meta = ModelMeta.from_json(path.read_text(), path)
        for key, f in model_files(directory, meta).items():
            if key not in meta.files:
                raise ValueError(f"{path}: no SHA-256 recorded for {key}")
            if not f.is_file() or sha256(f) != meta.files[key]:
                raise ValueError(f"{f}: missing or SHA-256 differs from the one in {path}; refusing to load")
        members = [load_classifier(directory / f"fold-{i}") for i in range(meta.n_members)]
        return cls(members, meta)


def sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    with Path(path).open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def model_files(directory: Path, meta: ModelMeta) -> dict[str, Path]:
    """The files a model needs, by the key `ModelMeta.files` records: fold files by name, the
    force-field checkpoint as "weights"."""
    suffixes = {**CLASSIFIERS, **REGRESSORS}[meta.kind].suffixes
    files = {f"fold-{i}{s}": directory / f"fold-{i}{s}" for i in range(meta.n_members) for s in suffixes}
    return files | ({"weights": Path(meta.weights)} if meta.weights else {})


def _check_build(df: pd.DataFrame, kind: str, groups, config: RampConfig, weights: str | None) -> tuple[str, str]:
    """The stage `kind` on `groups` reads and the rows' backend; refuses rows of several builds,
    of an earlier stage or of other settings, and unknown kinds."""
    if df["ramp_hash"].nunique() != 1 or df.get("backend", pd.Series([""])).nunique() != 1:
        raise ValueError("rows mix stage settings or backends; train on one build")
    if kind not in CLASSIFIERS and kind not in REGRESSORS:
        raise ValueError(f"unknown model kind {kind!r}; choose from {', '.join([*CLASSIFIERS, *REGRESSORS])}")
    stage, have = stage_of(groups, classifier=kind in CLASSIFIERS), str(df["stage"].iloc[0])
    backend = str(df["backend"].iloc[0]) if "backend" in df else ""
    if (
        STAGES.index(have) < STAGES.index(stage)
        or stage_hash(config, have, backend, weights) != df["ramp_hash"].iloc[0]
    ):
        raise ValueError(
            f"rows of stage {have} ({df['ramp_hash'].iloc[0]}) are not a {stage} build of these settings; pass "
            "the build's settings (tcramp.snapshots.read_config) and rows read to that stage (read_table)"
        )
    return stage, backend


def _inputs(df: pd.DataFrame, groups: tuple[str, ...], regress: bool, config: RampConfig):
    """The training rows (`material_view` rows for a regressor, snapshot rows for a classifier),
    their input columns and targets (Tc, or the superconducting state)."""
    if regress:
        df, cols = material_view(df, groups, config)
        return df, cols, df["tc"].to_numpy(float)
    df = prepare(df, groups)
    return df, columns(df, groups), df["superconducting"].to_numpy(bool)


def _splits(df: pd.DataFrame, X: np.ndarray, y: np.ndarray, leak: np.ndarray, k: int, seed: int) -> list:
    """The leakage-grouped k folds of the training rows; refuses sets too small for them and folds
    whose training targets are all equal."""
    check_folds(leak, k, df["tc"].to_numpy(float))
    splits = list(cv.LeakageKFold(k, seed).split(X, y, leak))
    for i, (tr, _) in enumerate(splits):
        if len(np.unique(y[tr])) < 2:
            raise ValueError(f"fold {i}: every training target is {y[tr][0]}; the set is too small or degenerate")
    return splits


def _digest(df: pd.DataFrame) -> str:
    """16 hex digits of SHA-256 over the training rows' values: which set a model learned from."""
    return hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes()).hexdigest()[:16]


def _classifier_cv(y: np.ndarray, oof: np.ndarray, table: pd.DataFrame) -> dict:
    """A classifier's out-of-fold AUC and Tc MAE at the 60 and 70 % thresholds."""
    return {
        "auc": float(roc_auc_score(y, oof)) if len(set(y)) == 2 else None,
        **{f"tc_mae_{t}": cv.scores(table[t], table["tc_true"])["mae"] for t in ("tc60", "tc70")},
    }


def train(
    snapshots: pd.DataFrame,
    kind: str = "catboost-tc",
    params: dict | None = None,
    *,
    groups=DEFAULT,
    folds: int = 5,
    seed: int = 0,
    config: RampConfig | None = None,
    weights: str | None = None,
) -> tuple[TcModel, pd.DataFrame]:
    """Grouped k-fold training on a snapshot table with the inputs of feature `groups`.

    `kind`: a classifier of `CLASSIFIERS` (trained on snapshot rows, Tc read from each held-out
    curve) or a regressor of `REGRESSORS` (trained on `material_view` rows). Returns the model
    (its fold estimators form the ensemble) and the out-of-fold Tc table (per material: true Tc,
    `tc50` — for a classifier also Tc at 60/70 % and the interval) whose errors are the CV
    metrics. `config` is the build's `RampConfig` (`tcramp.snapshots.read_config`; default
    settings when omitted), checked against the snapshots' ramp hash; `weights` the build's
    force-field checkpoint (`tcramp.snapshots.read_weights`), recorded for `predict`.
    """
    config = config or RampConfig()
    stage, backend = _check_build(snapshots, kind, groups, config, weights)
    groups, regress = parse(groups), kind in REGRESSORS
    df, cols, y = _inputs(snapshots.reset_index(drop=True), groups, regress, config)
    X, leak = df[cols].to_numpy(np.float32), leakage_groups(df)
    splits = _splits(df, X, y, leak, folds, seed)
    oof, members = cv.oof(lambda: {**CLASSIFIERS, **REGRESSORS}[kind](**(params or {})), X, y, splits, leak)
    table = pd.DataFrame({"name": df["name"], "tc_true": y, "tc50": oof}) if regress else curve_tc(df, oof, config)
    err = cv.scores(table["tc50"], table["tc_true"])
    meta = ModelMeta(
        kind=kind,
        params=members[0].get_params() if members else {},
        groups=groups,
        features=tuple(cols),
        n_members=len(members),
        backend=backend,
        backend_version=str(snapshots["backend_version"].iloc[0]) if backend else "",
        weights=weights,
        latent_size=int(df["latent_size"].iloc[0]) if "latent_size" in df else 0,
        schema_version=SCHEMA_VERSION,
        ramp_hash=stage_hash(config, stage, backend, weights),
        stage=stage,
        ramp={k: v for k, v in asdict(config).items() if k != "torch_threads"},
        files={},
        ranges=feature_ranges(df[cols]),
        training_set={
            "hash": _digest(df[["name", *([] if regress else ["T_target"]), *cols]]),
            "materials": int(df["name"].nunique()),
            "snapshots": len(snapshots),
            "classes": df.groupby("sc_class")["name"].nunique().to_dict(),
        },
        cv={"folds": folds, "seed": seed, "tc_mae": err["mae"], "tc_rmse": err["rmse"]}
        | ({} if regress else _classifier_cv(y, oof, table)),
    )
    return TcModel(members, meta), table

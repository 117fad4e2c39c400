"""A trained Tc model: the fold estimators of one grouped CV (the ensemble) and `ModelMeta`,
what they were trained on (groups, features, backend, settings, ranges, file hashes), saved and
loaded as JSON plus the estimators' native files (no pickle)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .domain import input_warnings
from .estimators import CLASSIFIERS, REGRESSORS, load_estimator
from .groups import GROUPS, columns, material_view, prepare
from .mlff import REGISTRY, backend_class
from .ramp import RampConfig
from .snapshots import SCHEMA_VERSION
from .stages import STAGES, stage_hash

__all__ = ["MODEL_FILE", "ModelMeta", "TcModel", "model_files", "sha256"]

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
        members = [load_estimator(directory / f"fold-{i}") for i in range(meta.n_members)]
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

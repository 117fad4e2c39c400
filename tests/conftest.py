"""Shared fixtures: small real bundled structures, a tiny ramp and the real CHGNet."""

import json
import os
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from tcramp.data import load_3dsc, load_csv
from tcramp.mlff import load_mlff
from tcramp.ramp import RampConfig
from tcramp.run import simulate
from tcramp.snapshots import read_snapshots

# Small real materials (8-atom ordered cells): Tc >= 10 K, Tc = 0, low-Tc doped, low-Tc doped.
SMALL = [
    "Al0.5Ga0.5V3-MP-mp-1228807",
    "Ag1Mg1-MP-mp-2696",
    "Au0.499Ga0.501-MP-mp-30379-synth_doped",
    "Bi3In5-MP-mp-1223979-synth_doped",
]
# A ramp of a handful of temperatures and steps, phonons in the cell itself: every code path in seconds.
TINY = RampConfig(n_temps=4, dense_points=2, first_equil_steps=4, equil_steps=3, sample_steps=2, phonon_min_length=0.0)
CLI = [sys.executable, "-m", "tcramp.cli"]


@pytest.fixture(scope="session")
def bundled():
    return {m.name: m for m in load_3dsc()}


@pytest.fixture(scope="session")
def small(bundled):
    return [bundled[n] for n in SMALL]


@pytest.fixture(scope="session")
def chgnet():
    return load_mlff("chgnet", None, "cpu")


@pytest.fixture
def tiny_config(tmp_path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({k: v for k, v in asdict(TINY).items() if k != "torch_threads"}))
    return path


@pytest.fixture(autouse=True, scope="session")
def _env():
    os.environ.setdefault("PYTHONWARNINGS", "ignore")


# Small real materials spanning Tc for classifier tests (8-12 atom ordered cells).
TRAIN = SMALL + [
    "Al0.02Nb3Sn0.98-MP-mp-1326-synth_doped",
    "Al0.25V0.75-MP-mp-1387",
    "Ag1Y1-MP-mp-2474",
    "Ag1La1Sb2-MP-mp-20271",
    "Au3Te5-MP-mp-567525-synth_doped",
    "Bi5Tl3-MP-mp-30469-synth_doped",
]


@pytest.fixture(scope="session")
def tiny_snapshots(bundled, tmp_path_factory):
    """A real CHGNet snapshot build (tiny ramps) of TRAIN, given as a user CSV dataset of CIF
    files: (run directory, DataFrame)."""
    root = tmp_path_factory.mktemp("snap")
    lines = ["name,structure,tc,group,sc_class,formula"]
    for n in TRAIN:
        m = bundled[n]
        m.structure.to(filename=str(root / f"{n}.cif"))
        lines.append(f"{n},{n}.cif,{m.tc},{m.parent_id},{m.sc_class},{m.formula}")
    (root / "set.csv").write_text("\n".join(lines) + "\n")
    simulate(load_csv(root / "set.csv"), root / "run", TINY, workers=0, device="cpu")
    return root / "run", read_snapshots(root / "run")


# Small real materials (8-atom cells) outside TRAIN, built only to the relaxed stage.
EARLY = ["Al1Mo3-MP-mp-259", "Bi1Pd1-MP-mp-1008488", "Co1Zr1-MP-mp-2283"]


@pytest.fixture(scope="session")
def staged_store(bundled, tiny_snapshots, tmp_path_factory):
    """The tiny build's store plus EARLY built to `relaxed` only: more materials hold the early
    stages than the later ones, as in the repo's store."""
    store = tmp_path_factory.mktemp("staged") / "store"
    shutil.copytree(tiny_snapshots[0], store)
    simulate([bundled[n] for n in EARLY], store, TINY, stage="relaxed", workers=0, device="cpu")
    return store

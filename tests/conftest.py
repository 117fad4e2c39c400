"""Shared fixtures: small real bundled structures, a tiny ramp and the real CHGNet."""

import json
import os
import sys
from pathlib import Path

import pytest

from tcramp.data import load_3dsc
from tcramp.ramp import RampConfig

# Small real materials (8-atom ordered cells): Tc >= 10 K, Tc = 0, low-Tc doped, low-Tc doped.
SMALL = [
    "Al0.5Ga0.5V3-MP-mp-1228807",
    "Ag1Mg1-MP-mp-2696",
    "Au0.499Ga0.501-MP-mp-30379-synth_doped",
    "Bi3In5-MP-mp-1223979-synth_doped",
]
# A ramp of a handful of temperatures and steps: exercises every code path in seconds.
TINY = RampConfig(t_step=100.0, dense_points=2, first_equil_steps=4, equil_steps=3, sample_steps=2)
CLI = [sys.executable, "-m", "tcramp.cli"]


@pytest.fixture(scope="session")
def bundled():
    return {m.name: m for m in load_3dsc()}


@pytest.fixture(scope="session")
def small(bundled):
    return [bundled[n] for n in SMALL]


@pytest.fixture(scope="session")
def chgnet():
    from tcramp.mlff import load_mlff

    return load_mlff("chgnet", None, "cpu")


@pytest.fixture
def tiny_config(tmp_path) -> Path:
    from dataclasses import asdict

    path = tmp_path / "tiny.json"
    path.write_text(json.dumps({k: v for k, v in asdict(TINY).items() if k != "torch_threads"}))
    return path


@pytest.fixture(autouse=True, scope="session")
def _env():
    os.environ.setdefault("PYTHONWARNINGS", "ignore")

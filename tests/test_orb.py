"""orb-d3-v2 backend on a random-weight checkpoint (the real weights cannot be downloaded here)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pymatgen.io.ase import AseAtomsAdaptor

from tcramp.data import load_3dsc
from tcramp.mlff import load_mlff
from tcramp.pipeline import ramp_structure
from tcramp.structures import order

from conftest import TINY
from orb_checkpoint import make_random_orb_checkpoint

NAMES = ("Ba2Cu3Pr0.5Y0.5O7-MP-mp-1228182", "Mo6Pb0.1Se8Yb0.9-MP-mp-1103921-synth_doped")


@pytest.fixture(scope="module")
def mlff(tmp_path_factory):
    path = make_random_orb_checkpoint(tmp_path_factory.mktemp("orb") / "orb-d3-v2-random.ckpt")
    return load_mlff("orb-d3-v2", weights=str(path), device="cpu")


@pytest.fixture(scope="module")
def structures():
    materials = {m.name: m for m in load_3dsc() if m.name in NAMES}
    return [AseAtomsAdaptor.get_atoms(order(materials[n].structure).structure) for n in NAMES]


def test_metadata(mlff):
    assert mlff.name == "orb-d3-v2"
    assert mlff.latent_size == 256
    assert "orb-models 0.5.5" in mlff.version and "orb-d3-v2-random.ckpt" in mlff.version
    assert {1, 8, 29, 94} <= mlff.elements


def test_ramp_snapshots_carry_orb_latents(mlff, tmp_path):
    """A full (tiny) ramp through every stage with the orb backend."""
    m = next(m for m in load_3dsc() if m.name == "Ag1Mg1-MP-mp-2696")
    weights = mlff.version.split(" / weights ")[1]
    # random weights give unphysical forces: accept the cell as relaxed and lift the explosion
    # guards for this plumbing test
    config = dataclasses.replace(TINY, max_force=1e9, max_temperature=1e9, relax_fmax=1e9)
    df = ramp_structure(
        m.structure, name=m.name, tc=m.tc, config=config, mlff="orb-d3-v2", weights=weights, device="cpu"
    )
    assert (df.backend == "orb-d3-v2").all() and (df.latent_size == 256).all()
    assert {"latent_255", "latent_lo_255", "latent_hi_255"} <= set(df) and "latent_256" not in df
    assert "magmom_all" not in df  # orb has no magnetic-moment head
    assert df.filter(like="ph_").notna().any().any() and df.filter(like="nc_").notna().all().all()
    assert df.filter(like="latent_").notna().all().all()


def test_unwrapped_positions_not_mutated(mlff, structures):
    atoms = structures[1].copy()
    atoms.positions += atoms.cell[0] * 1.5  # outside the cell: orb wraps its own copy
    kept = atoms.positions.copy()
    p = mlff.predict([atoms])[0]
    assert np.array_equal(atoms.positions, kept)
    assert np.isfinite(p.energy) and np.isfinite(p.forces).all()

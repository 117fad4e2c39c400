"""CHGNet backend (default): pretrained 0.3.0 weights ship inside the chgnet wheel, so it runs offline.

Forces come from one autograd pass without `create_graph` and without stress or magmom heads,
which NVT MD does not need. Latent: CHGNet's `crystal_fea`, the mean over atoms of the final
message-passing layer's atom features (64-d).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from importlib.metadata import version

import numpy as np
import torch
from ase import Atoms
from pymatgen.core import Structure

from .base import MLFF, Prediction, resolve_device


class CHGNetMLFF(MLFF):
    name = "chgnet"
    pooling = "mean of final-layer atom features (crystal_fea)"
    elements = frozenset(range(1, 95))

    def __init__(self, weights: str | None = None, device: str = "auto"):
        from chgnet.model import CHGNet

        self.device = resolve_device(device)
        with contextlib.redirect_stdout(io.StringIO()):  # CHGNet prints on load
            if weights:
                model = CHGNet.from_file(weights, use_device=self.device)
            else:
                model = CHGNet.load(model_name="0.3.0", use_device=self.device)
        self.model = model.eval()
        self.version = f"chgnet {version('chgnet')} / weights {model.version or weights}"
        self.latent_size = int(model.model_args["atom_fea_dim"])

    def predict(self, structures: Sequence[Atoms]) -> list[Prediction]:
        from chgnet.model.model import BatchedGraph

        for atoms in structures:
            self.check(atoms)
        m = self.model
        graphs = [
            m.graph_converter(
                Structure(a.cell.array, a.numbers, a.positions, coords_are_cartesian=True)
            ).to(self.device)
            for a in structures
        ]
        batch = BatchedGraph.from_graphs(
            graphs,
            bond_basis_expansion=m.bond_basis_expansion,
            angle_basis_expansion=m.angle_basis_expansion,
            compute_stress=False,
        )
        out = m._compute(batch, compute_force=False, return_crystal_feas=True)
        n = out["atoms_per_graph"]
        per_atom = out["e"] + (0 if m.composition_model is None else m.composition_model(graphs))
        total = per_atom * n if m.is_intensive else per_atom
        grads = torch.autograd.grad(total.sum(), batch.atom_positions)
        latent = out["crystal_fea"].detach().cpu().numpy()
        energy = total.detach().cpu().numpy()
        return [
            Prediction(float(energy[i]), -grads[i].detach().cpu().numpy().astype(np.float64), latent[i])
            for i in range(len(structures))
        ]

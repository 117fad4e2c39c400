"""orb-d3-v2 backend (orb-models): a direct-force GNS trained on PBE+D3 labels (MPtraj + Alexandria).

D3 dispersion is part of the learned energy and forces, as in orb-models' own `ORBCalculator`; no
separate D3 term is added. Without `weights` orb-models downloads the official checkpoint (needs
network); orb-models reads checkpoints with `torch.load(weights_only=True)` (tensors only, no pickled
code). Forces come from the force head (no autograd), so the forward pass runs under
`inference_mode`; the stress head runs only when stress is asked for. Latent: mean over atoms of the
final message-passing node features (256-d), which are `atom_latent`; no magnetic moments.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from ase import Atoms

from .base import MLFF, Prediction, resolve_device


class OrbMLFF(MLFF):
    name = "orb-d3-v2"
    package = "orb-models"
    pooling = "mean of final message-passing node features"
    elements = frozenset(range(1, 95))  # H-Pu, the span of its training data

    def __init__(self, weights: str | None = None, device: str = "auto"):
        from orb_models.forcefield.pretrained import orb_d3_v2

        self.device = resolve_device(device)
        official = inspect.signature(orb_d3_v2).parameters["weights_path"].default
        with warnings.catch_warnings():  # orb-models warns that it sets the default dtype
            warnings.filterwarnings("ignore", message="Setting global torch default dtype")
            model = orb_d3_v2(weights_path=weights or official, device=self.device, compile=False)
        self.model = model.eval()
        self.version = f"{self.installed_version()} / weights {weights or official}"
        self.latent_size = int(model.heads["energy"].mlp[0].in_features)

    def predict(self, structures: Sequence[Atoms], *, forces: bool = True, stress: bool = False) -> list[Prediction]:
        from orb_models.forcefield.atomic_system import ase_atoms_to_atom_graphs
        from orb_models.forcefield.base import batch_graphs
        from orb_models.forcefield.segment_ops import aggregate_nodes

        for atoms in structures:
            self.check(atoms)
        m = self.model
        if stress and "stress" not in m.heads:
            raise ValueError(f"{self.version} has no stress head")
        batch = batch_graphs(
            [ase_atoms_to_atom_graphs(a, system_config=m.system_config, device=self.device) for a in structures]
        )
        k = len(structures)
        split = np.cumsum(batch.n_node.cpu().numpy())[:-1]
        with torch.inference_mode():
            nodes = m.model(batch)["node_features"]
            energy = m.heads["energy"].predict(nodes, batch).cpu().numpy()
            f = [None] * k
            if forces:
                f = np.split(m.heads["forces"].predict(nodes, batch).cpu().numpy().astype(np.float64), split)
            s = [None] * k
            if stress:  # orb's stress head predicts ASE-convention Voigt stress in eV/Å³
                s = list(m.heads["stress"].predict(nodes, batch).cpu().numpy().astype(np.float64))
            latent = aggregate_nodes(nodes, batch.n_node, reduction="mean").cpu().numpy()
            atom_latent = np.split(nodes.cpu().numpy(), split)
        return [
            Prediction(float(energy[i]), f[i], latent[i], atom_latent=atom_latent[i], stress=s[i]) for i in range(k)
        ]

"""SevenNet backends (`7net-0`, `7net-l3i5`): equivariant NequIP-type models trained on MPtrj; the
checkpoints ship inside the sevenn wheel, so they run offline.

Energy from the sum of atomic energies; forces and stress from one autograd pass with respect to
the edge vectors (sevenn's own `ForceStressOutputFromEdge`, no `create_graph`). A list of cells
goes through the model as one torch_geometric batch. Latent: mean over atoms of the scalar node
features of the last interaction layer (its gate's output, the input of the readout MLP; 128-d for
both checkpoints), which are `atom_latent`. No magnetic moments: `magmom` stays None.
`forces=False` runs the model up to the energy under `torch.no_grad` (no autograd).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

import numpy as np
import torch
from ase import Atoms
from e3nn.o3 import Irreps

from .base import MLFF, Prediction, resolve_device

READOUT = "reduce_input_to_hidden"  # the first readout module: its input is the latent
FORCES = "force_output"


class SevenNetMLFF(MLFF):
    """A SevenNet checkpoint (`checkpoint`: sevenn's pretrained name) behind the MLFF interface."""

    checkpoint: str
    pooling = "mean of last interaction layer scalar node features"
    phonon_distance = 0.01  # Å: forces linear in d from 0.005 Å (tcramp.mlff.contract.linearity)

    def __init__(self, weights: str | None = None, device: str = "auto"):
        import sevenn._keys as KEY
        import sevenn.util as util

        self.device = resolve_device(device)
        cp = util.load_checkpoint(weights or self.checkpoint)
        model = cp.build_model()
        model.set_is_batch_data(True)
        self.model = model.to(self.device).eval().requires_grad_(False)  # forces need edge-vector grads only
        self.cutoff = float(cp.config[KEY.CUTOFF])
        self.elements = frozenset(int(z) for z in cp.config[KEY.TYPE_MAP])
        self.latent_size = Irreps(model.get_irreps_in(READOUT)).dim
        self.version = (
            f"sevenn {version('sevenn')} / weights {weights or self.checkpoint} (model {cp.config.get('version')})"
        )

    def _batch(self, structures: Sequence[Atoms]):
        from sevenn.atom_graph_data import AtomGraphData
        from sevenn.train.dataload import unlabeled_atoms_to_graph
        from torch_geometric.data import Batch

        graphs = [AtomGraphData.from_numpy_dict(unlabeled_atoms_to_graph(a, self.cutoff)) for a in structures]
        return Batch.from_data_list(graphs).to(self.device)

    def predict(self, structures: Sequence[Atoms], *, forces: bool = True, stress: bool = False) -> list[Prediction]:
        import sevenn._keys as KEY

        for atoms in structures:
            self.check(atoms)
        grad = forces or stress
        data = self._batch(structures)
        with torch.enable_grad() if grad else torch.no_grad():
            data = self.model._preprocess(data)
            for key, module in self.model._modules.items():
                if key == READOUT:
                    nodes = data[KEY.NODE_FEATURE].detach()
                if key == FORCES and not grad:
                    break
                data = module(data)
        k = len(structures)
        split = np.cumsum([len(a) for a in structures])[:-1]
        energy = data[KEY.PRED_TOTAL_ENERGY].detach().cpu().numpy().astype(np.float64).reshape(k)
        f = np.split(data[KEY.PRED_FORCE].detach().cpu().numpy().astype(np.float64), split) if forces else [None] * k
        # sevenn: −virial/V as (xx, yy, zz, xy, yz, zx); ASE's sign and Voigt order (xx, yy, zz, yz, xz, xy)
        s = (
            list(-data[KEY.PRED_STRESS].detach().cpu().numpy().astype(np.float64)[:, [0, 1, 2, 4, 5, 3]])
            if stress
            else [None] * k
        )
        atom_latent = np.split(nodes.cpu().numpy(), split)
        return [
            Prediction(
                float(energy[i]),
                f[i],
                atom_latent[i].mean(axis=0),
                atom_latent=atom_latent[i],
                stress=s[i],
            )
            for i in range(k)
        ]


class SevenNet0(SevenNetMLFF):
    name = "7net-0"
    checkpoint = "7net-0"  # SevenNet-0 (11 July 2024), MPtrj


class SevenNetL3i5(SevenNetMLFF):
    name = "7net-l3i5"
    checkpoint = "7net-l3i5"  # SevenNet-l3i5: l_max 3, 5 interaction layers, MPtrj

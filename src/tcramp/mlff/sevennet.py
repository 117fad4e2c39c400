"""SevenNet backends (`7net-0`, `7net-l3i5`): equivariant NequIP-type models trained on MPtrj; the
checkpoints ship inside the sevenn wheel, so they run offline.

Energy from the sum of atomic energies; forces and stress from one autograd pass with respect to
the edge vectors (sevenn's own `ForceStressOutputFromEdge`, no `create_graph`). A list of cells
goes through the model one cell at a time: a torch_geometric batch of eight 8-atom cells took
2.1 CPU-s against 1.9 for the loop (7net-0, forces; 4.3 against 3.8 for 7net-l3i5). Latent: mean
over atoms of the scalar node features of the last interaction layer (its gate's output, the
input of the readout MLP; 128-d for both checkpoints), which are `atom_latent`. No magnetic
moments: `magmom` stays None (groups that read them refuse such records by name).
`forces=False` runs the model up to the energy under `torch.no_grad` (no autograd).

Trusted phonon displacement 0.01 Å: on fcc Al (`tcramp.mlff.contract.linearity`) k(d) is
2.992–3.002 eV/Å² (7net-0) and 2.866–2.883 eV/Å² (7net-l3i5) over d = 0.005–0.05 Å.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

import numpy as np
import torch
from ase import Atoms

from .base import MLFF, Prediction, resolve_device, tensors_only

READOUT = "reduce_input_to_hidden"  # the first readout module: its input is the latent
FORCES = "force_output"


class SevenNetMLFF(MLFF):
    """A SevenNet checkpoint (`checkpoint`: sevenn's pretrained name) behind the MLFF interface."""

    checkpoint: str
    package = "sevenn"
    pooling = "mean of last interaction layer scalar node features"
    phonon_distance = 0.01  # Å, inside the linear range 0.005–0.05 Å (module docstring)

    def __init__(self, weights: str | None = None, device: str = "auto"):
        import sevenn._keys as KEY
        import sevenn.util as util
        from e3nn.o3 import Irreps

        self.device = resolve_device(device)
        if weights:  # sevenn unpickles with weights_only=False: a file must first read as plain tensors
            tensors_only(weights)
        cp = util.load_checkpoint(weights or self.checkpoint)  # the wheel's own checkpoints: trusted as its code
        model = cp.build_model()
        model.set_is_batch_data(True)
        self.model = model.to(self.device).eval().requires_grad_(False)  # forces need edge-vector grads only
        self.cutoff = float(cp.config[KEY.CUTOFF])
        self.elements = frozenset(int(z) for z in cp.config[KEY.TYPE_MAP])
        self.latent_size = Irreps(model.get_irreps_in(READOUT)).dim
        self.version = (
            f"sevenn {version('sevenn')} / weights {weights or self.checkpoint} (model {cp.config.get('version')})"
        )

    def _graph(self, atoms: Atoms):
        """`atoms` as sevenn's graph: a torch_geometric batch of one on the model's device."""
        from sevenn.atom_graph_data import AtomGraphData
        from sevenn.train.dataload import unlabeled_atoms_to_graph
        from torch_geometric.data import Batch

        graph = AtomGraphData.from_numpy_dict(unlabeled_atoms_to_graph(atoms, self.cutoff))
        return Batch.from_data_list([graph]).to(self.device)

    def predict(self, structures: Sequence[Atoms], *, forces: bool = True, stress: bool = False) -> list[Prediction]:
        for atoms in structures:
            self.check(atoms)
        return [self._predict(a, forces, stress) for a in structures]

    def _predict(self, atoms: Atoms, forces: bool, stress: bool) -> Prediction:
        import sevenn._keys as KEY

        grad = forces or stress
        data = self._graph(atoms)
        with torch.enable_grad() if grad else torch.no_grad():
            data = self.model._preprocess(data)
            for key, module in self.model._modules.items():
                if key == READOUT:
                    nodes = data[KEY.NODE_FEATURE].detach().cpu().numpy()
                if key == FORCES and not grad:
                    break
                data = module(data)

        def out(key: str) -> np.ndarray:
            return data[key].detach().cpu().numpy().astype(np.float64)

        # sevenn: −virial/V as (xx, yy, zz, xy, yz, zx); ASE's sign and Voigt order (xx, yy, zz, yz, xz, xy)
        return Prediction(
            float(out(KEY.PRED_TOTAL_ENERGY).sum()),
            out(KEY.PRED_FORCE) if forces else None,
            nodes.mean(axis=0),
            atom_latent=nodes,
            stress=-out(KEY.PRED_STRESS)[0, [0, 1, 2, 4, 5, 3]] if stress else None,
        )


class SevenNet0(SevenNetMLFF):
    name = "7net-0"
    checkpoint = "7net-0"  # SevenNet-0 (11 July 2024), MPtrj


class SevenNetL3i5(SevenNetMLFF):
    name = "7net-l3i5"
    checkpoint = "7net-l3i5"  # SevenNet-l3i5: l_max 3, 5 interaction layers, MPtrj

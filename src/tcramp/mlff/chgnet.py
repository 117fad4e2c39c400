"""CHGNet backend (default): pretrained 0.3.0 weights ship inside the chgnet wheel, so it runs offline.

Forces come from one autograd pass without `create_graph` (the magmom head runs with every
call: its moments are a record column; stress only when asked). Graph edges come from a Verlet
list (pairs within cutoff + `skin`, rebuilt once an atom has moved skin/2): each step takes the pairs inside the atom- and
bond-graph cutoffs from it exactly, and reuses the last crystal graph when those pair sets are
unchanged, else rebuilds it with CHGNet's own graph routines. Latent: the
mean over atoms of the final message-passing layer's atom features (64-d, after the readout
LayerNorm), which are `atom_latent` (captured by a forward hook: CHGNet's `return_atom_feas` gives
the penultimate layer's, which feed its magmom head). CHGNet's own `crystal_fea` is the *sum* of
the final features for the 0.3.0 weights (`mlp_first` readout), so it grows with the cell; tcramp
before schema v2 stored that sum. Magnetic moments come from CHGNet's site-wise head (one linear layer). Stress, when
asked, is the energy's gradient with respect to CHGNet's strain tensors (its own stress path,
without `create_graph`). `forces=False` runs under `torch.inference_mode` (no autograd).
"""

from __future__ import annotations

import contextlib
import io
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import chgnet
import numpy as np
import torch
from ase import Atoms
from chgnet.graph.crystalgraph import TORCH_DTYPE, CrystalGraph
from pymatgen.core import Structure

from .base import MLFF, Prediction, resolve_device, tensors_only

DEFAULT_WEIGHTS = "pretrained/0.3.0/chgnet_0.3.0_e29f68s314m37.pth.tar"  # in the chgnet wheel


@dataclass
class _Verlet:
    """A Verlet list (pairs within cutoff + skin of `positions`) and the graph last built on it."""

    positions: np.ndarray
    center: np.ndarray
    neighbor: np.ndarray
    image: np.ndarray
    shift: np.ndarray  # neighbour image offset in Å
    graph: object = None
    atom_mask: np.ndarray | None = None
    bond_mask: np.ndarray | None = None


class CHGNetMLFF(MLFF):
    name = "chgnet"
    package = "chgnet"
    pooling = "mean of final-layer atom features"
    elements = frozenset(range(1, 95))
    # no trusted phonon displacement: on fcc Al k(d) = 0.425, 0.400, 0.715, 0.954, 1.080, 1.160 eV/Å²
    # at d = 0.005, 0.01, 0.02, 0.03, 0.04, 0.05 Å (tcramp.mlff.contract.linearity; 1.27 at 0.07,
    # 1.42 at 0.1): constant within 5 % over no three neighbouring displacements
    phonon_distance = None

    def __init__(self, weights: str | None = None, device: str = "auto", skin: float = 1.0):
        self.device = resolve_device(device)
        model = load_checkpoint(weights).to(self.device)
        self.model = model.eval().requires_grad_(False)  # forces need position grads only
        # the final per-atom features (what crystal_fea averages): the readout norm's output
        final = model.readout_norm or model.atom_conv_layers[-1]
        final.register_forward_hook(lambda _mod, _inp, out: setattr(self, "_final", out))
        self.version = f"{self.installed_version()} / weights {model.version or weights}"
        self.latent_size = int(model.model_args["atom_fea_dim"])
        self.skin = skin
        self._cache: OrderedDict[bytes, _Verlet] = OrderedDict()

    def _graph(self, atoms: Atoms):
        """The crystal graph of `atoms`: edges from the Verlet list of its cell, the graph object
        reused while the edge sets inside both cutoffs are unchanged."""
        conv = self.model.graph_converter
        cell, pos = atoms.cell.array, atoms.positions
        key = atoms.numbers.tobytes() + cell.tobytes()
        v = self._cache.get(key)
        if v is None or np.linalg.norm(pos - v.positions, axis=1).max() >= self.skin / 2:
            s = Structure(cell, atoms.numbers, pos, coords_are_cartesian=True)
            center, neighbor, image, _ = s.get_neighbor_list(r=conv.atom_graph_cutoff + self.skin, numerical_tol=1e-8)
            v = self._cache[key] = _Verlet(pos.copy(), center, neighbor, image, image @ cell)
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        d = np.linalg.norm(pos[v.neighbor] + v.shift - pos[v.center], axis=1)
        atom_mask, bond_mask = d < conv.atom_graph_cutoff, d < conv.bond_graph_cutoff
        frac = torch.tensor(np.linalg.solve(cell.T, pos.T).T, dtype=TORCH_DTYPE, device=self.device)
        if v.graph is not None and np.array_equal(atom_mask, v.atom_mask) and np.array_equal(bond_mask, v.bond_mask):
            return CrystalGraph(**{**vars(v.graph), "atom_frac_coord": frac.requires_grad_(True)})
        # CHGNet's CrystalGraphConverter.forward, fed from the Verlet list instead of a new search
        e = atom_mask
        g = conv.create_graph(len(atoms), v.center[e], v.neighbor[e], v.image[e], d[e])
        atom_graph, directed2undirected = g.adjacency_list()
        bond_graph, undirected2directed = g.line_graph_adjacency_list(cutoff=conv.bond_graph_cutoff)
        v.atom_mask, v.bond_mask = atom_mask, bond_mask
        v.graph = CrystalGraph(
            atomic_number=torch.tensor(atoms.numbers, dtype=torch.int32, device=self.device),
            atom_frac_coord=frac.requires_grad_(True),
            atom_graph=torch.tensor(atom_graph, dtype=torch.int32, device=self.device),
            neighbor_image=torch.tensor(v.image[e], dtype=TORCH_DTYPE, device=self.device),
            directed2undirected=torch.tensor(directed2undirected, dtype=torch.int32, device=self.device),
            undirected2directed=torch.tensor(undirected2directed, dtype=torch.int32, device=self.device),
            bond_graph=torch.tensor(bond_graph, dtype=torch.int32, device=self.device),
            lattice=torch.tensor(cell, dtype=TORCH_DTYPE, device=self.device, requires_grad=True),
            graph_id=None,
            mp_id=None,
            composition=atoms.get_chemical_formula(),
            atom_graph_cutoff=conv.atom_graph_cutoff,
            bond_graph_cutoff=conv.bond_graph_cutoff,
        )
        return v.graph

    def predict(self, structures: Sequence[Atoms], *, forces: bool = True, stress: bool = False) -> list[Prediction]:
        from chgnet.model.model import BatchedGraph

        for atoms in structures:
            self.check(atoms)
        m = self.model
        graphs = [self._graph(a) for a in structures]  # outside inference mode: graphs are cached
        grad = forces or stress
        with torch.enable_grad() if grad else torch.inference_mode():
            batch = BatchedGraph.from_graphs(
                graphs,
                bond_basis_expansion=m.bond_basis_expansion,
                angle_basis_expansion=m.angle_basis_expansion,
                compute_stress=stress,
            )
            out = m._compute(batch, compute_force=False, compute_magmom=True)
            n = out["atoms_per_graph"]
            per_atom = out["e"] + (0 if m.composition_model is None else m.composition_model(graphs))
            total = per_atom * n if m.is_intensive else per_atom
            wrt = (list(batch.atom_positions) if forces else []) + (list(batch.strains) if stress else [])
            grads = torch.autograd.grad(total.sum(), wrt) if grad else ()
        k = len(structures)
        f = [-g.cpu().numpy().astype(np.float64) for g in grads[:k]] if forces else [None] * k
        # CHGNet's stress: dE/dstrain / V (it scales this by 160.2 to GPa; ASE's eV/Å³ undoes that)
        s = [_voigt(g.cpu().numpy() / float(v)) for g, v in zip(grads[-k:], batch.volumes)] if stress else [None] * k
        atom_latent = np.split(self._final.detach().cpu().numpy(), np.cumsum(n.cpu().numpy())[:-1])
        energy = total.detach().cpu().numpy()
        return [
            Prediction(
                float(energy[i]),
                f[i],
                atom_latent[i].mean(axis=0),
                atom_latent=atom_latent[i],
                magmom=out["m"][i].detach().cpu().numpy(),
                stress=s[i],
            )
            for i in range(k)
        ]


def load_checkpoint(weights: str | None = None):
    """A CHGNet from a checkpoint (None: the wheel's 0.3.0 weights) read as tensors only
    (`torch.load(weights_only=True)`), so a checkpoint cannot run code; CHGNet's own `from_file`
    unpickles arbitrary objects."""
    from chgnet.model import CHGNet

    path = weights or str(Path(chgnet.__file__).parent / DEFAULT_WEIGHTS)
    state = tensors_only(path)
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"{path}: refused: not a CHGNet checkpoint (no 'model' state dict)")
    state = state["model"]
    with contextlib.redirect_stdout(io.StringIO()):  # CHGNet prints on build
        return CHGNet.from_dict(state, **({} if weights else {"mlp_out_bias": False, "version": "0.3.0"}))


def _voigt(t: np.ndarray) -> np.ndarray:
    """(3, 3) -> Voigt (xx, yy, zz, yz, xz, xy), symmetrised."""
    t = (t + t.T) / 2
    return np.array([t[0, 0], t[1, 1], t[2, 2], t[1, 2], t[0, 2], t[0, 1]])

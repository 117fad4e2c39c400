"""A random-weight stand-in for the orb-d3-v2 checkpoint, which cannot be downloaded offline."""

from __future__ import annotations

from pathlib import Path

import torch


def make_random_orb_checkpoint(path) -> Path:
    """Save a randomly initialised orb-d3-v2 model's state dict to `path` and return the path.

    This is a mock for the real orb-d3-v2 weights (which cannot be downloaded here): the
    architecture comes from orb-models' own `orb_v2_architecture` (what `orb_d3_v2` builds, 15
    message-passing steps), seeded so the file is reproducible, and saved as a plain state dict
    that `orb_d3_v2(weights_path=...)` loads with `torch.load(weights_only=True)`. Its outputs
    are numerically meaningless.
    """
    from orb_models.forcefield.pretrained import orb_v2_architecture

    path = Path(path)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = orb_v2_architecture(device="cpu")
    torch.save(model.state_dict(), path)
    return path

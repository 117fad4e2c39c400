"""tcramp: superconducting Tc from machine-learned force-field outputs along temperature ramps."""

from .data import Material, load_dataset
from .pipeline import predict_tc, simulate_material
from .ramp import RampConfig, temperatures
from .run import simulate
from .snapshots import pack, read_descriptors, read_failures, read_snapshots
from .structures import order

__all__ = [
    "Material",
    "RampConfig",
    "load_dataset",
    "order",
    "pack",
    "predict_tc",
    "read_descriptors",
    "read_failures",
    "read_snapshots",
    "simulate",
    "simulate_material",
    "temperatures",
]
__version__ = "0.1.0"

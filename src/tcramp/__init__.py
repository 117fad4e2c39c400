"""tcramp: superconducting Tc from machine-learned force-field latents along MD temperature ramps."""

from .data import Material, load_dataset
from .pipeline import predict_tc, simulate_material
from .ramp import RampConfig, ramp, temperatures
from .run import simulate
from .snapshots import pack, read_failures, read_snapshots
from .structures import order

__all__ = [
    "Material",
    "RampConfig",
    "load_dataset",
    "order",
    "pack",
    "predict_tc",
    "ramp",
    "read_failures",
    "read_snapshots",
    "simulate",
    "simulate_material",
    "temperatures",
]
__version__ = "0.1.0"

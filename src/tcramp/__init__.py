"""tcramp: superconducting Tc from machine-learned force-field outputs along temperature ramps."""

from .data import Material, load_dataset
from .pipeline import build_material, predict_tc, ramp_structure
from .predict import predict_files
from .ramp import RampConfig, temperatures
from .run import simulate
from .snapshots import pack, read_failures, read_materials, read_snapshots
from .stages import STAGES
from .structures import order

__all__ = [
    "STAGES",
    "Material",
    "RampConfig",
    "build_material",
    "load_dataset",
    "order",
    "pack",
    "predict_files",
    "predict_tc",
    "ramp_structure",
    "read_failures",
    "read_materials",
    "read_snapshots",
    "simulate",
    "temperatures",
]
__version__ = "0.1.0"

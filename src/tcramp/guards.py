"""Geometry guards: refuse an unphysical cell before any model call.

A cell far outside what a force field was trained on does not merely predict nonsense: a lattice
vector of 0.1 Å puts hundreds of periodic images inside CHGNet's 6 Å cutoff, and its graph
construction (C code, no time limit) ran > 7 CPU-min at 3.6 GB; two atoms 0.2 Å apart make
every relaxation step seconds long. `check_cell` refuses such a cell in milliseconds with one
line naming the material. The bounds are wide enough for any real crystal:

- `MIN_DISTANCE` 0.5 Å between any two atoms, periodic images included: the shortest bond in
  matter is H–H in H2, 0.74 Å; compressed hydrides stay above 0.9 Å.
- `VOLUME_PER_ATOM` 2–500 Å³/atom: diamond has 5.7, superhydrides at 150 GPa ~4, caesium
  (the least dense element solid) 117; above 500 a "crystal" is mostly vacuum.
- `LATTICE_LENGTH` 1–200 Å for the vectors of the Minkowski-reduced cell (its shortest lattice
  translations, independent of how the cell was written): the shortest translation is at least
  the shortest bond between equivalent atoms (~2 Å in Be, 2.5 Å in diamond); 200 Å is ~5 × the
  longest axis of a bundled cell.

Non-finite cells or positions are refused too. `time_limit` stops a material that runs too long.
"""

from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager

import numpy as np
from ase import Atoms
from ase.geometry import minkowski_reduce
from ase.neighborlist import neighbor_list

__all__ = [
    "LATTICE_LENGTH",
    "MIN_DISTANCE",
    "VOLUME_PER_ATOM",
    "GeometryError",
    "TimeLimitError",
    "check_cell",
    "time_limit",
]

MIN_DISTANCE = 0.5  # Å
VOLUME_PER_ATOM = (2.0, 500.0)  # Å³/atom
LATTICE_LENGTH = (1.0, 200.0)  # Å, Minkowski-reduced lattice vectors


class GeometryError(ValueError):
    """The cell is outside the physical bounds of `tcramp.guards`; the message names the material."""


def check_cell(atoms: Atoms, name: str) -> None:
    """Raise `GeometryError` ("{name}: ...", one line) unless `atoms` (a 3-D periodic cell) has
    finite coordinates, a volume per atom inside `VOLUME_PER_ATOM`, reduced lattice vectors
    inside `LATTICE_LENGTH` and no two atoms (images included) closer than `MIN_DISTANCE`."""
    cell = atoms.cell.array
    if not (np.isfinite(cell).all() and np.isfinite(atoms.positions).all()):
        raise GeometryError(f"{name}: non-finite cell or positions")
    volume = abs(np.linalg.det(cell)) / len(atoms)
    lo, hi = VOLUME_PER_ATOM
    if not lo <= volume <= hi:
        raise GeometryError(f"{name}: volume {volume:.3g} Å³/atom outside {lo:g}–{hi:g} Å³/atom")
    reduced, _ = minkowski_reduce(cell)
    lengths = np.linalg.norm(reduced, axis=1)
    lo, hi = LATTICE_LENGTH
    if not (lo <= lengths.min() and lengths.max() <= hi):
        raise GeometryError(
            f"{name}: lattice vectors {lengths.min():.3g}–{lengths.max():.3g} Å (reduced) outside {lo:g}–{hi:g} Å"
        )
    probe = Atoms(atoms.numbers, positions=atoms.positions, cell=reduced, pbc=True)
    i, j, d = neighbor_list("ijd", probe, MIN_DISTANCE)
    if len(d):
        k = int(np.argmin(d))
        sym = probe.get_chemical_symbols()
        raise GeometryError(
            f"{name}: atoms {i[k]} ({sym[i[k]]}) and {j[k]} ({sym[j[k]]}) are {d[k]:.3g} Å apart "
            f"(minimum {MIN_DISTANCE} Å)"
        )


class TimeLimitError(TimeoutError):
    """A material ran past its time limit; the message names it and the limit."""


class _Expired(BaseException):
    """Raised asynchronously at the limit; a BaseException, so no `except Exception` on the way
    (parsers, builders) mistakes it for their own error."""


@contextmanager
def time_limit(seconds: float | None, name: str):
    """Raise `TimeLimitError` ("{name}: ...") in this thread once `seconds` have passed (None:
    no limit). Works in any thread (a Dask worker's too): a timer thread sets the exception
    asynchronously, so it is raised at the next Python bytecode; a single call into C that never
    returns is not interrupted (`check_cell` keeps the cells known to cause one out)."""
    if not seconds:
        yield
        return
    thread, lock, open_ = ctypes.c_ulong(threading.get_ident()), threading.Lock(), [True]

    def expire() -> None:
        with lock:
            if open_[0]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(thread, ctypes.py_object(_Expired))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except _Expired:
        raise TimeLimitError(f"{name}: over the time limit of {seconds:g} s") from None
    finally:
        with lock:
            open_[0] = False
            timer.cancel()
            ctypes.pythonapi.PyThreadState_SetAsyncExc(thread, None)  # one set but not yet raised

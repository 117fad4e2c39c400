"""Wall time of `tcramp predict` for single structures with the shipped model on this machine.

Usage: python benchmarks/predict_time.py [FILES...]   (default: src/tcramp/data/YBa2Cu3O7.cif and a
49-atom bundled cuprate cell). Times the whole command (start-up, model load, ramp, plot) as a
user runs it, after one warm-up run that fills the OS file cache.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tcramp.data import load_3dsc

root = Path(__file__).resolve().parents[1]
files = [Path(f) for f in sys.argv[1:]]
with tempfile.TemporaryDirectory() as tmp:
    if not files:
        big = next(m for m in load_3dsc() if m.name == "Ba0.123Cu1La1.877O4-MP-mp-1077929-synth_doped")
        path = Path(tmp) / "La1.877Ba0.123CuO4.cif"
        big.structure.to(filename=str(path))
        files = [root / "src/tcramp/data/YBa2Cu3O7.cif", path]
    exe = Path(sys.executable).with_name("tcramp")
    subprocess.run([str(exe), "predict", str(files[0]), "--out", f"{tmp}/warm"], check=True, capture_output=True)
    for f in files:
        t = time.perf_counter()
        r = subprocess.run([str(exe), "predict", str(f), "--out", f"{tmp}/{f.stem}"], capture_output=True, text=True)
        wall = time.perf_counter() - t
        atoms = [line for line in r.stdout.splitlines() if f.stem[:10] in line]
        print(f"predict_wall_s={wall:.1f} file={f.name} exit={r.returncode}")
        print("\n".join(atoms))

"""Rebuild src/tcramp/data/3dsc_mp.tar.gz from the shared 3DSC_MP copy (CSV + CIF archive).

Usage: python scripts/bundle_data.py [SHARED_DATA_DIR]   (default ../shared/data)
The archive holds 3DSC_MP.csv and cifs/{name}.cif; members are sorted and time-stamped 0 so
the output is byte-reproducible.
"""

import gzip
import io
import sys
import tarfile
from pathlib import Path

src = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data") / "3dsc_mp"
dst = Path(__file__).resolve().parents[1] / "src/tcramp/data/3dsc_mp.tar.gz"

members = {"3DSC_MP.csv": (src / "3DSC_MP.csv").read_bytes()}
with tarfile.open(src / "cifs.tar.gz") as tar:
    for m in tar.getmembers():
        if m.isfile() and m.name.endswith(".cif"):
            members["cifs/" + Path(m.name).name] = tar.extractfile(m).read()

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for name in sorted(members):
        info = tarfile.TarInfo(name)
        info.size = len(members[name])
        info.mtime = 0
        tar.addfile(info, io.BytesIO(members[name]))
dst.write_bytes(gzip.compress(buf.getvalue(), compresslevel=9, mtime=0))
print(f"wrote {dst} ({dst.stat().st_size / 1e6:.2f} MB, {len(members) - 1} CIFs)")

"""The record build end to end: labels, resume, kill -9, bad input, Dask scheduler, shards."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from tcramp.data import stratified
from tcramp.run import shard, simulate
from tcramp.snapshots import pack, read_failures, read_snapshots

from conftest import CLI, SMALL, TINY


def _csv(tmp_path: Path, materials, extra: str = "") -> Path:
    """A user dataset CSV of bundled materials written as CIF files."""
    (tmp_path / "cifs").mkdir(exist_ok=True)
    lines = ["name,structure,tc,group,sc_class"]
    for m in materials:
        m.structure.to(filename=str(tmp_path / "cifs" / f"{m.name}.cif"))
        lines.append(f"{m.name},cifs/{m.name}.cif,{m.tc},{m.group},{m.sc_class}")
    path = tmp_path / "set.csv"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def test_simulate_in_process_labels_and_resume(small, tmp_path):
    events = []
    res = simulate(small, tmp_path / "out", TINY, workers=0, device="cpu", on_event=lambda *e: events.append(e))
    assert sorted(res.finished) == sorted(SMALL) and res.ok
    df = read_snapshots(tmp_path / "out")
    assert sorted(df.name.unique()) == sorted(SMALL)
    assert (df.superconducting == (df.T_target < df.tc)).all()
    assert df.superconducting.any() and (~df.superconducting).any()
    assert (df.latent_size == 64).all() and "latent_63" in df and df["latent_0"].dtype == np.float32
    assert (df.backend == "chgnet").all() and df.ramp_hash.nunique() == 1
    assert not df.duplicated(["name", "T_target"]).any()
    for col in ["parent_id", "group", "sc_class", "synth_doped", "energy_per_atom", "volume_per_atom"]:
        assert df[col].notna().all()
    # the default sampler draws quantum-harmonic configurations; latents hold float16 values
    assert (df.sampler_statistics == "quantum").all() and df.T_measured.isna().all()
    lat = df.filter(regex=r"^latent_").to_numpy()
    assert np.array_equal(lat.astype(np.float16).astype(np.float32), lat)
    again = simulate(small, tmp_path / "out", TINY, workers=0, device="cpu")
    assert again.finished == [] and sorted(again.skipped) == sorted(SMALL)
    # other sampler settings: a samples build of their own beside the first, never mixed with it
    other = simulate(small[:1], tmp_path / "out", replace(TINY, n_temps=5), workers=0, device="cpu")
    assert other.finished == [SMALL[0]] and len(list((tmp_path / "out").glob("samples-*"))) == 2
    with pytest.raises(ValueError, match="several samples builds"):
        read_snapshots(tmp_path / "out")
    assert read_snapshots(tmp_path / "out", config=TINY).equals(df)


def test_shards_read_as_one_dataset(small, tmp_path):
    parts = [shard(small, f"{i}/2") for i in range(2)]
    assert sorted(m.name for p in parts for m in p) == sorted(SMALL)
    for i, p in enumerate(parts):
        simulate(p, tmp_path / f"shard{i}", TINY, workers=0, device="cpu")
    df = read_snapshots(tmp_path / "shard0", tmp_path / "shard1")
    assert sorted(df.name.unique()) == sorted(SMALL)


def test_bad_inputs_are_named_and_the_rest_finish(small, tmp_path):
    (tmp_path / "broken.cif").write_text("data_broken\n_cell_length_a 4\nloop_\n_atom_site_label\nnonsense here\n")
    # Og (Z=118) is outside CHGNet's elements
    (tmp_path / "og.xyz").write_text(
        '2\nLattice="4 0 0 0 4 0 0 0 4" Properties=species:S:1:pos:R:3 pbc="T T T"\nOg 0 0 0\nNa 2 2 2\n'
    )
    extra = "broken-cif,broken.cif,5,,\nsuperheavy,og.xyz,3,,\n"
    csv = _csv(tmp_path, small[:2], extra)
    run = subprocess.run(
        [
            *CLI,
            "simulate",
            "--dataset",
            str(csv),
            "--out",
            str(tmp_path / "out"),
            "--config",
            str(_tiny_json(tmp_path)),
            "--workers",
            "0",
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("FAILED")]
    assert any(line.startswith("FAILED broken-cif: cell: ValueError: cannot read structure") for line in lines), (
        run.stderr
    )
    assert any(
        line.startswith("FAILED superheavy: relaxed: UnsupportedElementError: chgnet does not support element(s) Og")
        for line in lines
    ), run.stderr
    assert sorted(read_snapshots(tmp_path / "out").name.unique()) == sorted(SMALL[:2])
    failures = read_failures(tmp_path / "out").sort_values("name")
    assert failures[["name", "stage"]].values.tolist() == [["broken-cif", "cell"], ["superheavy", "relaxed"]]


def _tiny_json(tmp_path: Path, **over) -> Path:
    import json
    from dataclasses import asdict

    d = {k: v for k, v in asdict(TINY).items() if k != "torch_threads"} | over
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(d))
    return path


@pytest.mark.slow
def test_kill9_then_resume_loses_nothing_and_repeats_nothing(bundled, small, tmp_path):
    extra = [
        bundled[n]
        for n in [
            "Ag1Y1-MP-mp-2474",
            "Ag1La1Sb2-MP-mp-20271",
            "Au3Te5-MP-mp-567525-synth_doped",
            "Bi5Tl3-MP-mp-30469-synth_doped",
        ]
    ]
    csv = _csv(tmp_path, small + extra)
    out = tmp_path / "out"
    cmd = [
        *CLI,
        "simulate",
        "--dataset",
        str(csv),
        "--out",
        str(out),
        "--config",
        str(_tiny_json(tmp_path, equil_steps=10)),
        "--workers",
        "2",
        "--device",
        "cpu",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    while len(_done(out)) < 2:
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its local Dask cluster, at once
    proc.wait()
    before = {f.name: f.stat().st_mtime_ns for f in _done(out)}
    assert 2 <= len(before) < 8
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"{len(before)} already done" in run.stderr
    after = {f.name: f.stat().st_mtime_ns for f in _done(out)}
    assert len(after) == 8 and all(after[k] == v for k, v in before.items())
    df = read_snapshots(out)
    assert df.name.nunique() == 8 and not df.duplicated(["name", "T_target"]).any()
    assert not list(out.rglob(".*.tmp"))


def _done(store: Path, stage: str = "samples") -> list[Path]:
    """The loose (unpacked) material files of a store's `stage`."""
    return list(store.glob(f"{stage}-*/materials/*.parquet"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """`dask scheduler` plus two single-threaded `dask worker` processes on 127.0.0.1."""
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [
        subprocess.Popen(
            [str(bindir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    for i in range(2):
        procs.append(
            subprocess.Popen(
                [
                    str(bindir / "dask"),
                    "worker",
                    addr,
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--local-directory",
                    str(tmp_path / f"w{i}"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        )
    from distributed import Client

    with Client(addr, timeout=60) as c:
        c.wait_for_workers(2, timeout=60)
    yield addr
    for p in procs[::-1]:
        p.terminate()
    for p in procs:
        p.wait(timeout=30)


def test_external_scheduler_gives_the_local_rows(small, tmp_path, dask_cluster):
    remote = simulate(small, tmp_path / "remote", TINY, scheduler=dask_cluster, device="cpu")
    local = simulate(small, tmp_path / "local", TINY, workers=2, device="cpu")
    assert remote.ok and local.ok and sorted(remote.finished) == sorted(SMALL)
    a, b = read_snapshots(tmp_path / "remote"), read_snapshots(tmp_path / "local")
    assert a[["name", "T_target", "superconducting"]].equals(b[["name", "T_target", "superconducting"]])
    lat = [c for c in a if c.startswith("latent_")]
    assert np.abs(a[lat].to_numpy() - b[lat].to_numpy()).max() < 1e-5


def test_pack_merges_and_resume_sees_packed(small, tmp_path):
    out = tmp_path / "out"
    simulate(small[:2], out, TINY, workers=0, device="cpu")
    rows = read_snapshots(out)
    paths = pack(out)
    assert len(paths) == 4 and all(p.exists() for p in paths) and not list(out.glob("*/materials/*.parquet"))
    pd.testing.assert_frame_equal(read_snapshots(out), rows)
    res = simulate(small, out, TINY, workers=0, device="cpu")
    assert sorted(res.skipped) == sorted(SMALL[:2]) and sorted(res.finished) == sorted(SMALL[2:])
    # a pack killed before removing its sources: no duplicated rows, nothing re-run
    sources = {f: f.read_bytes() for f in out.glob("*/materials/*.parquet")}
    pack(out)
    for f, data in sources.items():
        f.write_bytes(data)
    df = read_snapshots(out)
    assert df.name.nunique() == 4 and not df.duplicated(["name", "T_target"]).any()
    assert sorted(simulate(small, out, TINY, workers=0).skipped) == sorted(SMALL)
    assert pack(out) == [] and not list(out.glob("*/materials/*.parquet"))  # the leftovers go, nothing new


def test_stratified_prefix_covers_every_class(bundled):
    mats = list(bundled.values())
    order = stratified(mats)
    assert sorted(m.name for m in order) == sorted(bundled) and order == stratified(mats)
    head = order[:300]
    assert {m.sc_class for m in head} == {m.sc_class for m in mats}
    assert 0.1 < sum(m.tc == 0 for m in head) / 300 < 0.5


def test_local_cluster_is_closed_when_an_error_escapes(small, tmp_path):
    """An unexpected error (here from the caller's own callback) leaves no worker process behind."""

    def fail(kind, name, reason):
        raise RuntimeError("caller failed")

    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    with pytest.raises(RuntimeError, match="caller failed"):
        simulate(small[:1], tmp_path / "out", TINY, workers=1, device="cpu", on_event=fail)
    # multiprocessing's resource tracker lives as long as this process; worker processes must not
    new = [
        p
        for p in me.children(recursive=True)
        if p.pid not in before and "multiprocessing.resource_tracker" not in " ".join(p.cmdline())
    ]
    _, alive = psutil.wait_procs(new, timeout=10)
    assert [p.cmdline() for p in alive] == []

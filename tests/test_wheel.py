"""Installed use: a built wheel, installed in a fresh virtual environment, runs outside the repo."""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_predicts_and_simulates_outside_the_repository(bundled, tiny_config, tmp_path):
    src = tmp_path / "src"  # build from a copy: the build leaves no files in the repository
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for f in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / f, src / f)
    run = dict(capture_output=True, text=True, timeout=300)
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path / "dist"), str(src)], **run)  # fmt: skip
    assert r.returncode == 0, r.stderr
    (wheel,) = (tmp_path / "dist").glob("tcramp-*.whl")

    # a fresh venv that sees this environment's dependencies (not its tcramp) through a .pth file
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                           text=True).strip())  # fmt: skip
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)], **run
    )
    assert r.returncode == 0, r.stderr

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.check_output(
        [str(python), "-c", "import tcramp; print(tcramp.__file__)"], cwd=work, env=env, text=True
    )
    assert Path(where.strip()).is_relative_to(purelib)
    tcramp = str(venv / "bin" / "tcramp")
    cif = work / "AgMg.cif"
    bundled["Ag1Mg1-MP-mp-2696"].structure.to(filename=str(cif))
    r = subprocess.run([tcramp, "predict", str(cif), "--device", "cpu", "--out", "pred"], cwd=work, env=env, **run)
    assert r.returncode == 0, r.stderr
    assert "AgMg" in r.stdout and (work / "pred" / "predictions.csv").exists()
    r = subprocess.run([tcramp, "simulate", "--limit", "1", "--out", "snap", "--config", str(tiny_config),
                        "--workers", "1", "--device", "cpu"], cwd=work, env=env, **run)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "1 built to samples" in r.stderr and len(list((work / "snap").glob("samples-*/materials/*.parquet"))) == 1

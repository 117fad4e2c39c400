"""Bad input is refused before it can run code or hang a batch, and doubtful input is flagged
(issue 21): model directories, checkpoints, structures, CSV datasets, options, predictions."""

import builtins
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from pymatgen.core import Lattice, Structure

from tcramp import cli, predict
from tcramp.cv import material_folds
from tcramp.data import load_csv
from tcramp.domain import input_warnings
from tcramp.groups import with_magpie
from tcramp.guards import GeometryError, TimeLimitError
from tcramp.mlff import load_mlff
from tcramp.models import TcModel, sha256
from tcramp.pipeline import predict_tc, shipped_model_dir
from tcramp.ramp import RampConfig
from tcramp.run import simulate
from tcramp.snapshots import read_materials
from tcramp.stages import stage_hash
from tcramp.training import train

from conftest import CLI, TINY

REPO = Path(__file__).parents[1]
CIF = REPO / "src" / "tcramp" / "data" / "YBa2Cu3O7.cif"
RUN = {"capture_output": True, "text": True}


class _Creates:
    """Unpickling this opens (creates) a file: what a malicious checkpoint could do instead."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return builtins.open, (self.path, "w")


@pytest.fixture
def shipped_copy(tmp_path) -> Path:
    """The shipped model's folds declared as a relaxed-stage CHGNet model (a relaxed build holds
    every input of the cell stage), so that loading and predicting go through a force field."""
    model = Path(shutil.copytree(str(shipped_model_dir()), tmp_path / "model"))
    meta = _meta(model)
    ramp_hash = stage_hash(RampConfig(**meta["ramp"]), "relaxed", "chgnet", None)
    version = load_mlff("chgnet", device="cpu").version
    _edit(model, stage="relaxed", backend="chgnet", backend_version=version, ramp_hash=ramp_hash)
    return model


def _meta(model: Path) -> dict:
    return json.loads((model / "model.json").read_text())


def _edit(model: Path, **changes) -> None:
    (model / "model.json").write_text(json.dumps({**_meta(model), **changes}))


def _cli(capsys, *args) -> tuple[int, str, str]:
    """`tcramp ARGS` in this process through the entry point: (exit code, stdout, stderr)."""
    argv = sys.argv
    sys.argv = ["tcramp", *args]
    try:
        cli.run_cli()
        code = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    return code, out.out, out.err


# --- 1, 8: model directories ---------------------------------------------------------------------


def test_a_pickled_checkpoint_is_refused_without_running_it(shipped_copy, tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth.tar"
    torch.save({"model": _Creates(marker)}, evil)
    meta = _meta(shipped_copy)
    ramp_hash = stage_hash(RampConfig(**meta["ramp"]), meta["stage"], meta["backend"], str(evil))
    _edit(shipped_copy, weights=str(evil), ramp_hash=ramp_hash, files={**meta["files"], "weights": sha256(evil)})
    with pytest.raises(ValueError, match="evil.pth.tar: refused: not a checkpoint of plain tensors"):
        predict_tc(CIF, shipped_copy, device="cpu", threads=1)
    assert not marker.exists()


def test_model_files_must_match_their_recorded_sha256(shipped_copy):
    assert TcModel.load(shipped_copy).meta.files.keys() >= {"fold-0.cbm", "fold-4.json"}
    with (shipped_copy / "fold-2.cbm").open("ab") as f:
        f.write(b"\0")
    with pytest.raises(ValueError, match="fold-2.cbm: missing or SHA-256 differs"):
        TcModel.load(shipped_copy)
    _edit(shipped_copy, files={})
    with pytest.raises(ValueError, match="no SHA-256 recorded for fold-0.cbm"):
        TcModel.load(shipped_copy)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: {"ramp": {**m["ramp"], "relax_steps": 5}}, "not the recorded ramp_hash"),
        (lambda m: {"ramp": {**m["ramp"], "bogus": 1}}, "ramp settings invalid"),
        (lambda m: {"backend": "foo"}, "unknown backend 'foo'"),
        (lambda m: {"backend_version": "chgnet 0.1.0 / weights 0.3.0"}, "trained with chgnet 0.1.0.*installed chgnet"),
        (lambda m: {"n_members": 0}, "n_members 0"),
        (lambda m: {"groups": ["magpie", "nope"]}, r"unknown feature groups \['nope'\]"),
        (lambda m: {"kind": "svm"}, "unknown model kind 'svm'"),
        (lambda m: {"stage": "nope"}, "unknown stage 'nope'"),
    ],
)
def test_inconsistent_model_metadata_is_refused_on_load(shipped_copy, change, message):
    _edit(shipped_copy, **change(_meta(shipped_copy)))
    with pytest.raises(ValueError, match=message):
        TcModel.load(shipped_copy)


# --- 2, 3: unphysical cells, time limit, the predict cache ---------------------------------------

PAIR = """data_Nb3
_cell_length_a 3.3
_cell_length_b 3.3
_cell_length_c 3.3
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
 _atom_site_type_symbol
 _atom_site_label
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 _atom_site_occupancy
  Nb Nb0 0 0 0 1
  Nb Nb1 0.5 0.5 0.5 1
  Nb Nb2 0.060606 0 0 1
"""


@pytest.fixture(scope="module")
def bad_cells(tmp_path_factory) -> dict[str, Path]:
    """A YBa2Cu3O7 cell with a = 0.1 Å and a bcc Nb cell with an extra atom 0.2 Å from another."""
    root = tmp_path_factory.mktemp("cells")
    (root / "pair.cif").write_text(PAIR)
    (root / "thin.cif").write_text(re.sub(r"^_cell_length_a .*$", "_cell_length_a 0.1", CIF.read_text(), flags=re.M))
    return {"thin": root / "thin.cif", "pair": root / "pair.cif"}


@pytest.mark.parametrize(("cell", "message"), [("thin", "volume 0.357 Å³/atom"), ("pair", "0.2 Å apart")])
def test_an_unphysical_cell_is_refused_in_seconds_with_one_line(bad_cells, cell, message):
    start = time.perf_counter()
    with pytest.raises(GeometryError, match=message) as err:
        predict_tc(bad_cells[cell], device="cpu", threads=1)
    assert time.perf_counter() - start < 10 and "\n" not in str(err.value) and str(err.value).startswith(cell)


@pytest.fixture(scope="module")
def batch(bad_cells, tmp_path_factory):
    """`tcramp predict` of the two bad cells and the bundled YBa2Cu3O7 cell with the shipped
    model, in a subprocess: (result, out directory)."""
    out = tmp_path_factory.mktemp("pred")
    files = [str(bad_cells["thin"]), str(bad_cells["pair"]), str(CIF)]
    return subprocess.run([*CLI, "predict", *files, "--out", str(out), "--device", "cpu"], **RUN, timeout=600), out


def test_predict_goes_on_past_unphysical_cells_and_keeps_the_valid_one(batch):
    r, out = batch
    assert r.returncode == 1
    failed = [line for line in r.stderr.splitlines() if "FAILED" in line]
    assert len(failed) == 2 and "thin.cif: GeometryError" in failed[0] and "pair.cif: GeometryError" in failed[1]
    assert "Traceback" not in r.stderr
    pred = pd.read_csv(out / "predictions.csv")
    assert list(pred.name) == ["YBa2Cu3O7"] and pred.kind.iloc[0] == "regression"
    assert len(list((out / "results").glob("*.json"))) == 1  # a regressor's result is cached too


def test_a_rerun_of_the_shipped_model_returns_from_the_cache(batch, capsys, monkeypatch):
    _, out = batch
    before = pd.read_csv(out / "predictions.csv")
    calls = []
    monkeypatch.setattr(predict, "predict_tc", lambda *a, **k: calls.append(a) or predict_tc(*a, **k))
    monkeypatch.setattr(predict, "load_mlff", lambda *a: calls.append(a))  # no force field loaded either
    code, stdout, _ = _cli(capsys, "predict", str(CIF), "--out", str(out), "--device", "cpu")
    assert code == 0 and calls == [] and "YBa2Cu3O7" in stdout
    assert pd.read_csv(out / "predictions.csv").equals(before)


def test_a_material_over_its_time_limit_is_stopped_and_named(small, shipped_copy, tmp_path):
    start = time.perf_counter()  # a relaxed-stage model: the cell is relaxed, over 0.05 s
    with pytest.raises(TimeLimitError, match="YBa2Cu3O7: over the time limit of 0.05 s"):
        predict_tc(CIF, shipped_copy, device="cpu", threads=1, limit=0.05)
    assert time.perf_counter() - start < 10
    result = simulate(small[:1], tmp_path / "o", TINY, stage="relaxed", workers=0, device="cpu", limit=0.01)
    assert result.failed[small[0].name].endswith("TimeLimitError: over the time limit of 0.01 s")


# --- 4, 5, 6: CSV datasets, names, stores --------------------------------------------------------


@pytest.fixture(scope="module")
def readme_csv(small, tmp_path_factory) -> Path:
    """Four bundled materials in the README's CSV format (name,structure,tc: no formula column),
    one named with a leading '.'."""
    root = tmp_path_factory.mktemp("csv")
    lines = ["name,structure,tc"]
    for i, m in enumerate(small):
        m.structure.to(filename=str(root / f"{m.name}.cif"))
        lines.append(f"{'.' if i == 1 else ''}{m.name},{m.name}.cif,{m.tc}")
    (root / "set.csv").write_text("\n".join(lines) + "\n")
    return root / "set.csv"


@pytest.fixture(scope="module")
def cell_store(readme_csv, tmp_path_factory) -> Path:
    """The CSV built to the cell stage (no force field)."""
    out = tmp_path_factory.mktemp("build") / "store"
    assert simulate(load_csv(readme_csv), out, TINY, stage="cell", workers=0).ok
    return out


def test_a_csv_without_formulas_gets_them_from_its_structures(cell_store, small):
    df = read_materials(cell_store, stage="cell")
    assert sorted(df.formula) == sorted(m.structure.composition.formula for m in small)
    assert np.isfinite(with_magpie(df).filter(like="magpie_").to_numpy()).all()
    with pytest.raises(ValueError, match="magpie: 1 materials have no formula"):
        with_magpie(df.assign(formula=["", *df.formula[1:]]))


def test_a_name_starting_with_a_dot_is_no_hidden_file(cell_store, small):
    (stage,) = cell_store.iterdir()
    assert not any(f.name.startswith(".") for f in (stage / "materials").iterdir())
    assert f".{small[1].name}" in set(read_materials(cell_store, stage="cell").name)


def test_a_material_in_two_stores_is_read_once(cell_store, tmp_path):
    copy = shutil.copytree(cell_store, tmp_path / "copy")
    both = read_materials(cell_store, copy, stage="cell")
    assert len(both) == both.name.nunique() == len(read_materials(cell_store, stage="cell"))


def test_repeated_names_in_a_csv_are_refused_naming_the_lines(tmp_path):
    (tmp_path / "d.csv").write_text("name,structure,tc\na,a.cif,1\nb,b.cif,2\na,c.cif,3\n")
    with pytest.raises(ValueError, match=r"d.csv: repeated names: 'a' on lines 2, 4$"):
        load_csv(tmp_path / "d.csv")


@pytest.mark.parametrize("tc", ["-5", "inf", "nan", "", "hot"])
def test_tc_must_be_a_finite_number_at_least_zero(tmp_path, tc):
    (tmp_path / "d.csv").write_text(f"name,structure,tc\na,a.cif,1\nb,b.cif,{tc}\n")
    with pytest.raises(ValueError, match=r"d.csv: line 3 \(b\): tc .* is not a finite number >= 0"):
        load_csv(tmp_path / "d.csv")


def test_a_header_only_csv_is_named_as_such(tmp_path):
    (tmp_path / "d.csv").write_text("name,structure,tc\n")
    with pytest.raises(ValueError, match="d.csv: no rows under the header"):
        load_csv(tmp_path / "d.csv")


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_limit_below_one_is_refused(readme_csv, tmp_path, capsys, limit):
    out = tmp_path / "o"
    code, _, err = _cli(capsys, "simulate", "--out", str(out), "--dataset", str(readme_csv), "--limit", limit)
    assert code == 2 and "Invalid value for '--limit'" in err and not out.exists()


# --- 7: environment errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--mlff", "foo"], "error: ValueError: unknown MLFF 'foo'; choose from chgnet"),
        (["--device", "cuda"], "error: ValueError: device 'cuda' is not available on this machine"),
        (["--device", "tpu"], "error: ValueError: unknown device 'tpu'"),
    ],
)
def test_environment_errors_stop_simulate_before_any_material(readme_csv, tmp_path, capsys, option, message):
    if option[-1] == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    out = tmp_path / "o"
    code, _, err = _cli(capsys, "simulate", "--out", str(out), "--dataset", str(readme_csv), "--workers", "0", *option)
    assert code == 2 and err.strip().splitlines()[-1].startswith(message)
    assert "Traceback" not in err and "FAILED" not in err and not out.exists()


# --- 9: small training sets, domain warnings, one-line errors ------------------------------------


def test_train_on_fewer_materials_than_folds_says_so(cell_store):
    df = read_materials(cell_store, stage="cell")
    with pytest.raises(ValueError, match="4 leakage groups of materials, need >= 5 for 5-fold CV"):
        train(df, "catboost-tc", {"iterations": 5}, groups=("magpie",), folds=5, config=TINY)
    with pytest.raises(ValueError, match="4 leakage groups of materials, need >= 5 for 5-fold CV"):
        material_folds(df, 5)
    with pytest.raises(ValueError, match="every material has Tc 0 K"):
        train(df.assign(tc=0.0), "catboost-tc", {"iterations": 5}, groups=("magpie",), folds=2, config=TINY)


@pytest.fixture(scope="module")
def cell_model(cell_store, tmp_path_factory) -> Path:
    """A Magpie Tc regressor of the four cell-stage materials (it reads no force field)."""
    df = read_materials(cell_store, stage="cell")
    model, _ = train(df, "catboost-tc", {"iterations": 5}, groups=("magpie",), folds=2, config=TINY)
    return model.save(tmp_path_factory.mktemp("model") / "m")


def test_predictions_warn_of_nan_out_of_range_inputs_and_vacuum(cell_model, tmp_path, capsys):
    X = pd.DataFrame({"a": [np.nan, 1.0], "b": [0.5, 50.0], "c": [1.05, 0.0]})
    assert input_warnings(X, {"a": [0, 1], "b": [0, 1], "c": [0, 1]}) == [
        "NaN inputs: 1 of 3 features (a)",
        "outside the training range: b 50 (trained 0 to 1)",
    ]
    ranges = TcModel.load(cell_model).meta.ranges
    assert len(ranges) > 100 and all(lo <= hi for lo, hi in ranges.values())
    slab = Structure(Lattice.tetragonal(3.3, 25.0), ["Nb", "Nb"], [[0, 0, 0], [0.5, 0.5, 0.064]])
    slab.to(filename=str(tmp_path / "slab.cif"))
    r = predict_tc(tmp_path / "slab.cif", cell_model)
    assert any(w.startswith("low-dimensional cell: 23.4 Å of vacuum along c") for w in r["warnings"])
    assert any(w.startswith("outside the training range: magpie_") for w in r["warnings"])
    code, stdout, _ = _cli(
        capsys, "predict", str(tmp_path / "slab.cif"), "--model", str(cell_model), "--out", str(tmp_path / "p")
    )
    assert code == 0 and "low-dimensional" in stdout
    assert "low-dimensional cell" in pd.read_csv(tmp_path / "p" / "predictions.csv").warnings.iloc[0]


def test_cli_errors_are_one_line_unless_debug(tmp_path):
    args = ["train", "--snapshots", str(tmp_path / "none"), "--out", str(tmp_path / "m")]
    r = subprocess.run([*CLI, *args], **RUN, timeout=300)
    assert (
        r.returncode == 2 and r.stderr.strip() == f"error: FileNotFoundError: {tmp_path / 'none'}: no such record store"
    )
    r = subprocess.run([*CLI, "--debug", *args], **RUN, timeout=300)
    assert r.returncode == 1 and "Traceback" in r.stderr and "read_table" in r.stderr

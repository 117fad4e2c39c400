"""Interpretation studies and the HTML report on a real (tiny) CHGNet build, checked in Chromium."""

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tcramp.ablation import AblationConfig
from tcramp.evaluate import EvalConfig, evaluate
from tcramp.explain import display, explain, group_of, ramp_materials, short_name, spearman
from tcramp.groups import RAMP_GROUPS
from tcramp.models import CV_FILE
from tcramp.report import build_report, markdown_html, read_learning_curve
from tcramp.training import train

from conftest import CLI, TINY

PNGS = [
    "importance.png",
    "shap_beeswarm.png",
    "latent_magpie_heatmap.png",
    "feature_vs_tc.png",
    "latent_pca.png",
    "latent_umap.png",
    "lattice_probe.png",
]
CSVS = {
    "importance.csv": ["feature", "importance"],
    "shap_direction.csv": ["feature", "mean_abs_shap", "corr", "direction"],
    "latent_magpie_pairs.csv": ["latent", "magpie_feature", "label", "spearman"],
}


@pytest.fixture(scope="module")
def explained(tiny_snapshots, tmp_path_factory):
    _, df = tiny_snapshots
    root = tmp_path_factory.mktemp("explain")
    model, cv_tc = train(df, "catboost", {"iterations": 30, "depth": 3}, groups=("latent",), folds=2, config=TINY)
    model.save(root / "model")
    cv_tc.to_csv(root / "model" / CV_FILE, index=False)  # as `tcramp train` writes it
    files = explain(root / "model", df, root / "out", device="cpu", log=lambda *a: None)
    return root, df, files


def _image(path, kind):
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == kind and im.width > 100 and im.height > 100
        return getattr(im, "n_frames", 1)


def test_every_study_writes_valid_files(explained):
    root, df, files = explained
    out = root / "out"
    for name in PNGS:
        assert files[name] == out / name and _image(out / name, "PNG") == 1
    assert pd.read_csv(files[CV_FILE]).equals(pd.read_csv(root / "model" / CV_FILE))  # the report's parity plot
    for name, cols in CSVS.items():
        table = pd.read_csv(files[name])
        assert list(table.columns) == cols and len(table) > 0
    imp = pd.read_csv(out / "importance.csv")
    assert len(imp) == len(json.loads(files["model.json"].read_text())["features"])
    assert imp["importance"].is_monotonic_decreasing
    shap_dir = pd.read_csv(out / "shap_direction.csv")
    assert set(shap_dir["direction"]) <= {"raises P(SC)", "lowers P(SC)", "none"}
    assert shap_dir["mean_abs_shap"].is_monotonic_decreasing and shap_dir["mean_abs_shap"].iloc[0] > 0
    # a feature whose higher values come with higher SHAP values raises P(SC), and vice versa
    corr = shap_dir["corr"]
    want = np.where(corr.isna(), "none", np.where(corr >= 0, "raises P(SC)", "lowers P(SC)"))
    assert (shap_dir["direction"] == want).all() and corr.notna().any()
    pairs = pd.read_csv(out / "latent_magpie_pairs.csv")
    assert pairs["spearman"].abs().is_monotonic_decreasing and pairs["label"].str.startswith("MagpieData").all()
    probe = pd.read_csv(out / "lattice_probe.csv")
    assert list(probe.columns[:3]) == ["scale", "volume_per_atom", "p_sc"] and len(probe) == 9
    assert probe.columns[3:].str.fullmatch(r"latent_\d+").all() and probe["volume_per_atom"].is_monotonic_increasing
    assert np.isclose(probe["volume_per_atom"].iloc[-1] / probe["volume_per_atom"].iloc[0], (1.06 / 0.94) ** 3)


def test_shap_ramp_has_one_frame_per_temperature(explained):
    root, df, files = explained
    names = ramp_materials(df)
    # neither default is in the tiny build: the lowest positive Tc and the highest Tc (no cuprate)
    mat = df.groupby("name")["tc"].first()
    assert names == [mat[mat > 0].idxmin(), mat.idxmax()]
    for name in names:
        stem = f"shap_ramp-{short_name(name)}"
        assert _image(files[f"{stem}.gif"], "GIF") == (df["name"] == name).sum()
        assert _image(files[f"{stem}.png"], "PNG") == 1


@pytest.mark.slow
def test_cli_explain_with_chosen_material_and_structure(explained, tiny_snapshots, small):
    root, df, _ = explained
    run, _ = tiny_snapshots
    cif = root / "AlGaV3.cif"
    small[0].structure.to(filename=str(cif))
    out = root / "cli"
    name = "Bi3In5-MP-mp-1223979-synth_doped"
    r = subprocess.run(
        [
            *CLI,
            "explain",
            "--model",
            str(root / "model"),
            "--snapshots",
            str(run),
            "--out",
            str(out),
            "--material",
            name,
            "--structure",
            str(cif),
            "--max-rows",
            "20",
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "15 files" in r.stderr  # one ramp: 11 + model.json + cv_tc.csv + gif + png
    assert sorted(p.name for p in out.glob("shap_ramp-*")) == ["shap_ramp-Bi3In5.gif", "shap_ramp-Bi3In5.png"]
    probe = pd.read_csv(out / "lattice_probe.csv")
    assert np.isclose(probe["volume_per_atom"].iloc[4], small[0].structure.volume / len(small[0].structure), rtol=0.02)


def test_mlp_model_is_refused_with_a_reason(tiny_snapshots, tmp_path):
    _, df = tiny_snapshots
    model, _ = train(df, "mlp", {"hidden": [8], "epochs": 2}, folds=2, config=TINY)
    model.save(tmp_path / "mlp")
    with pytest.raises(ValueError, match="no CatBoost members"):
        explain(tmp_path / "mlp", df, tmp_path / "out", log=lambda *a: None)


@pytest.mark.slow
def test_regressor_explain_and_report(tiny_snapshots, small, tmp_path):
    """A Tc regressor on material-level inputs through every study that applies, then the report:
    Tc in place of P(SC), no SHAP along a ramp (the report says why), and a lattice probe whose
    re-ramped cells keep their scaled volume."""
    _, df = tiny_snapshots
    groups = ("magpie", "phonon", "thermal", "latent")
    model, _ = train(df, "catboost-tc", {"iterations": 20, "depth": 2}, groups=groups, folds=2, config=TINY)
    model.save(tmp_path / "reg")
    out, logs = tmp_path / "out", []
    files = explain(tmp_path / "reg", df, out, structure=small[0].structure, device="cpu", log=logs.append)
    for name in PNGS:
        assert files[name] == out / name and _image(out / name, "PNG") == 1
    assert json.loads(files["model.json"].read_text())["kind"] == "catboost-tc"
    assert not any(n.startswith("shap_ramp") for n in files) and any("skipped" in line for line in logs)
    imp = pd.read_csv(out / "importance.csv")
    assert sorted(imp["feature"]) == sorted(model.features) and imp["importance"].is_monotonic_decreasing
    assert {"ph_omega_log", "latent_0@min", "msd_all@max"} <= set(imp["feature"])
    shap_dir = pd.read_csv(out / "shap_direction.csv")
    assert len(shap_dir) == len(model.features) and set(shap_dir["direction"]) <= {"raises Tc", "lowers Tc", "none"}
    probe = pd.read_csv(out / "lattice_probe.csv")
    assert list(probe.columns[:3]) == ["scale", "volume_per_atom", "tc"] and len(probe) == 9
    assert (probe["tc"] >= 0).all() and all(group_of(f) in RAMP_GROUPS for f in probe.columns[3:])
    # the cell is kept while re-ramping: a relaxed cell would go back to one volume
    assert np.isclose(probe["volume_per_atom"].iloc[-1] / probe["volume_per_atom"].iloc[0], (1.06 / 0.94) ** 3)

    page = build_report(tmp_path / "report", None, out).read_text()
    assert set(re.findall(r'<img src="([^"]+)"', page)) == set(PNGS)
    assert "catboost-tc" in page and "no SHAP along a ramp" in page and "P(SC)" not in page


def test_display_labels_by_feature_group():
    assert group_of("latent_3@min") == "latent" and group_of("latent_lo_3") == "latent-elements"
    assert group_of("msd_all@max") == "thermal" and group_of("unknown") is None
    assert display("magpie_0").startswith("magpie_0 (") and "MagpieData" not in display("magpie_0")
    assert display("ph_omega_log") == "ph_omega_log" and display("latent_3@min") == "latent_3@min"


def test_spearman_matches_scipy():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    rho = spearman(a, b)
    assert np.isclose(rho[1, 0], spearmanr(a[:, 1], b[:, 0]).statistic)
    assert np.isnan(spearman(np.ones((5, 1)), b[:5])).all()


def test_markdown_tables_and_escaping():
    page = markdown_html("# Title\n\nRatio **0.7** <x>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h1>Title</h1>" in page and "<strong>0.7</strong> &lt;x&gt;" in page
    assert "<th>a</th><th>b</th>" in page and "<td>1</td><td>2</td>" in page and "---" not in page


# benchmarks/learning_curve.py's table (docs/learning_curve.md), Δ column and all.
CURVE_MD = """shipped kind catboost-tc on magpie+cell-contrast (cell stage); 900 materials hold it
| N | zero | Magpie-RF | shipped kind | Δ shipped − RF (paired) |
|---|---|---|---|---|
| 300 | 13.18 ± 2.49 | 11.98 ± 2.58 | 10.56 ± 1.50 | -1.42 ± 1.29 |
| 900 | 9.98 ± 0.21 | 6.21 ± 0.59 | 5.84 ± 0.64 | -0.37 ± 0.55 |
"""
OVERVIEW = ["ablation_forest.png", "heldout_parity.png", "learning_curve.png"]


def test_learning_curve_from_its_csv_else_its_markdown(tmp_path):
    (tmp_path / "curve.md").write_text(CURVE_MD)
    curve = read_learning_curve(tmp_path / "curve.md")
    assert list(curve.columns) == ["n", "method", "mae_mean", "mae_std"] and len(curve) == 6
    assert list(curve["method"].unique()) == ["zero", "Magpie-RF", "shipped kind"]
    assert curve.iloc[-1].tolist() == [900, "shipped kind", 5.84, 0.64]
    curve.assign(mae_mean=curve["mae_mean"] + 1).to_csv(tmp_path / "curve.csv", index=False)
    assert (read_learning_curve(tmp_path / "curve.md")["mae_mean"] == curve["mae_mean"] + 1).all()


@pytest.fixture(scope="module")
def report(explained, tiny_snapshots):
    root, df, _ = explained
    (root / "learning_curve.md").write_text(CURVE_MD)
    cfg = EvalConfig(
        folds=2,
        catboost={"iterations": 20, "depth": 3},
        mlp={"hidden": (8,), "epochs": 3},
        extrapolation_quantile=None,
        leave_class_out=False,
        leave_elements_out=(),
        curves=("Al0.5Ga0.5V3-MP-mp-1228807",),
        worst=3,
        ablation=AblationConfig(folds=2, regressor={"iterations": 5, "depth": 2}, classifier=(), log_target=()),
    )
    evaluate(df, root / "eval", cfg, config=TINY, log=lambda *a: None)
    r = subprocess.run(
        [
            *CLI,
            "report",
            "--out",
            str(root / "report"),
            "--evaluation",
            str(root / "eval"),
            "--explain",
            str(root / "out"),
            "--learning-curve",
            str(root / "learning_curve.md"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return root / "report" / "index.html"


def test_report_is_self_contained(report, explained):
    root, _, files = explained
    html = report.read_text()
    srcs = re.findall(r'<img src="([^"]+)"', html)
    images = {n for n in files if n.endswith((".png", ".gif"))} | {"parity.png", "reliability.png"}
    assert images <= set(srcs) and any(s.startswith("curve-") for s in srcs)
    assert all((report.parent / s).exists() for s in srcs)
    assert not re.search(r"(src|href)=\"(https?:)?//", html) and "<script" not in html
    assert "Evaluation (10 materials" in html and "<table>" in html
    # the first screen: the ablation, the model's held-out Tc and the learning curve, tables after
    assert srcs[:3] == OVERVIEW and html.index(OVERVIEW[-1]) < html.index("<table")
    assert all(_image(report.parent / s, "PNG") == 1 for s in OVERVIEW)


def _chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        msg = "chromium not installed (scripts/test.sh installs it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return exe


def _high(fd):
    """`fd` moved to a close-on-exec descriptor >= 10, clear of the 3 and 4 the browser reads."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


class DevTools:
    """Chromium's DevTools protocol over `--remote-debugging-pipe` (fd 3 in, fd 4 out)."""

    def __init__(self, exe, profile):
        cmd_r, self.cmd_w = map(_high, os.pipe())
        self.out_r, out_w = map(_high, os.pipe())
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
        ]

        def fds():
            os.dup2(cmd_r, 3)
            os.dup2(out_w, 4)

        self.proc = subprocess.Popen(
            [exe, *flags, "about:blank"],
            preexec_fn=fds,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(cmd_r)
        os.close(out_w)
        self.buf, self.events, self.n = b"", [], 0

    def _read(self, deadline):
        while b"\0" not in self.buf:
            ready, _, _ = select.select([self.out_r], [], [], max(0.0, deadline - time.time()))
            chunk = os.read(self.out_r, 1 << 20) if ready else b""
            if not chunk:
                raise TimeoutError("no answer from chromium")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=30):
        self.n += 1
        msg = {"id": self.n, "method": method, "params": params or {}, **({"sessionId": session} if session else {})}
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.n:
                assert "error" not in m, m
                return m["result"]
            self.events.append(m)

    def wait(self, method, timeout=30):
        deadline = time.time() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        finally:
            self.proc.wait(timeout=20)
            os.close(self.cmd_w)
            os.close(self.out_r)


def test_report_renders_in_headless_chromium(report, tmp_path):
    browser = DevTools(_chromium(), tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            browser.send(f"{domain}.enable", session=s)
        # the window of scripts/report.sh's screenshot
        screen = {"width": 1200, "height": 1600, "deviceScaleFactor": 1, "mobile": False}
        browser.send("Emulation.setDeviceMetricsOverride", screen, session=s)
        browser.send("Page.navigate", {"url": report.as_uri()}, session=s)
        browser.wait("Page.loadEventFired")

        def js(expression):
            r = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=s)
            return json.loads(r["result"]["value"])

        images = js(
            "JSON.stringify([...document.images].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]))"
        )
        first = js(
            "JSON.stringify([[...document.querySelectorAll('.overview img')].map(i => i.getBoundingClientRect().bottom),"
            " document.querySelector('table').getBoundingClientRect().top])"
        )
        size = browser.send("Page.getLayoutMetrics", session=s)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = browser.send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}, session=s
        )["data"]
    finally:
        browser.close()
    assert len(images) >= 10
    # the three overview figures are on the first screen, above the first table
    assert len(first[0]) == 3 and max(first[0]) <= min(first[1], screen["height"])
    assert [i for i in images if not (i[1] and i[2] > 0)] == []
    errors = [
        e
        for e in browser.events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    assert errors == []
    png = report.parent / "screenshot.png"
    png.write_bytes(base64.b64decode(shot))
    assert _image(png, "PNG") == 1


@pytest.mark.slow
def test_one_command_report_of_a_hybrid_model(tiny_snapshots, tmp_path):
    """`tcramp report --model --snapshots` runs every explain study itself, here on a
    latent + Magpie + T model (Magpie inputs computed from the snapshots' formulas)."""
    run, df = tiny_snapshots
    model, _ = train(
        df, "catboost", {"iterations": 20, "depth": 2}, groups=("latent", "magpie", "temperature"), folds=2, config=TINY
    )
    model.save(tmp_path / "hybrid")
    r = subprocess.run(
        [
            *CLI,
            "report",
            "--out",
            str(tmp_path / "report"),
            "--model",
            str(tmp_path / "hybrid"),
            "--snapshots",
            str(run),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "report" / "index.html").read_text()
    srcs = set(re.findall(r'<img src="([^"]+)"', html))
    assert set(PNGS) <= srcs and all((tmp_path / "report" / s).stat().st_size > 0 for s in srcs)

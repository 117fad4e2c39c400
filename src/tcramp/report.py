"""Figures a person reads: the P(SC | T) curve of a prediction."""

from __future__ import annotations

from pathlib import Path

__all__ = ["plot_curve"]


def plot_curve(result: dict, path: str | Path, tc_true: float | None = None) -> Path:
    """PNG of a `predict_tc` record: mean P(SC) with the ensemble band, the 50/60/70 % lines,
    Tc@50 % and its interval (and the known Tc when given)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = result["temperatures"]
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    ax.fill_between(t, result["p_low"], result["p_high"], color="tab:blue", alpha=0.25, label="ensemble range")
    ax.plot(t, result["p_mean"], "o-", color="tab:blue", ms=3, label="P(SC | T), mean")
    for th, ls in ((0.5, "-"), (0.6, "--"), (0.7, ":")):
        ax.axhline(th, color="grey", lw=0.8, ls=ls)
    ax.axvspan(result["tc_low"], result["tc_high"], color="tab:orange", alpha=0.15, label="Tc interval")
    ax.axvline(result["tc50"], color="tab:orange", lw=1.5, label=f"Tc@50% = {result['tc50']:.1f} K")
    if tc_true is not None:
        ax.axvline(tc_true, color="k", lw=1, ls="--", label=f"known Tc = {tc_true:.1f} K")
    ax.set(xlabel="T (K)", ylabel="P(superconducting)", ylim=(-0.02, 1.02), xlim=(0, max(t)),
           title=result["name"])
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path

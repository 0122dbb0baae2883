"""Evaluation figures (matplotlib, Agg backend, PNG).

Every figure shows aggregates: curves, per-SNP statistics, distributions. Individuals of the
real cohort are never annotated or labelled, and the PCA figure draws real individuals as a
2-D density with cells holding fewer than ``min_count`` people masked.
Each function writes one PNG and returns its path.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..report import MIN_COUNT  # noqa: E402

DPI = 110


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def roc_curves(curves: dict[str, tuple[np.ndarray, np.ndarray, float]], path, title: str = "ROC, real test split"):
    """curves: {label: (fpr, tpr, auc)}."""
    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    for lab, (fpr, tpr, a) in curves.items():
        ax.plot(fpr, tpr, label=f"{lab} (AUC {a:.3f})")
    ax.plot([0, 1], [0, 1], ls=":", c="grey", lw=1)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def af_scatter(p_real: np.ndarray, p_syn: np.ndarray, path, r: float | None = None):
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(p_real, p_syn, s=4, alpha=0.5, lw=0)
    ax.plot([0, 1], [0, 1], c="k", lw=0.8, ls=":")
    ax.set_xlabel("allele frequency, real train")
    ax.set_ylabel("allele frequency, synthetic")
    ax.set_title("Allele frequencies" + (f" (r = {r:.4f})" if r is not None and np.isfinite(r) else ""))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return _save(fig, path)


def ld_heatmaps(r2_real: np.ndarray | None, r2_syn: np.ndarray | None, path):
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.3))
    if r2_real is None:
        for ax in axes:
            ax.text(0.5, 0.5, "no LD window", ha="center", va="center")
            ax.axis("off")
        return _save(fig, path)
    for ax, R, t in zip(axes, (r2_real, r2_syn), ("real train", "synthetic")):
        im = ax.imshow(np.nan_to_num(R, nan=0.0), vmin=0, vmax=1, cmap="Reds", interpolation="nearest")
        ax.set_title(f"LD r$^2$, {t}")
        ax.set_xlabel("SNP in window")
        ax.set_ylabel("SNP in window")
    fig.colorbar(im, ax=axes, shrink=0.8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def ld_decay(decay: list[dict], path):
    mids, real, syn = [], [], []
    for b in decay:
        if b["n_pairs"] == 0:
            continue
        lo = max(b["bin_low_kb"], 0.1)
        hi = b["bin_high_kb"] if b["bin_high_kb"] is not None else lo * 4
        mids.append(np.sqrt(lo * hi))
        real.append(b["mean_r2_real"])
        syn.append(b["mean_r2_synthetic"])
    fig, ax = plt.subplots(figsize=(5, 4))
    if mids:
        ax.plot(mids, real, "o-", label="real train")
        ax.plot(mids, syn, "s--", label="synthetic")
        ax.set_xscale("log")
        ax.legend()
    ax.set_xlabel("distance between SNPs (kb)")
    ax.set_ylabel("mean r$^2$")
    ax.set_title("LD decay (pairs within LD windows)")
    return _save(fig, path)


def pca_overlay(pc_real: np.ndarray, pc_syn: np.ndarray, path, min_count: int = MIN_COUNT, bins: int | None = None):
    """PC1/PC2 densities of real train and synthetic as 2-D histograms; cells < min_count hidden.

    The grid is coarse enough (default about n/25 people per cell on average) that most cells
    clear the small-count rule.
    """
    if bins is None:
        bins = int(np.clip(np.sqrt(min(len(pc_real), len(pc_syn)) / 25.0), 5, 60))
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.3), sharex=True, sharey=True)
    x = np.r_[pc_real[:, 0], pc_syn[:, 0]]
    y = np.r_[pc_real[:, 1], pc_syn[:, 1]] if pc_real.shape[1] > 1 else np.zeros_like(x)
    xe = np.linspace(np.quantile(x, 0.001), np.quantile(x, 0.999), bins + 1)
    ye = np.linspace(np.quantile(y, 0.001), np.quantile(y, 0.999), bins + 1)
    for ax, P, t, cmap in ((axes[0], pc_real, "real train", "Blues"), (axes[1], pc_syn, "synthetic", "Oranges")):
        py = P[:, 1] if P.shape[1] > 1 else np.zeros(P.shape[0])
        H, _, _ = np.histogram2d(P[:, 0], py, bins=[xe, ye])
        H = np.ma.masked_less(H, min_count)
        ax.pcolormesh(xe, ye, H.T, cmap=cmap)
        ax.set_title(f"{t} (cells < {min_count} hidden)")
        ax.set_xlabel("PC1 (real-train PCA)")
    axes[0].set_ylabel("PC2")
    return _save(fig, path)


def pca_wasserstein(w_syn: list[float], w_hold: list[float] | None, path):
    fig, ax = plt.subplots(figsize=(5, 3.8))
    k = np.arange(1, len(w_syn) + 1)
    ax.bar(k - 0.2, w_syn, width=0.4, label="synthetic vs real train")
    if w_hold is not None:
        ax.bar(k + 0.2, w_hold, width=0.4, label="real test vs real train")
    ax.set_xlabel("PC")
    ax.set_ylabel("Wasserstein distance (SD units)")
    ax.legend(fontsize=8)
    return _save(fig, path)


def dcr_hist(d_st: np.ndarray, d_ht: np.ndarray, path):
    fig, ax = plt.subplots(figsize=(5, 4))
    allv = np.r_[d_st, d_ht]
    edges = np.linspace(allv.min(), allv.max() + 1, 41)
    ax.hist(d_ht, bins=edges, density=True, alpha=0.55, label="held-out real -> train (d_HT)")
    ax.hist(d_st, bins=edges, density=True, alpha=0.55, label="synthetic -> train (d_ST)")
    ax.axvline(np.quantile(d_ht, 0.05), c="k", ls=":", lw=1, label="5th pct of d_HT")
    ax.set_xlabel("distance to closest training record")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    return _save(fig, path)


def mia_roc(fpr: np.ndarray, tpr: np.ndarray, auc: float, path, n_nonmembers: int | None = None):
    """Attack ROC on log-log axes (the low-FPR region is what matters), chance line y = x."""
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    lo = 1.0 / max(int(n_nonmembers or 1000), 10)
    ok = (fpr > 0) & (tpr > 0)
    ax.plot(fpr[ok], tpr[ok], label=f"distance attack (AUC {auc:.3f})")
    g = np.logspace(np.log10(lo), 0, 50)
    ax.plot(g, g, ls=":", c="grey", lw=1, label="chance")
    ax.axvline(0.01, c="k", lw=0.6, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, 1)
    ax.set_ylim(lo, 1.05)
    ax.set_xlabel("false positive rate (non-members)")
    ax.set_ylabel("true positive rate (training members)")
    ax.set_title("Membership inference")
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def gwas_beta_scatter(beta_real: np.ndarray, beta_syn: np.ndarray, path, r: float | None = None):
    fig, ax = plt.subplots(figsize=(4.6, 4.5))
    ok = np.isfinite(beta_real) & np.isfinite(beta_syn)
    ax.scatter(beta_real[ok], beta_syn[ok], s=5, alpha=0.5, lw=0)
    if ok.any():
        lim = np.nanmax(np.abs(np.r_[beta_real[ok], beta_syn[ok]]))
        ax.plot([-lim, lim], [-lim, lim], c="k", lw=0.8, ls=":")
    ax.axhline(0, c="grey", lw=0.5)
    ax.axvline(0, c="grey", lw=0.5)
    ax.set_xlabel("log(OR), real training GWAS")
    ax.set_ylabel("log(OR), synthetic-cohort GWAS")
    ax.set_title("GWAS effects" + (f" (r = {r:.3f})" if r is not None and np.isfinite(r) else ""))
    return _save(fig, path)


def effects_vs_truth(true_beta: np.ndarray, betas: dict[str, np.ndarray], path):
    """The selected causal SNPs: GWAS log(OR) of each cohort (``betas``: label -> per-SNP betas,
    e.g. real train, real held-out, synthetic) against the simulated true per-allele effect."""
    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    causal = np.isfinite(true_beta) & (true_beta != 0)
    styles = {0: dict(marker="o", s=16, alpha=0.45), 1: dict(marker="s", s=14, alpha=0.45),
              2: dict(marker="^", s=22, alpha=0.85)}
    for k, (label, b) in enumerate(betas.items()):
        ok = causal & np.isfinite(b)
        ax.scatter(true_beta[ok], b[ok], lw=0, label=label, **styles.get(k, {}))
    ax.axhline(0, c="grey", lw=0.5)
    ax.axvline(0, c="grey", lw=0.5)
    ax.set_xlabel("true effect per allele (liability scale)")
    ax.set_ylabel("log(OR), GWAS adjusted for PCs")
    ax.set_title(f"Causal selected SNPs (n = {int(causal.sum())})")
    ax.legend(fontsize=8, frameon=False)
    return _save(fig, path)


def het_hwe(F_real: np.ndarray, F_syn: np.ndarray, p_real: np.ndarray, p_syn: np.ndarray, path):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    allF = np.r_[F_real, F_syn]
    allF = allF[np.isfinite(allF)]
    edges = np.linspace(np.quantile(allF, 0.005), np.quantile(allF, 0.995), 41) if allF.size else 10
    axes[0].hist(F_real[np.isfinite(F_real)], bins=edges, density=True, alpha=0.55, label="real train")
    axes[0].hist(F_syn[np.isfinite(F_syn)], bins=edges, density=True, alpha=0.55, label="synthetic")
    axes[0].set_xlabel("inbreeding coefficient F (plink --het)")
    axes[0].legend(fontsize=8)
    for P, lab in ((p_real, "real train"), (p_syn, "synthetic")):
        P = np.sort(P[np.isfinite(P)])
        if P.size:
            exp = -np.log10((np.arange(1, P.size + 1) - 0.5) / P.size)
            axes[1].plot(exp, -np.log10(np.maximum(P, 1e-300)), ".", ms=3, label=lab)
    axes[1].plot([0, 4], [0, 4], c="k", lw=0.8, ls=":")
    axes[1].set_xlabel("expected -log10 p")
    axes[1].set_ylabel("observed -log10 p (HWE exact)")
    axes[1].legend(fontsize=8)
    return _save(fig, path)

"""Manhattan and QQ plots of the training-split GWAS (plink2 --glm output read by snpgen.gwas.read_glm).

Per-variant summary statistics only; no individual appears. The number of individuals in the
GWAS is annotated through :func:`snpgen.report.suppress_small`. Genome-wide files with millions
of variants are thinned for drawing (every variant with p < ``keep_all_below`` is drawn; the
rest -- the flat bulk of the plot -- by a deterministic stride), so a figure costs seconds.
"""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from . import suppress_small  # noqa: E402

from ..evaluate.figures import _save  # noqa: E402  (one figure writer for the project)
GENOME_WIDE = 5e-8
SUGGESTIVE = 1e-5
MIN_P = 1e-300  # plink2 writes 0 / underflow below this


def _chrom_key(c: str) -> tuple[int, str]:
    c = str(c)
    s = re.sub(r"^chr", "", c, flags=re.I)
    if s.isdigit():
        return int(s), ""
    order = {"X": 23, "Y": 24, "XY": 25, "M": 26, "MT": 26}
    return order.get(s.upper(), 99), s


def _neglog10(p: np.ndarray) -> np.ndarray:
    return -np.log10(np.clip(p, MIN_P, 1.0))


def _stride_keep(mask_bulk: np.ndarray, max_bulk: int) -> np.ndarray:
    """Boolean mask keeping every element outside ``mask_bulk`` and <= max_bulk of those inside."""
    keep = ~mask_bulk
    idx = np.flatnonzero(mask_bulk)
    if idx.size > max_bulk:
        idx = idx[:: int(np.ceil(idx.size / max_bulk))]
    keep[idx] = True
    return keep


def manhattan(glm: pl.DataFrame, path, *, n_individuals=None, highlight: set[str] | None = None,
              title: str = "Training-split GWAS", keep_all_below: float = 1e-3,
              max_bulk_points: int = 150_000) -> Path:
    """Manhattan plot: -log10 p by genomic position, chromosomes alternating in colour.

    ``highlight``: variant IDs drawn in orange (the selected SNPs). Dashed lines: genome-wide
    significance (5e-8) and the suggestive level (1e-5).
    """
    df = glm.select("CHROM", "POS", "ID", "P").drop_nulls("P")
    fig, ax = plt.subplots(figsize=(10, 3.8))
    if df.height == 0:
        ax.text(0.5, 0.5, "no variant with a p-value", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _save(fig, path)
    chroms = sorted(df["CHROM"].cast(pl.Utf8).unique().to_list(), key=_chrom_key)
    chrom = df["CHROM"].cast(pl.Utf8).to_numpy()
    pos = df["POS"].cast(pl.Float64).to_numpy()
    y = _neglog10(df["P"].to_numpy().astype(float))
    x = np.empty_like(pos)
    ticks, labels, offset = [], [], 0.0
    colour_idx = np.zeros(pos.size, dtype=int)
    for k, c in enumerate(chroms):
        m = chrom == c
        lo, hi = float(pos[m].min()), float(pos[m].max())
        x[m] = pos[m] - lo + offset
        ticks.append(offset + (hi - lo) / 2)
        labels.append(re.sub(r"^chr", "", c, flags=re.I))
        colour_idx[m] = k % 2
        offset += (hi - lo) + max((hi - lo) * 0.02, 1.0) + 1.0
    keep = _stride_keep(y < -np.log10(keep_all_below), max_bulk_points)
    hl = np.isin(df["ID"].to_numpy(), list(highlight)) if highlight else np.zeros(pos.size, dtype=bool)
    for k, colour in ((0, "#3b5b92"), (1, "#8fa7cf")):
        m = keep & (colour_idx == k) & ~hl
        ax.scatter(x[m], y[m], s=4, c=colour, lw=0, rasterized=True)
    if hl.any():
        ax.scatter(x[hl], y[hl], s=9, c="#e07b00", lw=0, label=f"selected SNPs ({int(hl.sum()):,})", zorder=3)
        ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.axhline(-np.log10(GENOME_WIDE), c="#b22222", ls="--", lw=0.8)
    ax.axhline(-np.log10(SUGGESTIVE), c="grey", ls=":", lw=0.8)
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels, fontsize=7 if len(labels) > 12 else 9)
    ax.set_xlim(x.min() - 1, x.max() + 1)
    ax.set_ylim(0, max(float(y.max()) * 1.08, -np.log10(GENOME_WIDE) + 1))
    ax.set_xlabel("chromosome (position)")
    ax.set_ylabel("-log10 p")
    n_txt = f"; GWAS on {suppress_small(n_individuals)} training individuals" if n_individuals is not None else ""
    ax.set_title(f"{title}: {df.height:,} variants{n_txt}", fontsize=10)
    return _save(fig, path)


def qq(glm: pl.DataFrame, path, *, lambda_gc: float | None = None, n_individuals=None,
       title: str = "QQ plot, training-split GWAS", max_points: int = 20_000, top_all: int = 5_000) -> Path:
    """QQ plot of observed vs expected -log10 p under the null, with a pointwise 95% band."""
    from scipy.stats import beta as beta_dist

    p = glm["P"].drop_nulls().to_numpy().astype(float)
    p = p[np.isfinite(p)]
    fig, ax = plt.subplots(figsize=(4.8, 4.6))
    if p.size == 0:
        ax.text(0.5, 0.5, "no variant with a p-value", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _save(fig, path)
    n = p.size
    obs = _neglog10(np.sort(p))
    i = np.arange(1, n + 1)
    # every one of the smallest p-values, then a stride through the bulk
    keep = np.zeros(n, dtype=bool)
    keep[: min(top_all, n)] = True
    rest = np.arange(min(top_all, n), n)
    if rest.size:
        keep[rest[:: int(np.ceil(rest.size / max(max_points - top_all, 1)))]] = True
    keep[-1] = True
    ii = i[keep]
    exp = -np.log10((ii - 0.5) / n)
    lo = -np.log10(beta_dist.ppf(0.975, ii, n - ii + 1))
    hi = -np.log10(beta_dist.ppf(0.025, ii, n - ii + 1))
    ax.fill_between(exp, lo, hi, color="grey", alpha=0.25, lw=0, label="95% band under the null")
    ax.scatter(exp, obs[keep], s=5, c="#3b5b92", lw=0, rasterized=True, label="variants")
    m = float(exp.max())
    ax.plot([0, m], [0, m], c="k", lw=0.8, ls=":")
    ax.set_xlabel("expected -log10 p")
    ax.set_ylabel("observed -log10 p")
    bits = []
    if lambda_gc is not None and np.isfinite(lambda_gc):
        bits.append(f"λGC = {lambda_gc:.3f}")
    if n_individuals is not None:
        bits.append(f"n = {suppress_small(n_individuals)} individuals")
    bits.append(f"{n:,} variants")
    ax.text(0.03, 0.97, "\n".join(bits), transform=ax.transAxes, va="top", ha="left", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    return _save(fig, path)

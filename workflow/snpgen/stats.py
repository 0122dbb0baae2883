"""Small torch-free statistics shared by the models, the sampler and the evaluation."""
from __future__ import annotations

import numpy as np


def auc(y, score) -> float:
    """ROC AUC by the rank (Mann-Whitney) formula, ties counted half.

    ``y``: 1 = case, 0 = control (bool accepted); other labels (-1 = missing) are left out.
    NaN when only one class is present. The one AUC of the package (phenotype head during
    training, TSTR/TRTR utility, membership inference, PRS).
    """
    from scipy.stats import rankdata

    y = np.asarray(y)
    if y.dtype == bool:
        y = y.astype(np.int8)
    score = np.asarray(score, dtype=np.float64)
    ok = (y == 0) | (y == 1)
    if not ok.all():
        y, score = y[ok], score[ok]
    case = y == 1
    n1 = int(case.sum())
    n0 = int(y.size - n1)
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(score)
    return float((r[case].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


# --------------------------------------------------------------------------- LD, HWE


def ld_windows(chrom: np.ndarray, window: int) -> list[np.ndarray]:
    """Consecutive non-overlapping windows of ``window`` SNPs, never spanning two chromosomes.

    SNPs must be in genomic order; a chromosome's last window may be shorter (>= 2 SNPs kept).
    """
    chrom = np.asarray(chrom).astype(str)
    out = []
    start = 0
    n = chrom.size
    while start < n:
        end = start
        while end < n and chrom[end] == chrom[start]:
            end += 1
        for w0 in range(start, end, window):
            w = np.arange(w0, min(end, w0 + window))
            if w.size >= 2:
                out.append(w)
        start = end
    return out


def r2_matrix(G: np.ndarray) -> np.ndarray:
    """Pairwise squared Pearson correlation of the columns of G (missing -> column mean).

    Monomorphic columns give NaN rows/columns.
    """
    X = np.asarray(G).astype(np.float64)
    miss = X < 0
    if miss.any():
        Xm = np.where(miss, np.nan, X)
        mu = np.nanmean(Xm, axis=0)
        X = np.where(miss, mu, X)
    X = X - X.mean(axis=0)
    sd = np.sqrt((X ** 2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        Z = X / sd
        R = Z.T @ Z
    R[:, sd == 0] = np.nan
    R[sd == 0, :] = np.nan
    return np.clip(R, -1, 1) ** 2


def ld_pairs(G: np.ndarray, windows: list[np.ndarray]) -> np.ndarray:
    """Upper-triangle r2 of every window, concatenated in window order."""
    vals = []
    for w in windows:
        R = r2_matrix(G[:, w])
        iu = np.triu_indices(w.size, k=1)
        vals.append(R[iu])
    return np.concatenate(vals) if vals else np.array([])


def hwe_exact_p(G: np.ndarray) -> np.ndarray:
    """Per-SNP Hardy-Weinberg exact test p-value (Wigginton, Cutler & Abecasis 2005; the test of
    plink2 ``--hardy``) from the genotype counts; NaN for monomorphic SNPs. (A chi-square
    approximation disagreed with it in the tail that matters, p < 1e-6, on the demo.)"""
    G = np.asarray(G)
    counts = np.stack([(G == k).sum(axis=0) for k in (0, 1, 2)], axis=1).astype(np.int64)
    return np.array([_hwe_exact_one(*c) for c in counts])


def _hwe_exact_one(n0: int, n1: int, n2: int) -> float:
    n = n0 + n1 + n2
    rare = min(2 * n2 + n1, 2 * n0 + n1)  # copies of the rarer allele
    if n == 0 or rare == 0:
        return float("nan")
    mid = rare * (2 * n - rare) // (2 * n)
    if (mid % 2) != (rare % 2):
        mid += 1
    # heterozygote counts below and above the mode, each step's probability ratio, cumulated
    h_dn = np.arange(mid, 1, -2, dtype=np.float64)  # h -> h - 2
    homr_dn = (rare - h_dn) / 2
    homc_dn = n - h_dn - homr_dn
    down = np.cumprod(h_dn * (h_dn - 1) / (4 * (homr_dn + 1) * (homc_dn + 1)))
    h_up = np.arange(mid, min(rare, n) - 1, 2, dtype=np.float64)  # h -> h + 2
    homr_up = (rare - h_up) / 2
    homc_up = n - h_up - homr_up
    up = np.cumprod(4 * homr_up * homc_up / ((h_up + 2) * (h_up + 1)))
    probs = np.concatenate([down[::-1], [1.0], up])  # het counts mid - 2k ... mid ... mid + 2k
    hets = np.concatenate([h_dn[::-1] - 2, [mid], h_up + 2])
    p_obs = probs[np.searchsorted(hets, n1)] if n1 in hets else 0.0
    return float(min(1.0, probs[probs <= p_obs * (1 + 1e-7)].sum() / probs.sum()))


def resampled_hwe_shares(G: np.ndarray, hwe_p: float, reps: int = 4, seed: int = 0) -> list[float]:
    """The HWE failure share (exact test p < ``hwe_p``) of each of ``reps`` bootstrap resamples of
    ``G``'s people (same size, with replacement): their genotype frequencies plus fresh sampling
    noise, the share a faithful generator's draw reaches (above ``G``'s own where many SNPs sit near
    the threshold, as on pooled ancestries)."""
    rng = np.random.default_rng([int(seed), 19])
    shares = []
    for _ in range(int(reps)):
        hp = hwe_exact_p(G[rng.integers(0, len(G), len(G))])
        shares.append(float(np.mean(hp[np.isfinite(hp)] < hwe_p)))
    return shares

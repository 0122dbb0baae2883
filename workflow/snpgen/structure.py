"""Population structure of a genotype matrix: PCA and ancestry clusters (torch-free).

Shared by the model (the VAE's ancestry head, the diffusion's cluster conditioning) and the
evaluation (structure fidelity), so that both see the same PCs and the same clusters.
Genotypes are int8 ALT-allele counts 0/1/2 with -1 = missing.
"""
from __future__ import annotations

import numpy as np


def allele_frequencies(G: np.ndarray) -> np.ndarray:
    """Frequency of the counted allele per SNP over non-missing calls (NaN if none)."""
    G = np.asarray(G)
    obs = G >= 0
    n = obs.sum(axis=0)
    s = np.where(obs, G, 0).sum(axis=0, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / (2.0 * n), np.nan)


def het_from_genotypes(G: np.ndarray) -> np.ndarray:
    """Method-of-moments inbreeding F per individual, as plink2 --het: expected homozygosity from these
    people's allele frequencies, monomorphic SNPs left out (the evaluation's check, the read-out calibration)."""
    G = np.asarray(G)
    p = allele_frequencies(G)
    obs = G >= 0
    ok = np.isfinite(p) & (p > 0) & (p < 1)
    hom = ((G == 0) | (G == 2)) & obs & ok
    e_hom = np.where(obs & ok, 1 - 2 * p * (1 - p), 0).sum(axis=1)
    n = (obs & ok).sum(axis=1)
    return (hom.sum(axis=1) - e_hom) / (n - e_hom)


def standardise(G: np.ndarray, p: np.ndarray) -> np.ndarray:
    """z = (x - 2p) / sqrt(2p(1-p)); missing and monomorphic SNPs -> 0."""
    X = np.asarray(G).astype(np.float32)
    p = np.asarray(p, dtype=np.float64)
    sd = np.sqrt(2 * p * (1 - p))
    ok = np.isfinite(sd) & (sd > 0)
    Z = np.zeros_like(X)
    Z[:, ok] = ((X[:, ok] - 2 * p[ok]) / sd[ok]).astype(np.float32)
    Z[np.asarray(G) < 0] = 0.0
    return Z


def fit_pca(G_ref: np.ndarray, n_pcs: int = 10) -> dict:
    """PCA on standardised real genotypes (eigen-decomposition of the SNP x SNP Gram matrix)."""
    p = allele_frequencies(G_ref)
    Z = standardise(G_ref, p).astype(np.float64)
    C = Z.T @ Z / max(1, Z.shape[0] - 1)
    w, V = np.linalg.eigh(C)
    order = np.argsort(w)[::-1][:n_pcs]
    V = V[:, order]
    # fix signs for reproducibility: largest-|loading| entry positive
    s = np.sign(V[np.abs(V).argmax(axis=0), np.arange(V.shape[1])])
    s[s == 0] = 1
    return {"p": p, "loadings": V * s, "eigenvalues": w[order],
            "explained_variance_ratio": w[order] / max(np.sum(w), 1e-300)}


def project(G: np.ndarray, pca: dict) -> np.ndarray:
    """Scores of G on fitted PCs (standardised with the reference allele frequencies)."""
    return standardise(G, pca["p"]).astype(np.float64) @ pca["loadings"]


def pc_wasserstein(pc_ref: np.ndarray, pc_other: np.ndarray, w_ref: np.ndarray | None = None,
                   w_other: np.ndarray | None = None) -> list[float]:
    """Per-PC 1-D Wasserstein distance of ``pc_other``'s scores to ``pc_ref``'s, in SD of the
    reference score (1 where it is 0); ``w_ref`` / ``w_other``: weights of the people."""
    from scipy.stats import wasserstein_distance

    sd = pc_ref.std(axis=0)
    sd[sd == 0] = 1.0
    return [float(wasserstein_distance(pc_ref[:, j], pc_other[:, j], w_ref, w_other) / sd[j])
            for j in range(pc_ref.shape[1])]


def fit_clusters(pc_real: np.ndarray, *, max_clusters: int = 6, min_size: int = 10, seed: int = 0):
    """Gaussian mixture on the real-training PC scores; the number of clusters (1..max) by BIC.

    Only solutions in which every cluster holds at least ``min_size`` real training people are
    considered (a smaller cluster would describe a group too small to report). Seeded and
    deterministic. Returns the fitted ``sklearn.mixture.GaussianMixture``.
    """
    from sklearn.mixture import GaussianMixture

    best, best_bic = None, np.inf
    for c in range(1, max(1, int(max_clusters)) + 1):
        if c > 1 and c * min_size > pc_real.shape[0]:
            break
        gm = GaussianMixture(c, covariance_type="full", n_init=3, random_state=seed, reg_covar=1e-4)
        gm.fit(pc_real)
        sizes = np.bincount(gm.predict(pc_real), minlength=c)
        bic = gm.bic(pc_real)
        if (c == 1 or sizes.min() >= min_size) and bic < best_bic:
            best, best_bic = gm, bic
    return best


def ridge_ratio(gm, i: int, j: int, n_points: int = 101) -> float:
    """How far the density of mixture components ``i`` and ``j`` (their weighted sum) dips on the
    straight line between their means: its minimum there over the lower of its two end values.
    1 = no dip (one unimodal group, e.g. a skewed population that BIC fits with two components);
    near 0 = two separate modes (Hennig 2010, "Methods for merging Gaussian mixture components",
    the ridgeline ratio, here on the straight segment, which dips at least as much)."""
    from scipy.stats import multivariate_normal

    t = np.linspace(0.0, 1.0, n_points)[:, None]
    line = gm.means_[i] * (1.0 - t) + gm.means_[j] * t
    f = sum(gm.weights_[c] * multivariate_normal.pdf(line, gm.means_[c], gm.covariances_[c], allow_singular=True)
            for c in (i, j))
    f = np.atleast_1d(f)
    low = min(f[0], f[-1])
    return float(f.min() / low) if low > 0 else 0.0


def merge_components(gm, min_ratio: float | None) -> np.ndarray:
    """Cluster (0..M-1) of each mixture component: components joined (transitively) wherever their
    :func:`ridge_ratio` is at least ``min_ratio``, so that clusters are modes of the PC density,
    not pieces of one population's cloud. ``None``: every component its own cluster. Clusters are
    numbered by their first component."""
    from scipy.sparse.csgraph import connected_components

    k = int(gm.n_components)
    joined = np.eye(k, dtype=bool)
    if min_ratio is not None:
        for i in range(k):
            for j in range(i + 1, k):
                joined[i, j] = ridge_ratio(gm, i, j) >= min_ratio
    return connected_components(joined, directed=False)[1].astype(np.int64)


BULK_PCS = 10  # PCs n+1..10 stand for the noise bulk of the eigenvalues (signal_pcs)


def signal_pcs(eigenvalues: np.ndarray, n_pcs: int, min_ratio: float) -> int:
    """How many of the leading ``n_pcs`` PCs stand out of the noise: consecutive leading PCs whose
    eigenvalue is at least ``min_ratio`` x the median eigenvalue of PCs n_pcs+1..10. Continental
    structure gives ratios of 4-10; a homogeneous cohort's leading PCs (LD blocks of the selected
    SNPs) 1.3-1.7, and a mixture fitted on them splits a continuum into clusters that are not
    populations."""
    ev = np.asarray(eigenvalues, dtype=float)
    bulk = float(np.median(ev[n_pcs:BULK_PCS])) if len(ev) > n_pcs else 0.0
    k = 0
    while k < min(n_pcs, len(ev)) and bulk > 0 and ev[k] >= min_ratio * bulk:
        k += 1
    return k


def fit_ancestry_clusters(G: np.ndarray, *, n_pcs: int = 4, max_clusters: int = 6, min_size: int = 50,
                          seed: int = 0, min_eigen_ratio: float = 0.0) -> dict:
    """PCA on ``G``'s own leading ``n_pcs`` PCs and a Gaussian mixture (:func:`fit_clusters`) on
    their scores: {"pca", "mixture", "n" (K), "cluster" (each row of G's cluster, 0..K-1)}.
    With ``min_eigen_ratio`` only the PCs that stand out of the noise (:func:`signal_pcs`) are used,
    and none standing out means one cluster."""
    pca = fit_pca(G, max(n_pcs, BULK_PCS) if min_eigen_ratio else n_pcs)
    use = signal_pcs(pca["eigenvalues"], n_pcs, min_eigen_ratio) if min_eigen_ratio else n_pcs
    pca = {**pca, "loadings": pca["loadings"][:, :use]}
    if use == 0:
        return {"pca": pca, "mixture": None, "n": 1, "cluster": np.zeros(len(G), dtype=np.int64)}
    pcs = project(G, pca)
    gm = fit_clusters(pcs, max_clusters=max_clusters, min_size=min_size, seed=seed)
    return {"pca": pca, "mixture": gm, "n": int(gm.n_components), "cluster": gm.predict(pcs).astype(np.int64)}


def assign_clusters(G: np.ndarray, fit: dict) -> np.ndarray:
    """Clusters of other people (e.g. the validation split) under a :func:`fit_ancestry_clusters` fit."""
    if fit["mixture"] is None:
        return np.zeros(len(G), dtype=np.int64)
    return fit["mixture"].predict(project(G, fit["pca"])).astype(np.int64)


def ancestry_clusters(G: np.ndarray, *, n_pcs: int = 4, max_clusters: int = 6, min_size: int = 50,
                      seed: int = 0) -> tuple[np.ndarray, int]:
    """Each person's ancestry cluster (0..K-1) and K (:func:`fit_ancestry_clusters`)."""
    fit = fit_ancestry_clusters(G, n_pcs=n_pcs, max_clusters=max_clusters, min_size=min_size, seed=seed)
    return fit["cluster"], fit["n"]


def cluster_genotype_freqs(G: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Genotype frequencies (K, 3, L) of imputed 0/1/2 genotypes within each cluster."""
    out = np.zeros((n_clusters, 3, G.shape[1]))
    for c in range(n_clusters):
        Gc = G[cluster == c]
        for g in range(3):
            out[c, g] = (Gc == g).mean(axis=0) if len(Gc) else np.nan
    return out


def cluster_shares(cluster: np.ndarray, y: np.ndarray, n_clusters: int) -> dict:
    """Cluster shares among controls ("0"), cases ("1") and everyone ("all"); a class without
    labelled people gets the overall shares."""
    def shares(c):
        return (np.bincount(c, minlength=n_clusters) / max(len(c), 1)).tolist()

    every = shares(cluster)
    return {"0": shares(cluster[y == 0]) if (y == 0).any() else every,
            "1": shares(cluster[y == 1]) if (y == 1).any() else every, "all": every}


def draw_clusters(y: np.ndarray, shares: dict, seed: int) -> np.ndarray:
    """A cluster per synthetic person: within each class, counts allotted by the largest
    remainder of n_class x share (so a 10 % cluster gets its 10 %), in a seeded random order."""
    rng = np.random.default_rng([int(seed), 11])
    out = np.zeros(len(y), dtype=np.int64)
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        share = np.asarray(shares.get(str(int(cls)), shares["all"]), dtype=np.float64)
        want = len(idx) * share / share.sum()
        counts = np.floor(want).astype(np.int64)
        counts[np.argsort(counts - want)[: len(idx) - counts.sum()]] += 1
        out[rng.permutation(idx)] = np.repeat(np.arange(len(share)), counts)
    return out

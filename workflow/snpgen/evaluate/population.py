"""A population-statistics reference for the NNAA privacy loss.

The privacy loss (AA_TS with held-out people as the reference minus AA_TS with training people) is
not 0 for a generator that copies no one: anything fitted on the training split sits a little closer
to its people than to unseen ones, and the more so the closer its draws sit to real people. A
generator whose draws are far from everyone scores about 0 whatever it learnt (the per-class
allele-frequency baseline). benchmarks/README.md (section 3, session 13) measures this on the demo.

So the evaluation puts a reference beside each cohort's loss: per phenotype class and ancestry
cluster of the training split, an order-k Markov chain over genotypes along the SNP order (order 0:
genotype frequencies; 1: each SNP given the previous SNP's genotype; ...), fitted on counts only, so
it keeps no individual. Its conditional distributions are sharpened (p ** (1 / s), renormalised)
until its draws sit as close to real people as the synthetic cohort's (the same ``aa_truth`` with the
training split as the reference: the share of real people whose nearest real neighbour is closer
than their nearest synthetic one). Its privacy loss is what population statistics alone cost at this
training size and closeness.
"""
from __future__ import annotations

import numpy as np

from . import privacy

SHARPEN_RANGE = (0.3, 1.0)  # s searched in this range; s = 1 draws from the fitted counts as they are
SEARCH_STEPS = 4  # bisection steps on s (the range shrinks 16-fold: s to within 0.03)


def markov_chain(X: np.ndarray, n: int, order: int, rng: np.random.Generator, *, sharpen: float = 1.0,
                 pseudo: float = 0.5) -> np.ndarray:
    """``n`` int8 genotype rows from an order-``order`` Markov chain along the columns of ``X``
    (complete 0/1/2): P(g_j | the ``order`` preceding genotypes) from the counts in X plus
    ``pseudo``, raised to 1 / ``sharpen`` and renormalised."""
    X = np.asarray(X, dtype=np.int64)
    N, L = X.shape
    G = np.zeros((int(n), L), np.int8)
    for j in range(L):
        k = min(int(order), j)
        ctx_x, ctx_g = np.zeros(N, np.int64), np.zeros(int(n), np.int64)
        for i in range(1, k + 1):
            ctx_x, ctx_g = ctx_x * 3 + X[:, j - i], ctx_g * 3 + G[:, j - i]
        counts = np.bincount(ctx_x * 3 + X[:, j], minlength=3 ** (k + 1)).reshape(-1, 3) + float(pseudo)
        p = (counts / counts.sum(1, keepdims=True)) ** (1.0 / float(sharpen))
        cdf = (p / p.sum(1, keepdims=True)).cumsum(1)[ctx_g]
        G[:, j] = (rng.random(int(n))[:, None] > cdf[:, :2]).sum(1)
    return G


def draw_reference(X: np.ndarray, groups: np.ndarray, n: int, order: int, sharpen: float, seed: int) -> np.ndarray:
    """:func:`markov_chain` fitted and drawn per group of rows of ``X`` (phenotype class x ancestry
    cluster), ``n`` rows in all in the groups' shares."""
    rng = np.random.default_rng([int(seed), 61])
    keys, counts = np.unique(groups, return_counts=True)
    sizes = np.diff(np.round(np.concatenate([[0], np.cumsum(counts)]) / counts.sum() * int(n)).astype(int))
    return np.concatenate([markov_chain(X[groups == k], int(m), order, rng, sharpen=sharpen)
                           for k, m in zip(keys, sizes)])


def reference_groups(T: np.ndarray, y: np.ndarray, P: dict, seed: int) -> np.ndarray:
    """One group per training row: phenotype class x ancestry cluster (a Gaussian mixture on T's
    leading PCs with the structure check's settings ``P``, the evaluation's parameters)."""
    from .. import structure

    fit = structure.fit_ancestry_clusters(T, n_pcs=int(P["structure_n_pcs"]),
                                          max_clusters=int(P["structure_max_clusters"]), seed=seed,
                                          min_eigen_ratio=float(P["structure_eigen_ratio"]))
    return np.asarray(y, dtype=np.int64) * 100 + fit["cluster"]


def closeness_matched(target_aa_truth: float, T: np.ndarray, H: np.ndarray, groups: np.ndarray, *, n: int,
                      order: int, seed: int, **distance_kw) -> dict:
    """The reference chain sharpened until its ``aa_truth`` (training reference) is nearest to
    ``target_aa_truth`` (bisection on s in :data:`SHARPEN_RANGE`; s = 1 when even the unsharpened
    chain sits closer to real people than the target), scored with
    :func:`privacy.distance_privacy` with ``seed`` and its other settings ``distance_kw`` (the
    synthetic cohort's, so the T and H subsets are the same). T and H complete (imputed), ``groups``
    one per row of T, ``n`` reference rows."""
    def score(s: float) -> dict:
        S = draw_reference(T, groups, n, order, s, seed)
        nn = privacy.distance_privacy(S, T, H, seed=seed, **distance_kw)["nnaa"]
        return {"sharpen": s, "aa_truth": nn["train_reference"]["aa_truth"], "aa_ts": nn["aa_ts"],
                "privacy_loss": nn["privacy_loss"]}

    lo, hi = SHARPEN_RANGE
    best = score(hi)
    if best["aa_truth"] > target_aa_truth:
        for _ in range(SEARCH_STEPS):
            r = score(0.5 * (lo + hi))
            if abs(r["aa_truth"] - target_aa_truth) < abs(best["aa_truth"] - target_aa_truth):
                best = r
            lo, hi = (r["sharpen"], hi) if r["aa_truth"] < target_aa_truth else (lo, r["sharpen"])
    return {"order": int(order), "target_aa_truth": float(target_aa_truth), "n_rows": int(n), **best}

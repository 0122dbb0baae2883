#!/usr/bin/env python
"""Where a synthetic cohort's excess of HWE failures sits on a pooled-ancestry cohort: within the
ancestry clusters, or between them (the Wahlund effect of differentiation and cluster shares).

    .venv/bin/python benchmarks/hwe_by_cluster.py <real bfile> <synthetic bfile> [<synthetic bfile> ...]
        [--p 1e-6] [--reps 5] [--seed 0]

Clusters: the evaluation's (PCA on the real training people, a Gaussian mixture on PC1-PC4),
synthetic people assigned to the nearest. Every number is taken on the real people's count: a
random subset of each synthetic cohort of that size ("pooled"), and one with the real cluster counts
("real shares"). The reference rows are bootstrap resamples of the real people (--reps, mean).

Columns: HWE failure share pooled; the same with the real cluster counts; the failure share inside
each cluster (the real cluster's size); the Wahlund F, mean over SNPs of the between-cluster
variance of allele frequency (weighted by cluster share) over pbar (1 - pbar); the mean per-SNP
inbreeding F inside the clusters (1 - observed / expected heterozygosity, share-weighted).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from snpgen import io, structure  # noqa: E402
from snpgen.stats import hwe_exact_p  # noqa: E402


def hwe_share(G: np.ndarray, p: float) -> float:
    return float((hwe_exact_p(G) < p).mean())


def snp_f(G: np.ndarray) -> np.ndarray:
    """Per-SNP inbreeding F: 1 - observed / expected heterozygosity (0 where the SNP is monomorphic)."""
    q = structure.allele_frequencies(G)
    exp = 2 * q * (1 - q)
    return np.where(exp > 0, 1 - (G == 1).mean(0) / np.where(exp > 0, exp, 1), 0.0)


def row(G: np.ndarray, cl: np.ndarray, k: int, p: float) -> dict:
    shares = np.bincount(cl, minlength=k) / len(cl)
    freqs = np.array([structure.allele_frequencies(G[cl == c]) for c in range(k)])  # (NaN for an empty cluster)
    pbar = np.nansum(freqs * shares[:, None], 0)
    var = np.nansum(shares[:, None] * (freqs - pbar) ** 2, 0)
    ok = (pbar > 0) & (pbar < 1)
    within = [hwe_share(G[cl == c], p) if (cl == c).sum() > 1 else np.nan for c in range(k)]
    f_in = np.nansum([shares[c] * snp_f(G[cl == c]).mean() for c in range(k) if (cl == c).sum() > 1])
    return {"pooled": hwe_share(G, p), "within": within, "wahlund_f": float(np.mean(var[ok] / (pbar * (1 - pbar))[ok])),
            "f_within": float(f_in), "shares": shares}


def take(cl: np.ndarray, counts: np.ndarray | None, n: int, rng: np.random.Generator,
         replace: bool = False) -> np.ndarray:
    """Indices: ``n`` at random, or ``counts[c]`` from each cluster c (with replacement if asked or short)."""
    if counts is None:
        return rng.choice(len(cl), n, replace=replace or len(cl) < n)
    out = [rng.choice(np.flatnonzero(cl == c), m, replace=replace or (cl == c).sum() < m)
           for c, m in enumerate(counts) if m and (cl == c).any()]  # (a cluster the cohort lacks stays empty)
    return np.concatenate(out)


def fmt(name: str, pooled: float, r: dict, shares: np.ndarray) -> str:
    """``pooled``: a random subset's share; ``r``: :func:`row` on the real cluster counts."""
    within = " / ".join(f"{w:.3f}" for w in r["within"])
    return (f"| {name} | {pooled:.3f} | {r['pooled']:.3f} | {within} | {r['wahlund_f']:.4f} | {r['f_within']:+.4f} "
            f"| {' / '.join(f'{s:.3f}' for s in shares)} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("real")
    ap.add_argument("synthetic", nargs="+")
    ap.add_argument("--p", type=float, default=1e-6)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    R = io.read_genotypes(a.real)
    R = np.where(R < 0, 0, R).astype(np.int8)  # (selected SNPs: call rate ~1; missing read as 0)
    fit = structure.fit_ancestry_clusters(R, n_pcs=4, min_size=50, seed=0)
    k, rc = fit["n"], fit["cluster"]
    counts = np.bincount(rc, minlength=k)
    print(f"{len(R)} real people x {R.shape[1]} SNPs, {k} clusters, counts {counts.tolist()}, HWE p < {a.p:g}\n")
    print("| cohort | HWE share pooled | with the real cluster counts | within clusters | Wahlund F | "
          "mean F within | cluster shares |")
    print("|---|---:|---:|---|---:|---:|---|")
    real = row(R, rc, k, a.p)
    print(fmt("real training", real["pooled"], real, counts / len(R)))
    boots = [row(R[i], rc[i], k, a.p) for i in (take(rc, counts, 0, rng, replace=True) for _ in range(a.reps))]
    mean = {key: np.mean([b[key] for b in boots], 0) for key in ("pooled", "within", "wahlund_f", "f_within")}
    print(fmt(f"real, resampled (mean of {a.reps})", float(mean["pooled"]), mean, counts / len(R)))
    for path in a.synthetic:
        S = io.read_genotypes(path)
        sc = structure.assign_clusters(S, fit)
        pooled = hwe_share(S[take(sc, None, len(R), rng)], a.p)
        same = take(sc, counts, 0, rng)
        print(fmt(Path(path).name, pooled, row(S[same], sc[same], k, a.p), np.bincount(sc, minlength=k) / len(S)))


if __name__ == "__main__":
    main()

"""Constructed genotype data with LD for the evaluation tests (shared by tests/test_evaluate_*.py)."""
from __future__ import annotations

import numpy as np
from scipy.stats import norm


def sim_geno(n: int, L: int, rng: np.random.Generator, rho: float = 0.9, p=None) -> np.ndarray:
    """Genotypes with LD: each haplotype thresholds a Gaussian AR(1) along the SNPs."""
    p = rng.uniform(0.1, 0.5, L) if p is None else p
    thr = norm.ppf(p)

    def haps():
        z = rng.standard_normal((n, L))
        for j in range(1, L):
            z[:, j] = rho * z[:, j - 1] + np.sqrt(1 - rho ** 2) * z[:, j]
        return (z < thr).astype(np.int8)

    return (haps() + haps()).astype(np.int8)

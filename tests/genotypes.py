"""Constructed genotype data with LD for the evaluation tests (shared by tests/test_evaluate_*.py)."""
from __future__ import annotations

import numpy as np
import polars as pl
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


def liability_pheno(G, causal, rng, h2=0.5, prevalence=0.3):
    """Liability-threshold phenotype (method.md): 1 case / 0 control, and the causal effects."""
    X = G[:, causal].astype(float)
    p = X.mean(0) / 2
    Z = (X - 2 * p) / np.sqrt(2 * p * (1 - p))
    beta = rng.normal(0, np.sqrt(h2 / len(causal)), len(causal))
    g = Z @ beta
    g = g / g.std() * np.sqrt(h2)
    liab = g + rng.normal(0, np.sqrt(1 - h2), G.shape[0])
    return (liab > norm.ppf(1 - prevalence)).astype(int), beta


def make_bim(L: int, n_chr: int = 2) -> pl.DataFrame:
    chrs = np.repeat(np.arange(1, n_chr + 1), int(np.ceil(L / n_chr)))[:L]
    return pl.DataFrame({"CHR": [str(c) for c in chrs], "ID": [f"rs{i}" for i in range(L)], "CM": [0.0] * L,
                         "POS": [10_000 + 4_000 * i for i in range(L)], "A1": ["A"] * L, "A2": ["G"] * L})


def make_fam(ids, y=None) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame({"FID": list(ids), "IID": list(ids), "SEX": [0] * n,
                         "PHENO": (["2" if v else "1" for v in y] if y is not None else ["-9"] * n)})

"""Torch-free genotype and label helpers shared by the baseline, the models and the sampler.

Genotypes are int8 ALT-allele counts 0/1/2 with -1 = missing (as :func:`snpgen.io.read_genotypes`
returns them); labels are 1 = case, 0 = control, -1 = missing. Nothing here imports torch, so
the baseline generator (``sample_baseline`` rule, python env) runs without it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def allele_freqs(X: np.ndarray) -> np.ndarray:
    """ALT allele frequency per SNP over observed calls (-1 = missing); 0.5 where nothing is observed."""
    obs = X >= 0
    n = obs.sum(0)
    s = np.where(obs, X, 0).sum(0, dtype=np.int64)
    return np.where(n > 0, s / np.maximum(2 * n, 1), 0.5)


def genotype_freqs(X: np.ndarray) -> np.ndarray:
    """(3, L) frequency of genotypes 0/1/2 per SNP over observed calls."""
    obs = X >= 0
    n = np.maximum(obs.sum(0), 1)
    return np.stack([(X == g).sum(0) / n for g in range(3)])


def impute_missing(X: np.ndarray, af: np.ndarray, seed: int | np.random.Generator) -> np.ndarray:
    """Replace -1 by a Binomial(2, af_j) draw (af from the training split), reproducibly."""
    X = np.asarray(X, dtype=np.int8)
    miss = X < 0
    if not miss.any():
        return X.copy()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = X.copy()
    cols = np.nonzero(miss)[1]
    out[miss] = rng.binomial(2, np.clip(af[cols], 0.0, 1.0)).astype(np.int8)
    return out


def binary_labels(y) -> np.ndarray | None:
    """0/1 labels, anything else (missing) -> -1; None stays None."""
    if y is None:
        return None
    y = np.asarray(y).astype(np.int64)
    return np.where((y == 0) | (y == 1), y, -1)


def pheno_labels(pheno) -> np.ndarray:
    """.fam PHENO values -> int8 1 (2 = case), 0 (1 = control), -1 (missing: -9, 0, NA, ...).

    The one .fam label decoder (training, sampling, baseline, evaluation): "2.0" / "1.0", as some
    tools write them, read as 2 / 1.
    """
    ph = np.asarray([str(v).strip() for v in pheno], dtype=object)
    y = np.full(ph.size, -1, dtype=np.int8)
    y[np.isin(ph, ["2", "2.0"])] = 1
    y[np.isin(ph, ["1", "1.0"])] = 0
    return y


def fam_labels(prefix: str | Path) -> np.ndarray:
    """Labels of a fileset's .fam (:func:`pheno_labels`)."""
    from .io import read_fam

    return pheno_labels(read_fam(prefix)["PHENO"].to_list())


def bed_prefix(path: str | Path) -> str:
    """``x.bed`` -> ``x`` (a prefix is returned as is)."""
    s = str(path)
    return s[:-4] if s.endswith(".bed") else s


__all__ = ["allele_freqs", "genotype_freqs", "impute_missing", "binary_labels", "pheno_labels", "fam_labels",
           "bed_prefix"]

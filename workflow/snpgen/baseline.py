"""Reference generators: the independent per-SNP allele-frequency sampler per class (the "safe"
baseline) and, for calibrating the privacy attacks only, a "leaky" copy of training records.

Baseline: independent per-SNP allele-frequency sampler per class.

Genotype of SNP j for a synthetic individual of class c ~ Binomial(2, p_cj), p_cj = ALT
allele frequency among training individuals of class c (observed calls only). It keeps
per-class marginal frequencies (so much of the marginal association signal) and no LD at all:
the bar the latent diffusion model has to beat.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from . import io
from .genotypes import allele_freqs


def class_allele_freqs(X: np.ndarray, y: np.ndarray) -> dict[int, np.ndarray]:
    """{0: p_control (L,), 1: p_case (L,)} from observed calls (-1 = missing); labels other than 0/1 ignored."""
    X = np.asarray(X)
    y = np.asarray(y)
    out = {}
    for c in (0, 1):
        Xc = X[y == c]
        if Xc.shape[0] == 0:
            raise ValueError(f"no training individuals of class {c}: cannot fit the baseline")
        out[c] = allele_freqs(Xc)
    return out


def sample_baseline(X: np.ndarray, y: np.ndarray, n: int, case_fraction: float, seed: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Return (G int8 (n, L), y int8 (n,)) drawn from the per-class allele-frequency model."""
    from .sample import make_labels

    p = class_allele_freqs(X, y)
    ys = make_labels(n, case_fraction, seed)
    rng = np.random.default_rng([int(seed), 11])
    G = np.empty((int(n), X.shape[1]), dtype=np.int8)
    for c in (0, 1):
        idx = np.flatnonzero(ys == c)
        if len(idx):
            G[idx] = rng.binomial(2, p[c][None, :], size=(len(idx), X.shape[1])).astype(np.int8)
    return G, ys


def sample_baseline_files(train_bed: str, out_bed: str, out_pheno: str, n: int | None = None,
                          case_fraction: float | None = None, seed: int = 1, out_bim: str | None = None,
                          out_fam: str | None = None, log: Callable[[str], None] = print) -> dict:
    """Fit the baseline on the training fileset and write a synthetic PLINK cohort + phenotype table.

    ``case_fraction=None`` uses the training case fraction; ``n=None`` the training size.
    """
    from .genotypes import bed_prefix, fam_labels
    from .sample import _check_outputs, write_cohort

    prefix = _check_outputs(out_bed, out_bim, out_fam)
    tr = bed_prefix(train_bed)
    X = io.read_genotypes(tr)
    y = fam_labels(tr)
    lab = y >= 0
    cf = float(case_fraction) if case_fraction is not None else float(y[lab].mean())
    n = int(n) if n is not None else int(len(y))
    t0 = time.perf_counter()
    G, ys = sample_baseline(X, y, n, cf, seed)
    write_cohort(prefix, G, ys, io.read_bim(tr), out_pheno)
    log(f"baseline (per-class allele frequencies): {n} individuals x {G.shape[1]} SNPs, {int(ys.sum())} cases "
        f"(case fraction {cf:.3f}), fitted on {int(lab.sum())} labelled training individuals; "
        f"{time.perf_counter() - t0:.1f}s")
    return {"n": n, "n_snps": int(G.shape[1]), "case_fraction": cf, "n_cases": int(ys.sum()), "seed": int(seed)}


# --------------------------------------------------------------------------- leaky calibration reference


def sample_leaky(X: np.ndarray, y: np.ndarray, n: int, share: float, seed: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A generator that leaks by construction (calibration reference, never for release).

    ``n`` labelled training records (without replacement while there are enough, then with),
    each keeping its own label, with a share ``share`` of the genotypes redrawn at random from
    Binomial(2, p_j) (p_j = training allele frequency; missing calls are always redrawn).
    Returns (G int8 (n, L), y int8 (n,)).
    """
    if not 0.0 <= float(share) <= 1.0:
        raise ValueError(f"leaky resample share must be in [0, 1], got {share}")
    X = np.asarray(X)
    y = np.asarray(y)
    lab = np.flatnonzero((y == 0) | (y == 1))
    if lab.size == 0:
        raise ValueError("no labelled training individuals: cannot build the leaky reference")
    rng = np.random.default_rng([int(seed), 13])
    n = int(n)
    src = rng.choice(lab, size=n, replace=n > lab.size)
    G = X[src].astype(np.int8, copy=True)
    p = np.nan_to_num(allele_freqs(X), nan=0.0)
    redraw = (rng.random(G.shape) < float(share)) | (G < 0)
    draws = rng.binomial(2, np.broadcast_to(p, G.shape)[redraw]).astype(np.int8)
    G[redraw] = draws
    return G, y[src].astype(np.int8)


def sample_leaky_files(train_bed: str, out_bed: str, out_pheno: str, n: int | None = None, share: float = 0.01,
                       seed: int = 1, out_bim: str | None = None, out_fam: str | None = None,
                       log: Callable[[str], None] = print) -> dict:
    """Write the leaky calibration reference (:func:`sample_leaky`) as a synthetic PLINK cohort."""
    from .genotypes import bed_prefix, fam_labels
    from .sample import _check_outputs, write_cohort

    prefix = _check_outputs(out_bed, out_bim, out_fam)
    tr = bed_prefix(train_bed)
    X = io.read_genotypes(tr)
    y = fam_labels(tr)
    n = int(n) if n is not None else int(len(y))
    t0 = time.perf_counter()
    G, ys = sample_leaky(X, y, n, share, seed)
    write_cohort(prefix, G, ys, io.read_bim(tr), out_pheno)
    log(f"leaky calibration reference: {n} copies of training records with {share:.2%} of genotypes redrawn, "
        f"{G.shape[1]} SNPs; {time.perf_counter() - t0:.1f}s (never for release)")
    return {"n": n, "n_snps": int(G.shape[1]), "share": float(share), "seed": int(seed)}

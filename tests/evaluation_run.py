"""One small constructed evaluation (real plink2 runs, a few seconds): the metrics JSON that
:func:`snpgen.evaluate.evaluate_generator` writes, with every optional part present (a baseline
cohort for ``vs_baseline``, a truth file for causal recovery, true effects and ancestry)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import norm

from genotypes import sim_geno
from snpgen import io
from snpgen.evaluate import evaluate_generator
from snpgen.gwas import plink_glm_path
from snpgen.plink import plink2


def _bim(L: int, n_chr: int = 2) -> pl.DataFrame:
    chrs = np.repeat(np.arange(1, n_chr + 1), int(np.ceil(L / n_chr)))[:L]
    return pl.DataFrame({"CHR": [str(c) for c in chrs], "ID": [f"rs{i}" for i in range(L)], "CM": [0.0] * L,
                         "POS": [10_000 + 4_000 * i for i in range(L)], "A1": ["A"] * L, "A2": ["G"] * L})


def _fam(ids, y) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame({"FID": list(ids), "IID": list(ids), "SEX": [0] * n,
                         "PHENO": ["2" if v else "1" for v in y]})


def _pheno(G, causal, rng, h2=0.6, prevalence=0.3):
    X = G[:, causal].astype(float)
    p = X.mean(0) / 2
    beta = rng.normal(0, np.sqrt(h2 / len(causal)), len(causal))
    g = ((X - 2 * p) / np.sqrt(2 * p * (1 - p))) @ beta
    liab = g / g.std() * np.sqrt(h2) + rng.normal(0, np.sqrt(1 - h2), G.shape[0])
    return (liab > norm.ppf(1 - prevalence)).astype(int), beta


def constructed_metrics(root: Path, *, privacy_only: bool = False) -> dict:
    """Metrics of a 'synthetic' cohort of other real people from the same population, with the
    training copy as the baseline cohort; ``privacy_only``: the leaky calibration layout."""
    rng = np.random.default_rng(12)
    L, n = 120, 1200
    G = sim_geno(n, L, rng, 0.8)
    causal = rng.choice(L, 10, replace=False)
    y, beta = _pheno(G, causal, rng)
    bim = _bim(L)
    tr, te, other = np.arange(0, 500), np.arange(500, 800), np.arange(800, 1200)
    sel = root / "selection"
    io.write_bed(sel / "train", G[tr], _fam([f"R{i}" for i in tr], y[tr]), bim)
    io.write_bed(sel / "test", G[te], _fam([f"R{i}" for i in te], y[te]), bim)
    syn_ids = [f"SYN{i + 1:06d}" for i in range(len(other))]
    io.write_bed(root / "synthetic/holdout", G[other], _fam(syn_ids, y[other]), bim)
    io.write_bed(root / "synthetic/copy", G[tr[:400]], _fam(syn_ids, y[tr[:400]]), bim)
    plink2(["--bfile", sel / "train", "--glm", "allow-no-covars", "hide-covar"], root / "gwas/gwas")
    truth = root / "truth.json"
    truth.write_text(json.dumps({"diseases": {"toy": {"causal": [{"id": f"rs{c}", "beta": float(b)}
                                                                   for c, b in zip(causal, beta)]}},
                                 "ancestry": {f"R{i}": "EUR" for i in range(n)}}))
    params = {"bootstrap_n": 20, "privacy_max_n": 300, "king_max_n": 300, "ld_window": 30, "n_pcs": 4,
              "models": ["logreg"]}
    return evaluate_generator(train=str(sel / "train"), test=str(sel / "test"),
                              synthetic=str(root / "synthetic/holdout"),
                              real_gwas=str(plink_glm_path(root / "gwas/gwas", "firth-fallback", pheno="PHENO1")),
                              figdir=str(root / "figs"), workdir=str(root / "work"), params=params, thresholds={},
                              seed=3, truth_json=str(truth), disease="toy", generator="holdout",
                              baseline=str(root / "synthetic/copy"), privacy_only=privacy_only)

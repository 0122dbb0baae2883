"""One small constructed evaluation (real plink2 runs, a few seconds): the metrics JSON that
:func:`snpgen.evaluate.evaluate_generator` writes, with every optional part present (a baseline
cohort for ``vs_baseline``, a truth file for causal recovery, true effects and ancestry)."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from genotypes import liability_pheno, make_bim, make_fam, sim_geno
from snpgen import io
from snpgen.evaluate import evaluate_generator
from snpgen.gwas import plink_glm_path
from snpgen.plink import plink2


def write_constructed_evaluation(root: Path) -> SimpleNamespace:
    """Real-looking inputs of one evaluation under ``root``: 1,200 people x 120 SNPs with LD, a
    liability-threshold phenotype on 10 causal SNPs; selection/train (500) and selection/test (300);
    synthetic/holdout (400 other real people from the same population) and synthetic/copy (400
    training records); a plink2 GWAS of the training split; a truth file (causal effects, h2,
    prevalence, one ancestry). Returns the selection folder ``sel``, the GWAS table ``gwas``, the
    truth file ``truth``, and the data behind them: ``G``, ``y``, the training rows ``train``,
    ``bim`` and the synthetic IDs ``syn_ids``."""
    rng = np.random.default_rng(12)
    L, n = 120, 1200
    G = sim_geno(n, L, rng, 0.8)
    causal = rng.choice(L, 10, replace=False)
    y, beta = liability_pheno(G, causal, rng, h2=0.6)
    bim = make_bim(L)
    tr, te, other = np.arange(0, 500), np.arange(500, 800), np.arange(800, 1200)
    sel = root / "selection"
    io.write_bed(sel / "train", G[tr], make_fam([f"R{i}" for i in tr], y[tr]), bim)
    io.write_bed(sel / "test", G[te], make_fam([f"R{i}" for i in te], y[te]), bim)
    syn_ids = [f"SYN{i + 1:06d}" for i in range(len(other))]
    io.write_bed(root / "synthetic/holdout", G[other], make_fam(syn_ids, y[other]), bim)
    io.write_bed(root / "synthetic/copy", G[tr[:400]], make_fam(syn_ids, y[tr[:400]]), bim)
    plink2(["--bfile", sel / "train", "--glm", "allow-no-covars", "hide-covar"], root / "gwas/gwas")
    truth = root / "truth.json"
    truth.write_text(json.dumps({"diseases": {"toy": {"causal": [{"id": f"rs{c}", "beta": float(b)}
                                                                   for c, b in zip(causal, beta)],
                                                        "h2": 0.6, "prevalence": 0.3}},
                                 "ancestry": {f"R{i}": "EUR" for i in range(n)}}))
    return SimpleNamespace(sel=sel, gwas=plink_glm_path(root / "gwas/gwas", "firth-fallback", pheno="PHENO1"),
                           truth=truth, G=G, y=y, train=tr, bim=bim, syn_ids=syn_ids)


def constructed_metrics(root: Path, *, privacy_only: bool = False) -> dict:
    """Metrics of a 'synthetic' cohort of other real people from the same population, with the
    training copy as the baseline cohort; ``privacy_only``: the leaky calibration layout."""
    c = write_constructed_evaluation(root)
    sel, gwas, truth = c.sel, c.gwas, c.truth
    params = {"bootstrap_n": 20, "privacy_max_n": 300, "king_max_n": 300, "ld_window": 30, "n_pcs": 4,
              "models": ["logreg"]}
    return evaluate_generator(train=str(sel / "train"), test=str(sel / "test"),
                              synthetic=str(root / "synthetic/holdout"), real_gwas=str(gwas),
                              figdir=str(root / "figs"), workdir=str(root / "work"), params=params, thresholds={},
                              seed=3, truth_json=str(truth), disease="toy", generator="holdout",
                              baseline=str(root / "synthetic/copy"), privacy_only=privacy_only)

"""GWAS effects against independent references: the simulated true effects and held-out real people.

The training GWAS chose the selected SNPs, so its effects carry the selection's winner's curse;
a synthetic cohort learned from the training split inherits it. Two references do not:

- the **true effects** of a simulated cohort (truth.json: causal SNPs and their effects; absent
  for a real cohort, and then so are these numbers);
- a GWAS on the **held-out real people** (the test split), who took no part in the selection.

Every cohort (real train, real held-out, synthetic) gets the same GWAS, so the differences are the
cohorts' and not the models': plink2 --glm logistic (Firth fallback) adjusted for the leading PCs of
the selected SNPs (PCA fitted on real train, every cohort projected on it; without them the GWAS of
an ancestry-confounded trait is mostly ancestry). Outputs are per-SNP aggregates only.
Layout: ``fidelity.effects`` in docs/metrics.md.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from .fidelity import _pearson, align_betas, causal_recovery, read_glm, run_glm

COHORTS = ("real_train", "holdout", "synthetic")
EFFECT_SCALE = ("liability per allele: the simulated effect per standardised genotype / sqrt(2p(1-p)), "
                "p = real-train allele frequency; 0 for non-causal SNPs")


def significance_levels(levels, n_snps: int) -> dict[str, float]:
    """``evaluate.gwas_p_thresholds`` as {name: p}: numbers by their value, "bonferroni" = 0.05/K."""
    return {("bonferroni" if lev == "bonferroni" else f"{float(lev):g}"):
            (0.05 / n_snps if lev == "bonferroni" else float(lev)) for lev in levels}


def true_effects(causal: list[dict], ids, p: np.ndarray) -> np.ndarray:
    """Per-allele true effect of each SNP in ``ids`` (liability scale; 0 for non-causal SNPs).

    ``causal``: truth.json's ``[{id, beta}]``, beta per standardised genotype (snpgen.simulate);
    ``p``: frequency of the counted allele, which turns it into an effect per allele.
    """
    by_id = {str(c["id"]): float(c["beta"]) for c in causal}
    std = np.array([by_id.get(str(i), 0.0) for i in ids], float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_allele = std / np.sqrt(2 * p * (1 - p))
    return np.where(std == 0, 0.0, per_allele)


def agreement(beta: np.ndarray, reference: np.ndarray, mask: np.ndarray | None = None) -> dict:
    """How ``beta`` follows ``reference`` over the SNPs (in ``mask``) where both are finite:
    Pearson r, least-squares slope of beta on reference, sign concordance (reference != 0)."""
    beta, reference = np.asarray(beta, float), np.asarray(reference, float)
    ok = np.isfinite(beta) & np.isfinite(reference) & (True if mask is None else np.asarray(mask, bool))
    x, y = reference[ok], beta[ok]
    nz = x != 0
    return {"n_snps": int(ok.sum()), "correlation": _pearson(x, y),
            "slope": float(np.polyfit(x, y, 1)[0]) if ok.sum() >= 3 and np.std(x) > 0 else None,
            "sign_concordance": float(np.mean(np.sign(x[nz]) == np.sign(y[nz]))) if nz.any() else None}


def replication(beta: np.ndarray, beta_holdout: np.ndarray) -> dict:
    """How a cohort's effects replicate in held-out real people: Pearson r, sign concordance and the
    replication slope (held-out effect regressed on the cohort's: 1 = they replicate at full size,
    < 1 = overestimated, as the winner's curse leaves the training split's)."""
    a = agreement(beta_holdout, beta)
    return {"n_snps": a["n_snps"], "correlation": a["correlation"], "replication_slope": a["slope"],
            "sign_concordance": a["sign_concordance"]}


def pc_gwas(bfile: str | Path, pcs: np.ndarray, bim: pl.DataFrame, out: str | Path, *, threads: int = 1,
            memory_mb: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """plink2 --glm of a fileset adjusted for ``pcs`` (its rows' PC scores, .fam order; no column:
    no covariates); betas (.bim column-5 allele) and p-values in ``bim`` order."""
    from .. import io

    cov = None
    if pcs.shape[1]:
        fam = io.read_fam(bfile)
        cov = Path(f"{out}.covar")
        pl.DataFrame({"#FID": fam["FID"], "IID": fam["IID"],
                      **{f"PC{j + 1}": pcs[:, j] for j in range(pcs.shape[1])}}).write_csv(cov, separator="\t")
    glm = run_glm(bfile, out, threads=threads, memory_mb=memory_mb, covar=cov)
    return align_betas(read_glm(glm), bim)


def effects_metrics(gwas: dict, *, ids, levels: dict[str, float], n_pcs: int,
                    true_beta: np.ndarray | None = None) -> dict:
    """``fidelity.effects``: ``gwas`` maps each of COHORTS to its (beta, p) over the selected SNPs
    (None: no GWAS, e.g. a synthetic cohort with one class). With ``true_beta`` (simulated cohorts,
    :func:`true_effects`) the comparison with the true effects and the causal-SNP recovery
    (TPR/FDR at each of ``levels``) are added."""
    adj = (f"adjusted for PC1-PC{n_pcs} of the selected SNPs (PCA of real train, every cohort projected)"
           if n_pcs else "no covariates")
    out: dict = {"method": f"plink2 --glm logistic (Firth fallback), {adj}; log(OR) per .bim column-5 allele",
                 "n_pcs": int(n_pcs)}
    b_h = gwas["holdout"][0] if gwas.get("holdout") else None
    out["vs_holdout"] = {c: replication(gwas[c][0], b_h) if gwas.get(c) and b_h is not None else None
                         for c in ("real_train", "synthetic")}
    if true_beta is None:
        return out
    causal = true_beta != 0
    out["vs_truth"] = {"effect_scale": EFFECT_SCALE, "n_causal_selected": int(causal.sum()),
                       **{c: ({"all": agreement(gwas[c][0], true_beta),
                               "causal": agreement(gwas[c][0], true_beta, causal)}
                              if gwas.get(c) else None) for c in COHORTS}}
    ids_causal = np.asarray(ids)[causal]
    out["recovery"] = {name: {c: causal_recovery(gwas[c][1], ids, ids_causal, lev) if gwas.get(c) else None
                              for c in COHORTS} for name, lev in levels.items()}
    return out

"""Clumping + thresholding (C+T) polygenic risk score from the training-split GWAS.

1. plink1.9 --clump on the QC'd genome-wide cohort restricted to the training split (--keep),
   with a two-column (SNP, P) association file made from the plink2 --glm output.
2. plink2 --score of the validation split with every p-value threshold at once
   (--q-score-range over the clumped index SNPs; weight = log(OR) of the GWAS tested allele A1).
3. The threshold with the best validation AUC is chosen; the test split is scored once with it.
4. AUC of the PRS on test, and of PRS + PCs against PCs alone (logistic regressions fitted on
   validation, evaluated on test), with paired bootstrap CIs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from .fidelity import read_glm
from .utility import bootstrap_auc, diff_ci

# --------------------------------------------------------------------------- pure helpers


def label(t: float) -> str:
    """File-name-safe label of a p-value threshold (e.g. 5e-08 -> 'P5e-08')."""
    return "P" + f"{t:g}".replace("+", "")


def select_threshold(val_auc: dict[float, float]) -> float:
    """Threshold with the highest validation AUC; ties go to the smaller (sparser) threshold."""
    finite = {t: a for t, a in val_auc.items() if a is not None and np.isfinite(a)}
    if not finite:
        raise ValueError("no threshold has a finite validation AUC")
    best = max(finite.values())
    return min(t for t, a in finite.items() if a == best)


def usable_thresholds(index_p: np.ndarray, thresholds) -> list[float]:
    """Thresholds that keep at least one index SNP (plink2 rejects empty score ranges)."""
    index_p = np.asarray(index_p, float)
    return [float(t) for t in thresholds if np.any(index_p <= t)]


def read_pheno(path: str | Path) -> pl.DataFrame:
    """FID, IID, Y (1 case / 0 control) from a plink-coded (2 case / 1 control) table with header."""
    df = pl.read_csv(path, separator="\t", infer_schema_length=0)
    df = df.rename({c: c.lstrip("#") for c in df.columns})
    col = "PHENO" if "PHENO" in df.columns else df.columns[2]
    df = df.select(pl.col("FID").cast(pl.Utf8), pl.col("IID").cast(pl.Utf8),
                   pl.col(col).cast(pl.Float64, strict=False).alias("PH"))
    df = df.filter(pl.col("PH").is_in([1.0, 2.0]))
    return df.select("FID", "IID", (pl.col("PH") == 2.0).cast(pl.Int8).alias("Y"))


def read_covariates(path: str | Path, n_pcs: int) -> pl.DataFrame:
    """FID, IID, PC1..PC{n_pcs} (Float64) from the QC covariate table."""
    df = pl.read_csv(path, separator="\t", infer_schema_length=0)
    df = df.rename({c: c.lstrip("#") for c in df.columns})
    pcs = [f"PC{i}" for i in range(1, n_pcs + 1) if f"PC{i}" in df.columns]
    return df.select(pl.col("FID").cast(pl.Utf8), pl.col("IID").cast(pl.Utf8),
                     *[pl.col(c).cast(pl.Float64) for c in pcs])


def _fit_lr(X: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=1e4, max_iter=2000)).fit(X, y)


def prs_pcs_auc(prs_val, pcs_val, y_val, prs_test, pcs_test, y_test, *, n_boot=1000, seed=0,
                level=0.95) -> dict:
    """PRS alone, PCs alone and PRS + PCs on test (regressions fitted on validation).

    Returns AUCs with paired bootstrap CIs and the PRS+PCs minus PCs difference with its CI.
    """
    y_val = np.asarray(y_val).astype(int)
    y_test = np.asarray(y_test).astype(int)
    scores = {"prs": np.asarray(prs_test, float)}
    if pcs_val is not None and pcs_val.shape[1] > 0:
        m_pc = _fit_lr(pcs_val, y_val)
        m_all = _fit_lr(np.c_[prs_val, pcs_val], y_val)
        scores["pcs"] = m_pc.predict_proba(pcs_test)[:, 1]
        scores["prs_pcs"] = m_all.predict_proba(np.c_[prs_test, pcs_test])[:, 1]
    b = bootstrap_auc(y_test, scores, n_boot=n_boot, seed=seed, level=level)
    out = {k: {x: v[x] for x in ("auc", "ci_low", "ci_high")} for k, v in b.items()}
    if "pcs" in b:
        lo, hi = diff_ci(b["prs_pcs"]["replicates"], b["pcs"]["replicates"], level)
        out["delta_prs_pcs_vs_pcs"] = {"auc": b["prs_pcs"]["auc"] - b["pcs"]["auc"], "ci_low": lo, "ci_high": hi}
    return out


# --------------------------------------------------------------------------- plink steps


def write_clump_assoc(glm: pl.DataFrame, path: str | Path) -> Path:
    """Two-column (SNP, P) whitespace file for plink1.9 --clump; duplicate IDs keep the min P."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    glm.group_by("ID").agg(pl.col("P").min()).sort("ID").rename({"ID": "SNP"}).write_csv(path, separator="\t")
    return path


def run_clump(bfile: str | Path, keep: str | Path, assoc: str | Path, out: str | Path, *,
              r2: float = 0.1, kb: int = 250, p1: float = 1.0, p2: float = 1.0, threads: int = 1,
              memory_mb: int | None = None) -> list[str]:
    """plink1.9 --clump on ``bfile`` restricted to ``keep``; returns the index SNP IDs."""
    from ..plink import plink19

    plink19(["--bfile", bfile, "--keep", keep, "--clump", assoc, "--clump-field", "P",
             "--clump-snp-field", "SNP", "--clump-p1", f"{p1:g}", "--clump-p2", f"{p2:g}",
             "--clump-r2", f"{r2:g}", "--clump-kb", str(int(kb)), "--allow-no-sex"],
            out, threads=threads, memory_mb=memory_mb)
    clumped = Path(f"{out}.clumped")
    if not clumped.exists():
        return []
    ids = []
    with open(clumped) as fh:
        header = fh.readline().split()
        k = header.index("SNP")
        for line in fh:
            parts = line.split()
            if len(parts) > k:
                ids.append(parts[k])
    return ids


def _read_sscore(path: str | Path) -> pl.DataFrame:
    with open(path) as fh:
        header = fh.readline().lstrip("#").split()
        rows = [line.split() for line in fh if line.strip()]
    df = pl.DataFrame(rows, schema=header, orient="row")
    col = "SCORE1_AVG" if "SCORE1_AVG" in header else [c for c in header if c.endswith("_AVG")][0]
    return df.select(pl.col("FID"), pl.col("IID"), pl.col(col).cast(pl.Float64).alias("SCORE"))


def run_score(bfile: str | Path, keep: str | Path, weights: str | Path, out: str | Path, *,
              ranges: dict[str, float] | None = None, pvals: str | Path | None = None,
              threads: int = 1, memory_mb: int | None = None) -> dict[str, pl.DataFrame]:
    """plink2 --score (ID, allele, weight file with header) on ``keep`` individuals.

    With ``ranges`` ({label: p threshold}) and ``pvals`` (ID, P with header) every threshold is
    scored in one pass (--q-score-range). Returns {label or 'all': DataFrame FID, IID, SCORE}
    where SCORE is plink2's per-allele average (missing calls mean-imputed).
    """
    from ..plink import plink2

    out = Path(out)
    args = ["--bfile", bfile, "--keep", keep, "--score", weights, "1", "2", "3", "header",
            "cols=fid,nallele,scoreavgs"]
    if ranges:
        rfile = out.parent / f"{out.name}.ranges"
        rfile.write_text("".join(f"{lab} 0 {t:.6g}\n" for lab, t in ranges.items()))
        args += ["--q-score-range", rfile, pvals, "1", "2", "header"]
    plink2(args, out, threads=threads, memory_mb=memory_mb)
    if ranges:
        return {lab: _read_sscore(f"{out}.{lab}.sscore") for lab in ranges}
    return {"all": _read_sscore(f"{out}.sscore")}


def _with_labels(scores: pl.DataFrame, pheno: pl.DataFrame, covs: pl.DataFrame | None):
    df = scores.join(pheno, on=["FID", "IID"], how="inner")
    if covs is not None:
        df = df.join(covs, on=["FID", "IID"], how="left")
    return df


def prs_pipeline(cohort: str | Path, gwas: str | Path, train_ids: str | Path, val_ids: str | Path,
                 test_ids: str | Path, pheno: str | Path, covariates: str | Path | None,
                 workdir: str | Path, *, thresholds=(5e-8, 1e-6, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.5, 1.0),
                 clump_r2: float = 0.1, clump_kb: int = 250, n_pcs: int = 10, n_boot: int = 1000,
                 seed: int = 0, level: float = 0.95, threads: int = 1,
                 memory_mb: int | None = None) -> dict:
    """Run C+T end to end and return aggregate numbers (no IDs). See module docstring."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    glm = read_glm(gwas)
    if glm.height == 0:
        raise ValueError(f"{gwas}: no ADD rows with a p-value")
    assoc = write_clump_assoc(glm, workdir / "clump_input.assoc")
    pmax = float(max(thresholds))
    index_ids = run_clump(cohort, train_ids, assoc, workdir / "clump", r2=clump_r2, kb=clump_kb,
                          p1=pmax, p2=pmax, threads=threads, memory_mb=memory_mb)
    if not index_ids:
        raise ValueError("clumping returned no index SNP")
    idx = glm.unique(subset="ID", keep="first").filter(pl.col("ID").is_in(index_ids))
    grid = usable_thresholds(idx["P"].to_numpy(), thresholds)
    weights = workdir / "weights.tsv"
    idx.select("ID", "A1", "BETA").write_csv(weights, separator="\t")
    pvals = workdir / "pvals.tsv"
    idx.select("ID", "P").write_csv(pvals, separator="\t", float_precision=None)

    ph = read_pheno(pheno)
    covs = read_covariates(covariates, n_pcs) if covariates else None
    pc_cols = [c for c in (covs.columns if covs is not None else []) if c.startswith("PC")]

    labels = {label(t): t for t in grid}
    val_scores = run_score(cohort, val_ids, weights, workdir / "val", ranges=labels, pvals=pvals,
                           threads=threads, memory_mb=memory_mb)
    from .utility import auc as _auc
    per_t = []
    val_auc = {}
    for lab, t in labels.items():
        df = _with_labels(val_scores[lab], ph, None)
        a = _auc(df["Y"].to_numpy(), df["SCORE"].to_numpy())
        val_auc[t] = a
        per_t.append({"p_threshold": t, "n_snps": int((idx["P"] <= t).sum()), "val_auc": a})
    best = select_threshold(val_auc)

    # score test once, with the chosen threshold only
    w_best = workdir / "weights_best.tsv"
    idx.filter(pl.col("P") <= best).select("ID", "A1", "BETA").write_csv(w_best, separator="\t")
    test_scores = run_score(cohort, test_ids, w_best, workdir / "test", threads=threads,
                            memory_mb=memory_mb)["all"]
    val_df = _with_labels(val_scores[label(best)], ph, covs)
    test_df = _with_labels(test_scores, ph, covs)
    if pc_cols:
        val_df = val_df.drop_nulls(pc_cols)
        test_df = test_df.drop_nulls(pc_cols)
    pcs_v = val_df.select(pc_cols).to_numpy() if pc_cols else None
    pcs_t = test_df.select(pc_cols).to_numpy() if pc_cols else None
    res = prs_pcs_auc(val_df["SCORE"].to_numpy(), pcs_v, val_df["Y"].to_numpy(),
                      test_df["SCORE"].to_numpy(), pcs_t, test_df["Y"].to_numpy(),
                      n_boot=n_boot, seed=seed, level=level)
    return {
        "method": "clumping+thresholding (plink1.9 --clump, plink2 --score)",
        "clump_r2": clump_r2,
        "clump_kb": clump_kb,
        "clump_p1": pmax,
        "n_gwas_snps": int(glm.height),
        "n_index_snps": int(idx.height),
        "thresholds": per_t,
        "chosen_threshold": best,
        "n_snps_chosen": int((idx["P"] <= best).sum()),
        "n_val": int(val_df.height),
        "n_test": int(test_df.height),
        "n_pcs": len(pc_cols),
        "test": res,
        "weight": "log(OR) of the GWAS tested allele (A1); plink2 SCORE1_AVG",
    }

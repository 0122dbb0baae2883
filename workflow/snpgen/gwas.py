"""GWAS on the training split with plink2 --glm (logistic, Firth fallback, covariates)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from . import plink
from .qc import lambda_gc

GLM_SUFFIX = ".PHENO.glm.logistic.hybrid"


def run_gwas(bfile: str | Path, keep: str | Path, pheno: str | Path, covar: str | Path,
             covariates: list[str], firth: str, out_prefix: str | Path, threads: int = 1,
             memory_mb: int | None = None) -> Path:
    """plink2 --glm on the individuals in ``keep`` only; returns the path plink2 wrote."""
    glm = ["--glm", "hide-covar"]
    if firth != "no-firth":
        glm.append(firth)
    else:
        glm.append("no-firth")
    args = ["--bfile", bfile, "--keep", keep, "--pheno", pheno, "--pheno-name", "PHENO",
            *glm]
    if covariates:
        args += ["--covar", covar, "--covar-name", *covariates, "--covar-variance-standardize"]
    plink.plink2(args, out_prefix, threads=threads, memory_mb=memory_mb)
    return Path(f"{out_prefix}{GLM_SUFFIX}")


def read_glm(path: str | Path) -> pl.DataFrame:
    """Read plink2's --glm output (ADD rows), columns renamed to ID, CHROM, POS, A1, P, Z, BETA."""
    df = pl.read_csv(path, separator="\t", null_values=["NA", "nan", "."], infer_schema_length=10000)
    df = df.rename({"#CHROM": "CHROM"})
    if "TEST" in df.columns:
        df = df.filter(pl.col("TEST") == "ADD")
    beta = pl.col("OR").log() if "OR" in df.columns else pl.col("BETA")
    z = "Z_STAT" if "Z_STAT" in df.columns else "T_STAT"
    return df.select("CHROM", "POS", "ID", "REF", "ALT", "A1", beta.alias("BETA"),
                     pl.col(z).alias("Z"), pl.col("P").cast(pl.Float64))


def gwas_summary(glm: pl.DataFrame) -> dict:
    p = glm["P"].drop_nulls().to_numpy()
    return {
        "variants_tested": int(glm.height),
        "variants_with_p": int(len(p)),
        "lambda_gc": lambda_gc(glm["Z"].drop_nulls().to_numpy()),
        "n_genome_wide_significant": int((p < 5e-8).sum()),
        "n_p_below_1e-5": int((p < 1e-5).sum()),
        "min_p": float(np.min(p)) if len(p) else None,
    }

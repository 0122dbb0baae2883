"""GWAS on the training split with plink2 --glm (logistic, Firth fallback, covariates)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from . import plink
from .paths import GWAS_GLM
from .qc import lambda_gc

__all__ = ["GWAS_GLM", "FIRTH_MODES", "plink_glm_path", "run_gwas", "expand_covariates", "read_glm",
           "gwas_summary"]

# gwas.firth (config schema) -> the suffix plink2 gives its --glm output for a binary phenotype
FIRTH_MODES = {
    "firth-fallback": "glm.logistic.hybrid",
    "firth": "glm.firth",
    "no-firth": "glm.logistic",
}


def plink_glm_path(out_prefix: str | Path, firth: str = "firth-fallback", pheno: str = "PHENO") -> Path:
    """Where plink2 --glm writes its table for ``--out out_prefix`` and this Firth mode."""
    if firth not in FIRTH_MODES:
        raise ValueError(f"gwas.firth must be one of {sorted(FIRTH_MODES)}, not {firth!r}")
    return Path(f"{out_prefix}.{pheno}.{FIRTH_MODES[firth]}")


def run_gwas(bfile: str | Path, keep: str | Path, pheno: str | Path, covar: str | Path,
             covariates: list[str], firth: str, out: str | Path, threads: int = 1,
             memory_mb: int | None = None) -> Path:
    """plink2 --glm on the individuals in ``keep`` only, its table renamed to ``out``; returns ``out``.

    plink2 runs with prefix ``{out's folder}/gwas`` (so its log is ``gwas.log`` there); its output
    file name depends on ``firth`` (see FIRTH_MODES) and is moved to the one fixed name ``out``
    (``results/{d}/gwas/`` + GWAS_GLM in the workflow).
    """
    out = Path(out)
    prefix = out.parent / "gwas"
    glm = ["--glm", "hide-covar", firth]
    if not covariates:
        glm.append("allow-no-covars")
    args = ["--bfile", bfile, "--keep", keep, "--pheno", pheno, "--pheno-name", "PHENO",
            *glm]
    if covariates:
        args += ["--covar", covar, "--covar-name", *covariates, "--covar-variance-standardize"]
    plink_glm_path(prefix, firth).unlink(missing_ok=True)   # validates firth before plink2 runs
    plink.plink2(args, prefix, threads=threads, memory_mb=memory_mb)
    written = plink_glm_path(prefix, firth)
    if not written.exists():
        raise FileNotFoundError(f"plink2 --glm ({firth}) wrote no {written.name} next to {prefix}")
    if written != out:
        written.replace(out)
    return out


def expand_covariates(names: list[str], covar: str | Path) -> list[str]:
    """The config's covariate names as columns of QC's covariate table: a categorical covariate
    becomes its one-hot columns (``name_level``), one QC left out (no two known values) is dropped."""
    with open(covar) as fh:
        header = fh.readline().rstrip("\n").split("\t")
    out = []
    for n in names:
        if n in header:
            out.append(n)
        else:
            out += [c for c in header if c.startswith(f"{n}_") and not c.startswith("PC")]
    return list(dict.fromkeys(out))


def read_glm(path: str | Path, *, tested_only: bool = False) -> pl.DataFrame:
    """Read plink2's --glm output (ADD rows): CHROM, POS, ID, REF, ALT, A1, BETA, SE, Z, P.

    The one reader of --glm tables (the training GWAS, the synthetic GWAS of the evaluation, the
    PRS). Logistic (OR: BETA = log OR, SE = LOG(OR)_SE) and linear (BETA, SE) files; Z is Z_STAT
    or T_STAT; a missing SE/Z column reads as null. IDs and alleles stay strings.
    ``tested_only``: drop rows whose P or BETA is missing (NA: the test failed).
    """
    text_cols = {c: pl.Utf8 for c in ("ID", "REF", "ALT", "A1", "TEST")}
    df = pl.read_csv(path, separator="\t", null_values=["NA", "nan", "."], infer_schema_length=10000,
                     schema_overrides=text_cols)
    df = df.rename({c: c.lstrip("#") for c in df.columns})
    if "TEST" in df.columns:
        df = df.filter(pl.col("TEST") == "ADD")
    if "OR" in df.columns:
        beta = pl.col("OR").cast(pl.Float64).log()
    elif "BETA" in df.columns:
        beta = pl.col("BETA").cast(pl.Float64)
    else:
        raise ValueError(f"{path}: neither OR nor BETA column")

    def num(*names: str) -> pl.Expr:
        col = next((c for c in names if c in df.columns), None)
        return pl.col(col).cast(pl.Float64) if col else pl.lit(None, pl.Float64)

    out = df.select("CHROM", "POS", "ID", "REF", "ALT", "A1", beta.alias("BETA"),
                    num("LOG(OR)_SE", "SE").alias("SE"), num("Z_STAT", "T_STAT").alias("Z"),
                    pl.col("P").cast(pl.Float64))
    if tested_only:
        out = out.filter(pl.col("P").is_not_null() & pl.col("BETA").is_not_null())
    return out


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

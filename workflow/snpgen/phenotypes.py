"""Phenotype tables as they come: tab, comma or whitespace separated (detected or set by
``cohort.phenotype_delimiter``), PLINK-style ``#FID``/``#IID`` headers, sex from the .fam when
``cohort.sex_column`` is null (0 or NA = unknown), categorical covariates one-hot encoded.

Errors are ``ValueError`` naming the file and the column, line or config key (never a sample ID).
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl

DELIMITERS = {"tab": "\t", "comma": ",", "whitespace": None}
MISSING = {"", "NA", "na", "nan", "NaN", "."}
SEX_CODES = {"1": "1", "2": "2", "0": "", "M": "1", "F": "2", "m": "1", "f": "2", "male": "1", "female": "2",
             "Male": "1", "Female": "2"}
SEX_FROM_FAM = "sex"  # the covariate's name when sex comes from the .fam


def _split(line: str, delim: str | None) -> list[str]:
    if delim is None:
        return line.split()
    return next(csv.reader([line], delimiter=delim))


def detect_delimiter(header: str) -> str:
    """tab if the header has a tab, else comma if it has a comma, else whitespace."""
    if "\t" in header:
        return "tab"
    if "," in header:
        return "comma"
    return "whitespace"


def read_table(path: str | Path, delimiter: str = "auto") -> pl.DataFrame:
    """The phenotype table as strings (missing = ""), header names without a leading '#'."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: phenotype table not found (config key cohort.phenotypes)")
    with open(path, newline="") as fh:
        lines = [ln.rstrip("\r\n") for ln in fh]
    lines = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip()]
    if not lines:
        raise ValueError(f"{path}: the phenotype table is empty (config key cohort.phenotypes): it needs a "
                         f"header line and one row per individual")
    hline, header_text = lines[0]
    name = delimiter if delimiter != "auto" else detect_delimiter(header_text)
    delim = DELIMITERS[name]
    header = _split(header_text, delim)
    if len(header) == 1:
        others = [k for k, d in DELIMITERS.items() if k != name and len(_split(header_text, d)) > 1]
        hint = (f"; with the {others[0]} delimiter it has {len(_split(header_text, DELIMITERS[others[0]]))}: "
                f"set cohort.phenotype_delimiter: {others[0]} (or auto)") if others else ""
        raise ValueError(f"{path}: the header line has a single column with the {name} delimiter (config key "
                         f"cohort.phenotype_delimiter = {delimiter}){hint}")
    header = [h.strip() for h in header]
    header = [h.lstrip("#") if h in ("#FID", "#IID") or i == 0 else h for i, h in enumerate(header)]
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise ValueError(f"{path}: duplicate column name(s) in the header: {', '.join(dup)}")
    rows = []
    for lineno, ln in lines[1:]:
        parts = _split(ln, delim)
        if len(parts) != len(header):
            raise ValueError(f"{path}: line {lineno} has {len(parts)} field(s) with the {name} delimiter, the "
                             f"header has {len(header)} (config key cohort.phenotype_delimiter = {delimiter}; "
                             f"a delimiter mismatch, or a value containing the delimiter)")
        rows.append([p.strip() for p in parts])
    if not rows:
        raise ValueError(f"{path}: the phenotype table has a header line but no rows (config key "
                         f"cohort.phenotypes): it needs one row per individual")
    return pl.DataFrame(rows, schema=header, orient="row")


def load_phenotypes(path: str | Path, cohort: dict, fam: pl.DataFrame | None = None) -> pl.DataFrame:
    """The phenotype table with FID and IID first (strings); the sex covariate normalised to
    1/2 with "" for unknown (0, NA), taken from ``fam`` when ``cohort.sex_column`` is null."""
    path = Path(path)
    df = read_table(path, cohort.get("phenotype_delimiter", "auto"))
    fid_column, iid_column = cohort.get("fid_column"), cohort["iid_column"]
    if iid_column not in df.columns:
        raise ValueError(f"{path}: ID column '{iid_column}' not found (config key cohort.iid_column; "
                         f"columns are: {', '.join(df.columns)})")
    if fid_column is not None and fid_column not in df.columns:
        raise ValueError(f"{path}: FID column '{fid_column}' not found (config key cohort.fid_column; "
                         f"columns are: {', '.join(df.columns)})")
    rest = [c for c in df.columns if c not in {fid_column, iid_column}]
    if fid_column is None:
        # the FID comes from the .fam: a column of the table that happens to be named FID is ignored
        rest = [c for c in rest if c not in ("FID", "IID")]
        df = df.select(pl.col(iid_column).alias("IID"), *rest)
        if fam is not None:
            df = df.join(fam.select("FID", "IID").unique("IID", keep="first"), on="IID", how="left") \
                   .with_columns(pl.col("FID").fill_null(pl.col("IID")))
        else:
            df = df.with_columns(FID=pl.col("IID"))
        df = df.select("FID", "IID", *rest)
    else:
        df = df.select(pl.col(fid_column).alias("FID"), pl.col(iid_column).alias("IID"), *rest)
    sex = cohort.get("sex_column", "sex")
    if sex is None and fam is not None and "SEX" in fam.columns:
        fam_sex = fam.select("FID", "IID", pl.col("SEX").cast(pl.Utf8).fill_null("0").alias("_fam_sex"))
        df = df.drop(SEX_FROM_FAM, strict=False).join(fam_sex, on=["FID", "IID"], how="left") \
               .with_columns(pl.col("_fam_sex").fill_null("0").replace_strict(SEX_CODES, default="")
                             .alias(SEX_FROM_FAM)).drop("_fam_sex")
    elif sex is not None and sex in df.columns:
        df = df.with_columns(pl.col(sex).replace(SEX_CODES).replace({m: "" for m in MISSING}))
    return df


def sex_covariate(cohort: dict) -> str:
    """The sex covariate's column name: cohort.sex_column, or "sex" taken from the .fam."""
    return cohort.get("sex_column") or SEX_FROM_FAM


def _safe(level: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", level) or "blank"


def check_categorical(df: pl.DataFrame, column: str, path: str | Path, max_levels: int) -> list[str]:
    """The levels of a categorical covariate (sorted, missing excluded); an error naming the
    file and the column when it has one level only, more than ``max_levels`` levels, or a
    level per person (an ID column given as a covariate)."""
    if column not in df.columns:
        raise ValueError(f"{path}: categorical covariate column '{column}' not found (config key "
                         f"cohort.categorical_covariates; columns: {', '.join(df.columns)})")
    values = [v for v in df[column].fill_null("").to_list() if v not in MISSING]
    levels = sorted(set(values))
    if len(values) > 1 and len(levels) == len(values):
        raise ValueError(f"{path}: categorical covariate column '{column}' has a different level for every "
                         f"person ({len(levels)} levels): an ID or a continuous value, not a category (config "
                         f"key cohort.categorical_covariates; numeric ones belong in cohort.covariates)")
    if len(levels) > max_levels:
        raise ValueError(f"{path}: categorical covariate column '{column}' has {len(levels)} levels, more than "
                         f"cohort.max_covariate_levels = {max_levels} (config keys cohort.categorical_covariates "
                         f"/ cohort.max_covariate_levels)")
    if len(levels) < 2:
        raise ValueError(f"{path}: categorical covariate column '{column}' has {len(levels)} level(s): nothing "
                         f"to adjust for (remove it from cohort.categorical_covariates)")
    return levels


def encode_covariates(df: pl.DataFrame, cohort: dict, path: str | Path = "phenotype table") \
        -> tuple[pl.DataFrame, list[str]]:
    """FID, IID and the GWAS covariates as Float64 (null = missing): sex, cohort.covariates, then
    each categorical covariate one-hot encoded against its most frequent level (columns
    ``name_level``). Returns the table and the covariate column names."""
    numeric = [c for c in dict.fromkeys([sex_covariate(cohort), *cohort.get("covariates", [])]) if c in df.columns]
    cols = [pl.col(c).cast(pl.Utf8).replace({m: None for m in MISSING}).cast(pl.Float64, strict=False).alias(c)
            for c in numeric]
    names = list(numeric)
    for c in cohort.get("categorical_covariates", []):
        levels = check_categorical(df, c, path, cohort.get("max_covariate_levels", 20))
        counts = df[c].value_counts().sort(["count", c], descending=[True, False])
        ref = next(v for v in counts[c].to_list() if v is not None and v not in MISSING)
        miss = pl.col(c).fill_null("").is_in(list(MISSING))
        for lev in levels:
            if lev == ref:
                continue
            name = f"{c}_{_safe(lev)}"
            cols.append(pl.when(miss).then(None).otherwise((pl.col(c) == lev).cast(pl.Float64)).alias(name))
            names.append(name)
    return df.select("FID", "IID", *cols), names

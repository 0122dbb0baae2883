"""Per-disease train / validation / test split, stratified by case status, seeded, disjoint."""
from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.model_selection import train_test_split


def disease_status(phenotypes: pl.DataFrame, column: str, case_code, control_code, missing_codes,
                   source: str = "phenotype table") -> pl.DataFrame:
    """FID, IID, case (0/1) for individuals with a known status; other codes are an error.

    Errors name the table and column and give row numbers (never IDs).
    """
    if column not in phenotypes.columns:
        raise ValueError(f"{source}: phenotype column '{column}' not found (columns: {', '.join(phenotypes.columns)})")
    values = phenotypes[column].fill_null("").cast(pl.Utf8)
    case, control = str(case_code), str(control_code)
    missing = {str(m) for m in missing_codes}
    known = {case, control} | missing
    bad = [i for i, v in enumerate(values.to_list()) if v not in known]
    if bad:
        shown = ", ".join(str(i + 2) for i in bad[:5])  # +2: 1-based, after the header line
        raise ValueError(
            f"{source}: column '{column}' has {len(bad)} value(s) other than case {case!r}, control {control!r} "
            f"or missing {sorted(missing)} (file lines {shown}{', ...' if len(bad) > 5 else ''})"
        )
    df = phenotypes.select("FID", "IID").with_columns(status=values)
    df = df.filter(pl.col("status").is_in([case, control]))
    return df.select("FID", "IID", (pl.col("status") == case).cast(pl.Int8).alias("case"))


def split_samples(status: pl.DataFrame, fractions: dict, seed: int, min_cases: int = 10,
                  disease: str = "", min_count: int | None = None) -> dict[str, pl.DataFrame]:
    """Split ``status`` (FID, IID, case) into train/val/test, stratified by case status.

    ``min_count``: evaluate.min_cell_count; a count of real people below it reads "<min_count" in
    the error (None: snpgen.report's threshold in force, by default 10)."""
    from .report import suppress_small

    status = status.sort("FID", "IID")  # input order must not change the split
    idx = np.arange(status.height)
    y = status["case"].to_numpy()
    train_f, val_f, test_f = fractions["train"], fractions["val"], fractions["test"]
    train_idx, rest = train_test_split(idx, train_size=train_f, stratify=y, random_state=seed)
    val_idx, test_idx = train_test_split(rest, train_size=val_f / (val_f + test_f), stratify=y[rest],
                                         random_state=seed + 1)
    out = {name: status[np.sort(ix)] for name, ix in (("train", train_idx), ("val", val_idx), ("test", test_idx))}
    for name, df in out.items():
        n_case = int(df["case"].sum())
        n_ctrl = df.height - n_case
        if n_case < min_cases or n_ctrl < min_cases:
            raise ValueError(
                f"disease '{disease}': the {name} split has {suppress_small(min(n_case, n_ctrl), min_count)} "
                f"{'cases' if n_case < min_cases else 'controls'}, fewer than split.min_cases = {min_cases}"
            )
    return out


def split_summary(splits: dict[str, pl.DataFrame]) -> dict:
    return {name: {"individuals": df.height, "cases": int(df["case"].sum()),
                   "controls": int(df.height - df["case"].sum())} for name, df in splits.items()}

"""Phenotype tables as they come (issue 20): delimiters, '#FID'/'#IID' headers, sex from the .fam,
categorical covariates."""
from __future__ import annotations

import polars as pl
import pytest

from snpgen.config import check_config, cohort_covariates, ConfigError
from snpgen.gwas import expand_covariates
from snpgen.phenotypes import encode_covariates, load_phenotypes, read_table

FAM = pl.DataFrame({"FID": ["f1", "f2", "f3", "f4"], "IID": ["a", "b", "c", "d"], "PAT": ["0"] * 4,
                    "MAT": ["0"] * 4, "SEX": [1, 2, 0, 2], "PHENO": ["-9"] * 4})
ROWS = [("f1", "a", "1", "50", "x"), ("f2", "b", "2", "NA", "y"), ("f3", "c", "0", "61", "x"), ("f4", "d", "F", "40", "")]


def _write(path, sep, header=("FID", "IID", "sex", "age", "batch")):
    rows = ROWS if sep.strip() else [tuple(v or "NA" for v in r) for r in ROWS]  # no empty field when blank-separated
    path.write_text("\n".join(sep.join(r) for r in [header, *rows]) + "\n")
    return path


def _cohort(**kw):
    return check_config({"cohort": {"bfile": "x", "phenotypes": "y", **kw}})["cohort"]


@pytest.mark.parametrize("sep", ["\t", ",", " ", "  \t "])
def test_delimiters_are_detected(tmp_path, sep):
    df = read_table(_write(tmp_path / "p.txt", sep))
    assert df.columns == ["FID", "IID", "sex", "age", "batch"] and df.height == 4
    assert df["batch"].to_list() == ["x", "y", "x", "" if sep.strip() else "NA"]


def test_delimiter_set_in_config_and_mismatch_named(tmp_path):
    path = _write(tmp_path / "p.csv", ",")
    assert read_table(path, "comma").height == 4
    with pytest.raises(ValueError, match=r"p\.csv: the header line has a single column with the tab delimiter.*"
                                         r"phenotype_delimiter: comma"):
        read_table(path, "tab")


def test_plink_style_header_and_sex_codes(tmp_path):
    path = _write(tmp_path / "p.tsv", "\t", header=("#FID", "IID", "sex", "age", "batch"))
    df = load_phenotypes(path, _cohort(), FAM)
    assert df.columns[:2] == ["FID", "IID"]
    assert df["sex"].to_list() == ["1", "2", "", "2"]  # 0 = unknown, F = 2


def test_sex_from_the_fam_when_sex_column_is_null(tmp_path):
    path = _write(tmp_path / "p.tsv", "\t", header=("family", "#IID", "gender", "age", "batch"))
    cohort = _cohort(sex_column=None, fid_column=None, iid_column="IID")
    df = load_phenotypes(path, cohort, FAM)
    # FID from the .fam by IID; sex from the .fam, 0 = unknown
    assert df["FID"].to_list() == ["f1", "f2", "f3", "f4"] and df["sex"].to_list() == ["1", "2", "", "2"]
    assert cohort_covariates(cohort) == ["sex", "age"]


def test_categorical_covariates_are_one_hot_encoded(tmp_path):
    path = _write(tmp_path / "p.tsv", "\t")
    cohort = _cohort(categorical_covariates=["batch"])
    assert cohort_covariates(cohort) == ["sex", "age", "batch"]
    table, names = encode_covariates(load_phenotypes(path, cohort, FAM), cohort, path)
    assert names == ["sex", "age", "batch_y"]  # x (most frequent) is the reference level
    assert table["batch_y"].to_list() == [0.0, 1.0, 0.0, None]
    assert table["age"].to_list() == [50.0, None, 61.0, 40.0] and table["sex"].to_list() == [1.0, 2.0, None, 2.0]
    covar = tmp_path / "covariates.tsv"
    table.with_columns(PC1=pl.lit(0.1)).write_csv(covar, separator="\t")
    assert expand_covariates(["sex", "age", "batch", "PC1"], covar) == ["sex", "age", "batch_y", "PC1"]


def test_categorical_with_a_level_per_person_is_an_error(tmp_path):
    path = _write(tmp_path / "p.tsv", "\t")
    cohort = _cohort(categorical_covariates=["IID"], fid_column="FID")
    with pytest.raises(ValueError, match=r"p\.tsv: categorical covariate column 'IID' has a different level for every"):
        encode_covariates(load_phenotypes(path, cohort, FAM), cohort, path)


def test_a_column_both_numeric_and_categorical_is_a_config_error():
    with pytest.raises(ConfigError, match=r"cohort\.categorical_covariates"):
        _cohort(covariates=["age"], categorical_covariates=["age"])

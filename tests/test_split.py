from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from snpgen.split import disease_status, split_samples

FRACTIONS = {"train": 0.7, "val": 0.15, "test": 0.15}


def cohort(n=1000, case_rate=0.2, seed=0):
    rng = np.random.default_rng(seed)
    ids = [f"S{i}" for i in range(n)]
    return pl.DataFrame({"FID": ids, "IID": ids, "case": (rng.random(n) < case_rate).astype(np.int8)})


def test_split_is_disjoint_complete_stratified():
    status = cohort()
    parts = split_samples(status, FRACTIONS, seed=3)
    sets = {k: set(v["IID"]) for k, v in parts.items()}
    assert not (sets["train"] & sets["val"]) and not (sets["train"] & sets["test"]) and not (sets["val"] & sets["test"])
    assert set().union(*sets.values()) == set(status["IID"])
    assert abs(parts["train"].height - 700) <= 1
    rate = status["case"].mean()
    for df in parts.values():
        assert abs(df["case"].mean() - rate) < 0.02


def test_split_is_seeded_and_ignores_input_order():
    status = cohort()
    a = split_samples(status, FRACTIONS, seed=3)
    b = split_samples(status.sample(fraction=1.0, shuffle=True, seed=9), FRACTIONS, seed=3)
    c = split_samples(status, FRACTIONS, seed=4)
    assert a["test"]["IID"].to_list() == b["test"]["IID"].to_list()
    assert a["test"]["IID"].to_list() != c["test"]["IID"].to_list()


def test_too_few_cases_is_refused():
    with pytest.raises(ValueError, match="min_cases"):
        split_samples(cohort(200, 0.05), FRACTIONS, seed=1, min_cases=10, disease="rare")


def test_disease_status_codes():
    phen = pl.DataFrame({"FID": ["a", "b", "c", "d"], "IID": ["a", "b", "c", "d"], "cad": ["1", "0", "NA", "0"]})
    st = disease_status(phen, "cad", 1, 0, ["NA"])
    assert st["case"].to_list() == [1, 0, 0] and st["IID"].to_list() == ["a", "b", "d"]


def test_disease_status_bad_code_names_column_and_line_not_id():
    phen = pl.DataFrame({"FID": ["a", "b"], "IID": ["SECRET1", "SECRET2"], "cad": ["1", "yes"]})
    with pytest.raises(ValueError) as err:
        disease_status(phen, "cad", 1, 0, ["NA"], source="pheno.tsv")
    msg = str(err.value)
    assert "pheno.tsv" in msg and "'cad'" in msg and "line" in msg and "3" in msg
    assert "SECRET" not in msg


def _first_n_cases(n_cases: int, n: int = 1000) -> pl.DataFrame:
    ids = [f"S{i}" for i in range(n)]
    return pl.DataFrame({"FID": ids, "IID": ids, "case": (np.arange(n) < n_cases).astype(np.int8)})


@pytest.mark.parametrize("n_cases,min_count,shown", [(100, None, "15"), (100, 20, "<20"), (166, 20, "25")])
def test_too_few_cases_message_uses_the_configured_min_cell_count(n_cases, min_count, shown):
    """evaluate.min_cell_count = 20: the val split's 15 cases read "<20", 25 cases are shown."""
    with pytest.raises(ValueError, match=f"the val split has {shown} cases, fewer than split.min_cases = 40"):
        split_samples(_first_n_cases(n_cases), FRACTIONS, seed=1, min_cases=40, disease="rare",
                      min_count=min_count)


@pytest.mark.parametrize("n_cases,min_count,shown", [(15, 20, "<20"), (25, 20, "25"), (15, None, "15"),
                                                     (5, None, "<10")])
def test_validate_message_uses_the_configured_min_cell_count(tmp_path, n_cases, min_count, shown):
    from snpgen.validate import InputError, check_phenotypes

    n = 300
    ids = [f"S{i}" for i in range(n)]
    (tmp_path / "pheno.tsv").write_text("FID\tIID\tdis\n" + "".join(
        f"{i}\t{i}\t{1 if k < n_cases else 0}\n" for k, i in enumerate(ids)))
    fam = pl.DataFrame({"FID": ids, "IID": ids})
    disease = {"phenotype_column": "dis", "case_code": "1", "control_code": "0", "missing_codes": ["NA"]}
    with pytest.raises(InputError, match=f"has {shown} cases genotyped"):
        check_phenotypes(tmp_path / "pheno.tsv", {"fid_column": "FID", "iid_column": "IID"}, [], {"dis": disease},
                         fam, min_cases=50, min_count=min_count)

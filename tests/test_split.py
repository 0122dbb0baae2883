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

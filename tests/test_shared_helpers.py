"""One implementation each: AUC (snpgen.stats), .fam labels (snpgen.genotypes), --glm reader (snpgen.gwas)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from snpgen import io
from snpgen.evaluate import fidelity, utility
from snpgen.genotypes import fam_labels, pheno_labels
from snpgen.gwas import read_glm
from snpgen.stats import auc


def test_one_auc_everywhere():
    from snpgen.models import train

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.normal(size=300) + y, 1)
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert utility.auc is auc and train._auc is auc
    assert auc(y.astype(bool), s) == auc(y, s)
    y_missing = np.r_[y, [-1, -1]]                       # missing labels are left out
    assert auc(y_missing, np.r_[s, [9.0, -9.0]]) == auc(y, s)
    assert np.isnan(auc(np.ones(5), np.arange(5))) and np.isnan(auc(np.full(3, -1), np.arange(3)))


def test_one_fam_label_decoder(tmp_path):
    assert pheno_labels(["2", "1", "2.0", "1.0", "-9", "0", "NA"]).tolist() == [1, 0, 1, 0, -1, -1, -1]
    import polars as pl

    from snpgen.evaluate import _labels_from_fam

    ph = ["2", "1.0", "2.0", "-9"]
    fam = pl.DataFrame({"FID": list("abcd"), "IID": list("abcd"), "SEX": [0] * 4, "PHENO": ph})
    bim = pl.DataFrame({"CHR": ["1"], "ID": ["rs1"], "POS": [100], "A1": ["A"], "A2": ["G"]})
    io.write_bed(tmp_path / "x", np.zeros((4, 1), np.int8), fam, bim)
    assert fam_labels(tmp_path / "x").tolist() == [1, 0, 1, -1]
    assert _labels_from_fam(io.read_fam(tmp_path / "x")).tolist() == [1, 0, 1, -1]


def test_one_glm_reader(tmp_path):
    path = tmp_path / "t.glm"
    path.write_text("#CHROM\tPOS\tID\tREF\tALT\tA1\tTEST\tOBS_CT\tOR\tLOG(OR)_SE\tZ_STAT\tP\n"
                    "1\t100\t123\tG\tA\tA\tADD\t50\t2.0\t0.1\t6.93\t1e-12\n"
                    "1\t200\trs2\tG\tA\tA\tADD\t50\tNA\tNA\tNA\tNA\n")
    g = read_glm(path)
    assert g["ID"].to_list() == ["123", "rs2"]            # IDs stay strings, even numeric ones
    assert g["BETA"][0] == pytest.approx(np.log(2.0)) and g["SE"][0] == 0.1 and g["Z"][0] == 6.93
    assert read_glm(path, tested_only=True).height == 1
    f = fidelity.read_glm(path)
    assert f.columns == ["ID", "A1", "BETA", "SE", "P"] and f.height == 1 and f["ID"][0] == "123"

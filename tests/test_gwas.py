"""GWAS (snpgen.gwas.run_gwas) with real plink2: one fixed output name for every gwas.firth mode."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from snpgen import io
from snpgen.config import load_schema
from snpgen.gwas import FIRTH_MODES, gwas_summary, plink_glm_path, read_glm, run_gwas
from snpgen.paths import GWAS_GLM


def _tiny_cohort(root, rng, n: int = 160, L: int = 12):
    """A constructed cohort (two chromosomes, one planted signal) with pheno, covariates and a keep file."""
    ids = [f"P{i:04d}" for i in range(n)]
    G = rng.binomial(2, rng.uniform(0.2, 0.5, L), size=(n, L)).astype(np.int8)
    y = (G[:, 3] + rng.normal(0, 1, n) > 1.2).astype(int)
    bim = pl.DataFrame({"CHR": ["1"] * (L // 2) + ["2"] * (L - L // 2), "ID": [f"rs{j}" for j in range(L)],
                        "CM": [0.0] * L, "POS": [10_000 + 5_000 * j for j in range(L)],
                        "A1": ["A"] * L, "A2": ["G"] * L})
    io.write_bed(root / "qc/cohort", G, pl.DataFrame({"FID": ids, "IID": ids, "SEX": [1] * n,
                                                      "PHENO": ["-9"] * n}), bim)
    (root / "split").mkdir(parents=True)
    (root / "split/train.ids").write_text("".join(f"{i}\t{i}\n" for i in ids[: int(0.8 * n)]))
    pl.DataFrame({"FID": ids, "IID": ids, "PHENO": [2 if v else 1 for v in y]}).write_csv(
        root / "split/pheno.tsv", separator="\t")
    pl.DataFrame({"FID": ids, "IID": ids, "AGE": rng.integers(40, 70, n).tolist(),
                  "PC1": rng.normal(size=n).tolist()}).write_csv(root / "qc/covariates.tsv", separator="\t")
    return L


def test_firth_modes_match_the_schema():
    enum = load_schema("config.schema.yaml")["properties"]["gwas"]["properties"]["firth"]["enum"]
    assert sorted(enum) == sorted(FIRTH_MODES)
    with pytest.raises(ValueError, match="gwas.firth"):
        plink_glm_path("x", "firth-always")


@pytest.mark.parametrize("firth", sorted(FIRTH_MODES))
@pytest.mark.parametrize("covariates", [["AGE", "PC1"], []], ids=["covars", "no-covars"])
def test_run_gwas_writes_the_fixed_name_for_every_firth_mode(tmp_path, plink2_available, firth, covariates):
    L = _tiny_cohort(tmp_path, np.random.default_rng(3))
    out = tmp_path / "gwas" / GWAS_GLM
    path = run_gwas(tmp_path / "qc/cohort", tmp_path / "split/train.ids", tmp_path / "split/pheno.tsv",
                    tmp_path / "qc/covariates.tsv", covariates, firth, out)
    assert path == out and out.exists()
    assert not plink_glm_path(tmp_path / "gwas/gwas", firth).exists()     # renamed, not copied
    assert (tmp_path / "gwas/gwas.log").exists()
    glm = read_glm(out)
    assert glm.height == L and glm["P"].drop_nulls().len() == L
    assert glm["CHROM"].unique().sort().to_list() == [1, 2]
    assert glm.sort("P")["ID"][0] == "rs3"                                 # the planted signal
    summ = gwas_summary(glm)
    assert summ["variants_tested"] == L and np.isfinite(summ["lambda_gc"])

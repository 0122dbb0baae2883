"""GWAS effects against independent references (fidelity.effects, issue 23): the simulated true
effects and a GWAS on held-out real people.

Constructed cohorts with planted causal effects: a synthetic cohort that is a copy of the real
training split agrees with the truth and the held-out GWAS exactly as the training split does; the
same genotypes with shuffled labels (no association left) agree about 0 and recover no causal SNP.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from genotypes import sim_geno  # noqa: E402
from snpgen import io
from snpgen.evaluate import effects, fidelity
from test_evaluate_fidelity import make_bim, make_fam


def test_true_effects_are_per_allele_and_zero_off_the_causal_snps():
    p = np.array([0.5, 0.1, 0.3])
    b = effects.true_effects([{"id": "rs1", "beta": 0.3}, {"id": "rs9", "beta": 1.0}], ["rs0", "rs1", "rs2"], p)
    assert b[0] == 0 and b[2] == 0 and b[1] == pytest.approx(0.3 / np.sqrt(2 * 0.1 * 0.9))


def test_significance_levels_name_numbers_and_bonferroni():
    assert effects.significance_levels([5e-8, "bonferroni"], 1000) == {"5e-08": 5e-8, "bonferroni": 5e-5}


def test_agreement_and_replication_on_constructed_effects():
    rng = np.random.default_rng(1)
    true = np.where(rng.random(500) < 0.1, rng.normal(0, 0.3, 500), 0.0)
    close = 2 * true + rng.normal(0, 0.01, 500)
    a = effects.agreement(close, true, true != 0)
    assert a["n_snps"] == int((true != 0).sum()) and a["correlation"] > 0.99
    assert a["slope"] == pytest.approx(2, abs=0.05) and a["sign_concordance"] == 1.0
    other = effects.agreement(rng.normal(0, 0.3, 500), true, true != 0)
    assert abs(other["correlation"]) < 0.35 and 0.25 < other["sign_concordance"] < 0.75
    # effects estimated with noise and then selected on their size (the winner's curse) are
    # overestimated: they replicate in an independent estimate with a slope below 1
    est, rep = true + rng.normal(0, 0.1, 500), true + rng.normal(0, 0.1, 500)
    top = np.argsort(-np.abs(est))[:60]
    assert effects.replication(est[top], rep[top])["replication_slope"] < 0.9
    none = effects.agreement(np.full(3, np.nan), true[:3])  # no GWAS beta: nothing to compare
    assert none["n_snps"] == 0 and none["slope"] is None and np.isnan(none["correlation"])


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory, plink2_available):
    """Real train / held-out with planted effects (liability threshold), a copy of train and the
    copy with shuffled labels, written as PLINK filesets; the GWAS of each adjusted for 4 PCs."""
    rng = np.random.default_rng(7)
    tmp = tmp_path_factory.mktemp("effects")
    L, n = 200, 4000
    G = sim_geno(n, L, rng, rho=0.5)
    causal = np.sort(rng.choice(L, 12, replace=False))
    p = G[:, causal].mean(0) / 2
    beta_std = rng.choice([-1, 1], 12) * rng.uniform(0.15, 0.3, 12)
    liab = ((G[:, causal] - 2 * p) / np.sqrt(2 * p * (1 - p))) @ beta_std + rng.normal(0, 1, n)
    y = (liab > norm.ppf(0.7)).astype(int)
    bim = make_bim(L)
    T, H = slice(0, 2000), slice(2000, n)
    sets = {"real_train": (G[T], y[T], "R"), "holdout": (G[H], y[H], "H"),
            "copy": (G[T], y[T], "SYN"), "shuffled": (G[T], rng.permutation(y[T]), "SYN")}
    pca = fidelity.fit_pca(G[T], 4)
    gwas = {}
    for name, (g, lab, pre) in sets.items():
        io.write_bed(tmp / name, g, make_fam(g.shape[0], lab, prefix=pre), bim)
        gwas[name] = effects.pc_gwas(tmp / name, fidelity.project(g, pca), bim, tmp / f"glm_{name}")
    ids = bim["ID"].to_numpy()
    truth = [{"id": f"rs{c}", "beta": float(b)} for c, b in zip(causal, beta_std)]
    true = effects.true_effects(truth, ids, fidelity.allele_frequencies(G[T]))
    return {"gwas": gwas, "ids": ids, "true": true, "levels": effects.significance_levels([5e-8, "bonferroni"], L),
            "dir": tmp, "sets": sets, "pca": pca, "bim": bim, "truth": truth}


def _metrics(c, synthetic: str, truth: bool = True) -> dict:
    g = {"real_train": c["gwas"]["real_train"], "holdout": c["gwas"]["holdout"], "synthetic": c["gwas"][synthetic]}
    return effects.effects_metrics(g, ids=c["ids"], levels=c["levels"], n_pcs=4,
                                   true_beta=c["true"] if truth else None)


def test_copy_agrees_with_truth_and_holdout_like_the_real_training_split(cohorts):
    m = _metrics(cohorts, "copy")
    t = m["vs_truth"]
    assert t["n_causal_selected"] == 12
    for who in ("real_train", "holdout", "synthetic"):
        assert t[who]["causal"]["correlation"] > 0.8, (who, t[who])
        assert t[who]["causal"]["sign_concordance"] >= 11 / 12
    assert t["synthetic"]["causal"]["correlation"] == pytest.approx(t["real_train"]["causal"]["correlation"], abs=1e-6)
    assert t["synthetic"]["causal"]["slope"] > 0.5 * t["holdout"]["causal"]["slope"]
    h = m["vs_holdout"]
    assert h["synthetic"]["correlation"] == pytest.approx(h["real_train"]["correlation"], abs=1e-6)
    assert h["synthetic"]["correlation"] > 0.5
    rec = m["recovery"]["bonferroni"]
    assert rec["synthetic"]["tpr"] == rec["real_train"]["tpr"] >= 0.5


def test_shuffled_labels_agree_about_zero_and_recover_nothing(cohorts):
    m = _metrics(cohorts, "shuffled")
    assert abs(m["vs_truth"]["synthetic"]["causal"]["correlation"]) < 0.5
    assert abs(m["vs_truth"]["synthetic"]["all"]["correlation"]) < 0.25
    assert abs(m["vs_holdout"]["synthetic"]["correlation"]) < 0.25
    assert m["recovery"]["bonferroni"]["synthetic"]["tpr"] <= 1 / 12


def test_without_truth_only_the_holdout_comparison_and_no_synthetic_gwas(cohorts):
    m = _metrics(cohorts, "copy", truth=False)
    assert "vs_truth" not in m and "recovery" not in m and m["vs_holdout"]["synthetic"]["n_snps"] == 200
    g = {"real_train": cohorts["gwas"]["real_train"], "holdout": cohorts["gwas"]["holdout"], "synthetic": None}
    m = effects.effects_metrics(g, ids=cohorts["ids"], levels=cohorts["levels"], n_pcs=4, true_beta=cohorts["true"])
    assert m["vs_holdout"]["synthetic"] is None and m["vs_truth"]["synthetic"] is None
    assert m["recovery"]["5e-08"]["synthetic"] is None and m["vs_truth"]["real_train"] is not None
    g = {"real_train": cohorts["gwas"]["real_train"], "holdout": None, "synthetic": cohorts["gwas"]["copy"]}
    m = effects.effects_metrics(g, ids=cohorts["ids"], levels=cohorts["levels"], n_pcs=4, true_beta=cohorts["true"])
    assert m["vs_holdout"] == {"real_train": None, "synthetic": None} and m["recovery"]["5e-08"]["holdout"] is None


def test_no_pcs_runs_the_gwas_without_covariates(plink2_available, tmp_path):
    """effects_n_pcs: 0 -- the same plink2 --glm as the synthetic-vs-training comparison (no covariates)."""
    bim = make_bim(200)
    prefix = tmp_path / "copy"
    G = np.random.default_rng(3).binomial(2, 0.3, size=(300, 200)).astype(np.int8)
    y = np.r_[np.ones(100, int), np.zeros(200, int)]
    io.write_bed(prefix, G, make_fam(300, y), bim)
    b0, p0 = effects.pc_gwas(prefix, np.empty((300, 0)), bim, tmp_path / "glm0")
    b1, p1 = fidelity.align_betas(fidelity.read_glm(fidelity.run_glm(prefix, tmp_path / "glm1")), bim)
    assert np.allclose(b0, b1, equal_nan=True) and np.isfinite(b0).all()
    g = {"real_train": (b0, p0), "holdout": (b1, p1), "synthetic": (b0, p0)}
    m = effects.effects_metrics(g, ids=bim["ID"].to_numpy(), levels={"5e-08": 5e-8}, n_pcs=0)
    assert "no covariates" in m["method"] and m["vs_holdout"]["synthetic"]["correlation"] == pytest.approx(1.0)


def test_evaluation_section_with_a_one_class_synthetic_cohort(cohorts, tmp_path):
    """snpgen.evaluate's fidelity.effects step: the real rows and a note, no synthetic GWAS, no figure."""
    from snpgen.evaluate import _effects, merged_params

    c, sets = cohorts, cohorts["sets"]
    G_s = sets["copy"][0]
    io.write_bed(tmp_path / "one", G_s, make_fam(G_s.shape[0], np.zeros(G_s.shape[0], int), prefix="SYN"), c["bim"])
    figs: list = []
    out = _effects(figs, bim=c["bim"], pca=c["pca"], G_t=sets["real_train"][0], G_h=sets["holdout"][0], G_s=G_s,
                   y_s=np.zeros(G_s.shape[0], int), train=c["dir"] / "real_train", test=c["dir"] / "holdout",
                   synthetic=tmp_path / "one", figdir=tmp_path, workdir=tmp_path, P=merged_params({}),
                   truth={"causal": c["truth"]}, threads=1, memory_mb=None)
    assert figs == [] and "single phenotype class" in out["note"]
    assert out["vs_holdout"]["synthetic"] is None and out["vs_truth"]["real_train"]["causal"]["correlation"] > 0.8
    assert out["vs_holdout"]["real_train"]["correlation"] == pytest.approx(
        _metrics(c, "copy")["vs_holdout"]["real_train"]["correlation"], abs=1e-6)

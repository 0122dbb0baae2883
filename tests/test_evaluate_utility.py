"""Utility (TSTR vs TRTR), the C+T PRS baseline with real plink runs, and one end-to-end evaluation."""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from snpgen import io
from snpgen.evaluate import evaluate_generator, evaluate_prs, merged_params, prs, utility
from evaluation_run import write_constructed_evaluation
from genotypes import liability_pheno, make_bim, make_fam
from genotypes import sim_geno as _sim_geno
from snpgen.evaluate.verdict import verdict
from snpgen.gwas import plink_glm_path
from snpgen.plink import plink2


def sim_geno(n: int, L: int, rng: np.random.Generator, rho: float = 0.6, p=None) -> np.ndarray:
    return _sim_geno(n, L, rng, rho, p)


# ------------------------------------------------------------------ AUC and bootstrap


def test_auc_matches_sklearn_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.normal(size=300) + y, 1)
    assert utility.auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert np.isnan(utility.auc(np.ones(5), np.arange(5)))


def test_bootstrap_ci_is_seeded_and_covers():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    s1 = y + rng.normal(0, 1.5, 400)
    s2 = y + rng.normal(0, 3.0, 400)
    a = utility.bootstrap_auc(y, {"a": s1, "b": s2}, n_boot=200, seed=5)
    b = utility.bootstrap_auc(y, {"a": s1, "b": s2}, n_boot=200, seed=5)
    assert a["a"]["ci_low"] == b["a"]["ci_low"] and a["b"]["ci_high"] == b["b"]["ci_high"]
    for k in ("a", "b"):
        assert a[k]["ci_low"] < a[k]["auc"] < a[k]["ci_high"]
    lo, hi = utility.ratio_ci(a["b"]["replicates"], a["a"]["replicates"])
    assert lo < a["b"]["auc"] / a["a"]["auc"] < hi < 1.0


# ------------------------------------------------------------------ TSTR vs TRTR


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(21)
    L = 150
    G = sim_geno(2400, L, rng)
    causal = rng.choice(L, 20, replace=False)
    y, _ = liability_pheno(G, causal, rng, h2=0.5)
    return {"G": G, "y": y, "L": L, "causal": causal, "tr": slice(0, 1600), "te": slice(1600, 2400)}


def _tstr(c, G_syn, y_syn, models=("logreg",)):
    return utility.tstr_trtr(G_syn, y_syn, c["G"][c["tr"]], c["y"][c["tr"]], c["G"][c["te"]], c["y"][c["te"]],
                             models=models, seed=3, n_boot=100,
                             params={"logreg_Cs": [0.01, 0.1, 1.0], "hgb_max_iter": 40})


def test_tstr_copy_matches_trtr_and_shuffled_labels_fail(cohort):
    c = cohort
    Gtr, ytr = c["G"][c["tr"]], c["y"][c["tr"]]
    cp = _tstr(c, Gtr, ytr, models=("logreg", "hgb"))
    for m in ("logreg", "hgb"):
        assert cp[m]["trtr"]["auc"] > 0.65
        assert cp[m]["tstr"]["auc"] == pytest.approx(cp[m]["trtr"]["auc"], abs=1e-9)
        assert cp[m]["ratio"] == pytest.approx(1.0)
        assert cp[m]["trtr"]["ci_low"] < cp[m]["trtr"]["auc"] < cp[m]["trtr"]["ci_high"]
    sh = _tstr(c, Gtr, np.random.default_rng(0).permutation(ytr))
    assert sh["logreg"]["ratio"] < 0.85 and sh["logreg"]["ratio_ci_high"] < 0.95
    th = {k: None for k in ("max_identical_match_rate", "aa_ts_min", "max_mia_auc", "max_privacy_loss",
                            "max_king_kinship", "max_attack_auc", "max_replay_share",
                            "min_af_correlation", "min_ld_correlation",
                            "max_hwe_failure_excess", "het_f_distance_factor", "ld_strength_min",
                            "structure_pc_factor", "max_cluster_proportion_diff")}
    assert verdict({"utility": cp}, th)["decision"] == "release"
    assert verdict({"utility": sh}, th)["failed_checks"] == ["tstr_trtr_ratio_logreg"]


def test_independent_per_class_af_sampler_keeps_utility(cohort):
    """The known baseline (method.md): per-class independent allele frequencies keep most of the signal."""
    c = cohort
    rng = np.random.default_rng(4)
    Gtr, ytr = c["G"][c["tr"]], c["y"][c["tr"]]
    ys = np.r_[np.ones(800, int), np.zeros(800, int)]
    Gs = np.vstack([rng.binomial(2, Gtr[ytr == k].mean(0) / 2, size=(800, c["L"])) for k in (1, 0)]).astype(np.int8)
    r = _tstr(c, Gs, ys)
    assert r["logreg"]["ratio"] > 0.85


def test_comparison_with_a_reference_cohort_is_paired(cohort):
    """vs_baseline: the reference's TSTR is what it gets on its own, the difference is paired (a cohort
    against itself: exactly 0), and a cohort with the signal beats one with shuffled labels."""
    c = cohort
    Gtr, ytr = c["G"][c["tr"]], c["y"][c["tr"]]
    shuffled = (Gtr, np.random.default_rng(0).permutation(ytr))
    r = utility.tstr_trtr(Gtr, ytr, Gtr, ytr, c["G"][c["te"]], c["y"][c["te"]], models=("logreg",), seed=3,
                          n_boot=100, params={"logreg_Cs": [0.01, 0.1, 1.0]}, reference=shuffled)["logreg"]
    alone = _tstr(c, *shuffled)["logreg"]
    v = r["vs_baseline"]
    assert v["auc"] == pytest.approx(alone["tstr"]["auc"]) and v["ci_low"] == pytest.approx(alone["tstr"]["ci_low"])
    assert v["delta"] == pytest.approx(r["tstr"]["auc"] - alone["tstr"]["auc"])
    assert v["delta_ci_low"] > 0.05
    # the headroom: real training people against the shuffled reference, paired like delta (here the
    # synthetic cohort is the real training split, so headroom and delta are the same numbers)
    assert v["real_delta"] == pytest.approx(r["trtr"]["auc"] - alone["tstr"]["auc"])
    assert v["real_delta_ci_low"] > 0.05 and v["real_delta_ci_low"] == pytest.approx(v["delta_ci_low"])
    same = utility.tstr_trtr(Gtr, ytr, Gtr, ytr, c["G"][c["te"]], c["y"][c["te"]], models=("logreg",), seed=3,
                             n_boot=100, params={"logreg_Cs": [0.01, 0.1, 1.0]}, reference=(Gtr, ytr))["logreg"]
    assert same["vs_baseline"]["delta"] == 0.0 and same["vs_baseline"]["delta_ci_high"] == 0.0
    assert same["vs_baseline"]["real_delta"] == 0.0 and same["vs_baseline"]["real_delta_ci_high"] == 0.0
    assert "vs_baseline" not in alone


def test_reference_fits_made_once_give_the_same_numbers(cohort, tmp_path):
    """rule utility_reference: TRTR and baseline fits saved once and read back by each generator's job
    give exactly the numbers of fitting them in the job; the baseline's own job takes the reference fit
    as its TSTR; a file scored on other test labels is refused."""
    from snpgen.evaluate import _fitted

    c = cohort
    Gtr, ytr = c["G"][c["tr"]], c["y"][c["tr"]]
    Gte, yte = c["G"][c["te"]], c["y"][c["te"]]
    rng = np.random.default_rng(5)
    syn = (Gtr[rng.permutation(Gtr.shape[0])], ytr)
    ref = (Gtr, rng.permutation(ytr))
    kw = dict(models=("logreg", "hgb"), seed=3, n_boot=100, params={"logreg_Cs": [0.01, 0.1, 1.0], "hgb_max_iter": 40})
    inline = utility.tstr_trtr(*syn, Gtr, ytr, Gte, yte, reference=ref, **kw)
    path = tmp_path / "utility_reference.npz"
    utility.save_fits(path, utility.reference_fits(Gtr, ytr, Gte, models=kw["models"], seed=3, params=kw["params"],
                                                   reference=ref), yte)
    once = utility.tstr_trtr(*syn, None, None, Gte, yte, fitted=_fitted(str(path), yte, False), **kw)
    assert once == inline
    own = utility.tstr_trtr(*ref, None, None, Gte, yte, fitted=_fitted(str(path), yte, True), **kw)
    alone = utility.tstr_trtr(*ref, Gtr, ytr, Gte, yte, **kw)
    assert own == alone and "vs_baseline" not in own
    with pytest.raises(ValueError, match="utility_reference.npz: fitted on a different test split"):
        utility.load_fits(path, 1 - yte)


def test_single_class_synthetic_is_degenerate_not_a_crash(cohort):
    c = cohort
    r = _tstr(c, c["G"][:100], np.ones(100, int))
    assert r["logreg"]["tstr"]["fit"]["degenerate"] and r["logreg"]["tstr"]["auc"] == 0.5


def test_dosage_features_impute_training_means():
    G = np.array([[0, -1], [2, 1], [1, 1]], dtype=np.int8)
    X, mu = utility.dosage_features(G)
    assert X[0, 1] == pytest.approx(1.0) and mu[0] == pytest.approx(1.0)
    X2, _ = utility.dosage_features(np.array([[-1, -1]], dtype=np.int8), mu)
    np.testing.assert_allclose(X2, [[1.0, 1.0]])


# ------------------------------------------------------------------ PRS (real plink1.9 + plink2 runs)


def test_select_threshold_and_labels():
    assert prs.select_threshold({1e-4: 0.6, 0.01: 0.62, 1.0: 0.62}) == 0.01
    assert prs.usable_thresholds(np.array([1e-3, 0.2]), [5e-8, 1e-3, 0.5]) == [1e-3, 0.5]
    assert prs.label(5e-8) == "P5e-08"


def _write_cohort(root, rng, n=1500, L=400):
    """A QC'd cohort, split files, pheno/covariates, and a plink2 --glm GWAS on the training split."""
    G = sim_geno(n, L, rng, rho=0.5)
    causal = rng.choice(L, 15, replace=False)
    y, beta = liability_pheno(G, causal, rng, h2=0.6, prevalence=0.3)
    ids = [f"P{i:05d}" for i in range(n)]
    bim = make_bim(L)
    (root / "qc").mkdir(parents=True)
    (root / "split").mkdir()
    io.write_bed(root / "qc/cohort", G, make_fam(ids), bim)
    idx = rng.permutation(n)
    parts = {"train": idx[: int(0.6 * n)], "val": idx[int(0.6 * n): int(0.8 * n)], "test": idx[int(0.8 * n):]}
    for k, v in parts.items():
        (root / f"split/{k}.ids").write_text("".join(f"{ids[i]}\t{ids[i]}\n" for i in sorted(v)))
    pl.DataFrame({"FID": ids, "IID": ids, "PHENO": [2 if v else 1 for v in y]}).write_csv(
        root / "split/pheno.tsv", separator="\t")
    cov = {"FID": ids, "IID": ids, "SEX": [1] * n, "AGE": rng.integers(40, 70, n).tolist()}
    for k in range(1, 11):
        cov[f"PC{k}"] = rng.normal(size=n).tolist()
    pl.DataFrame(cov).write_csv(root / "qc/covariates.tsv", separator="\t")
    (root / "gwas").mkdir()
    plink2(["--bfile", root / "qc/cohort", "--keep", root / "split/train.ids", "--pheno", root / "split/pheno.tsv",
            "--glm", "allow-no-covars", "firth-fallback", "hide-covar"], root / "gwas/gwas")
    return {"G": G, "y": y, "ids": ids, "bim": bim, "parts": parts, "causal": causal, "beta": beta,
            "gwas": plink_glm_path(root / "gwas/gwas", "firth-fallback")}


def test_prs_planted_signal_real_plink(tmp_path):
    rng = np.random.default_rng(8)
    c = _write_cohort(tmp_path, rng)
    assert c["gwas"].exists()
    out = evaluate_prs(cohort=str(tmp_path / "qc/cohort"), gwas=str(c["gwas"]),
                       train_ids=str(tmp_path / "split/train.ids"), val_ids=str(tmp_path / "split/val.ids"),
                       test_ids=str(tmp_path / "split/test.ids"), pheno=str(tmp_path / "split/pheno.tsv"),
                       covariates=str(tmp_path / "qc/covariates.tsv"), workdir=str(tmp_path / "work"),
                       params={"bootstrap_n": 100}, seed=1)
    r = out["prs"]
    assert r["test"]["prs"]["auc"] > 0.6
    assert r["test"]["prs"]["ci_low"] > 0.5
    assert r["test"]["prs_pcs"]["auc"] > r["test"]["pcs"]["auc"]       # random PCs carry nothing
    assert abs(r["test"]["pcs"]["auc"] - 0.5) < 0.1
    assert r["test"]["delta_prs_pcs_vs_pcs"]["ci_low"] > 0
    assert 0 < r["n_snps_chosen"] <= r["n_index_snps"] < r["n_gwas_snps"]   # clumping removed SNPs in LD
    assert r["chosen_threshold"] in [t["p_threshold"] for t in r["thresholds"]]
    assert r["n_val"] + r["n_test"] == len(c["parts"]["val"]) + len(c["parts"]["test"])
    text = json.dumps(out, allow_nan=False)
    assert "P0" not in text            # no individual IDs in the output
    assert out["provenance"]["plink2"].startswith("PLINK")


def test_prs_on_null_phenotype_is_near_chance(tmp_path):
    rng = np.random.default_rng(9)
    c = _write_cohort(tmp_path, rng, n=1000, L=200)
    null = rng.permutation(c["y"])
    pl.DataFrame({"FID": c["ids"], "IID": c["ids"], "PHENO": [2 if v else 1 for v in null]}).write_csv(
        tmp_path / "split/pheno.tsv", separator="\t")
    plink2(["--bfile", tmp_path / "qc/cohort", "--keep", tmp_path / "split/train.ids", "--pheno",
            tmp_path / "split/pheno.tsv", "--glm", "allow-no-covars", "firth-fallback", "hide-covar"],
           tmp_path / "gwas/gwas")
    out = evaluate_prs(cohort=str(tmp_path / "qc/cohort"), gwas=str(c["gwas"]),
                       train_ids=str(tmp_path / "split/train.ids"), val_ids=str(tmp_path / "split/val.ids"),
                       test_ids=str(tmp_path / "split/test.ids"), pheno=str(tmp_path / "split/pheno.tsv"),
                       covariates=None, workdir=str(tmp_path / "work"), params={"bootstrap_n": 100}, seed=1)
    r = out["prs"]["test"]
    assert r["prs"]["ci_low"] < 0.5 < r["prs"]["ci_high"] + 0.05
    assert "pcs" not in r


# ------------------------------------------------------------------ end to end (real plink runs)


def test_evaluate_generator_end_to_end(tmp_path):
    """A 'synthetic' cohort made of other real people from the same population: releasable,
    with the output JSON aggregate-only; the copy of the training split is not releasable."""
    data = write_constructed_evaluation(tmp_path)
    sel, gwas, truth = data.sel, data.gwas, data.truth
    params = {"bootstrap_n": 50, "privacy_max_n": 300, "king_max_n": 300, "ld_window": 30, "n_pcs": 4,
              "models": ["logreg"]}
    res = {}
    for gen in ("holdout", "copy"):
        res[gen] = evaluate_generator(train=str(sel / "train"), test=str(sel / "test"),
                                      synthetic=str(tmp_path / f"synthetic/{gen}"), real_gwas=str(gwas),
                                      figdir=str(tmp_path / f"figs/{gen}"), workdir=str(tmp_path / f"work/{gen}"),
                                      # 300 non-members: attack AUC SE about 0.03, and the check takes a max of four
                                      # 400 vs 500 people on 120 SNPs: a PC distance moves by ~0.05 SD from noise alone
                                      # (PC3: 0.124 unweighted, 0.129 weighted to the 0.255 case fraction), so
                                      # the floor is 0.15 here; test_structure.py checks structure at 5,000 people
                                      params=params, thresholds={"max_privacy_loss": 0.1, "max_attack_auc": 0.6,
                                                                 "structure_pc_floor": 0.15}, seed=3,
                                      truth_json=str(truth), disease="toy", generator=gen,
                                      baseline=str(tmp_path / "synthetic/holdout") if gen == "copy" else None)
    m = res["holdout"]
    assert set(m) >= {"schema_version", "disease", "generator", "sizes", "utility", "fidelity", "privacy",
                      "verdict", "figures", "params", "provenance"}
    assert m["verdict"]["decision"] == "release", m["verdict"]["failed_checks"]
    assert m["fidelity"]["allele_frequency"]["correlation"] > 0.95
    qc = {c["name"]: c["passed"] for c in m["verdict"]["checks"]}
    assert qc["hwe_failure_share"] and qc["het_f_distance"] and qc["ld_strength"]
    assert set(m["fidelity"]["het_hwe"]) == {"real_train", "synthetic", "real_test", "f_distance", "real_split_half",
                                             "real_resampled"}
    assert m["fidelity"]["ld"]["holdout_strength_ratio"] == pytest.approx(1.0, abs=0.1)
    assert m["fidelity"]["maf"]["holdout_correlation"] > 0.95 and m["fidelity"]["maf"]["source"] == "plink2 --freq"
    assert m["fidelity"]["gwas"]["causal_recovery"]["n_causal_selected"] == 10
    assert set(m["fidelity"]["gwas"]["causal_recovery"]["levels"]) == {"5e-08", "bonferroni"}
    assert m["privacy"]["king"]["max_kinship_syn_real_upper"] < 0.354
    assert sorted(p.name for p in (tmp_path / "figs/holdout").iterdir()) == m["figures"]
    assert len(m["figures"]) == 11 and "effects_truth.png" in m["figures"]
    ef = m["fidelity"]["effects"]  # issue 23: effects against held-out real people and the simulated truth
    assert ef["n_pcs"] == 4 and set(ef["vs_holdout"]) == {"real_train", "synthetic"}
    truth_r = {c: ef["vs_truth"][c]["causal"]["correlation"] for c in ("real_train", "holdout", "synthetic")}
    assert ef["vs_truth"]["n_causal_selected"] == 10 and min(truth_r.values()) > 0.5, truth_r
    assert set(ef["recovery"]) == {"5e-08", "bonferroni"}
    assert ef["recovery"]["bonferroni"]["synthetic"]["n_causal_in_set"] == 10
    st = m["fidelity"]["structure"]  # one population: its cluster(s) all map to it
    assert st["n_pcs"] == 4 and set(st["clusters"]["population"]) == {"EUR"}
    assert st["ancestry"]["EUR"]["n_real_train"] == 500 and st["ancestry"]["EUR"]["synthetic"]["correlation"] > 0.9
    c = res["copy"]
    assert "vs_baseline" not in m["utility"]["logreg"]
    vb = c["utility"]["logreg"]["vs_baseline"]  # the copy against the holdout cohort, paired
    assert vb["auc"] == pytest.approx(m["utility"]["logreg"]["tstr"]["auc"])
    assert vb["delta_ci_low"] <= vb["delta"] <= vb["delta_ci_high"]
    assert c["verdict"]["decision"] == "do not release"
    assert {"identical_match_rate", "nnaa_aa_ts", "mia_auc", "max_king_kinship", "max_attack_auc",
            "segment_replay_share"} <= set(c["verdict"]["failed_checks"])
    a = m["privacy"]["attacks"]  # attacks (issue 21): every membership attack with AUC and low-FPR TPRs
    assert {"density_pca", "density_genotype", "segment_replay", "attribute"} <= set(a)
    assert {"auc", "tpr_at_1pct_fpr", "tpr_at_0p1pct_fpr"} <= set(a["density_pca"])
    assert a["max_auc"] == max(a[k]["auc"] for k in ("density_pca", "density_genotype", "segment_replay", "attribute",
                                                     "allele_frequency_lr"))
    chk = next(x for x in m["verdict"]["checks"] if x["name"] == "max_attack_auc")
    assert chk["passed"] and chk["attack"] == a["max_auc_attack"] and "TPR at 1% FPR" in chk["note"]
    assert c["privacy"]["attacks"]["max_auc"] > 0.9
    # the leaky calibration reference, privacy only: fails the attack checks, carries privacy checks only
    from snpgen.baseline import sample_leaky
    from snpgen.evaluate.verdict import PRIVACY_CHECKS
    Gl, yl = sample_leaky(data.G[data.train], data.y[data.train], 400, 0.01, 5)
    io.write_bed(tmp_path / "synthetic/leaky", Gl, make_fam(data.syn_ids, yl), data.bim)
    lk = evaluate_generator(train=str(sel / "train"), test=str(sel / "test"), synthetic=str(tmp_path / "synthetic/leaky"),
                            real_gwas=str(gwas), figdir=str(tmp_path / "figs/leaky"), workdir=str(tmp_path / "work/leaky"),
                            params=params, thresholds={}, seed=3, disease="toy", generator="leaky", privacy_only=True)
    assert "utility" not in lk and "fidelity" not in lk
    assert {x["name"] for x in lk["verdict"]["checks"]} <= PRIVACY_CHECKS
    assert {"max_attack_auc", "segment_replay_share"} <= set(lk["verdict"]["failed_checks"])
    res["leaky"] = lk
    for r in res.values():
        text = json.dumps(r, allow_nan=False)  # plain JSON (no numpy scalars, no NaN), no individual IDs
        assert "SYN0" not in text and '"R1' not in text and "R10" not in text
    assert merged_params(None)["distance"] == "manhattan"
    with pytest.raises(ValueError, match="unknown"):
        merged_params({"no_such_key": 1})

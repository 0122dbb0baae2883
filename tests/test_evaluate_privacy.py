"""Privacy metrics and the release verdict on constructed cohorts.

A 'synthetic' cohort that copies training rows must fail the identical-match, NNAA, privacy-loss
and MIA checks; one drawn from held-out real individuals (same population, never trained on)
must pass them. Distances are checked against brute force.
"""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.spatial.distance import cdist

from genotypes import sim_geno  # noqa: E402
from snpgen.evaluate import attacks, privacy
from snpgen.evaluate.verdict import DEFAULT_THRESHOLDS, verdict

# ------------------------------------------------------------------ constructed data




def make_bim(L: int) -> pl.DataFrame:
    return pl.DataFrame({"CHR": ["1"] * L, "ID": [f"rs{i}" for i in range(L)], "CM": [0.0] * L,
                         "POS": [1000 + 5000 * i for i in range(L)], "A1": ["A"] * L, "A2": ["G"] * L})


@pytest.fixture(scope="module")
def cohort():
    """T (train), H (held-out real), R (other real people, source of the 'safe' synthetic set)."""
    rng = np.random.default_rng(42)
    n, L = 2000, 200
    G = sim_geno(3 * n, L, rng)
    return {"T": G[:n], "H": G[n:2 * n], "R": G[2 * n:], "L": L}


@pytest.fixture(scope="module")
def results(cohort):
    T, H, R = cohort["T"], cohort["H"], cohort["R"]
    rng = np.random.default_rng(7)
    copy = T[rng.permutation(T.shape[0])]
    out = {}
    for name, S in (("copy", copy), ("holdout", R)):
        m = {"identical_match_rate": privacy.identical_match_rate(S, T)}
        m.update(privacy.distance_privacy(S, T, H, seed=1, max_n=2000, n_boot=200))
        y0 = np.zeros(S.shape[0], dtype=np.int8)  # no phenotype here: the stronger attacks (tests/test_attacks.py)
        m["attacks"] = attacks.run_attacks(S, y0, T, y0, H, y0[:H.shape[0]], seed=1)
        out[name] = m
    return out


def _privacy_only(thresholds=None):
    th = {k: None for k in ("min_tstr_trtr_ratio", "min_af_correlation", "min_ld_correlation", "max_king_kinship",
                            "max_hwe_failure_excess", "het_f_distance_factor", "ld_strength_min",
                            "structure_pc_factor", "max_cluster_proportion_diff")}
    th.update(thresholds or {})
    return th


# ------------------------------------------------------------------ distances


@pytest.mark.parametrize("metric,scipy_metric", [("manhattan", "cityblock"), ("hamming", "hamming")])
def test_chunked_distances_equal_brute_force(metric, scipy_metric):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, size=(37, 53)).astype(np.int8)
    Y = rng.integers(0, 3, size=(29, 53)).astype(np.int8)
    Y[5] = X[3]  # an exact duplicate across sets
    D = cdist(X, Y, scipy_metric) * (53 if metric == "hamming" else 1)
    for chunk in (1, 4, 7, 2048):
        d = privacy.nearest_distances(X, Y, metric=metric, chunk=chunk)
        np.testing.assert_array_equal(d, np.rint(D.min(axis=1)).astype(int))
    assert privacy.nearest_distances(X, Y, metric=metric)[3] == 0
    # within one set, excluding only the record itself (a duplicate row still counts as 0)
    Z = np.vstack([X, X[:2]])
    DZ = cdist(Z, Z, scipy_metric) * (53 if metric == "hamming" else 1)
    np.fill_diagonal(DZ, np.inf)
    for chunk in (3, 8, 100):
        dz = privacy.nearest_distances(Z, None, metric=metric, chunk=chunk, exclude_self=True)
        np.testing.assert_array_equal(dz, np.rint(DZ.min(axis=1)).astype(int))
    assert dz[0] == 0 and dz[-1] == 0


def test_distances_refuse_missing_and_mode_imputation():
    G = np.array([[0, -1, 2], [0, 1, 2], [1, 1, -1], [0, 2, 2]], dtype=np.int8)
    with pytest.raises(ValueError, match="missing"):
        privacy.nearest_distances(G, G)
    modes = privacy.column_modes(G)
    np.testing.assert_array_equal(modes, [0, 1, 2])
    Gi = privacy.impute_mode(G, modes)
    assert Gi[0, 1] == 1 and Gi[2, 2] == 2 and (Gi >= 0).all()
    assert (G[0, 1] == -1)  # input untouched
    full = privacy.impute_mode(Gi, modes)  # nothing missing: the same array, no copy
    assert full is Gi
    as_int8 = privacy.impute_mode(Gi.astype(np.int16), modes)
    assert as_int8.dtype == np.int8 and np.array_equal(as_int8, Gi)


def test_identical_match_hashing_matches_brute_force():
    rng = np.random.default_rng(3)
    T = rng.integers(0, 3, size=(50, 20)).astype(np.int8)
    S = rng.integers(0, 3, size=(40, 20)).astype(np.int8)
    S[[1, 5, 9]] = T[[0, 10, 20]]
    brute = int((cdist(S, T, "cityblock").min(axis=1) == 0).sum())
    assert privacy.identical_match_count(S, T) == brute == 3
    assert privacy.identical_match_rate(S, T) == pytest.approx(3 / 40)


# ------------------------------------------------------------------ copies fail, held-out passes


def test_copy_of_training_fails_privacy_checks(results):
    m = results["copy"]
    assert m["identical_match_rate"] == 1.0
    assert m["nnaa"]["aa_ts"] < 0.1                 # memorised: every record's neighbour is its copy
    assert m["nnaa"]["privacy_loss"] > 0.3
    assert m["mia"]["auc"] > 0.95
    assert m["mia"]["tpr_at_fpr"] > 0.9
    assert m["dcr"]["frac_d_st_below_d_ht_p05"] > 0.9
    assert m["dcr"]["ks_pvalue"] < 1e-6
    v = verdict({"privacy": m}, _privacy_only())
    failed = {c["name"] for c in v["checks"] if c["passed"] is False}
    assert {"identical_match_rate", "nnaa_aa_ts", "mia_auc", "privacy_loss", "max_attack_auc",
            "segment_replay_share"} <= failed
    assert v["decision"] == "do not release"


def test_holdout_individuals_pass_privacy_checks(results):
    m = results["holdout"]
    assert m["identical_match_rate"] == 0.0
    assert abs(m["nnaa"]["aa_ts"] - 0.5) < 0.03
    assert abs(m["mia"]["auc"] - 0.5) < 0.03
    assert m["mia"]["tpr_at_fpr"] < 0.05
    assert m["nnaa"]["privacy_loss"] <= DEFAULT_THRESHOLDS["max_privacy_loss"]
    lo, hi = m["nnaa"]["privacy_loss_ci"]
    assert lo <= m["nnaa"]["privacy_loss"] <= hi and lo < 0 < hi
    assert 0.0 <= m["dcr"]["frac_d_st_below_d_ht_p05"] < 0.1
    v = verdict({"privacy": m}, _privacy_only())
    assert v["decision"] == "release", v["failed_checks"]


def test_partial_copy_is_caught_by_mia_and_identical_match(cohort):
    """Half copies, half unseen people: identical matches 0.5, MIA clearly above 0.55."""
    T, H, R = cohort["T"], cohort["H"], cohort["R"]
    S = np.vstack([T[:1000], R[:1000]])
    m = {"identical_match_rate": privacy.identical_match_rate(S, T)}
    m.update(privacy.distance_privacy(S, T, H, seed=2, max_n=2000, n_boot=50))
    assert m["identical_match_rate"] == pytest.approx(0.5)
    assert m["mia"]["auc"] > 0.7
    assert verdict({"privacy": m}, _privacy_only())["decision"] == "do not release"


def test_mia_tpr_at_fpr_definition():
    d_non = np.arange(100, dtype=float)        # scores -d: the top 1% of non-members is d=0
    d_mem = np.r_[np.zeros(5), np.full(95, 200.0)]
    r = privacy.mia_distance(d_mem, d_non, 0.01)
    assert r["tpr_at_fpr"] == pytest.approx(0.05)  # threshold d=0 holds exactly 1% of non-members
    d_non2 = np.r_[0.0, 0.0, np.arange(2, 100)]   # 2% tied at d=0: ties count in proportion (half)
    r = privacy.mia_distance(d_mem, d_non2, 0.01)
    assert r["tpr_at_fpr"] == pytest.approx(0.025)
    r = privacy.mia_distance(np.r_[np.full(5, -1.0), np.full(95, 200.0)], d_non, 0.01)
    assert r["tpr_at_fpr"] == pytest.approx(0.05)
    assert r["auc"] == pytest.approx(0.05)


def test_nnaa_ties_and_definition():
    d = np.array([1, 2, 3])
    r = privacy.nnaa_from_distances(d, d, d, d, tie_weight=0.5)
    assert r == {"aa_truth": 0.5, "aa_syn": 0.5, "aa_ts": 0.5}
    r = privacy.nnaa_from_distances(d, d, d, d, tie_weight=0.0)
    assert r["aa_ts"] == 0.0
    r = privacy.nnaa_from_distances(np.array([5, 5]), np.array([1, 1]), np.array([0, 0]), np.array([3, 3]))
    assert r["aa_truth"] == 1.0 and r["aa_syn"] == 0.0 and r["aa_ts"] == 0.5


# ------------------------------------------------------------------ KING (real plink2 run)


def test_king_flags_duplicates_but_not_unrelated(tmp_path):
    rng = np.random.default_rng(11)
    L = 600
    G = sim_geno(900, L, rng, rho=0.3)
    T, R = G[:300], G[300:600]
    bim = make_bim(L)
    dup = privacy.run_king(T[:40], T, bim, tmp_path / "dup", min_count=10)
    assert dup["any_syn_real_duplicate"]
    assert dup["max_kinship_syn_real"] > 0.45
    assert dup["thresholds"][0]["syn_real_pairs"] == 40
    safe = privacy.run_king(R, T, bim, tmp_path / "safe", min_count=10)
    assert not safe["any_syn_real_duplicate"]
    assert safe["max_kinship_syn_real_upper"] < 0.354
    v_dup = verdict({"privacy": {"king": dup}}, {k: None for k in DEFAULT_THRESHOLDS if k != "max_king_kinship"})
    v_safe = verdict({"privacy": {"king": safe}}, {k: None for k in DEFAULT_THRESHOLDS if k != "max_king_kinship"})
    assert v_dup["decision"] == "do not release" and v_safe["decision"] == "release"


def test_king_summary_suppresses_small_real_counts():
    kin = np.array([0.4, 0.2, 0.1, 0.4])
    g1 = np.array(["S", "S", "R", "R"])
    g2 = np.array(["R", "R", "R", "R"])
    s = privacy.king_summary(kin, g1, g2, n_syn=10, n_real=20, min_count=10)
    t354 = s["thresholds"][0]
    assert t354["syn_real_pairs"] is None and t354["syn_real_rate"] is None   # 1 pair < 10: suppressed
    assert t354["real_real_pairs"] is None
    assert s["max_kinship_syn_real"] == 0.4 and s["any_syn_real_duplicate"]
    empty = privacy.king_summary(np.array([]), np.array([]), np.array([]), 5, 5, table_filter=0.0884)
    assert empty["max_kinship_syn_real"] is None and empty["max_kinship_syn_real_upper"] == 0.0884


# ------------------------------------------------------------------ verdict logic


def _metrics(**over):
    m = {
        "privacy": {"identical_match_rate": 0.0, "nnaa": {"aa_ts": 0.5, "privacy_loss": 0.0},
                    "mia": {"auc": 0.5}, "king": {"max_kinship_syn_real": None, "max_kinship_syn_real_upper": 0.0884},
                    "attacks": {"max_auc": 0.52, "max_auc_attack": "density_pca", "max_tpr_at_1pct_fpr": 0.012,
                                "segment_replay": {"share_synthetic_above_holdout_q99": 0.01}}},
        "utility": {"logreg": {"ratio": 0.97}, "hgb": {"ratio": 0.5}},
        "fidelity": {"allele_frequency": {"correlation": 0.99},
                     "ld": {"correlation": 0.8, "n_pairs_informative": 100, "min_informative_pairs": 20,
                            "informative_r2": 0.1, "strength_ratio": 0.97},
                     "het_hwe": {"real_train": {"hwe_frac_below": 0.01}, "synthetic": {"hwe_frac_below": 0.012},
                                 "f_distance": {"wasserstein": 0.004, "mean_diff": -0.001,
                                                "holdout_wasserstein": 0.001}},
                     "structure": {"pc_distance_synthetic": [0.2, 0.05, 0.1, 0.1],
                                   "pc_distance_holdout": [0.1, 0.02, 0.1, 0.1],
                                   "clusters": {"overall": {"max_abs_diff_synthetic": 0.02}}}},
    }
    for path, val in over.items():
        d = m
        keys = path.split("__")
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = val
    return m


def test_verdict_all_pass_and_each_failure():
    v = verdict(_metrics())
    assert v["decision"] == "release" and v["passed"] and v["failed_checks"] == []
    names = {c["name"] for c in v["checks"]}
    assert names == {"identical_match_rate", "nnaa_aa_ts", "mia_auc", "privacy_loss", "max_king_kinship",
                     "max_attack_auc", "segment_replay_share", "tstr_trtr_ratio_logreg", "af_correlation", "ld_correlation",
                     "hwe_failure_share", "het_f_distance", "ld_strength",
                     "structure_pc1_distance", "structure_pc2_distance", "structure_pc3_distance",
                     "structure_pc4_distance", "cluster_proportion_diff"}
    pc1, pc2 = (next(c for c in v["checks"] if c["name"] == f"structure_pc{j}_distance") for j in (1, 2))
    assert pc1["threshold"] == pytest.approx(0.2) and pc2["threshold"] == pytest.approx(0.1)  # 2 x held-out; floor
    king = next(c for c in v["checks"] if c["name"] == "max_king_kinship")
    assert "upper bound" in king["note"]
    cases = {
        "privacy__identical_match_rate": (0.001, "identical_match_rate"),
        "privacy__nnaa__aa_ts": (0.40, "nnaa_aa_ts"),
        "privacy__mia__auc": (0.56, "mia_auc"),
        "privacy__nnaa__privacy_loss": (0.03, "privacy_loss"),
        "privacy__attacks__max_auc": (0.56, "max_attack_auc"),
        "privacy__attacks__segment_replay": ({"share_synthetic_above_holdout_q99": 0.06}, "segment_replay_share"),
        "utility__logreg__ratio": (0.85, "tstr_trtr_ratio_logreg"),
        "fidelity__allele_frequency__correlation": (0.9, "af_correlation"),
        "fidelity__ld__correlation": (0.1, "ld_correlation"),
        "fidelity__het_hwe__synthetic__hwe_frac_below": (0.02, "hwe_failure_share"),
        "fidelity__het_hwe__f_distance__wasserstein": (0.006, "het_f_distance"),
        "fidelity__ld__strength_ratio": (0.75, "ld_strength"),
        "fidelity__structure__pc_distance_synthetic": ([0.21, 0.05, 0.1, 0.1], "structure_pc1_distance"),
        "fidelity__structure__clusters": ({"overall": {"max_abs_diff_synthetic": 0.031}}, "cluster_proportion_diff"),
    }
    for path, (val, name) in cases.items():
        v = verdict(_metrics(**{path: val}))
        assert v["decision"] == "do not release" and v["failed_checks"] == [name], (path, v["failed_checks"])
    v = verdict(_metrics(privacy__king={"max_kinship_syn_real": 0.5, "max_kinship_syn_real_upper": 0.5}))
    assert v["failed_checks"] == ["max_king_kinship"]
    # the upper AA_TS bound too (poor fidelity)
    assert verdict(_metrics(privacy__nnaa__aa_ts=0.6))["failed_checks"] == ["nnaa_aa_ts"]


def test_verdict_boundaries_missing_and_disabled():
    assert verdict(_metrics(privacy__mia__auc=0.55))["decision"] == "release"
    assert verdict(_metrics(privacy__nnaa__aa_ts=0.45))["decision"] == "release"
    # a missing privacy metric fails (never release on absent evidence)
    m = _metrics()
    del m["privacy"]["mia"]
    v = verdict(m)
    assert v["failed_checks"] == ["mia_auc"]
    assert verdict(_metrics(utility__logreg__ratio=float("nan")))["decision"] == "do not release"
    # a threshold set to None disables the check
    v = verdict(_metrics(privacy__mia__auc=0.9), {"max_mia_auc": None})
    assert v["decision"] == "release" and "mia_auc" not in {c["name"] for c in v["checks"]}
    # custom thresholds and several utility models
    v = verdict(_metrics(), {"utility_models": ["logreg", "hgb"]})
    assert v["failed_checks"] == ["tstr_trtr_ratio_hgb"]
    # LD check not applicable when real LD is too weak to measure: listed, not deciding
    v = verdict(_metrics(fidelity__ld__correlation=0.0, fidelity__ld__n_pairs_informative=3))
    ld = next(c for c in v["checks"] if c["name"] == "ld_correlation")
    assert ld["passed"] is None and "not applicable" in ld["note"] and v["decision"] == "release"


def test_repeated_draws_steady_aa_ts_when_the_held_out_set_is_small(cohort):
    """With a small H (n = |H| = 150) one draw of S and T leaves most of them unused; the mean over
    8 draws moves less from seed to seed than one draw does, and one draw is the old estimate."""
    S, T, H = cohort["R"], cohort["T"], cohort["H"][:150]
    one = [privacy.distance_privacy(S, T, H, seed=s, n_boot=10)["nnaa"]["aa_ts"] for s in range(8)]
    many = [privacy.distance_privacy(S, T, H, seed=s, n_boot=10, repeats=8) for s in range(8)]
    assert all(m["draws"] == 8 and m["n_per_set"] == 150 for m in many)
    assert np.std([m["nnaa"]["aa_ts"] for m in many]) < 0.6 * np.std(one)
    assert abs(np.mean([m["nnaa"]["aa_ts"] for m in many]) - 0.5) < 0.03  # R and T: the same population
    assert privacy.privacy_draws((3000, 3000, 150), 1000, 8) == (150, 6)  # draws x n within max_n
    assert privacy.privacy_draws((3000, 3000, 5000), 5000, 8) == (3000, 1)


def test_privacy_loss_counts_from_the_population_reference():
    """privacy_loss_reference: population: the limit is max_privacy_loss above the population-statistics
    reference's loss on the same people (clipped to +-max_privacy_loss); none, or no reference, = the fixed
    limit. A cohort that leaks no more than population statistics passes; the leaky one fails."""
    def loss_check(loss, ref, **th):
        m = _metrics(privacy__nnaa__privacy_loss=loss)
        if ref is not None:
            m["privacy"]["population_reference"] = {"privacy_loss": ref}
        return next(c for c in verdict(m, th or None)["checks"] if c["name"] == "privacy_loss")

    c = loss_check(0.024, 0.016)  # the panel's baseline-like case: over 0.02, but within 0.02 of its reference
    assert c["passed"] and c["threshold"] == pytest.approx(0.036) and c["reference"] == "population"
    assert c["reference_value"] == pytest.approx(0.016)
    assert not loss_check(0.024, 0.016, privacy_loss_reference="none")["passed"]
    assert loss_check(0.024, 0.016, privacy_loss_reference="none")["reference"] == "none"
    assert not loss_check(0.024, None)["passed"] and loss_check(0.024, None)["threshold"] == pytest.approx(0.02)
    assert not loss_check(0.044, 0.004)["passed"]  # beyond population statistics
    assert not loss_check(0.107, 0.011)["passed"]  # the leaky reference
    assert loss_check(0.05, 0.2)["threshold"] == pytest.approx(0.04)  # the reference counts up to +0.02
    assert not loss_check(0.015, -0.1)["passed"]  # and down to -0.02: limit 0

"""The shareable report: small-count suppression, rendering from a fixture results tree
(complete and with missing inputs), and the pages in headless Chromium (no network, no console
errors, every figure drawn)."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from snpgen.evaluate.verdict import verdict
from snpgen.paths import GWAS_GLM
from snpgen.report import (MIN_COUNT, SECONDARY, cell_threshold, is_suppressed, min_cell_count, suppress_parts,
                           suppress_small)
from snpgen.plink import tool_versions
from snpgen.provenance import run_provenance
from snpgen.report.render import DEFAULT_GENERATORS, render_disease_report, render_index

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
N_REAL = 40  # people in the fixture cohort .fam
PRIVACY_FIGURES = ("dcr_hist.png", "mia_roc.png")  # all the leaky calibration reference produces
EVAL_FIGURES = ("roc.png", "af_scatter.png", "ld_heatmap.png", "ld_decay.png", "pca.png",
                "pca_wasserstein.png", "het_hwe.png", "gwas_beta.png", "effects_truth.png", "dcr_hist.png",
                "mia_roc.png")


# --------------------------------------------------------------------------- suppression
def test_suppress_small_hides_counts_below_ten_including_zero():
    assert suppress_small(0) == "<10"
    assert suppress_small(1) == "<10"
    assert suppress_small(9) == "<10"
    assert suppress_small(9.6) == "<10"
    assert suppress_small(10) == "10"
    assert suppress_small(1234) == "1,234"
    assert suppress_small(np.int64(532)) == "532"
    assert suppress_small(None) == "n/a"
    assert suppress_small(None, missing="<10") == "<10"  # a producer's null = already suppressed
    assert suppress_small(float("nan")) == "n/a"
    assert suppress_small(5, min_count=5) == "5"
    with pytest.raises(ValueError):
        suppress_small(-1)
    with pytest.raises(TypeError):
        suppress_small(True)
    assert is_suppressed(3) and is_suppressed(None) and not is_suppressed(10)
    assert MIN_COUNT == 10


def test_suppress_parts_adds_secondary_suppression_when_a_total_is_known():
    # QC removals 0,0,4,0,0,28 with before/after totals shown: hiding the small ones alone would let
    # 32 - 28 = 4 be recovered, so 28 is hidden too
    assert suppress_parts([0, 0, 4, 0, 0, 28]) == ["<10"] * 5 + [SECONDARY]
    assert suppress_parts([5, 100]) == ["<10", SECONDARY]          # cases 5, controls 100
    assert suppress_parts([50, 100]) == ["50", "100"]
    assert suppress_parts([12, 0, 0, 30]) == [SECONDARY, "<10", "<10", "30"]
    assert suppress_parts([3, 8, 200]) == ["<10", "<10", "200"]    # hidden sum 11 >= 10 already
    assert suppress_parts([None, 20]) == ["n/a", "20"]


def test_configured_min_cell_count_sets_threshold_and_label():
    """evaluate.min_cell_count = 20: a count of 15 reads "<20", 25 is shown."""
    assert suppress_small(15, 20) == "<20" and suppress_small(25, 20) == "25"
    with cell_threshold(20) as n:
        assert n == 20 and min_cell_count() == 20
        assert suppress_small(15) == "<20" and suppress_small(25) == "25" and suppress_small(19.6) == "<20"
        assert is_suppressed(15) and not is_suppressed(25)
        assert suppress_parts([15, 25, 30]) == ["<20", SECONDARY, "30"]   # hidden sum 15 < 20
        with cell_threshold(None):
            assert min_cell_count() == 20
    assert min_cell_count() == MIN_COUNT and suppress_small(15) == "15"
    with pytest.raises(ValueError):
        with cell_threshold(-1):
            pass


def test_qc_removals_keep_a_large_complementary_count_visible_rounded():
    # issue 20: KING removed 3,086 of 6,500 people, the other steps fewer than 10: the large
    # removal was the one hidden ("suppressed"); with round_secondary it reads "≈3,090"
    from snpgen.report import round_count

    out = suppress_parts([0, 0, 2, 0, 0, 3086], round_secondary=True)
    assert out == ["<10"] * 5 + ["≈3,090"]
    assert SECONDARY not in suppress_parts([12, 0, 0, 30], round_secondary=True)
    assert suppress_parts([12, 0, 0, 30], round_secondary=True)[0] == "≈10"
    assert suppress_parts([3, 8, 200], round_secondary=True) == ["<10", "<10", "200"]
    # every count >= MIN_COUNT stays visible (never "suppressed", never "<10")
    for parts in ([0, 0, 4, 0, 0, 28], [5, 100], [1, 0, 9, 14, 15000], [0, 10]):
        for v, shown in zip(parts, suppress_parts(parts, round_secondary=True)):
            if v >= MIN_COUNT:
                assert shown not in (SECONDARY, "<10") and shown.replace("≈", "").replace(",", "").isdigit()
    assert round_count(14) == "≈10" and round_count(15) == "≈20" and round_count(10) == "≈10"
    # evaluate.min_cell_count = 20: labels read "<20" and the complementary count rounds to 20s
    with cell_threshold(20):
        assert round_count(3086) == "≈3,080" and round_count(29) == "≈20" and round_count(30) == "≈40"
        assert suppress_parts([0, 12, 2, 3086], round_secondary=True) == ["<20", "<20", "<20", "≈3,080"]
        assert suppress_parts([15, 25, 30], round_secondary=True) == ["<20", "≈20", "30"]
    assert suppress_parts([15, 25, 30], 20, round_secondary=True) == ["<20", "≈20", "30"]


# --------------------------------------------------------------------------- fixture tree
def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2))


def _glm(path: Path, rng: np.random.Generator, n: int = 600) -> list[str]:
    """A plink2 --glm (firth-fallback) table over two chromosomes with a few strong hits."""
    from scipy.stats import norm

    rows = ["#CHROM\tPOS\tID\tREF\tALT\tA1\tFIRTH?\tTEST\tOBS_CT\tOR\tLOG(OR)_SE\tZ_STAT\tP\tERRCODE"]
    ids = []
    for i in range(n):
        chrom = 1 if i < n // 2 else 2
        pos = 10_000 + (i % (n // 2)) * 5_000
        z = rng.normal() + (7.0 if i in (40, 41, 420) else 0.0)
        p = 2 * norm.sf(abs(z))
        se = 0.1
        sid = f"{chrom}:{pos}"
        ids.append(sid)
        rows.append(f"{chrom}\t{pos}\t{sid}\tA\tG\tG\tN\tADD\t28\t{np.exp(z * se):.5f}\t{se}\t{z:.5f}\t{p:.6g}\t.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")
    return ids


def _history_png(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.5))
    ax.plot(range(1, 11), np.linspace(1.0, 0.6, 10))
    ax.set_xlabel("epoch")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=60)
    plt.close(fig)


def _eval_figures(figdir: Path, rng: np.random.Generator, ld_syn: bool) -> None:
    """The evaluation package's own figure functions on small constructed arrays."""
    from snpgen.evaluate import figures

    fpr = np.linspace(0, 1, 30)
    figures.roc_curves({"TRTR logreg": (fpr, fpr ** 0.6, 0.70), "TSTR logreg": (fpr, fpr ** 0.7, 0.66)},
                       figdir / "roc.png")
    p = rng.uniform(0.05, 0.95, 60)
    figures.af_scatter(p, np.clip(p + rng.normal(0, 0.02, 60), 0, 1), figdir / "af_scatter.png", 0.99)
    R = rng.uniform(0, 1, (8, 8))
    R = (R + R.T) / 2
    figures.ld_heatmaps(R, R * 0.8 if ld_syn else np.eye(8), figdir / "ld_heatmap.png")
    figures.ld_decay([{"bin_low_kb": 0, "bin_high_kb": 1, "n_pairs": 12, "mean_r2_real": 0.4, "mean_r2_synthetic": 0.3},
                      {"bin_low_kb": 1, "bin_high_kb": 10, "n_pairs": 30, "mean_r2_real": 0.2, "mean_r2_synthetic": 0.15},
                      {"bin_low_kb": 10, "bin_high_kb": None, "n_pairs": 50, "mean_r2_real": 0.02, "mean_r2_synthetic": 0.02}],
                     figdir / "ld_decay.png")
    pcs = rng.normal(size=(300, 2))
    figures.pca_overlay(pcs, pcs + rng.normal(0, 0.1, pcs.shape), figdir / "pca.png", min_count=10)
    figures.pca_wasserstein([0.05, 0.08, 0.1], [0.04, 0.05, 0.06], figdir / "pca_wasserstein.png")
    F = rng.normal(0, 0.05, 200)
    hp = rng.uniform(size=60)
    figures.het_hwe(F, F + 0.01, hp, hp, figdir / "het_hwe.png")
    b = rng.normal(0, 0.2, 60)
    figures.gwas_beta_scatter(b, b + rng.normal(0, 0.05, 60), figdir / "gwas_beta.png", 0.9)
    true = np.r_[rng.normal(0, 0.2, 8), np.zeros(52)]
    figures.effects_vs_truth(true, {"real train": 1.7 * true + rng.normal(0, 0.05, 60), "real held-out": 1.8 * true,
                                    "synthetic": 1.2 * true}, figdir / "effects_truth.png")
    figures.dcr_hist(rng.normal(50, 5, 200), rng.normal(50, 5, 200), figdir / "dcr_hist.png")
    f = np.sort(rng.uniform(size=100))
    figures.mia_roc(f, np.clip(f * 1.02, 0, 1), 0.51, figdir / "mia_roc.png", 100)


def _structure(base: bool) -> dict:
    """fidelity.structure of the fixture: two clusters of the 28 training people (18 / 10); the
    12 held-out people's cluster counts (8 / 4) are small, so their shares are null (suppressed).
    The baseline merges the clusters (structure checks fail)."""
    syn = [0.95, 0.05] if base else [0.65, 0.35]
    real = [18 / 28, 10 / 28]
    return {
        "n_pcs": 4, "units": "SD of the real training PC score",
        "pc_distance_synthetic": [0.8, 0.5, 0.1, 0.1] if base else [0.05, 0.06, 0.08, 0.09],
        "pc_distance_holdout": [0.04, 0.05, 0.07, 0.08],
        "clusters": {
            "method": "gaussian mixture on PC1..PC4 of real train, number by BIC", "n_clusters": 2,
            "population": ["EUR", "AFR"],
            "overall": {"proportions": {"real_train": real, "synthetic": syn, "holdout": [None, None]},
                        "max_abs_diff_synthetic": abs(syn[0] - real[0]), "max_abs_diff_holdout": 0.02},
            "case": {"proportions": {"real_train": [None, None], "synthetic": syn, "holdout": [None, None]},
                     "max_abs_diff_synthetic": 0.3, "max_abs_diff_holdout": 0.1},
            "control": {"proportions": {"real_train": [0.65, None], "synthetic": syn, "holdout": [None, None]},
                        "max_abs_diff_synthetic": 0.3, "max_abs_diff_holdout": 0.1},
            # inside each cluster, in its own SD; the held-out clusters (8 / 4 people) are too small to show
            "within_pc_distance_synthetic": [[1.9, 0.7, 0.2, 0.1], None] if base else [[0.11, 0.12, 0.13, 0.14]] * 2,
            "within_pc_distance_holdout": [None, None],
        },
    }


def _effects(base: bool) -> dict:
    """fidelity.effects (issue 23) as the evaluation writes it for a simulated cohort."""
    def fit(r, slope):
        return {"n_snps": 3, "correlation": r, "slope": slope, "sign_concordance": 1.0}

    def rec(tpr, fdr):
        return {"level": 5e-8, "n_causal_in_set": 3, "n_significant": 3, "n_true_positive": 2, "tpr": tpr, "fdr": fdr}

    syn = (0.93, 1.7) if base else (0.81, 1.2)
    return {"method": "plink2 --glm logistic (Firth fallback) adjusted for PC1-PC4 of the selected SNPs", "n_pcs": 4,
            "vs_holdout": {"real_train": {"n_snps": 64, "correlation": 0.46, "replication_slope": 0.44,
                                          "sign_concordance": 0.7},
                           "synthetic": {"n_snps": 64, "correlation": 0.3 if not base else 0.45,
                                         "replication_slope": 0.37, "sign_concordance": 0.65}},
            "vs_truth": {"effect_scale": "liability per allele", "n_causal_selected": 3,
                         "real_train": {"all": fit(0.14, 1.7), "causal": fit(0.97, 1.74)},
                         "holdout": {"all": fit(0.17, 2.0), "causal": fit(0.931, 1.86)},
                         "synthetic": {"all": fit(0.1, 1.1), "causal": fit(*syn)}},
            "recovery": {"5e-08": {"real_train": rec(0.67, 0.33), "holdout": rec(0.33, 0.0),
                                   "synthetic": rec(0.333, 0.5)}}}


def _metrics(disease: str, gen: str) -> dict:
    """A metrics dict laid out as in docs/metrics.md (plausible values), verdict computed by
    snpgen.evaluate.verdict so the report shows what the evaluation would write."""
    base = gen == "baseline"
    m = {
        "schema_version": 1, "disease": disease, "generator": gen,
        "sizes": {"n_snps": 64, "n_synthetic": 400, "n_train": 28, "n_test": 12,
                  "case_fraction_synthetic": 0.5 if gen == "augmented" else 0.3,
                  "case_fraction_train": 0.3, "case_fraction_test": 0.33},
        "utility": {
            "n_bootstrap": 200, "ci_level": 0.95,
            "logreg": {"trtr": {"auc": 0.71, "ci_low": 0.62, "ci_high": 0.79, "fit": {"degenerate": False, "C": 0.1}},
                       "tstr": {"auc": 0.68 if not base else 0.69, "ci_low": 0.58, "ci_high": 0.77,
                                "fit": {"degenerate": False, "C": 0.1}},
                       "ratio": 0.958, "ratio_ci_low": 0.88, "ratio_ci_high": 1.02,
                       "delta": -0.03, "delta_ci_low": -0.08, "delta_ci_high": 0.01,
                       **({} if base else {"vs_baseline": {
                           "auc": 0.69, "ci_low": 0.58, "ci_high": 0.78, "fit": {"degenerate": False, "C": 0.1},
                           "delta": -0.01, "delta_ci_low": -0.04, "delta_ci_high": 0.02,
                           "real_delta": 0.02, "real_delta_ci_low": -0.013, "real_delta_ci_high": 0.051}})},
            "hgb": {"trtr": {"auc": 0.66, "ci_low": 0.57, "ci_high": 0.75, "fit": {"degenerate": False, "n_iter": 40}},
                    "tstr": {"auc": 0.64, "ci_low": 0.55, "ci_high": 0.73, "fit": {"degenerate": False, "n_iter": 35}},
                    "ratio": 0.97, "ratio_ci_low": 0.9, "ratio_ci_high": 1.04,
                    "delta": -0.02, "delta_ci_low": -0.06, "delta_ci_high": 0.02},
        },
        "fidelity": {
            "allele_frequency": {"correlation": 0.995, "holdout_correlation": 0.99, "mean_abs_diff": 0.012,
                                 "q95_abs_diff": 0.03, "max_abs_diff": 0.05, "n_snps": 64,
                                 "n_monomorphic_synthetic": 0},
            "ld": {"window": 50, "n_windows": 2, "n_pairs": 2450, "correlation": 0.02 if base else 0.71,
                   "correlation_informative": 0.01 if base else 0.64, "per_window_mean_correlation": 0.6,
                   "holdout_correlation": 0.9, "holdout_per_window_mean_correlation": 0.88,
                   "mean_r2_real": 0.05, "mean_r2_synthetic": 0.004 if base else 0.045, "mean_abs_r2_diff": 0.02,
                   "strength_ratio": 0.08 if base else 0.95, "holdout_strength_ratio": 0.99,
                   "n_pairs_informative": 120, "informative_r2": 0.1, "min_informative_pairs": 20,
                   "decay": [{"bin_low_kb": 0, "bin_high_kb": 1, "n_pairs": 12, "mean_r2_real": 0.4,
                              "mean_r2_synthetic": 0.3}]},
            "pca": {"n_pcs": 3, "explained_variance_ratio": [0.05, 0.04, 0.03],
                    "wasserstein_synthetic": [0.05, 0.08, 0.1], "mean_wasserstein_synthetic": 0.077,
                    "wasserstein_holdout": [0.04, 0.05, 0.06], "mean_wasserstein_holdout": 0.05,
                    "units": "SD of the real training PC score"},
            "structure": _structure(base),
            "het_hwe": {"real_train": {"het_F_mean": 0.001, "het_F_sd": 0.05, "hwe_frac_below": 0.0,
                                       "hwe_threshold": 1e-6, "hwe_median_neglog10p": 0.3, "n_snps_hwe": 64,
                                       "het_F_quantiles": {"q05": -0.08, "q25": -0.03, "q50": 0.0, "q75": 0.03, "q95": 0.08}},
                        "synthetic": {"het_F_mean": 0.005 if base else -0.002, "het_F_sd": 0.04,
                                      "hwe_frac_below": 0.02 if base else 0.0,
                                      "hwe_threshold": 1e-6, "hwe_median_neglog10p": 0.35, "n_snps_hwe": 64,
                                      "het_F_quantiles": {"q05": -0.06, "q25": -0.02, "q50": 0.01, "q75": 0.04, "q95": 0.07}},
                        "real_test": {"het_F_mean": 0.002, "het_F_sd": 0.05, "hwe_frac_below": 0.0,
                                      "hwe_threshold": 1e-6, "hwe_median_neglog10p": 0.3, "n_snps_hwe": 64,
                                      "het_F_quantiles": {"q05": -0.08, "q25": -0.03, "q50": 0.0, "q75": 0.03, "q95": 0.08}},
                        "f_distance": {"wasserstein": 0.0043, "mean_diff": 0.004 if base else -0.003,
                                       "holdout_wasserstein": 0.0012, "holdout_mean_diff": 0.001}},
            "maf": {role: {"maf_frac_below": 0.0, "maf_threshold": 0.01, "maf_median": 0.27, "maf_mean": 0.26,
                           "n_monomorphic": 0} for role in ("real_train", "synthetic", "real_test")}
                   | {"correlation": 0.993, "holdout_correlation": 0.99, "source": "plink2 --freq"},
            "gwas": {"covariates_real": "as in the training GWAS", "covariates_synthetic": "none",
                     "n_snps_compared": 64, "beta_correlation": 0.85, "beta_spearman": 0.8, "sign_concordance": 0.9,
                     "sign_concordance_real_significant": 1.0, "n_real_significant": 3,
                     "real_significance_level": 5e-8, "neglog10p_correlation": 0.8,
                     "regression_slope_syn_on_real": 0.9,
                     "causal_recovery": {"n_causal_total": 10, "n_causal_selected": 3, "levels": {
                         "5e-08": {"real_train": {"level": 5e-8, "n_causal_in_set": 3, "n_significant": 3,
                                                  "n_true_positive": 2, "tpr": 0.67, "fdr": 0.33},
                                   "synthetic": {"level": 5e-8, "n_causal_in_set": 3, "n_significant": 4,
                                                 "n_true_positive": 2, "tpr": 0.67, "fdr": 0.5}}}}},
            "effects": _effects(base),
        },
        "privacy": {
            "threat_model": ("attacker holds a target's full genotype over the selected SNPs and the synthetic "
                             "cohort; empirical tests only, no formal differential-privacy guarantee"),
            "identical_match_rate": 0.0, "identical_match_count": None,
            "holdout_identical_match_count": None, "holdout_identical_match_rate": None,
            "n_per_set": 12, "metric": "manhattan",
            "dcr": {"n_s": 12, "n_h": 12, "d_st_mean": 50.0, "d_ht_mean": 51.0,
                    "d_st_quantiles": {"q05": 40, "q25": 46, "q50": 50, "q75": 54, "q95": 60},
                    "d_ht_quantiles": {"q05": 41, "q25": 47, "q50": 51, "q75": 55, "q95": 61},
                    "d_ht_p05": 41, "frac_d_st_below_d_ht_p05": 0.06, "frac_d_st_zero": 0.0,
                    "ks_statistic": 0.1, "ks_pvalue": 0.6, "mannwhitney_u": 70, "mannwhitney_pvalue": 0.7,
                    "mannwhitney_auc": 0.49},
            "nnaa": {"train_reference": {"aa_truth": 0.52, "aa_syn": 0.5, "aa_ts": 0.51},
                     "holdout_reference": {"aa_truth": 0.53, "aa_syn": 0.51, "aa_ts": 0.52},
                     "aa_ts": 0.51, "privacy_loss": 0.01, "aa_ts_ci": [0.45, 0.57], "privacy_loss_ci": [-0.1, 0.12],
                     "tie_weight": 0.5, "n_bootstrap": 200, "ci_level": 0.95},
            "mia": {"auc": 0.51 if not base else 0.5, "tpr_at_fpr": 0.01, "fpr_level": 0.01,
                    "n_members": 12, "n_nonmembers": 12},
            "king": {"n_synthetic": 400, "n_real": 28, "table_filter": 0.0442,
                     "thresholds": [{"threshold": t, "syn_real_pairs": None, "syn_real_rate": None,
                                     "real_real_pairs": None, "real_real_rate": None, "syn_syn_pairs": 3,
                                     "syn_syn_rate": 3 / 79800, "syn_real_rate_le_real_real": True}
                                    for t in (0.354, 0.177, 0.0884)],
                     "max_kinship_syn_real": None, "max_kinship_syn_real_upper": 0.0442,
                     "any_syn_real_duplicate": False, "max_kinship_real_real": 0.06},
        },
        "figures": sorted(EVAL_FIGURES),
        "params": {"bootstrap_n": 200},
        "provenance": {"seed": 1234, "python": "3.11", "numpy": "2.4", "plink2": "PLINK v2.00a3.5"},
    }
    m["privacy"]["attacks"] = _attacks(gen)
    if gen == "leaky":  # the leaky calibration reference: privacy only
        del m["utility"], m["fidelity"]
        m["evaluated"] = "privacy only (calibration reference: utility and fidelity not evaluated)"
        m["figures"] = sorted(PRIVACY_FIGURES)
    m["verdict"] = verdict(m, {}, privacy_only=gen == "leaky")
    return m


def _attacks(gen: str) -> dict:
    """privacy.attacks as snpgen.evaluate.attacks writes it: the leaky reference fails every attack,
    the baseline sits at guessing, the model slightly above (members: 12, so TPRs are suppressed)."""
    auc = {"leaky": 0.99, "baseline": 0.5}.get(gen, 0.52)
    share = {"leaky": 0.97, "baseline": 0.0}.get(gen, 0.02)
    one = lambda a: {"auc": a, "auc_se": 0.12, "min_resolvable_fpr": 1 / 12, "tpr_at_1pct_fpr": None,  # noqa: E731
                     "tpr_at_1pct_fpr_upper": 0.833, "tpr_at_0p1pct_fpr": None, "tpr_at_0p1pct_fpr_upper": 0.833}
    return {
        "threat_model": "attacker holds the synthetic cohort, a target's genotypes and a reference sample",
        "design": {"reference": "held-out split in two seeded halves, each the reference of the other (cross-fitting)",
                   "n_members": None, "n_nonmembers": None, "n_reference_per_half": None, "n_synthetic": 400,
                   "n_train_replay_reference": None, "fpr_levels": [0.01, 0.001]},
        "density_pca": {**one(auc), "n_pcs": 10, "bandwidth_synthetic": 0.5, "bandwidth_reference": 0.7},
        "density_genotype": {**one(auc - 0.01), "bandwidth": 3.0, "metric": "manhattan"},
        "segment_replay": {**one(auc - 0.02), "synthetic_run_quantiles": {"q50": 9.0, "q90": 14.0, "q99": 60.0},
                           "holdout_run_quantiles": {"q50": 9.0, "q90": 13.0, "q99": 20.0},
                           "synthetic_run_mean": 10.0, "holdout_run_mean": 9.5, "holdout_q99": 20.0,
                           "share_synthetic_above_holdout_q99": share, "expected_share_when_safe": 0.01,
                           "n_snps": 64},
        "attribute": {**one(auc - 0.03), "auc_members": 0.7 if gen == "leaky" else 0.6, "auc_nonmembers": 0.6,
                      "auc_gap": 0.1 if gen == "leaky" else 0.0},
        "allele_frequency_lr": {**one(auc - 0.04), "auc_training_frequencies": 0.561,
                                "auc_training_frequencies_se": 0.12, "n_snps": 64},
        "max_auc": auc, "max_auc_se": 0.12, "max_auc_attack": "density_pca", "max_tpr_at_1pct_fpr": None,
        "max_tpr_at_1pct_fpr_attack": None, "max_tpr_at_1pct_fpr_upper": 0.833,
        "seconds": {"density_pca": 0.1},
    }


def build_results(root: Path, diseases=("cad",), *, with_models=True, with_metrics=True,
                  generators=DEFAULT_GENERATORS) -> Path:
    """A small results tree with the layout the workflow writes (constructed, not run)."""
    rng = np.random.default_rng(3)
    results = root / "results"
    fam = results / "cohort" / "cohort.fam"
    fam.parent.mkdir(parents=True, exist_ok=True)
    fam.write_text("".join(f"DEMO{i:06d} DEMO{i:06d} 0 0 {1 + i % 2} -9\n" for i in range(1, N_REAL + 1)))
    _write_json(results / "qc" / "qc_summary.json", {
        "input": {"individuals": N_REAL, "variants": 620}, "output": {"individuals": 40 - 4, "variants": 600},
        "covariates_missing": {"age": 0, "sex": 0},
        "pca": {"eigenvalues": [3.1, 2.2, 1.9], "n_pcs": 3, "pruned_snps": 300},
        "steps": [{"filter": "variant missing-call rate > 0.05", "step": "variant_call_rate", "individuals_removed": 0,
                   "individuals_left": 40, "variants_removed": 20, "variants_left": 600},
                  {"filter": "individual missing-call rate > 0.05", "step": "sample_call_rate",
                   "individuals_removed": 4, "individuals_left": 36, "variants_removed": 0, "variants_left": 600}]})
    _write_json(results / "inputs" / "validated.json", {
        "fileset": {"individuals": N_REAL, "variants": 620},
        "phenotypes": {"individuals": N_REAL, "not_in_fam": 0, "diseases": {d: {"with_status": 36} for d in diseases}}})
    for d in diseases:
        _write_json(results / d / "split" / "split_summary.json", {
            "train": {"individuals": 24, "cases": 7, "controls": 17},   # 7 cases: must read "<10"
            "val": {"individuals": 6, "cases": 2, "controls": 4},
            "test": {"individuals": 6, "cases": 2, "controls": 4}})
        ids = _glm(results / d / "gwas" / GWAS_GLM, rng)
        _write_json(results / d / "gwas" / "gwas_summary.json", {
            "lambda_gc": 1.03, "min_p": 1e-12, "n_genome_wide_significant": 3, "n_p_below_1e-5": 3,
            "variants_tested": 600, "variants_with_p": 600})
        sel = ids[30:62] + ids[400:432]
        (results / d / "selection").mkdir(parents=True, exist_ok=True)
        (results / d / "selection" / "snps.txt").write_text("\n".join(sel) + "\n")
        _write_json(results / d / "selection" / "selection_summary.json", {
            "causal_recall": {"causal_selected": 3, "causal_selected_or_tagged": 5, "n_causal": 10,
                              "recall_selected": 0.3, "recall_selected_or_tagged": 0.5},
            "median_gap_bp": 5000.0, "method": "clump", "n_candidates": 120, "n_genome_wide_significant": 3,
            "n_selected": 64, "p_max": 0.2, "p_min": 1e-12,
            "per_chromosome": [{"CHR": "1", "first_bp": 160000, "last_bp": 315000, "n": 32},
                               {"CHR": "2", "first_bp": 510000, "last_bp": 665000, "n": 32}]})
        if with_models:
            mdir = results / d / "model"
            mdir.mkdir(parents=True, exist_ok=True)
            (mdir / "vae_history.tsv").write_text(
                "epoch\ttrain_loss\ttrain_rec\ttrain_kl\ttrain_pheno\tval_recon_acc\tval_recon_ce\tval_trivial_acc\t"
                "val_auc\tlr\tseconds\tkept\n"
                + "".join(f"{e}\t{1 - e / 20:.3f}\t0.6\t1.0\t0.3\t{0.70 + e / 200:.4f}\t0.55\t0.69\t0.8\t0.002\t2.0"
                          f"\t{int(e == 10)}\n" for e in range(1, 11)))
            (mdir / "diffusion_history.tsv").write_text(
                "epoch\tstep\ttrain_loss\teval_loss_cond\teval_loss_uncond\tlr\tseconds\n"
                + "".join(f"{e}\t{e * 30}\t{0.5 - e / 50:.3f}\t0.33\t0.34\t0.0001\t3.0\n" for e in range(1, 7)))
            _history_png(mdir / "vae_curve.png")
            _history_png(mdir / "diffusion_curve.png")
        if with_metrics:
            ref = root / "_figs"
            if not ref.exists():
                _eval_figures(ref / "model", rng, ld_syn=True)
                _eval_figures(ref / "baseline", rng, ld_syn=False)
            for gen in generators:
                _write_json(results / d / "metrics" / f"{gen}.json", _metrics(d, gen))
                shutil.copytree(ref / ("baseline" if gen == "baseline" else "model"),
                                results / d / "metrics" / "figures" / gen,
                                ignore=(lambda _d, names: [n for n in names if n not in PRIVACY_FIGURES])
                                if gen == "leaky" else None)
            _write_json(results / d / "metrics" / "prs.json", {
                "schema_version": 1, "disease": d,
                "prs": {"method": "clumping+thresholding", "clump_r2": 0.1, "clump_kb": 250, "clump_p1": 1.0,
                        "n_gwas_snps": 600, "n_index_snps": 150,
                        "thresholds": [{"p_threshold": 1e-4, "n_snps": 3, "val_auc": 0.6},
                                       {"p_threshold": 0.05, "n_snps": 20, "val_auc": 0.63}],
                        "chosen_threshold": 0.05, "n_snps_chosen": 20, "n_val": 6, "n_test": 6, "n_pcs": 3,
                        "test": {"prs": {"auc": 0.64, "ci_low": 0.5, "ci_high": 0.78},
                                 "pcs": {"auc": 0.52, "ci_low": 0.4, "ci_high": 0.65},
                                 "prs_pcs": {"auc": 0.65, "ci_low": 0.52, "ci_high": 0.79},
                                 "delta_prs_pcs_vs_pcs": {"auc": 0.13, "ci_low": 0.01, "ci_high": 0.25}},
                        "weight": "log(OR)"},
                "params": {}, "provenance": {"seed": 1234, "python": "3.11"}})
        (results / "logs" / d).mkdir(parents=True, exist_ok=True)
        (results / "logs" / d / "split_samples.log").write_text("INFO train: 24 individuals (7 cases)\n")
    return results


def report_inputs(results: Path, d: str, generators=DEFAULT_GENERATORS) -> dict[str, Path]:
    """The named inputs rule render_report passes (report_inputs in workflow/rules/common.smk)."""
    ins = {"qc": results / "qc" / "qc_summary.json", "validated": results / "inputs" / "validated.json",
           "split": results / d / "split" / "split_summary.json", "gwas": results / d / "gwas" / "gwas_summary.json",
           "glm": results / d / "gwas" / GWAS_GLM,
           "selection": results / d / "selection" / "selection_summary.json",
           "snps": results / d / "selection" / "snps.txt", "prs": results / d / "metrics" / "prs.json",
           "readout": results / d / "model" / "readout.json"}
    for m in ("vae_history", "diffusion_history"):
        ins[m] = results / d / "model" / f"{m}.tsv"
    for m in ("vae_curve", "diffusion_curve"):
        ins[m] = results / d / "model" / f"{m}.png"
    for g in generators:
        ins[f"metrics_{g}"] = results / d / "metrics" / f"{g}.json"
        ins[f"figures_{g}"] = results / d / "metrics" / "figures" / g
    return ins


def test_report_inputs_match_the_rule_and_render_builds_no_paths():
    """The helper above names what rule render_report passes; render.py only receives paths."""
    root = Path(__file__).resolve().parents[1]
    smk = (root / "workflow/rules/common.smk").read_text()
    body = smk[smk.index("def report_inputs(wc):"):smk.index("def report_seeds(wc):")]
    keys = set(re.findall(r'^\s+"(\w+)": f"', body, flags=re.M))
    keys |= {f"{k}_{g}" for k in re.findall(r'ins\[f"(\w+)_\{gen\}"\]', body) for g in DEFAULT_GENERATORS}
    assert keys == set(report_inputs(Path("r"), "cad"))
    src = (root / "workflow/snpgen/report/render.py").read_text()
    for pattern in ('/ "metrics"', '/ "gwas"', '/ "split"', '/ "model"', '/ "qc"', "results /", "Path(results)"):
        assert pattern not in src, pattern


def render_all(results: Path, diseases=("cad",)) -> dict[str, Path]:
    prov = run_provenance(config_hash="0123456789abcdef", seeds={"master": 7, "split": 11}, tools=tool_versions(),
                          repo_dir=Path(__file__).parent)
    out = results / "reports"
    pages = {}
    entries = []
    for d in diseases:
        summ = render_disease_report(report_inputs(results, d), d, out / f"{d}.html", out / d, provenance=prov,
                                     verdict_json=out / f"{d}.verdict.json")
        entries.append({**summ, "href": f"{d}.html"})
        pages[d] = out / f"{d}.html"
    render_index(entries, out / "index.html", provenance=prov)
    pages["index"] = out / "index.html"
    return pages


@pytest.fixture(scope="module")
def full_report(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("report_full")
    results = build_results(root, diseases=("cad", "t2d"))
    return render_all(results, diseases=("cad", "t2d"))


@pytest.fixture(scope="module")
def partial_report(tmp_path_factory) -> dict[str, Path]:
    """Only the stages up to SNP selection have run (today's workflow)."""
    root = tmp_path_factory.mktemp("report_partial")
    results = build_results(root, with_models=False, with_metrics=False)
    return render_all(results)


# --------------------------------------------------------------------------- static checks
def _external_refs(html: str) -> list[str]:
    """src/href/url() targets that are neither data: URIs, in-page anchors nor relative pages."""
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html) + re.findall(r"url\(([^)]*)\)", html)
    return [r for r in refs if not (r.startswith("data:") or r.startswith("#") or re.fullmatch(r"[\w.-]+\.html", r))]


def test_full_report_content(full_report):
    html = full_report["cad"].read_text()
    assert 'id="verdict"' in html and 'id="provenance"' in html
    assert "<script" not in html.lower()
    assert _external_refs(html) == []
    # every figure is embedded: 2 GWAS + 2 training curves + 10 evaluation figures x 3 generators
    # + the leaky calibration reference's privacy figures
    n_figs = 2 + 2 + len(EVAL_FIGURES) * 3 + len(PRIVACY_FIGURES)
    assert html.count("<figure class=\"figure") == n_figs
    assert html.count("data:image/png;base64,") == n_figs
    # verdict: each check, its threshold and result, for each generator
    for check in ("Membership-inference attack AUC", "Allele-frequency correlation", "TSTR/TRTR AUC ratio"):
        assert check in html
    assert "≤ 0.550" in html and "within [0.45, 0.55]" in html
    assert "PASS" in html and "FAIL" in html  # the baseline fails the LD check
    for check in ("SNPs failing Hardy-Weinberg", "Inbreeding-F distance", "LD strength"):
        assert check in html
    # the plink2 QC of the synthetic filesets, beside the real training and held-out splits
    qc = html[html.index('id="genotype-qc"'):]
    qc = qc[:qc.index("</table>")]
    assert "--hwe" in qc and "--het" in qc and "--freq" in qc and "real held-out" in qc and "0.9930" in qc
    # threat model and the missing DP guarantee stated plainly
    assert "full genotype" in html and "no formal" in html.lower() and "differential-privacy guarantee" in html
    assert "Not available" not in html and 'id="incomplete"' not in html
    # issue 23: GWAS effects against held-out real people and the simulated truth, real splits as references
    ef = html[html.index('id="effects-table"'):]
    ef = ef[:ef.index("</table>")]
    assert "r with true effects" in ef and "replication slope in held-out" in ef and "TPR, p &lt; 5e-08" in ef
    assert "real held-out" in ef and "0.931" in ef and "0.810" in ef and "per-class baseline" in ef
    assert "correlate r = 0.81 with the true effects (real training split 0.97, held-out real people 0.93)" in html
    assert "GWAS effects against the simulated true effects" in html
    # the run's provenance
    for key in ("Git commit", "0123456789abcdef", "torch", "numpy", "snakemake", "plink2", "plink1.9", "Report rendered"):
        assert key in html


def test_population_structure_tables_and_checks(full_report):
    html = full_report["cad"].read_text()
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    fid = text[text.index('id="fidelity"'):text.index('id="privacy"')]
    # per-PC distances and the cluster shares sit under the PCA panels
    assert fid.index("Distance between real and synthetic PC distributions") < fid.index('id="structure"')
    for j in range(1, 5):
        assert f"PC{j} distance, synthetic vs real train" in fid
    shares = fid[fid.index('id="cluster-shares"'):]
    assert "EUR" in shares and "0.643" in shares and "0.950" in shares
    assert "suppressed" in shares  # held-out shares of fewer than 10 people
    assert "shown, not checked" in fid
    within = fid[fid.index('id="cluster-within"'):]
    within = within[:within.index("</table>")]
    assert within.count("<tr>") == 1 + 2 * 4  # header + 2 clusters x 4 PCs
    assert "1.900" in within and "0.140" in within and "&lt; 10 people" in within  # baseline's cluster 2: 5 %
    assert "suppressed" in within  # the held-out clusters of 8 and 4 real people
    verdict_table = text[text.index('<table id="verdict"'):text.index("</table>", text.index('<table id="verdict"'))]
    assert "Population structure: PC1 distance" in verdict_table
    assert "Population clusters: largest |synthetic − real train| share" in verdict_table
    v = json.loads((full_report["cad"].parent / "cad.verdict.json").read_text())
    assert "cluster_proportion_diff" in v["generators"]["baseline"]["failed_checks"]
    assert "cluster_proportion_diff" not in v["generators"]["matched"]["failed_checks"]


def test_attacks_section_and_calibration_reference(full_report):
    """Issue 21: threat model, per-attack AUC and TPR at 1 %/0.1 % FPR, the maximum, the 0-100
    scale between the baseline (0) and the leaky reference (100); the leaky reference is labelled
    a calibration reference, shows privacy only, and is never offered for release."""
    html = full_report["cad"].read_text()
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    att = text[text.index('id="attacks"'):text.index('id="threat-model"')]
    for s in ("Threat model", "reference sample", "TPR at 1% FPR", "TPR at 0.1% FPR", "Density ratio on principal",
              "Segment replay", "Trait-linked membership", "Strongest attack: largest AUC", "safe-leaky scale"):
        assert s in att, s
    assert "0.520 ± 0.120" in att and "(suppressed)" in att  # TPRs from 12 members: upper bounds only
    # the frequency LR attack, the level of the training frequencies, and the verdict's lower bound
    assert "Allele-frequency likelihood ratio" in att and "0.561" in att
    assert "max_attack_auc value" in att  # the lower bound row
    # the model's max AUC 0.52 between baseline 0.50 and leaky 0.99: 4 on the 0-100 scale; the references 0 and 100
    row = att[att.index("... on the safe-leaky scale", att.index("... which attack")):]
    assert re.search(r"<td class=\"num\">4</td><td class=\"num\">4</td><td class=\"num\">0</td><td class=\"num\">100</td>",
                     row.replace("\n", "").replace("  ", "")), row[:400]
    assert "calibration reference, never for release" in text
    verdict_table = text[text.index('<table id="verdict"'):text.index("</table>", text.index('<table id="verdict"'))]
    assert "Strongest membership attack" in verdict_table and "replaying a training segment" in verdict_table
    util = text[text.index('id="utility"'):text.index('id="privacy"')]
    assert "leaky" not in util  # privacy only: no utility or fidelity columns
    # the headroom (TRTR - baseline TSTR) beside TSTR - baseline TSTR, in the model generators' rows
    assert "TRTR &minus; baseline TSTR (headroom)" in util and "0.020 [-0.013, 0.051]" in util, util[:3000]
    v = json.loads((full_report["cad"].parent / "cad.verdict.json").read_text())
    lk = v["generators"]["leaky"]
    assert lk["reference"] is True and lk["calibration"] is True and lk["decision"] == "do not release"
    assert "(calibration reference, never for release)" in full_report["index"].read_text()
    assert "max_attack_auc" in lk["failed_checks"] and "segment_replay_share" in lk["failed_checks"]
    assert "max_attack_auc" not in v["generators"]["baseline"]["failed_checks"]


def test_small_real_counts_are_suppressed_everywhere(full_report):
    html = full_report["cad"].read_text()
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    split = text[text.index('id="split"'):text.index('id="gwas"')]
    # training split: 24 people, 7 cases -> "<10", controls (17) secondarily suppressed, no case fraction
    assert re.search(r"<td>training</td><td class=\"num\">24</td><td class=\"num\">&lt;10</td>"
                     r"<td class=\"num\">suppressed</td><td class=\"num\">suppressed</td>", split.replace("\n", "").replace("      ", ""))
    assert ">7<" not in split and ">17<" not in split and "0.292" not in split
    qc = text[text.index('id="cohort"'):text.index('id="split"')]
    # QC removed 0 and 4 people (40 -> 36): both removals "<10" and, since before - after = 4 would
    # give the total away, the after-QC count is shown rounded (never hidden: issue 20)
    assert ">4<" not in qc and ">36<" not in qc and ">40<" in qc
    assert qc.count('<td class="num">&lt;10</td>') >= 2 and ">≈40<" in qc and "suppressed" not in qc
    # people counts the evaluation left as null (suppressed) read "<10", never "n/a" or 0
    priv = text[text.index('id="privacy"'):text.index('id="threat-model"')]
    assert "&lt;10" in priv
    # no real ID anywhere
    assert "DEMO0000" not in html


def test_index_links_every_disease_with_its_verdict(full_report):
    html = full_report["index"].read_text()
    assert 'href="cad.html"' in html and 'href="t2d.html"' in html
    assert "DO NOT RELEASE" in html or "RELEASE" in html
    assert _external_refs(html) == []
    v = json.loads((full_report["cad"].parent / "cad.verdict.json").read_text())
    assert set(v["generators"]) == set(DEFAULT_GENERATORS) and v["complete"] is True
    assert v["generators"]["baseline"]["decision"] == "do not release"  # no LD


def test_missing_inputs_are_loud_not_silent(partial_report):
    html = partial_report["cad"].read_text()
    assert 'id="incomplete"' in html
    for item in ("cad/metrics/matched.json", "cad/metrics/baseline.json", "cad/metrics/prs.json",
                 "cad/model/vae_history.tsv", "cad/model/diffusion_curve.png"):
        assert item in html
    assert html.count("Not available") >= 5
    assert 'id="verdict"' in html and "no release decision" in html
    # the parts that exist are still there
    assert html.count("<figure class=\"figure") == 2  # Manhattan + QQ
    v = json.loads((partial_report["cad"].parent / "cad.verdict.json").read_text())
    assert v["complete"] is False and v["generators"]["matched"]["decision"] == "not evaluated"
    assert "incomplete" in partial_report["index"].read_text()


def test_large_qc_removal_warns_at_the_top_and_stays_visible(tmp_path):
    """Issue 20's cohort: KING removed 3,086 of 6,500 people and HWE 12,251 of 42,726 variants."""
    from snpgen.qc import qc_warnings

    results = build_results(tmp_path, generators=("matched",))

    def st(step, filt, n_rm, n_left, m_rm, m_left):
        return {"step": step, "filter": filt, "individuals_removed": n_rm, "individuals_left": n_left,
                "variants_removed": m_rm, "variants_left": m_left}

    steps = [st("autosomal_snps", "autosomal biallelic A/C/G/T SNPs", 0, 6500, 0, 42726),
             st("variant_call_rate", "variant missing-call rate > 0.05", 0, 6500, 10, 42716),
             st("sample_call_rate", "individual missing-call rate > 0.05", 2, 6498, 0, 42716),
             st("maf", "minor allele frequency < 0.01", 0, 6498, 100, 42616),
             st("hwe", "HWE exact test p < 1e-06", 0, 6498, 12251, 30365),
             st("relatedness", "one of each pair with KING kinship > 0.0884", 3086, 3412, 0, 30365),
             st("extra", "a step removing 5 of 20 people", 0, 3412, 0, 30365)]
    warnings = qc_warnings(steps, 0.1)
    assert [(w["step"], w["unit"]) for w in warnings] == [("hwe", "variants"), ("relatedness", "individuals")]
    assert warnings[1]["config_key"] == "qc.king_cutoff" and "qc.hwe_mode" in warnings[0]["config_key"]
    assert "3086 of 6498 individuals" in warnings[1]["message"]
    small = qc_warnings([st("sample_call_rate", "individual missing-call rate > 0.05", 5, 15, 0, 100)], 0.1)
    assert small and small[0]["config_key"] == "qc.mind"
    _write_json(results / "qc" / "qc_summary.json", {
        "input": {"individuals": 6500, "variants": 42726}, "output": {"individuals": 3412, "variants": 30365},
        "steps": steps, "warnings": warnings + small, "covariates_missing": {},
        "import": {"format": "vcf", "parts": 22, "individuals": 6500, "variants": 42726, "multiallelic_dropped": 1274}})
    html = render_all(results)["cad"].read_text()
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    banner = text[text.index('id="qc-warnings"'):text.index('id="summary"')]
    assert text.index('id="qc-warnings"') < text.index('id="summary"')  # at the top of the page
    assert "qc.king_cutoff" in banner and "qc.hwe / qc.hwe_mode" in banner and "qc.mind" in banner
    assert "3,086 of 6,498 people (47 %)" in banner and "12,251 of 42,616 variants (29 %)" in banner
    # a removal of fewer than 10 people in a warning reads "<10", without its share
    assert "&lt;10 of 20 people, more" in banner
    qc = text[text.index('id="cohort"'):text.index('id="split"')]
    assert "suppressed" not in qc and ("3,086" in qc or "≈3,090" in qc)
    assert "came as VCF/BCF in 22 part(s)" in qc and "1,274 multi-allelic variant(s) were dropped" in qc
    # evaluate.min_cell_count = 20: the warning's small count and the QC table follow it
    out = results / "reports"
    render_disease_report(report_inputs(results, "cad"), "cad", out / "cad20.html", out / "cad20", min_count=20)
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", (out / "cad20.html").read_text())
    banner = text[text.index('id="qc-warnings"'):text.index('id="summary"')]
    assert "&lt;20 of 20 people, more" in banner and "&lt;10" not in banner
    assert "3,086 of 6,498 people (47 %)" in banner
    qc = text[text.index('id="cohort"'):text.index('id="split"')]
    assert "&lt;10" not in qc and "suppressed" not in qc and ("3,086" in qc or "≈3,080" in qc)


def test_metrics_without_the_freq_summary_are_a_visible_gap(tmp_path):
    results = build_results(tmp_path, generators=("matched",))
    path = results / "cad" / "metrics" / "matched.json"
    m = json.loads(path.read_text())
    del m["fidelity"]["maf"]
    path.write_text(json.dumps(m))
    html = render_all(results)["cad"].read_text()
    assert 'id="incomplete"' in html and "fidelity.maf" in html and 'id="genotype-qc"' not in html


def test_missing_everything_still_renders(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    summ = render_disease_report(report_inputs(results, "cad"), "cad", results / "reports" / "cad.html",
                                 results / "reports" / "cad", provenance={})
    html = (results / "reports" / "cad.html").read_text()
    assert summ["complete"] is False and summ["n_gaps"] >= 8
    assert "qc/qc_summary.json" in html and f"cad/gwas/{GWAS_GLM}" in html


def test_gwas_plot_annotation_uses_suppression(tmp_path, monkeypatch):
    from snpgen.report import gwas_plots

    seen = []
    real = gwas_plots.suppress_small
    monkeypatch.setattr(gwas_plots, "suppress_small", lambda n, *a, **k: seen.append(n) or real(n, *a, **k))
    import polars as pl

    glm = pl.DataFrame({"CHROM": ["1", "1", "2"], "POS": [1, 2, 3], "ID": ["a", "b", "c"],
                        "P": [0.5, 1e-9, 0.01], "Z": [0.1, 6.0, 2.5]})
    gwas_plots.manhattan(glm, tmp_path / "m.png", n_individuals=7)
    gwas_plots.qq(glm, tmp_path / "q.png", lambda_gc=1.0, n_individuals=7)
    assert seen == [7, 7]
    assert (tmp_path / "m.png").stat().st_size > 1000 and (tmp_path / "q.png").stat().st_size > 1000


# --------------------------------------------------------------------------- leak scan on reports
def test_leak_scan_passes_clean_report_and_fails_planted_id(full_report, tmp_path):
    from snpgen.report.leakscan import read_real_ids, run_scan_rule, scan_for_ids

    results = full_report["cad"].parent.parent
    fam = results / "cohort" / "cohort.fam"
    ids = read_real_ids([fam])
    assert scan_for_ids([full_report["cad"], full_report["index"]], ids) == []
    summary = run_scan_rule(results=results, fam=fam, out_json=tmp_path / "leak_scan.json",
                            log_path=tmp_path / "scan.log")
    assert summary["status"] == "clean" and summary["n_files_scanned"] >= 8
    assert any(f.endswith("cad.html") for f in summary["files_scanned"])
    assert any(f.startswith("logs/") for f in summary["files_scanned"])

    planted = tmp_path / "planted" / "results"
    shutil.copytree(results, planted)
    page = planted / "reports" / "cad.html"
    page.write_text(page.read_text().replace("</footer>", "sample DEMO000017 </footer>"))
    assert scan_for_ids([page], ids) == [(str(page), "DEMO000017")]
    with pytest.raises(RuntimeError) as err:
        run_scan_rule(results=planted, fam=fam, out_json=tmp_path / "leak2.json", log_path=tmp_path / "scan2.log")
    assert "reports/cad.html" in str(err.value) and "DEMO000017" not in str(err.value)
    assert "DEMO000017" not in (tmp_path / "scan2.log").read_text()


# --------------------------------------------------------------------------- browser
def _browser_or_skip():
    if not Path(CHROMIUM).exists():
        if os.environ.get("SNPGEN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} not found and SNPGEN_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} not found (Debian chromium); set SNPGEN_REQUIRE_BROWSER=1 to make this a failure")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("SNPGEN_REQUIRE_BROWSER") == "1":
            pytest.fail("playwright not installed and SNPGEN_REQUIRE_BROWSER=1")
        pytest.skip("playwright python package not installed")
    return sync_playwright


def _check_page(browser, path: Path, shot: Path, *, expect_figures: bool) -> dict:
    page_url = path.resolve().as_uri()
    attempted, errors = [], []
    context = browser.new_context(viewport={"width": 1300, "height": 900}, java_script_enabled=False)
    page = context.new_page()

    def route(r):
        url = r.request.url
        if url == page_url or url.startswith("data:"):
            r.continue_()
        else:
            attempted.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda req: None if (req.url == page_url or req.url.startswith("data:"))
            else attempted.append(req.url))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(page_url, wait_until="load")
    verdict = page.locator("#verdict")
    assert verdict.count() == 1 and verdict.is_visible(), f"{path.name}: verdict table missing or hidden"
    figures = page.locator("figure.figure")
    n_fig = figures.count()
    if expect_figures:
        assert n_fig > 0
    for i in range(n_fig):
        fig = figures.nth(i)
        fig.scroll_into_view_if_needed()
        assert fig.is_visible(), f"{path.name}: figure {i} hidden"
        img = fig.locator("img")
        assert img.count() == 1
        w = img.evaluate("el => el.complete ? el.naturalWidth : 0")
        assert w > 0, f"{path.name}: figure {i} image not decoded"
        assert img.is_visible()
        assert fig.locator("figcaption").inner_text().strip()
    page.screenshot(path=str(shot), full_page=True)
    result = {"figures": n_fig, "attempted": list(attempted), "errors": list(errors),
              "provenance_visible": page.locator("#provenance").count() == 1 and page.locator("#provenance").is_visible()}
    context.close()
    return result


@pytest.mark.browser
def test_reports_in_headless_chromium(full_report, partial_report, tmp_path):
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            full = _check_page(browser, full_report["cad"], tmp_path / "cad_full.png", expect_figures=True)
            part = _check_page(browser, partial_report["cad"], tmp_path / "cad_partial.png", expect_figures=True)
            index = _check_page(browser, full_report["index"], tmp_path / "index.png", expect_figures=False)
        finally:
            browser.close()
    for name, r in (("full", full), ("partial", part), ("index", index)):
        assert r["attempted"] == [], f"{name}: network requests attempted: {r['attempted']}"
        assert r["errors"] == [], f"{name}: console errors: {r['errors']}"
    assert full["provenance_visible"] and part["provenance_visible"]
    assert full["figures"] == 2 + 2 + len(EVAL_FIGURES) * 3 + len(PRIVACY_FIGURES)  # + the leaky reference
    assert part["figures"] == 2
    assert (tmp_path / "cad_full.png").stat().st_size > 10_000


# --------------------------------------------------------------------------- end to end
@pytest.mark.e2e
def test_workflow_reports_and_leak_scan(workflow_run):
    reports = workflow_run / "reports"
    scan = json.loads((reports / "leak_scan.json").read_text())
    assert scan["status"] == "clean"
    for d in ("cad", "t2d"):
        html = (reports / f"{d}.html").read_text()
        assert 'id="verdict"' in html and 'id="provenance"' in html and "DEMO0000" not in html


@pytest.mark.e2e
@pytest.mark.browser
def test_workflow_reports_in_headless_chromium(workflow_run, tmp_path):
    """The reports the real workflow wrote, opened in Chromium: verdict, every figure, provenance."""
    sync_playwright = _browser_or_skip()
    reports = workflow_run / "reports"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            results = {name: _check_page(browser, reports / f"{name}.html", tmp_path / f"{name}.png",
                                         expect_figures=name != "index")
                       for name in ("cad", "t2d", "index")}
        finally:
            browser.close()
    for name, r in results.items():
        assert r["attempted"] == [], f"{name}: network requests attempted: {r['attempted']}"
        assert r["errors"] == [], f"{name}: console errors: {r['errors']}"
        assert r["provenance_visible"] or name == "index"
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    assert results["cad"]["figures"] >= 10


@pytest.mark.parametrize("with_ar, frozen, want_label", [
    (True, False, "lowest validation cross-entropy of the autoregressive read-out"),
    (False, False, "highest validation reconstruction accuracy"),
    (True, True, "from the one the encoder was frozen at"),
])
def test_training_section_names_the_epoch_train_vae_kept(tmp_path, with_ar, frozen, want_label):
    """The report shows the epoch train_vae marked as kept (not the accuracy argmax, epoch 3 here)
    and names the rule; with the encoder frozen it says for how many epochs."""
    from snpgen.report.render import Gaps, ReportInputs, _training_section

    mdir = tmp_path / "d" / "model"
    mdir.mkdir(parents=True)
    cols = ["epoch", "train_loss", "val_recon_acc", "val_trivial_acc", "val_auc", "seconds", "kept",
            "encoder_frozen"]
    rows = [[1, 1.0, 0.80, 0.75, 0.6, 1.0, 0, 0], [2, 0.9, 0.81, 0.75, 0.6, 1.0, 1, 0],
            [3, 0.8, 0.82, 0.75, 0.6, 1.0, 0, int(frozen)]]
    if with_ar:
        cols.append("val_recon_ce_ar")
        rows = [r + [c] for r, c in zip(rows, [0.40, 0.30, 0.35])]
    (mdir / "vae_history.tsv").write_text(
        "\t".join(cols) + "\n" + "".join("\t".join(map(str, r)) + "\n" for r in rows))
    rows_out = _training_section(ReportInputs(report_inputs(tmp_path, "d")), Gaps())["vae"]["rows"]
    label, epoch, _ = next(r for r in rows_out if r[0].startswith("Best epoch"))
    assert want_label in label and epoch == "2"
    frozen_rows = [r for r in rows_out if r[0].startswith("Epochs with the encoder")]
    assert [r[1] for r in frozen_rows] == (["1"] if frozen else [])


def test_report_uses_the_configured_min_cell_count(tmp_path):
    """A core that raises evaluate.min_cell_count to 20 gets "<20" labels on the page and the index."""
    results = build_results(tmp_path, with_models=False, with_metrics=False)
    _write_json(results / "cad" / "split" / "split_summary.json", {
        "train": {"individuals": 25, "cases": 15, "controls": 10},
        "val": {"individuals": 60, "cases": 25, "controls": 35},
        "test": {"individuals": 60, "cases": 25, "controls": 35}})
    out = results / "reports"
    pages, full = {}, {}
    for n in (None, 20):
        summ = render_disease_report(report_inputs(results, "cad"), "cad", out / f"cad{n}.html", out / f"cad{n}",
                                     min_count=n)
        render_index([{**summ, "href": f"cad{n}.html"}], out / f"index{n}.html", min_count=n)
        text = (out / f"cad{n}.html").read_text().replace("\n", "").replace("      ", "")
        full[n] = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
        pages[n] = text[text.index('id="split"'):text.index('id="gwas"')]
        assert f"&lt;{n or 10}" in (out / f"index{n}.html").read_text()
    row = r'<td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
    assert re.search(row.format("training", 25, "&lt;20", "&lt;20"), pages[20])
    assert re.search(row.format("validation", 60, 25, 35), pages[20])
    assert re.search(row.format("training", 25, 15, 10), pages[None])      # the default threshold is 10
    assert "&lt;10" not in full[20] and "below 10" not in full[20] and "below 20" in full[20]
    assert "is 20 or more but hidden" in pages[20]


def test_sampling_rows_say_whether_the_read_out_used_genotype_offsets():
    from snpgen.report.render import _sampling_rows

    s = {"guidance_scale": 1.0, "sampler": "heun", "steps": 25, "hard_calls": "sample"}
    grid = [{"offsets": False}, {"offsets": True}]
    cal = {"grid": grid, "n": 100}

    def offsets_row(ro):
        return [r[1] for r in _sampling_rows(s, ro) if r[0] == "Sampling: per-SNP genotype offsets"]

    assert offsets_row({"temperature": 1.0, "ar_gain": 1.2, "calibration": cal}) == ["off"]
    assert offsets_row({"temperature": 1.0, "ar_gain": 1.2, "calibration": cal, "genotype_offsets": [[0.0]]}) == ["on"]
    per_cluster = [[[0.0]] * 3] * 4  # K = 4 clusters x 3 genotypes x 1 SNP
    assert offsets_row({"temperature": 1.0, "ar_gain": 1.2, "calibration": cal,
                        "genotype_offsets": per_cluster}) == ["on, per ancestry cluster (4)"]
    assert offsets_row({"temperature": 1.0, "ar_gain": 1.2, "calibration": {**cal, "grid": grid[:1]}}) == []
    assert offsets_row({"temperature": 1.0, "ar_gain": 1.2, "calibration": None}) == []


def test_structure_reference_is_shown_per_generator_where_it_differs():
    """The held-out structure references are weighted to each cohort's case fraction, so the
    matched and augmented cohorts have their own; the table shows both, not the first one."""
    from snpgen.report.render import _refs_by_generator

    def m(ref):
        return {"fidelity": {"structure": {"pc_distance_holdout": ref}}}

    keys = ("fidelity", "structure", "pc_distance_holdout")
    same = {"matched": m([0.04, 0.05]), "augmented": m([0.04, 0.05]), "leaky": None}
    assert _refs_by_generator(same, ["matched", "augmented", "leaky"], keys, 1) == "0.050"
    differ = {"matched": m([0.04, 0.05]), "augmented": m([0.07, 0.05]), "baseline": m([0.04, 0.06])}
    assert (_refs_by_generator(differ, ["matched", "augmented", "baseline"], keys, 0)
            == "0.040 (matched, baseline) / 0.070 (augmented)")
    assert _refs_by_generator({"matched": None}, ["matched"], keys, 0) == "n/a"


def test_verdict_table_shows_each_cohorts_threshold_where_they_differ():
    """A structure check's limit comes from a held-out reference weighted to each cohort's case
    fraction: the release-check table shows every cohort's limit, not the first cohort's (an
    augmented PC3 of 0.209 passing under its own 0.342 must not read as 0.209 <= 0.134)."""
    from snpgen.report.render import _thresholds_text

    def c(t, comp="<="):
        return {"threshold": t, "comparison": comp}

    assert _thresholds_text({"matched": c(0.1), "augmented": c(0.1)}) == "≤ 0.100"
    assert (_thresholds_text({"matched": c(0.134), "augmented": c(0.342), "baseline": c(0.134)})
            == "≤ 0.134 (matched, baseline) / ≤ 0.342 (augmented)")
    assert _thresholds_text({"matched": c([0.45, 0.55], "in")}) == "within [0.45, 0.55]"


def test_a_failed_privacy_loss_names_the_lever_for_synthetic_cohorts_only():
    """Under the release-check table, a synthetic cohort failing privacy_loss gets the config key to try
    (model.diffusion.latent_noise); a passing one gets nothing, nor does the leaky reference, which
    fails by design."""
    from snpgen.report.render import _verdict_section

    def metrics(passed: bool) -> dict:
        check = {"name": "privacy_loss", "passed": passed, "value": 0.05, "threshold": 0.036, "comparison": "<="}
        return {"verdict": {"decision": "release" if passed else "do not release", "passed": passed,
                            "checks": [check], "failed_checks": [] if passed else ["privacy_loss"]}}

    sec = _verdict_section({"matched": metrics(False), "augmented": metrics(True), "leaky": metrics(False)},
                           ["matched", "augmented", "leaky"])
    hints = [n for n in sec["notes"] if "latent_noise" in n]
    assert len(hints) == 1 and hints[0].startswith("matched, privacy_loss failed")
    both = _verdict_section({"matched": metrics(False), "augmented": metrics(False)}, ["matched", "augmented"])
    hints = [n for n in both["notes"] if "latent_noise" in n]
    assert len(hints) == 1 and hints[0].startswith("matched, augmented, privacy_loss failed"), "once per check"

"""Fidelity metrics on constructed cohorts: allele frequencies, LD, PCA, het/HWE, synthetic GWAS.

A copy of the real data reproduces LD exactly; shuffling SNP columns destroys LD (and must fail
the LD check); an independent per-SNP allele-frequency sampler keeps frequencies but no LD.
"""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from snpgen import io
from genotypes import sim_geno  # noqa: E402
from snpgen.evaluate import fidelity
from snpgen.evaluate.verdict import verdict




def make_bim(L: int, n_chr: int = 2) -> pl.DataFrame:
    chrs = np.repeat(np.arange(1, n_chr + 1), int(np.ceil(L / n_chr)))[:L]
    return pl.DataFrame({"CHR": [str(c) for c in chrs], "ID": [f"rs{i}" for i in range(L)], "CM": [0.0] * L,
                         "POS": [10_000 + 3_000 * i for i in range(L)], "A1": ["A"] * L, "A2": ["G"] * L})


def make_fam(n: int, y=None, prefix="I") -> pl.DataFrame:
    return pl.DataFrame({"FID": [f"{prefix}{i}" for i in range(n)], "IID": [f"{prefix}{i}" for i in range(n)],
                         "SEX": [0] * n, "PHENO": (["2" if v else "1" for v in y] if y is not None else ["-9"] * n)})


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    L = 240
    G = sim_geno(3000, L, rng)
    T, H = G[:1500], G[1500:]
    bim = make_bim(L)
    p = fidelity.allele_frequencies(T)
    return {
        "T": T, "H": H, "bim": bim, "chrom": bim["CHR"].to_numpy(), "pos": bim["POS"].to_numpy(),
        "copy": T[rng.permutation(T.shape[0])],
        "shuffled": T[:, rng.permutation(L)],
        "independent": rng.binomial(2, p, size=T.shape).astype(np.int8),
    }


def _ld(data, S):
    return fidelity.ld_metrics(data["T"], S, data["chrom"], data["pos"], window=50)


def test_allele_frequencies_with_missing():
    G = np.array([[0, 2, -1], [1, 2, -1], [2, 2, -1]], dtype=np.int8)
    p = fidelity.allele_frequencies(G)
    assert p[0] == pytest.approx(0.5) and p[1] == 1.0 and np.isnan(p[2])


def test_af_metrics_copy_vs_shuffled(data):
    cp = fidelity.af_metrics(data["T"], data["copy"])
    assert cp["correlation"] == pytest.approx(1.0) and cp["mean_abs_diff"] == 0.0
    ind = fidelity.af_metrics(data["T"], data["independent"])
    assert ind["correlation"] > 0.95 and ind["mean_abs_diff"] < 0.03
    sh = fidelity.af_metrics(data["T"], data["shuffled"])
    assert sh["correlation"] < 0.5


def test_ld_windows_stay_within_chromosomes():
    chrom = np.array(["1"] * 7 + ["2"] * 5 + ["3"])
    w = fidelity.ld_windows(chrom, 3)
    assert [list(x) for x in w] == [[0, 1, 2], [3, 4, 5], [7, 8, 9], [10, 11]]  # singletons dropped


def test_r2_matrix_matches_numpy():
    rng = np.random.default_rng(0)
    G = rng.integers(0, 3, size=(200, 6)).astype(np.int8)
    G[:, 5] = 1  # monomorphic
    R = fidelity.r2_matrix(G)
    ref = np.corrcoef(G[:, :5].T.astype(float)) ** 2
    np.testing.assert_allclose(R[:5, :5], ref, atol=1e-12)
    assert np.isnan(R[5, 0]) and np.isnan(R[0, 5])


def test_ld_copy_holdout_high_shuffled_and_independent_low(data):
    cp, ho = _ld(data, data["copy"]), _ld(data, data["H"])
    sh, ind = _ld(data, data["shuffled"]), _ld(data, data["independent"])
    assert cp["correlation"] == pytest.approx(1.0)
    assert ho["correlation"] > 0.9                 # other real people from the same population
    assert sh["correlation"] < 0.2
    assert ind["correlation"] < 0.2
    assert cp["correlation"] - ind["correlation"] > 0.7
    assert ind["mean_r2_synthetic"] < 0.01 < cp["mean_r2_synthetic"]
    assert cp["n_pairs_informative"] > 100
    # LD decay: real r2 falls with distance; the independent sampler is flat near 0
    dec = [b for b in cp["decay"] if b["n_pairs"]]
    assert dec[0]["mean_r2_real"] > dec[-1]["mean_r2_real"]
    assert all(b["mean_r2_synthetic"] < 0.01 for b in ind["decay"] if b["n_pairs"])


def test_shuffled_columns_fail_the_ld_check_copy_passes(data):
    only_ld = {"max_identical_match_rate": None, "aa_ts_min": None, "max_mia_auc": None, "max_privacy_loss": None,
               "max_king_kinship": None, "max_attack_auc": None, "max_replay_share": None,
               "min_tstr_trtr_ratio": None, "min_af_correlation": None,
               "max_hwe_failure_excess": None, "het_f_distance_factor": None, "ld_strength_min": None,
               "structure_pc_factor": None, "max_cluster_proportion_diff": None}
    for name, expect in (("shuffled", "do not release"), ("independent", "do not release"), ("copy", "release")):
        v = verdict({"fidelity": {"ld": _ld(data, data[name])}}, only_ld)
        assert v["decision"] == expect, name
        assert [c["name"] for c in v["checks"]] == ["ld_correlation"]


def test_ld_check_not_applicable_without_real_ld():
    rng = np.random.default_rng(1)
    T = rng.binomial(2, 0.3, size=(800, 100)).astype(np.int8)   # no LD at all
    S = rng.binomial(2, 0.3, size=(800, 100)).astype(np.int8)
    bim = make_bim(100, 1)
    ld = fidelity.ld_metrics(T, S, bim["CHR"].to_numpy(), bim["POS"].to_numpy(), window=50)
    assert ld["n_pairs_informative"] < ld["min_informative_pairs"]
    v = verdict({"fidelity": {"ld": ld}}, {"max_identical_match_rate": None, "aa_ts_min": None,
                                           "max_mia_auc": None, "max_privacy_loss": None,
                                           "max_king_kinship": None, "max_attack_auc": None,
                                           "max_replay_share": None, "min_tstr_trtr_ratio": None,
                                           "min_af_correlation": None, "structure_pc_factor": None,
                                           "max_cluster_proportion_diff": None})
    assert v["checks"][0]["passed"] is None


def test_pca_wasserstein_copy_small_missing_population_large():
    """Real = two differentiated populations; a synthetic set with only one of them is far on PC1."""
    rng = np.random.default_rng(9)
    L = 200
    pA = rng.uniform(0.1, 0.9, L)
    pB = np.clip(pA + rng.normal(0, 0.2, L), 0.02, 0.98)
    T = np.vstack([sim_geno(600, L, rng, rho=0.3, p=pA), sim_geno(600, L, rng, rho=0.3, p=pB)])
    H = np.vstack([sim_geno(300, L, rng, rho=0.3, p=pA), sim_geno(300, L, rng, rho=0.3, p=pB)])
    only_a = sim_geno(600, L, rng, rho=0.3, p=pA)
    pca = fidelity.fit_pca(T, 4)
    assert pca["explained_variance_ratio"][0] > 2 * pca["explained_variance_ratio"][1]
    pt = fidelity.project(T, pca)
    m_copy = fidelity.pca_metrics(pt, fidelity.project(T[rng.permutation(T.shape[0])], pca),
                                  fidelity.project(H, pca), pca["explained_variance_ratio"])
    assert m_copy["mean_wasserstein_synthetic"] < 1e-9
    assert m_copy["wasserstein_holdout"][0] < 0.1
    m_a = fidelity.pca_metrics(pt, fidelity.project(only_a, pca))
    assert m_a["wasserstein_synthetic"][0] > 0.6          # half the mass moved by about 1.3 SD
    assert m_a["wasserstein_synthetic"][0] > 5 * m_copy["wasserstein_holdout"][0]
    assert len(m_a["wasserstein_synthetic"]) == 4


def test_het_hardy_plink_agrees_with_numpy(data, tmp_path):
    prefix = tmp_path / "real"
    io.write_bed(prefix, data["T"][:300], make_fam(300), data["bim"])
    F, P = fidelity.run_het_hardy(prefix, tmp_path / "hh")
    assert F.shape == (300,) and P.shape == (data["T"].shape[1],)
    np.testing.assert_allclose(F, fidelity.het_from_genotypes(data["T"][:300]), atol=2e-3)
    s = fidelity.het_hwe_summary(F, P, 1e-6)
    assert abs(s["het_F_mean"]) < 0.05 and s["hwe_frac_below"] < 0.05
    # an excess of homozygotes (a "synthetic" set of homozygous copies) shows up in F and HWE
    hom = np.where(data["T"][:300] == 1, 2, data["T"][:300]).astype(np.int8)
    io.write_bed(tmp_path / "hom", hom, make_fam(300), data["bim"])
    F2, P2 = fidelity.run_het_hardy(tmp_path / "hom", tmp_path / "hh2")
    s2 = fidelity.het_hwe_summary(F2, P2, 1e-6)
    assert s2["het_F_mean"] > 0.5 and s2["hwe_frac_below"] > 0.5


def test_synthetic_gwas_against_real(data, tmp_path):
    """plink2 --glm on a cohort with planted effects; a copy reproduces the betas, a label shuffle does not."""
    rng = np.random.default_rng(3)
    T = data["T"]
    causal = np.array([10, 70, 130, 190])
    beta = np.array([0.8, -0.7, 0.6, 0.9])
    z = (T[:, causal] - T[:, causal].mean(0)) @ beta
    y = (z + rng.logistic(size=T.shape[0]) > np.quantile(z, 0.5)).astype(int)
    io.write_bed(tmp_path / "real", T, make_fam(T.shape[0], y), data["bim"])
    real = fidelity.read_glm(fidelity.run_glm(tmp_path / "real", tmp_path / "glm_real"))
    assert set(real.columns) == {"ID", "A1", "BETA", "SE", "P"} and real.height == T.shape[1]
    br, pr = fidelity.align_betas(real, data["bim"])
    assert np.all(pr[causal] < 0.05 / T.shape[1]) and np.all(np.sign(br[causal]) == np.sign(beta))
    # the copy (same rows, same labels, other IDs) gives the same GWAS
    io.write_bed(tmp_path / "syn", T, make_fam(T.shape[0], y, prefix="SYN"), data["bim"])
    bs, ps = fidelity.align_betas(fidelity.read_glm(fidelity.run_glm(tmp_path / "syn", tmp_path / "glm_syn")),
                                  data["bim"])
    cmp_copy = fidelity.gwas_comparison(br, pr, bs, ps)
    assert cmp_copy["beta_correlation"] > 0.999 and cmp_copy["sign_concordance"] == 1.0
    # shuffled labels: no association left
    io.write_bed(tmp_path / "shuf", T, make_fam(T.shape[0], rng.permutation(y), prefix="SYN"), data["bim"])
    bsh, psh = fidelity.align_betas(fidelity.read_glm(fidelity.run_glm(tmp_path / "shuf", tmp_path / "glm_shuf")),
                                    data["bim"])
    cmp_shuf = fidelity.gwas_comparison(br, pr, bsh, psh)
    assert cmp_shuf["beta_correlation"] < 0.5
    # causal recovery at Bonferroni over K
    ids = data["bim"]["ID"].to_numpy()
    rec = fidelity.causal_recovery(pr, ids, [f"rs{c}" for c in causal], 0.05 / T.shape[1])
    assert rec["tpr"] == 1.0 and rec["n_causal_in_set"] == 4
    assert fidelity.causal_recovery(psh, ids, [f"rs{c}" for c in causal], 0.05 / T.shape[1])["tpr"] < 0.5


def test_align_betas_flips_other_allele():
    bim = pl.DataFrame({"CHR": ["1", "1", "1"], "ID": ["a", "b", "c"], "CM": [0.0] * 3, "POS": [1, 2, 3],
                        "A1": ["A", "C", "G"], "A2": ["G", "T", "A"]})
    glm = pl.DataFrame({"ID": ["a", "b"], "A1": ["A", "T"], "BETA": [0.5, 0.5], "SE": [0.1, 0.1], "P": [0.01, 0.02]})
    b, p = fidelity.align_betas(glm, bim)
    assert b[0] == 0.5 and b[1] == -0.5 and np.isnan(b[2]) and np.isnan(p[2])


def test_causal_recovery_counts():
    ids = np.array(["a", "b", "c", "d", "e"])
    p = np.array([1e-9, 1e-9, 0.5, 1e-10, 0.9])
    r = fidelity.causal_recovery(p, ids, ["a", "c", "z"], 5e-8)
    assert r["n_causal_in_set"] == 2 and r["n_significant"] == 3 and r["n_true_positive"] == 1
    assert r["tpr"] == 0.5 and r["fdr"] == pytest.approx(2 / 3)

"""Genotype-QC release checks (issue #18) on constructed cohorts: HWE-failure share, the
per-person inbreeding-F distance and LD strength.

Real people are two haplotypes each from a Gaussian-copula Markov chain along the SNPs (LD in
blocks, HWE by construction). Three "generators": more real people from the same model (must
pass), one that turns a share of homozygotes into heterozygotes (excess heterozygosity: fails HWE
and F) and one that shuffles every SNP column independently across people (no LD: fails LD
strength). plink2 --het/--hardy/--freq is run on each, as in the evaluation.
"""
from __future__ import annotations

import numpy as np
import pytest

from genotypes import sim_geno  # noqa: E402
from snpgen import io
from snpgen.evaluate import fidelity
from snpgen.evaluate.verdict import DEFAULT_THRESHOLDS, genotype_qc_checks, verdict
from test_evaluate_fidelity import make_bim, make_fam  # noqa: E402

N, L = 1200, 300
QC = ("hwe_failure_share", "het_f_distance", "ld_strength")
ONLY_QC = {k: None for k in DEFAULT_THRESHOLDS if k not in {
    "max_hwe_failure_excess", "het_f_distance_factor", "het_f_distance_floor", "ld_strength_min", "ld_strength_max"}}


def extra_heterozygotes(G: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Turn ``share`` of the homozygous calls into heterozygotes."""
    out = G.copy()
    out[((G == 0) | (G == 2)) & (rng.random(G.shape) < share)] = 1
    return out


def shuffle_columns(G: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every SNP permuted independently across people: frequencies and HWE kept, LD gone."""
    return np.column_stack([rng.permutation(G[:, j]) for j in range(G.shape[1])]).astype(np.int8)


@pytest.fixture(scope="module")
def cohorts():
    rng = np.random.default_rng(18)
    p = rng.uniform(0.05, 0.5, L)
    train, test, same = (sim_geno(N, L, rng, rho=0.9, p=p) for _ in range(3))
    return {"bim": make_bim(L), "train": train, "test": test, "same_model": same,
            "extra_het": extra_heterozygotes(train[rng.permutation(N)], 0.3, rng),
            "shuffled": shuffle_columns(train, rng)}


@pytest.fixture(scope="module")
def plink_qc(cohorts, tmp_path_factory):
    """(F, HWE p, ALT frequency) per cohort from plink2."""
    d = tmp_path_factory.mktemp("qc")
    out = {}
    for name in ("train", "test", "same_model", "extra_het", "shuffled"):
        io.write_bed(d / name, cohorts[name], make_fam(N, prefix=name[:2]), cohorts["bim"])
        F, P = fidelity.run_het_hardy(d / name, d / f"hh_{name}")
        out[name] = (F, P, fidelity.read_alt_freq(d / f"hh_{name}"))
    out["split_half"] = fidelity.hwe_split_half(d / "train", d / "half", reps=2)
    return out


def qc_metrics(cohorts, plink_qc, name: str) -> dict:
    """The fidelity metrics the QC checks read, laid out as evaluate_generator writes them."""
    bim = cohorts["bim"]
    chrom, pos = bim["CHR"].to_numpy(), bim["POS"].to_numpy()
    ld = fidelity.ld_metrics(cohorts["train"], cohorts[name], chrom, pos, window=50)
    ld["holdout_strength_ratio"] = fidelity.ld_metrics(cohorts["train"], cohorts["test"], chrom, pos,
                                                      window=50)["strength_ratio"]
    hh = fidelity.het_hwe_metrics(plink_qc["train"][:2], plink_qc[name][:2], plink_qc["test"][:2], 1e-6)
    hh["real_split_half"] = plink_qc["split_half"]
    return {"fidelity": {"ld": ld, "het_hwe": hh}}


def test_same_model_passes_every_qc_check(cohorts, plink_qc):
    m = qc_metrics(cohorts, plink_qc, "same_model")
    checks = {c["name"]: c for c in genotype_qc_checks(m, DEFAULT_THRESHOLDS)}
    assert list(checks) == list(QC)
    assert all(c["passed"] for c in checks.values()), checks
    assert verdict(m, ONLY_QC)["decision"] == "release"
    # the held-out reference is itself close to real: LD ratio ~1, small F distance
    assert m["fidelity"]["ld"]["holdout_strength_ratio"] == pytest.approx(1.0, abs=0.05)
    assert m["fidelity"]["ld"]["n_pairs_informative"] >= m["fidelity"]["ld"]["min_informative_pairs"]
    assert m["fidelity"]["het_hwe"]["f_distance"]["holdout_wasserstein"] < 0.01


def test_excess_heterozygosity_fails_hwe_and_f(cohorts, plink_qc):
    m = qc_metrics(cohorts, plink_qc, "extra_het")
    v = verdict(m, ONLY_QC)
    assert v["decision"] == "do not release"
    assert {"hwe_failure_share", "het_f_distance"} <= set(v["failed_checks"])
    hh = m["fidelity"]["het_hwe"]
    assert hh["synthetic"]["hwe_frac_below"] > 0.5 and hh["real_train"]["hwe_frac_below"] < 0.005
    f = next(c for c in v["checks"] if c["name"] == "het_f_distance")
    assert f["mean_diff"] < -0.1 and f["value"] >= abs(f["mean_diff"])  # too heterozygous


def test_shuffled_snps_fail_ld_strength_keep_hwe(cohorts, plink_qc):
    m = qc_metrics(cohorts, plink_qc, "shuffled")
    v = verdict(m, ONLY_QC)
    assert "ld_strength" in v["failed_checks"] and "hwe_failure_share" not in v["failed_checks"]
    # (the F distribution narrows too: LD blocks make real people's heterozygosity vary more)
    assert m["fidelity"]["ld"]["strength_ratio"] < 0.2


def test_f_distance_and_ld_strength_functions():
    rng = np.random.default_rng(2)
    F = rng.normal(0.0, 0.02, 5000)
    same = fidelity.het_f_distance(F, rng.normal(0.0, 0.02, 5000))
    shifted = fidelity.het_f_distance(F, F - 0.017)            # the synthetic shift
    assert same["wasserstein"] < 0.002 and shifted["mean_diff"] == pytest.approx(-0.017)
    assert shifted["wasserstein"] == pytest.approx(0.017)
    assert fidelity.het_f_distance(F, np.array([np.nan]))["wasserstein"] is None
    r2 = rng.uniform(0, 0.5, 100)
    assert fidelity.ld_strength_ratio(r2, 0.75 * r2) == pytest.approx(0.75)
    assert np.isnan(fidelity.ld_strength_ratio(np.zeros(3), np.ones(3)))


def test_f_floor_and_hwe_margin_thresholds():
    def hh(syn_hwe, w, w_ref):
        return {"fidelity": {"het_hwe": {
            "real_train": {"hwe_frac_below": 0.01}, "synthetic": {"hwe_frac_below": syn_hwe},
            "f_distance": {"wasserstein": w, "mean_diff": -w, "holdout_wasserstein": w_ref}}}}
    c = {x["name"]: x for x in genotype_qc_checks(hh(0.015, 0.0049, 0.0001), DEFAULT_THRESHOLDS)}
    assert c["hwe_failure_share"]["passed"] and c["hwe_failure_share"]["threshold"] == pytest.approx(0.015)
    assert c["het_f_distance"]["passed"] and c["het_f_distance"]["threshold"] == 0.005  # the floor
    c = {x["name"]: x for x in genotype_qc_checks(hh(0.02, 0.02, 0.004), DEFAULT_THRESHOLDS)}
    assert not c["hwe_failure_share"]["passed"] and not c["het_f_distance"]["passed"]
    assert c["het_f_distance"]["threshold"] == pytest.approx(0.012)    # 3 x held-out
    # missing real reference: fails (never release on absent evidence); LD without metrics too
    c = {x["name"]: x for x in genotype_qc_checks({}, DEFAULT_THRESHOLDS)}
    assert [x["passed"] for x in c.values()] == [False, False, False]
    assert genotype_qc_checks({}, {"max_hwe_failure_excess": None, "het_f_distance_factor": None,
                                   "ld_strength_min": None}) == []


def test_hwe_margin_grows_with_the_split_half_noise(cohorts, plink_qc, tmp_path):
    """Pooled populations fail HWE by the Wahlund effect, and the failure share then moves between
    samples of the same people: the margin is hwe_noise_factor x that split-half SD when larger
    than the fixed one. On one population (HWE by construction) the noise is ~0."""
    assert plink_qc["split_half"]["diff_sd"] < 0.005 and plink_qc["split_half"]["half_size"] == N // 2
    rng = np.random.default_rng(5)
    f = np.stack([rng.uniform(0.05, 0.95, 200), rng.uniform(0.05, 0.95, 200)])
    pooled = rng.binomial(2, f[(rng.random(1000) < 0.3).astype(int)]).astype(np.int8)
    io.write_bed(tmp_path / "pooled", pooled, make_fam(1000), make_bim(200))
    noise = fidelity.hwe_split_half(tmp_path / "pooled.bed", tmp_path / "half", reps=3, seed=1)
    assert noise["reps"] == 3 and noise["diff_sd"] > 0.005
    m = {"fidelity": {"het_hwe": {"real_train": {"hwe_frac_below": 0.3}, "real_split_half": noise,
                                  "synthetic": {"hwe_frac_below": 0.3 + 1.5 * noise["diff_sd"]}}}}
    c = next(x for x in genotype_qc_checks(m, DEFAULT_THRESHOLDS) if x["name"] == "hwe_failure_share")
    assert c["passed"] and c["noise_sd"] == noise["diff_sd"]
    assert c["threshold"] == pytest.approx(0.3 + DEFAULT_THRESHOLDS["hwe_noise_factor"] * noise["diff_sd"])
    c = next(x for x in genotype_qc_checks(m, {**DEFAULT_THRESHOLDS, "hwe_noise_factor": 0})
             if x["name"] == "hwe_failure_share")
    assert not c["passed"] and c["threshold"] == pytest.approx(0.305)


def test_resampled_real_people_fail_hwe_more_often_when_pooled(cohorts, tmp_path):
    """Bootstrap resamples of pooled populations carry their Wahlund deficit plus fresh noise: with
    many SNPs near the threshold the resamples' share is above the real one; on one population in
    HWE both stay near zero."""
    rng = np.random.default_rng(8)
    f = np.stack([rng.uniform(0.05, 0.95, 400), rng.uniform(0.05, 0.95, 400)])
    f[1] = np.clip(f[0] + rng.normal(0, 0.35, 400), 0.02, 0.98)  # moderate differentiation: many SNPs near 1e-6
    pooled = rng.binomial(2, f[(rng.random(1500) < 0.3).astype(int)]).astype(np.int8)
    io.write_bed(tmp_path / "pooled", pooled, make_fam(1500), make_bim(400))
    real = float(np.mean(fidelity.run_het_hardy(tmp_path / "pooled", tmp_path / "hh")[1] < 1e-6))
    rs = fidelity.hwe_resampled(tmp_path / "pooled.bed", reps=6, seed=2)
    assert rs["reps"] == 6 and 0.05 < real < 0.6
    assert rs["hwe_frac_below_mean"] > real and rs["hwe_frac_below_sd"] > 0.005
    one = rng.binomial(2, f[0], size=(1500, 400)).astype(np.int8)
    io.write_bed(tmp_path / "one", one, make_fam(1500), make_bim(400))
    assert fidelity.hwe_resampled(tmp_path / "one.bed", reps=3)["hwe_frac_below_mean"] < 0.01
    # the check's reference: the resamples' share where higher (a faithful generator's level), so a
    # cohort at that level passes; with hwe_reference real it fails, and a real share above the
    # resamples' stays the reference
    def hwe_check(syn, reference="resampled", real_share=real):
        m = {"fidelity": {"het_hwe": {"real_train": {"hwe_frac_below": real_share}, "real_resampled": rs,
                                      "synthetic": {"hwe_frac_below": syn}}}}
        th = {**DEFAULT_THRESHOLDS, "hwe_noise_factor": 0, "hwe_reference": reference}
        return next(x for x in genotype_qc_checks(m, th) if x["name"] == "hwe_failure_share")
    at = rs["hwe_frac_below_mean"]
    c = hwe_check(at)
    assert c["passed"] and c["reference"] == "real_resampled" and c["threshold"] == pytest.approx(at + 0.005)
    c = hwe_check(at, "real")
    assert not c["passed"] and c["reference"] == "real_train" and c["threshold"] == pytest.approx(real + 0.005)
    assert hwe_check(at + 0.006)["passed"] is False
    assert hwe_check(0.0, real_share=at + 0.1)["reference"] == "real_train"


def test_ld_strength_not_applicable_without_real_ld():
    rng = np.random.default_rng(1)
    T = rng.binomial(2, 0.3, size=(800, 100)).astype(np.int8)
    bim = make_bim(100, 1)
    ld = fidelity.ld_metrics(T, T[:, ::-1].copy(), bim["CHR"].to_numpy(), bim["POS"].to_numpy())
    c = next(x for x in genotype_qc_checks({"fidelity": {"ld": ld}}, DEFAULT_THRESHOLDS) if x["name"] == "ld_strength")
    assert c["passed"] is None and "not applicable" in c["note"]


def test_plink_freq_maf_summary(cohorts, plink_qc):
    q = fidelity.maf_metrics(plink_qc["train"][2], plink_qc["shuffled"][2], plink_qc["test"][2])
    np.testing.assert_allclose(plink_qc["train"][2], fidelity.allele_frequencies(cohorts["train"]), atol=1e-6)
    assert q["correlation"] == pytest.approx(1.0) and q["holdout_correlation"] > 0.95
    assert q["synthetic"]["maf_frac_below"] == q["real_train"]["maf_frac_below"]
    s = fidelity.maf_summary(np.array([0.0, 0.005, 0.995, 0.3, 0.6]))
    assert s["maf_frac_below"] == pytest.approx(0.6) and s["n_monomorphic"] == 1
    assert s["maf_median"] == pytest.approx(0.005)


def test_hwe_share_of_a_subset_is_plink2s_on_those_people(cohorts, tmp_path):
    """The release check takes a larger synthetic cohort's HWE share on a subset of the real
    training size: hardy_p_subset is plink2 --hardy on exactly those rows (the numpy exact test on
    the same rows agrees), and a doubled-heterozygote cohort fails more SNPs as it grows."""
    from snpgen.stats import hwe_exact_p

    G = cohorts["extra_het"]
    io.write_bed(tmp_path / "x", G, make_fam(N, prefix="x"), cohorts["bim"])
    idx = np.arange(0, N, 3)
    p = fidelity.hardy_p_subset(tmp_path / "x", idx, tmp_path / "sub")
    assert np.allclose(p, hwe_exact_p(G[idx]), rtol=1e-3, atol=1e-12)
    full = fidelity.hardy_p_subset(tmp_path / "x", np.arange(N), tmp_path / "all")
    assert np.mean(full < 1e-6) > np.mean(p < 1e-6)


def test_larger_synthetic_cohort_hwe_share_is_the_mean_over_subsets(cohorts, tmp_path):
    """A synthetic cohort larger than the real training split gets its HWE share at the training
    size as the mean over evaluate.hwe_subsets random subsets (one subset's share is noisy): the
    shares are kept, their mean is the checked value, and the first subset is the one the
    evaluation always drew (rng stream 24)."""
    from snpgen.evaluate import _het_hwe, merged_params
    from snpgen.evaluate.privacy import subsample_rows

    paths = {}
    syn = np.vstack([cohorts["extra_het"], cohorts["same_model"]])  # 2N people, half of them too heterozygous
    for name, G in (("train", cohorts["train"]), ("test", cohorts["test"]), ("syn", syn)):
        io.write_bed(tmp_path / name, G, make_fam(len(G), prefix=name[:2]), cohorts["bim"])
        paths[name] = tmp_path / name
    fid, figs = {}, []
    (tmp_path / "w").mkdir()
    P = merged_params({"hwe_subsets": 3, "hwe_noise_reps": 1})
    _het_hwe(fid, figs, train=paths["train"], synthetic=paths["syn"], test=paths["test"], workdir=tmp_path / "w",
             figdir=tmp_path, P=P, seed=5, rng=lambda k: np.random.default_rng([5, k]), threads=1, memory_mb=None,
             say=lambda *_: None)
    s = fid["het_hwe"]["synthetic"]
    assert s["hwe_n"] == N and len(s["hwe_frac_below_subsets"]) == 3
    assert s["hwe_frac_below"] == pytest.approx(np.mean(s["hwe_frac_below_subsets"]))
    first = fidelity.hardy_p_subset(paths["syn"], subsample_rows(2 * N, N, np.random.default_rng([5, 24])), tmp_path / "f")
    assert s["hwe_frac_below_subsets"][0] == pytest.approx(np.mean(first[np.isfinite(first)] < 1e-6))
    assert len(set(s["hwe_frac_below_subsets"])) > 1  # different people in each subset

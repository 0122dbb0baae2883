"""Population-structure fidelity (issue 17) on a constructed three-population cohort.

Per-population allele frequencies are Balding-Nichols draws (Fst 0.1) around a base frequency;
populations make up 60 / 25 / 15 % of the cohort and differ in case fraction. Real held-out
people must pass the structure checks; a per-class independent allele-frequency sampler (the
baseline) and a cohort whose SNP columns are shuffled across people keep the allele
frequencies but lose the clusters, and must fail them.
"""
from __future__ import annotations

import numpy as np
import pytest

from snpgen import structure
from snpgen.evaluate import DEFAULT_EVALUATE, fidelity
from snpgen.evaluate.verdict import DEFAULT_THRESHOLDS, STRUCTURE_N_PCS, verdict

N_SNPS = 300
FST = 0.1
POPULATIONS = ("AFR", "EAS", "EUR")
SHARES = (0.25, 0.15, 0.60)
CASE_FRACTION = (0.2, 0.3, 0.35)
STRUCTURE_KEYS = ("structure_pc_factor", "structure_pc_floor", "max_cluster_proportion_diff")


def balding_nichols(base: np.ndarray, n_pops: int, fst: float, rng) -> np.ndarray:
    """Population allele frequencies (n_pops x SNPs) drifted from ``base`` with ``fst``."""
    a = base * (1 - fst) / fst
    b = (1 - base) * (1 - fst) / fst
    return np.clip(rng.beta(a, b, size=(n_pops, base.size)), 0.01, 0.99)


def draw_people(freqs: np.ndarray, n: int, rng, shares=SHARES) -> tuple:
    """Genotypes, case labels and population names of ``n`` people of the structured cohort."""
    pop = rng.choice(len(shares), size=n, p=shares)
    G = rng.binomial(2, freqs[pop]).astype(np.int8)
    y = (rng.random(n) < np.asarray(CASE_FRACTION)[pop]).astype(np.int8)
    return G, y, np.asarray(POPULATIONS)[pop]


def per_class_af_sampler(G: np.ndarray, y: np.ndarray, rng) -> np.ndarray:
    """The baseline: each SNP drawn independently from its pooled per-class frequency."""
    out = np.empty_like(G)
    for cls in (0, 1):
        p = fidelity.allele_frequencies(G[y == cls])
        out[y == cls] = rng.binomial(2, np.broadcast_to(p, ((y == cls).sum(), p.size)))
    return out


def shuffle_columns(G: np.ndarray, rng) -> np.ndarray:
    """Each SNP's column permuted across people: frequencies kept, joint structure lost."""
    return np.column_stack([rng.permutation(G[:, j]) for j in range(G.shape[1])])


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(17)
    base = rng.uniform(0.1, 0.9, N_SNPS)
    freqs = balding_nichols(base, len(POPULATIONS), FST, rng)
    train, holdout, other = (draw_people(freqs, n, rng) for n in (5000, 5000, 5000))
    pca = fidelity.fit_pca(train[0], 10)
    return {"train": train, "holdout": holdout, "other_real": other, "pca": pca, "rng": rng}


def structure_of(cohort, G_syn, y_syn, ancestry=None, **kw) -> dict:
    sets = (cohort["train"], (G_syn, y_syn), cohort["holdout"])
    pcs = {s: fidelity.project(x[0], cohort["pca"]) for s, x in zip(fidelity.STRUCTURE_SETS, sets)}
    labels = {s: x[1] for s, x in zip(fidelity.STRUCTURE_SETS, sets)}
    genotypes = {s: x[0] for s, x in zip(fidelity.STRUCTURE_SETS, sets)}
    kw = {"merge_ratio": DEFAULT_EVALUATE["structure_merge_ratio"], **kw}
    return fidelity.structure_metrics(pcs, labels, genotypes=genotypes, ancestry=ancestry, seed=3, **kw)


def structure_verdict(st: dict) -> dict:
    """The verdict with only the structure checks on (defaults)."""
    off = {k: None for k in DEFAULT_THRESHOLDS if k not in STRUCTURE_KEYS}
    return verdict({"fidelity": {"structure": st}}, off)


def test_clusters_recover_the_three_populations(cohort):
    st = structure_of(cohort, *cohort["other_real"][:2])
    cl = st["clusters"]
    assert cl["n_clusters"] == 3
    assert sorted(cl["overall"]["proportions"]["real_train"]) == pytest.approx(sorted(SHARES), abs=0.02)
    assert st["n_pcs"] == 4 and len(st["pc_distance_synthetic"]) == len(st["pc_distance_holdout"]) == 4


def test_held_out_real_people_pass_the_structure_checks(cohort):
    st = structure_of(cohort, *cohort["other_real"][:2])
    v = structure_verdict(st)
    names = [c["name"] for c in v["checks"]]
    assert names == [f"structure_pc{j}_distance" for j in range(1, 5)] + ["cluster_proportion_diff"]
    assert v["passed"], v["checks"]


@pytest.mark.parametrize("generator", ["per_class_af_sampler", "shuffled_columns"])
def test_structureless_cohorts_fail_the_structure_checks(cohort, generator):
    G, y, _ = cohort["train"]
    rng = np.random.default_rng(4)
    G_syn = per_class_af_sampler(G, y, rng) if generator == "per_class_af_sampler" else shuffle_columns(G, rng)
    # the allele frequencies are fine: only the structure checks can catch these cohorts
    assert fidelity.af_metrics(G, G_syn)["correlation"] > 0.99
    st = structure_of(cohort, G_syn, y)
    v = structure_verdict(st)
    assert not v["passed"]
    assert {"structure_pc1_distance", "cluster_proportion_diff"} <= set(v["failed_checks"])
    assert st["clusters"]["overall"]["max_abs_diff_synthetic"] > 0.1


def test_homogeneous_cohort_compares_fine():
    rng = np.random.default_rng(8)
    p = rng.uniform(0.1, 0.9, (1, N_SNPS))
    (Gt, yt, _), (Gs, ys, _), (Gh, yh, _) = (draw_people(p, 3000, rng, shares=(1.0,)) for _ in range(3))
    pca = fidelity.fit_pca(Gt, 4)
    pcs = dict(zip(fidelity.STRUCTURE_SETS, (fidelity.project(x, pca) for x in (Gt, Gs, Gh))))
    labels = dict(zip(fidelity.STRUCTURE_SETS, (yt, ys, yh)))
    st = fidelity.structure_metrics(pcs, labels, seed=1)
    assert st["clusters"]["n_clusters"] == 1 or st["clusters"]["overall"]["max_abs_diff_synthetic"] <= 0.03
    assert structure_verdict(st)["passed"]


def test_small_real_cells_are_suppressed_and_ten_or_more_shown():
    cluster = {"real_train": np.repeat([0, 1], [40, 12]), "synthetic": np.repeat([0, 1], [3, 2]),
               "holdout": np.repeat([0, 1], [15, 9])}
    labels = {"real_train": np.repeat([0, 1, 0, 1], [30, 10, 3, 9]), "synthetic": np.zeros(5, np.int8),
              "holdout": np.zeros(24, np.int8)}
    overall = fidelity._class_proportions(cluster, labels, None, 2, min_count=10)["proportions"]
    assert overall["real_train"] == pytest.approx([40 / 52, 12 / 52])  # 12 >= 10: shown
    assert overall["holdout"][0] == pytest.approx(15 / 24) and overall["holdout"][1] is None  # 9 < 10
    assert overall["synthetic"] == pytest.approx([0.6, 0.4])  # synthetic people: never suppressed
    case = fidelity._class_proportions(cluster, labels, 1, 2, min_count=10)["proportions"]
    assert case["real_train"][0] == pytest.approx(10 / 19) and case["real_train"][1] is None


def test_per_population_allele_frequency_agreement(cohort):
    ancestry = cohort["train"][2]
    good = structure_of(cohort, *cohort["other_real"][:2], ancestry=ancestry)
    assert sorted(good["clusters"]["population"]) == sorted(POPULATIONS)
    G, y, _ = cohort["train"]
    blob = structure_of(cohort, per_class_af_sampler(G, y, np.random.default_rng(5)), y, ancestry=ancestry)
    for pop in POPULATIONS:
        g, b = good["ancestry"][pop], blob["ancestry"][pop]
        assert g["n_real_train"] == int((ancestry == pop).sum())
        assert g["synthetic"]["correlation"] > 0.98 and g["holdout"]["correlation"] > 0.98
        assert g["synthetic"]["mean_abs_diff"] < 0.03
        # the pooled sampler gives every population the pooled frequencies
        if b["n_synthetic"]:
            assert b["synthetic"]["mean_abs_diff"] > 2 * g["synthetic"]["mean_abs_diff"]


def test_population_af_agreement_small_population_is_suppressed():
    rng = np.random.default_rng(2)
    G = {s: rng.binomial(2, 0.3, (n, 50)).astype(np.int8) for s, n in zip(fidelity.STRUCTURE_SETS, (60, 40, 40))}
    cluster = {"real_train": np.repeat([0, 1], [55, 5]), "synthetic": np.repeat([0, 1], [30, 10]),
               "holdout": np.repeat([0, 1], [35, 5])}
    ancestry = np.repeat(["EUR", "SAS"], [55, 5])
    out = fidelity.population_af_agreement(G, cluster, ancestry, ["EUR", "SAS"], min_count=10)
    assert out["EUR"]["n_real_train"] == 55 and out["EUR"]["n_holdout"] == 35 and out["EUR"]["clusters"] == [1]
    assert out["EUR"]["synthetic"]["correlation"] is not None
    assert out["SAS"]["n_real_train"] is None and out["SAS"]["n_holdout"] is None
    assert out["SAS"]["n_synthetic"] == 10 and out["SAS"]["synthetic"]["correlation"] is None


def test_missing_structure_fails_every_structure_check():
    v = structure_verdict(None)
    assert len(v["checks"]) == STRUCTURE_N_PCS + 1 and not any(c["passed"] for c in v["checks"])


def test_augmented_real_people_pass_once_real_is_weighted_to_their_case_fraction(cohort):
    """An 'augmented' cohort of real people, 90 % cases: cases are enriched in the populations with
    the higher case fraction, so its cluster shares differ from the real training split's (which
    the check must not call a structure loss). Weighted to its case fraction, real train agrees;
    with unknown labels (no weighting) the same people fail."""
    G, y, _ = cohort["other_real"]
    cases, controls = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    keep = np.concatenate([cases, controls[: len(cases) // 9]])
    st = structure_of(cohort, G[keep], y[keep])
    assert st["real_weighted_to_case_fraction"] == pytest.approx(0.9, abs=0.01)
    assert structure_verdict(st)["passed"], structure_verdict(st)["checks"]
    raw = structure_of(cohort, G[keep], np.full(keep.size, -1, np.int8))
    assert raw["real_weighted_to_case_fraction"] is None
    assert raw["clusters"]["overall"]["max_abs_diff_synthetic"] > 0.05
    assert not structure_verdict(raw)["passed"]


def test_case_fraction_weights():
    y = np.array([1, 0, 0, 0, -1])
    w = fidelity.case_fraction_weights(y, 0.5)
    assert w[0] == pytest.approx(2.0) and w[1] == pytest.approx(2 / 3) and w[4] == 1.0
    assert np.allclose(fidelity.case_fraction_weights(y, 0.25), 1.0)  # already at that fraction
    assert np.allclose(fidelity.case_fraction_weights(np.zeros(4), 0.5), 1.0)  # no cases: unweighted
    assert fidelity.case_fraction(y) == pytest.approx(0.25) and fidelity.case_fraction(np.full(3, -1)) is None
    assert np.allclose(fidelity.case_fraction_weights(y, None), 1.0)  # synthetic people without labels


def skewed_and_far_scores(n: int, rng, widen: float = 1.0) -> np.ndarray:
    """PC1-PC2 scores of two populations: 75 % in one cloud with a dense core and a wide skewed halo
    (two overlapping Gaussians: BIC fits it with more than one component at this size), 25 % in a
    cloud 12 SD away.
    ``widen`` scales the skewed cloud about its mean (a generator that makes it too wide)."""
    a = int(0.75 * n)
    part = rng.random(a) < 0.6
    cloud = np.where(part[:, None], rng.normal(0, 0.6, (a, 2)), rng.normal([0.8, 0.3], 1.6, (a, 2)))
    cloud = cloud.mean(0) + widen * (cloud - cloud.mean(0))
    return np.vstack([cloud, rng.normal([12.0, 0.0], 1.0, (n - a, 2))])


def test_components_of_one_population_are_merged_and_separate_populations_are_not():
    rng = np.random.default_rng(23)
    gm = structure.fit_clusters(skewed_and_far_scores(8000, rng), max_clusters=6, min_size=10, seed=0)
    assert gm.n_components >= 3  # the skewed cloud takes two or more components
    mode = structure.merge_components(gm, 0.5)
    far = int(np.argmax(gm.means_[:, 0]))
    assert mode.max() == 1 and (mode == mode[far]).sum() == 1
    assert structure.ridge_ratio(gm, far, int(np.argmin(gm.means_[:, 0]))) < 0.01
    assert (structure.merge_components(gm, None) == np.arange(gm.n_components)).all()


def test_a_wider_population_cloud_moves_shares_between_components_not_between_modes():
    rng = np.random.default_rng(29)
    pcs = {"real_train": skewed_and_far_scores(8000, rng), "holdout": skewed_and_far_scores(2000, rng),
           "synthetic": skewed_and_far_scores(8000, rng, widen=1.2)}
    labels = {s: np.zeros(len(x), np.int8) for s, x in pcs.items()}
    per_component = fidelity.structure_metrics(pcs, labels, n_pcs=2, seed=0, merge_ratio=None)["clusters"]
    modes = fidelity.structure_metrics(pcs, labels, n_pcs=2, seed=0, merge_ratio=0.5)["clusters"]
    assert per_component["n_clusters"] == modes["n_components"] >= 3 and modes["n_clusters"] == 2
    assert per_component["overall"]["max_abs_diff_synthetic"] > 0.03
    assert modes["overall"]["max_abs_diff_synthetic"] < 0.01


def test_a_shift_inside_one_cluster_shows_in_its_own_sd_not_in_the_cohorts():
    rng = np.random.default_rng(31)
    pcs = {"real_train": skewed_and_far_scores(8000, rng), "holdout": skewed_and_far_scores(2000, rng),
           "synthetic": skewed_and_far_scores(8000, rng)}
    far = pcs["synthetic"][:, 0] > 6
    pcs["synthetic"][far, 0] += 0.5  # the far population moved by half its own SD along PC1
    labels = {s: np.zeros(len(x), np.int8) for s, x in pcs.items()}
    st = fidelity.structure_metrics(pcs, labels, n_pcs=2, seed=0, merge_ratio=0.5)
    cl = st["clusters"]
    within = cl["within_pc_distance_synthetic"]
    moved = int(np.argmin([abs(p - 0.25) for p in cl["overall"]["proportions"]["real_train"]]))
    assert within[moved][0] == pytest.approx(0.5, abs=0.08)
    assert within[1 - moved][0] < 0.1 and max(cl["within_pc_distance_holdout"][moved]) < 0.1
    assert st["pc_distance_synthetic"][0] < 0.1  # the whole cohort's PC1 hardly sees it


def test_within_cluster_distances_are_null_for_small_clusters():
    lead = {s: np.random.default_rng(1).normal(size=(30, 2)) for s in fidelity.STRUCTURE_SETS}
    cluster = {s: np.repeat([0, 1], [25, 5]) for s in fidelity.STRUCTURE_SETS}
    w = {"real_train": np.ones(30), "holdout": np.ones(30)}
    out = fidelity._within_cluster_distances(lead, cluster, 2, w, "synthetic", min_count=10)
    assert out[1] is None and len(out[0]) == 2

"""The population-statistics reference for the privacy loss (snpgen.evaluate.population)."""
import numpy as np
import pytest

from snpgen.evaluate import population, privacy


def _ld_cohort(n: int, L: int, seed: int, p_copy: float = 0.8) -> np.ndarray:
    """Genotypes with strong LD between neighbours: each SNP copies the previous one's genotype with
    probability ``p_copy``, else draws Binomial(2, 0.3)."""
    rng = np.random.default_rng(seed)
    G = np.empty((n, L), np.int8)
    G[:, 0] = rng.binomial(2, 0.3, n)
    for j in range(1, L):
        fresh = rng.binomial(2, 0.3, n)
        G[:, j] = np.where(rng.random(n) < p_copy, G[:, j - 1], fresh)
    return G


def _neighbour_r(G: np.ndarray) -> float:
    return float(np.nanmean([np.corrcoef(G[:, j], G[:, j + 1])[0, 1] for j in range(G.shape[1] - 1)]))


def test_chain_keeps_frequencies_and_the_order_sets_neighbour_ld():
    X = _ld_cohort(3000, 60, 1)
    rng = np.random.default_rng(2)
    g0 = population.markov_chain(X, 3000, 0, rng)
    g1 = population.markov_chain(X, 3000, 1, rng)
    assert np.abs(g0.mean(0) - X.mean(0)).max() < 0.1  # allele dosages kept by either order
    assert np.abs(g1.mean(0) - X.mean(0)).max() < 0.1
    r_real, r0, r1 = _neighbour_r(X), _neighbour_r(g0), _neighbour_r(g1)
    assert r_real > 0.7
    assert abs(r0) < 0.1  # independent SNPs
    assert abs(r1 - r_real) < 0.05  # neighbour LD as in the counts


def test_sharpening_makes_draws_more_typical():
    X = _ld_cohort(2000, 80, 3, p_copy=0.0)  # independent SNPs, genotype frequencies 0.49 / 0.42 / 0.09
    rng = np.random.default_rng(4)
    mode = [float((population.markov_chain(X, 4000, 0, rng, sharpen=s) == 0).mean()) for s in (1.0, 0.5)]
    assert abs(mode[0] - 0.49) < 0.02
    assert abs(mode[1] - 0.565) < 0.02  # 0.49^2 / (0.49^2 + 0.42^2 + 0.09^2)


def test_reference_is_drawn_per_group_in_the_groups_shares():
    X = _ld_cohort(300, 20, 5)
    X[250:] = 2  # the last group carries only ALT homozygotes
    groups = np.repeat([0, 1, 101], [150, 100, 50])
    G = population.draw_reference(X, groups, 600, 1, 1.0, seed=1)
    assert G.shape == (600, 20) and G.dtype == np.int8
    assert (G[500:] == 2).mean() > 0.95  # 50 / 300 of 600 rows from the last group, in sorted group order
    assert (G[:500] == 2).mean() < 0.3


def test_closeness_matched_reference_reaches_the_target_and_stays_below_a_copy():
    T, H = _ld_cohort(600, 200, 6, p_copy=0.5), _ld_cohort(300, 200, 7, p_copy=0.5)
    groups = np.zeros(len(T), np.int64)
    kw = dict(max_n=5000, repeats=2, n_boot=20)
    rng = np.random.default_rng(8)
    copies = T[rng.choice(len(T), 300, replace=False)].copy()  # a leaky generator: copies of training people
    flip = rng.random(copies.shape) < 0.05
    copies[flip] = rng.integers(0, 3, flip.sum())
    leak = privacy.distance_privacy(copies, T, H, seed=3, **kw)["nnaa"]
    ref = population.closeness_matched(leak["train_reference"]["aa_truth"], T, H, groups, n=300, order=1,
                                       seed=3, **kw)
    assert ref["sharpen"] < 1.0  # copies sit closer to real people than the unsharpened chain
    assert abs(ref["aa_truth"] - leak["train_reference"]["aa_truth"]) < 0.15
    assert leak["privacy_loss"] > ref["privacy_loss"] + 0.1
    far = population.closeness_matched(1.0, T, H, groups, n=300, order=1, seed=3, **kw)
    assert far["sharpen"] == 1.0  # a target no closer than the plain chain: no sharpening searched

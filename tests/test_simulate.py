from __future__ import annotations

import numpy as np

from snpgen.simulate import liability_phenotype, plant_artefacts, simulate_genotypes

PARAMS = {"n_individuals": 200, "ancestry_fractions": [0.5, 0.5], "split_time": 200, "effective_size": 10000,
          "present_size": 100000, "n_chromosomes": 2, "chromosome_length_mb": 0.5, "recombination_rate": 1e-8,
          "mutation_rate": 1e-8, "min_maf": 0.05}


def test_msprime_genotypes_have_ld_and_structure():
    G, bim, pop = simulate_genotypes(PARAMS, seed=1)
    assert G.shape == (200, bim.height) and G.dtype == np.int8
    assert set(np.unique(G)) <= {0, 1, 2}
    assert bim["CHR"].unique().sort().to_list() == ["1", "2"]
    assert bim["ID"].is_unique().all()
    f = G.mean(0) / 2
    assert np.all(np.minimum(f, 1 - f) >= 0.05)
    # neighbouring SNPs are in LD (msprime), distant ones much less
    X = (G - G.mean(0)) / G.std(0)
    r2_near = np.mean([np.corrcoef(X[:, j], X[:, j + 1])[0, 1] ** 2 for j in range(0, 200)])
    r2_far = np.mean([np.corrcoef(X[:, j], X[:, -1 - j])[0, 1] ** 2 for j in range(0, 200)])
    assert r2_near > 3 * r2_far
    again, _, _ = simulate_genotypes(PARAMS, seed=1)
    assert np.array_equal(G, again)


def test_liability_threshold_prevalence_and_heritability():
    rng = np.random.default_rng(0)
    G = rng.binomial(2, 0.3, size=(20000, 50)).astype(np.int8)
    status, beta = liability_phenotype(G, h2=0.5, prevalence=0.1, causal=np.arange(50), rng=rng)
    assert abs(status.mean() - 0.1) < 0.01
    assert len(beta) == 50
    # the genetic score separates cases from controls
    z = (G - G.mean(0)) / G.std(0)
    score = z @ beta
    assert score[status == 1].mean() > score[status == 0].mean() + 0.5


def test_artefacts_are_planted():
    rng = np.random.default_rng(0)
    G = rng.binomial(2, 0.3, size=(100, 300)).astype(np.int8)
    a = {"missing_rate": 0.01, "bad_samples": 3, "bad_sample_missing": 0.2, "bad_snps": 5, "bad_snp_missing": 0.2,
         "hwe_snps": 4, "duplicates": 2, "relatives": 2}
    out, planted = plant_artefacts(G, a, rng)
    assert planted["duplicates"] == 2 and (out == -1).mean() > 0.01
    assert (G >= 0).all()  # the input is not modified

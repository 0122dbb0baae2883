from __future__ import annotations

import numpy as np

import pytest

from snpgen.simulate import ancestry_shift, liability_phenotype, plant_artefacts, simulate_genotypes

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


OOA = {**PARAMS, "demography": "out_of_africa", "ancestry_fractions": [0.6, 0.25, 0.15], "n_individuals": 240}


def test_out_of_africa_gives_three_separate_continental_clusters():
    G, bim, pop = simulate_genotypes(OOA, seed=3)
    assert np.bincount(pop).tolist() == [144, 60, 36]  # EUR, AFR, EAS in the configured shares
    Z = (G - G.mean(0)) / G.std(0)
    u, s, _ = np.linalg.svd(Z, full_matrices=False)
    pcs = u[:, :2] * s[:2]
    centres = np.array([pcs[pop == k].mean(0) for k in range(3)])
    spread = max(pcs[pop == k].std(0).max() for k in range(3))
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i + 1, 3)]
    assert min(gaps) > 2 * spread  # continental divergence: clusters far apart on PC1-PC2
    # the shallow two-population model does not separate like that
    G2, _, pop2 = simulate_genotypes({**PARAMS, "n_individuals": 240}, seed=3)
    Z2 = (G2 - G2.mean(0)) / G2.std(0)
    u2, s2, _ = np.linalg.svd(Z2, full_matrices=False)
    pc2 = u2[:, 0] * s2[0]
    gap2 = abs(pc2[pop2 == 0].mean() - pc2[pop2 == 1].mean())
    assert gap2 < 2 * max(pc2[pop2 == k].std() for k in range(2))


def test_admixed_people_sit_between_their_source_populations():
    G, _, pop = simulate_genotypes({**OOA, "admixed_fraction": 0.2, "n_individuals": 300}, seed=4)
    assert np.bincount(pop).tolist() == [144, 60, 36, 60]  # the admixed share is taken from the others
    Z = (G - G.mean(0)) / G.std(0)
    u, s, _ = np.linalg.svd(Z, full_matrices=False)
    pc1 = u[:, 0] * s[0]
    eur, afr, adm = (pc1[pop == k].mean() for k in (0, 1, 3))
    assert min(eur, afr) < adm < max(eur, afr)


def test_ancestry_shift_per_population():
    pop = np.array([0, 1, 2, 2])
    assert ancestry_shift(0.3, pop).tolist() == [0.0, 0.3, 0.3, 0.3]
    assert ancestry_shift([0.0, 0.5, -0.2], pop).tolist() == [0.0, 0.5, -0.2, -0.2]
    with pytest.raises(ValueError, match="2 shifts for 3 populations"):
        ancestry_shift([0.0, 0.5], pop)
    with pytest.raises(ValueError, match="demography must be"):
        simulate_genotypes({**PARAMS, "demography": "island"}, seed=1)


COHORT = {**OOA, "n_individuals": 150, "n_chromosomes": 3, "chromosome_length_mb": 0.3, "age_mean": 50.0,
          "age_sd": 5.0, "diseases": {"d1": {"h2": 0.5, "prevalence": 0.1, "n_causal": 5},
                                      "d2": {"h2": 0.3, "prevalence": 0.2, "n_causal": 20, "ancestry_shift": 0.3}},
          "artefacts": {"missing_rate": 0.002, "bad_samples": 3, "bad_sample_missing": 0.1, "bad_snps": 6,
                        "bad_snp_missing": 0.15, "hwe_snps": 5, "duplicates": 2, "relatives": 2,
                        "pheno_missing": 0.01}}
NO_ARTEFACTS = {k: 0 for k in COHORT["artefacts"]}


def _simulate(tmp_path, name, params, threads=1):
    from snpgen.simulate import simulate_cohort

    out = tmp_path / name
    simulate_cohort(params, out / "cohort", out / "phenotypes.tsv", out / "truth.json", seed=11, threads=threads)
    return {f.name: f.read_bytes() for f in out.iterdir()}


def test_per_chromosome_writes_the_same_cohort_without_artefacts(tmp_path, plink2_available):
    params = {**COHORT, "artefacts": NO_ARTEFACTS}
    whole = _simulate(tmp_path, "whole", params)
    per = _simulate(tmp_path, "per", {**params, "per_chromosome": True})
    assert sorted(whole) == ["cohort.bed", "cohort.bim", "cohort.fam", "phenotypes.tsv", "truth.json"]
    assert per == whole


def test_per_chromosome_holds_one_chromosome_and_plants_the_same_artefacts(tmp_path, plink2_available,
                                                                           monkeypatch):
    from snpgen import io, simulate

    widths, write, read = [], io.write_bed, io.read_genotypes
    monkeypatch.setattr(io, "write_bed", lambda p, g, *a: (widths.append(np.shape(g)[1]), write(p, g, *a))[1])
    monkeypatch.setattr(io, "read_genotypes", lambda *a, **k: (lambda g: (widths.append(g.shape[1]), g)[1])(
        read(*a, **k)))
    per = _simulate(tmp_path, "per", {**COHORT, "per_chromosome": True})
    monkeypatch.undo()
    whole = _simulate(tmp_path, "whole", COHORT)
    bim = io.read_bim(tmp_path / "per" / "cohort")
    largest = bim.group_by("CHR").len()["len"].max()
    assert max(widths) == largest < bim.height, "never more than one chromosome's matrix"
    # the same genome, people, phenotypes and truth; the artefacts drawn per chromosome
    for name in ("cohort.bim", "cohort.fam", "phenotypes.tsv", "truth.json"):
        assert per[name] == whole[name], name
    G = io.read_genotypes(tmp_path / "per" / "cohort")
    clean = io.read_genotypes(tmp_path / "whole" / "cohort")
    assert (G == -1).sum() > 0.5 * (clean == -1).sum()
    dup_like = [(i, j) for i in range(len(G)) for j in range(i + 1, len(G)) if np.mean(G[i] == G[j]) > 0.95]
    assert len(dup_like) >= COHORT["artefacts"]["duplicates"]


def test_an_interrupted_per_chromosome_simulation_resumes_at_the_missing_chromosome(tmp_path, plink2_available,
                                                                                    monkeypatch):
    from snpgen import simulate

    params = {**COHORT, "per_chromosome": True}
    simulated, real = [], simulate._simulate_chromosome

    def interrupted(c, *args):
        if c == 2:
            raise KeyboardInterrupt("killed during chromosome 2")
        simulated.append(c)
        return real(c, *args)

    monkeypatch.setattr(simulate, "_simulate_chromosome", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _simulate(tmp_path, "resumed", params)
    assert simulated == [1]
    monkeypatch.setattr(simulate, "_simulate_chromosome", lambda c, *a: (simulated.append(c), real(c, *a))[1])
    resumed = _simulate(tmp_path, "resumed", params)
    assert simulated == [1, 2, 3], "the rerun simulates only the chromosomes the first run did not finish"
    assert not (tmp_path / "resumed" / ".raw").exists()
    # a changed genome parameter does not reuse a finished chromosome
    monkeypatch.setattr(simulate, "_simulate_chromosome", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _simulate(tmp_path, "changed", params)
    monkeypatch.setattr(simulate, "_simulate_chromosome", lambda c, *a: (simulated.append(c), real(c, *a))[1])
    _simulate(tmp_path, "changed", {**params, "mutation_rate": params["mutation_rate"] * 1.5})
    assert simulated == [1, 2, 3, 1, 1, 2, 3]
    monkeypatch.undo()
    assert resumed == _simulate(tmp_path, "whole", params)


def test_a_run_killed_after_the_concatenation_simulates_no_chromosome_again(tmp_path, plink2_available,
                                                                          monkeypatch):
    from snpgen import simulate

    params = {**COHORT, "per_chromosome": True}
    simulated, real = [], simulate._simulate_chromosome
    monkeypatch.setattr(simulate, "_simulate_chromosome", lambda c, *a: (simulated.append(c), real(c, *a))[1])
    plant = simulate.plant_artefacts_by_chromosome

    def killed(*args):
        raise KeyboardInterrupt("killed while planting the artefacts")

    monkeypatch.setattr(simulate, "plant_artefacts_by_chromosome", killed)
    with pytest.raises(KeyboardInterrupt):
        _simulate(tmp_path, "resumed", params)
    raw = tmp_path / "resumed" / ".raw"
    assert sorted(f.name for f in raw.iterdir()) == ["clean.bed", "clean.bim", "clean.done.json", "clean.fam"]
    monkeypatch.setattr(simulate, "plant_artefacts_by_chromosome", plant)
    resumed = _simulate(tmp_path, "resumed", params)
    assert simulated == [1, 2, 3], "the rerun reads the concatenated genome instead of simulating it again"
    assert not raw.exists()
    monkeypatch.undo()
    assert resumed == _simulate(tmp_path, "whole", params)


def test_chromosomes_simulated_in_two_processes_give_the_same_cohort(tmp_path, plink2_available):
    params = {**COHORT, "per_chromosome": True}
    assert _simulate(tmp_path, "two", params, threads=2) == _simulate(tmp_path, "one", params)


def test_missing_calls_drawn_in_row_blocks_equal_one_full_draw():
    from snpgen.simulate import _plant_copies_and_calls

    G = np.zeros((1000, 9000), dtype=np.int8)  # 9 M cells: more than one block of rows
    empty = np.empty((0, 2), dtype=int)
    _plant_copies_and_calls(G, {"missing_rate": 0.01}, empty, empty, 0, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    rng.choice(9000, 0, replace=False)
    rng.random((1000, 0))
    np.testing.assert_array_equal(G == -1, rng.random(G.shape) < 0.01)


@pytest.mark.e2e
def test_the_simulate_rule_runs_chromosomes_in_worker_processes(tmp_path, plink2_available):
    """Through Snakemake's script adapter: its worker processes start by spawning, which runs the
    adapter file again as ``__mp_main__`` (a 50k run failed there before the adapter's main guard)."""
    import yaml

    from conftest import ROOT, TEST_CONFIG, run_snakemake

    cohort = yaml.safe_load((ROOT / "tests" / "config" / "demo_cohort.yaml").read_text())
    cohort.update(n_individuals=300, chromosome_length_mb=0.5, per_chromosome=True)
    (tmp_path / "cohort.yaml").write_text(yaml.safe_dump(cohort))
    config = yaml.safe_load(TEST_CONFIG.read_text())
    config["cohort"]["demo_params"] = str(tmp_path / "cohort.yaml")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    results = tmp_path / "results"
    run_snakemake(results, str(results / "cohort" / "cohort.bed"), configfile=tmp_path / "config.yaml", timeout=600)
    log = (results / "logs" / "simulate_cohort.log").read_text()
    assert "'n_individuals': 300" in log
    assert not (results / "cohort" / ".raw").exists()

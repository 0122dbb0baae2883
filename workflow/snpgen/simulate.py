"""The embedded demo cohort: msprime genotypes with realistic LD, written by plink2,
phenotypes from a liability-threshold model with known causal SNPs, and a truth file.

``demography: out_of_africa`` (the demo) samples three continental populations (EUR, AFR,
EAS; Gutenkunst et al. 2009) in unequal shares, optionally with admixed people; the older
``two_population`` model (A and B split ``split_time`` generations ago) gives a shallow
structure. Ancestry labels go to the truth file for evaluation only. A few QC artefacts
(missing calls, bad samples and SNPs, HWE-violating SNPs, duplicates and relatives) are
planted so that each QC step has something to remove.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import norm

from . import io, plink


# Out-of-Africa model of Gutenkunst et al. (2009; stdpopsim's OutOfAfrica_3G09): YRI-, CEU- and
# CHB-like populations, generations of 25 years, with migration; continental-scale divergence.
OOA = {"N_A": 7300, "N_B": 2100, "N_AF": 12300, "N_EU0": 1000, "N_AS0": 510, "r_EU": 0.004, "r_AS": 0.0055,
       "T_AF": 8800, "T_B": 5600, "T_EU_AS": 848, "m_AF_B": 25e-5, "m_AF_EU": 3e-5, "m_AF_AS": 1.9e-5,
       "m_EU_AS": 9.6e-5}
OOA_POPULATIONS = ("EUR", "AFR", "EAS")


def _two_population_demography(p: dict):
    """A and B split ``split_time`` generations ago; each grows exponentially to ``present_size``
    (large, so sampled individuals are unrelated, as in a biobank)."""
    import msprime

    growth = np.log(p["present_size"] / p["effective_size"]) / p["split_time"]
    dem = msprime.Demography()
    dem.add_population(name="A", initial_size=p["present_size"], growth_rate=growth)
    dem.add_population(name="B", initial_size=p["present_size"], growth_rate=growth)
    dem.add_population(name="ANC", initial_size=p["effective_size"])
    dem.add_population_split(time=p["split_time"], derived=["A", "B"], ancestral="ANC")
    return dem, ["A", "B"]


def _out_of_africa_demography(p: dict):
    """Three continental populations (EUR, AFR, EAS, in that order), optionally grown to
    ``present_size`` over the last ``growth_time`` generations, and, when ``admixed_fraction``
    > 0, an admixed population (ADM) formed ``admixture_time`` generations ago from AFR and EUR
    (``admixture_afr`` of its ancestry from AFR)."""
    import msprime

    o = OOA
    t = int(p.get("growth_time", 200))
    sizes = {"EUR": o["N_EU0"] * np.exp(o["r_EU"] * (o["T_EU_AS"] - t)), "AFR": o["N_AF"],
             "EAS": o["N_AS0"] * np.exp(o["r_AS"] * (o["T_EU_AS"] - t))}
    present = p.get("present_size")
    dem = msprime.Demography()
    for name, rate in (("EUR", o["r_EU"]), ("AFR", 0.0), ("EAS", o["r_AS"])):
        # Gutenkunst's sizes up to growth_time generations ago; then, with present_size, each
        # population grows exponentially to it (recent explosive growth, as in Tennessen et al.
        # 2012): sampled people are then unrelated, as in a biobank, even on a few Mb of genome
        if present:
            dem.add_population(name=name, initial_size=present, growth_rate=np.log(present / sizes[name]) / t)
            dem.add_population_parameters_change(time=t, population=name, initial_size=sizes[name],
                                                 growth_rate=rate)
        else:
            dem.add_population(name=name, initial_size=sizes[name] * np.exp(rate * t), growth_rate=rate)
    names = list(OOA_POPULATIONS)
    if float(p.get("admixed_fraction", 0.0)) > 0:
        dem.add_population(name="ADM", initial_size=present or o["N_AF"])
        names.append("ADM")
    dem.add_population(name="OOA", initial_size=o["N_B"])
    dem.add_population(name="AMH", initial_size=o["N_AF"])
    dem.add_population(name="ANC", initial_size=o["N_A"])
    dem.set_symmetric_migration_rate(["AFR", "EUR"], o["m_AF_EU"])
    dem.set_symmetric_migration_rate(["AFR", "EAS"], o["m_AF_AS"])
    dem.set_symmetric_migration_rate(["EUR", "EAS"], o["m_EU_AS"])
    if "ADM" in names:
        a = float(p.get("admixture_afr", 0.8))
        dem.add_admixture(time=int(p.get("admixture_time", 12)), derived="ADM", ancestral=["AFR", "EUR"],
                          proportions=[a, 1 - a])
    dem.add_population_split(time=o["T_EU_AS"], derived=["EUR", "EAS"], ancestral="OOA")
    dem.add_symmetric_migration_rate_change(time=o["T_EU_AS"], populations=["AFR", "OOA"], rate=o["m_AF_B"])
    dem.add_population_split(time=o["T_B"], derived=["AFR", "OOA"], ancestral="AMH")
    dem.add_population_split(time=o["T_AF"], derived=["AMH"], ancestral="ANC")
    dem.sort_events()
    return dem, names


def population_sizes(n: int, fractions: list[float]) -> list[int]:
    """Individuals per population: largest-remainder rounding of n x fractions (sums to n)."""
    f = np.asarray(fractions, dtype=float)
    if f.ndim != 1 or f.size < 1 or np.any(f < 0) or f.sum() <= 0:
        raise ValueError(f"ancestry_fractions must be non-negative shares, not {fractions!r}")
    raw = n * f / f.sum()
    sizes = np.floor(raw).astype(int)
    sizes[np.argsort(-(raw - sizes))[: n - sizes.sum()]] += 1
    return [int(x) for x in sizes]


def build_demography(p: dict):
    """(msprime Demography, sampled population names) of ``p["demography"]``: ``two_population``
    (default; A/B split ``split_time`` generations ago) or ``out_of_africa``."""
    kind = p.get("demography", "two_population")
    if kind == "two_population":
        return _two_population_demography(p)
    if kind == "out_of_africa":
        return _out_of_africa_demography(p)
    raise ValueError(f"demography must be 'two_population' or 'out_of_africa', not {kind!r}")


def _sample_sets(p: dict):
    """(msprime SampleSets, Demography, population sizes) of ``p``."""
    import msprime

    n = int(p["n_individuals"])
    dem, names = build_demography(p)
    fractions = list(p["ancestry_fractions"])
    if len(fractions) != len(names) - ("ADM" in names):
        raise ValueError(f"ancestry_fractions has {len(fractions)} shares for populations {names}")
    if "ADM" in names:
        a = float(p["admixed_fraction"])
        fractions = [x * (1 - a) / sum(fractions) for x in fractions] + [a]
    sizes = population_sizes(n, fractions)
    samples = [msprime.SampleSet(k, population=name) for name, k in zip(names, sizes) if k > 0]
    return samples, dem, sizes


def _common_sites(ts, min_maf: float) -> np.ndarray:
    """Sites with one mutation and a minor allele frequency >= ``min_maf`` (bool per site), from
    the trees (samples under the mutation): no haplotype matrix of every site, which at 50,000
    people would be sites x 100,000 int32."""
    derived = np.zeros(ts.num_sites)
    one = np.bincount(ts.tables.mutations.site, minlength=ts.num_sites) == 1
    for tree in ts.trees():
        for site in tree.sites():
            if one[site.id]:
                derived[site.id] = tree.num_samples(site.mutations[0].node)
    f = derived / ts.num_samples
    return one & (np.minimum(f, 1 - f) >= min_maf)


def _diploid_genotypes(ts) -> np.ndarray:
    """individuals x sites int8 derived-allele counts (sample nodes 2i, 2i+1 = individual i),
    decoded site by site."""
    g = np.empty((ts.num_samples // 2, ts.num_sites), dtype=np.int8)
    for j, var in enumerate(ts.variants(copy=False)):
        h = var.genotypes > 0
        g[:, j] = h[0::2].view(np.int8) + h[1::2].view(np.int8)
    return g


def _chromosome_seeds(p: dict, seed: int) -> list[tuple[int, int]]:
    """msprime's (ancestry, mutation) seeds of each chromosome, all drawn up front so that any one
    chromosome can be simulated (or skipped when a resumed run has it) on its own."""
    rng = np.random.default_rng(seed)
    return [(int(rng.integers(1, 2**31 - 1)), int(rng.integers(1, 2**31 - 1)))
            for _ in range(int(p["n_chromosomes"]))]


def _simulate_chromosome(c: int, samples, dem, p: dict, seeds: tuple[int, int]) -> tuple[np.ndarray, pl.DataFrame]:
    """Chromosome ``c``: (individuals x SNPs int8 derived-allele counts, its bim frame); only the
    kept SNPs are ever decoded."""
    import msprime

    ts = msprime.sim_ancestry(
        samples=samples, demography=dem,
        sequence_length=float(p["chromosome_length_mb"]) * 1e6,
        recombination_rate=p["recombination_rate"], random_seed=seeds[0],
    )
    ts = msprime.sim_mutations(ts, rate=p["mutation_rate"], random_seed=seeds[1])
    keep = _common_sites(ts, p["min_maf"])
    ts = ts.delete_sites(np.flatnonzero(~keep), record_provenance=False)
    pos = ts.tables.sites.position.astype(np.int64) + 1
    anc = np.array([site.ancestral_state for site in ts.sites()])
    der = np.array([site.mutations[0].derived_state for site in ts.sites()])
    # msprime can place two sites at the same integer position: keep the first
    _, first = np.unique(pos, return_index=True)
    sel = np.sort(first)
    bim = pl.DataFrame({
        "CHR": [str(c)] * len(sel), "ID": [f"{c}:{q}" for q in pos[sel]], "CM": [0.0] * len(sel),
        "POS": pos[sel], "A1": der[sel], "A2": anc[sel],
    })
    g = _diploid_genotypes(ts)
    return (g if len(sel) == g.shape[1] else np.ascontiguousarray(g[:, sel])), bim


def iter_chromosomes(p: dict, seed: int):
    """Yield (chromosome, individuals x SNPs int8, bim frame) one chromosome at a time, then
    nothing; the population index of each individual is :func:`population_index`. The same seed
    gives the same chromosomes as :func:`simulate_genotypes`."""
    samples, dem, _ = _sample_sets(p)
    for c, seeds in enumerate(_chromosome_seeds(p, seed), start=1):
        yield (c, *_simulate_chromosome(c, samples, dem, p, seeds))


def population_index(p: dict) -> np.ndarray:
    """Population index per individual, in the order :func:`iter_chromosomes` writes them."""
    sizes = _sample_sets(p)[2]
    return np.repeat(np.arange(len(sizes), dtype=np.int8), sizes)


def simulate_genotypes(p: dict, seed: int) -> tuple[np.ndarray, pl.DataFrame, np.ndarray]:
    """Return (G int8 individuals x SNPs of derived-allele counts, bim frame, population index),
    the whole genome in memory (``per_chromosome`` cohorts use :func:`iter_chromosomes`).

    Population index i refers to the i-th sampled population of :func:`build_demography`;
    ``ancestry_fractions`` gives their shares (an admixed population's share is
    ``admixed_fraction``, taken from the others in proportion)."""
    blocks, bims = [], []
    for _, g, bim in iter_chromosomes(p, seed):
        blocks.append(g)
        bims.append(bim)
    return np.ascontiguousarray(np.concatenate(blocks, axis=1)), pl.concat(bims), population_index(p)


def _artefact_pairs(n: int, a: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(duplicate pairs, relative pairs) of individual indices, each an (k, 2) array."""
    order = rng.permutation(n)
    dups = order[: a["duplicates"] * 2].reshape(-1, 2)
    rels = order[a["duplicates"] * 2: a["duplicates"] * 2 + a["relatives"] * 2].reshape(-1, 2)
    return dups, rels


def _plant_copies_and_calls(G: np.ndarray, a: dict, dups, rels, n_hwe: int, rng: np.random.Generator,
                            offset: int = 0) -> np.ndarray:
    """In place on G (the genome's columns ``offset``...): duplicates, relatives, ``n_hwe``
    HWE-violating SNPs and random missing calls. Returns the HWE SNPs' column indices."""
    n, m = G.shape
    for i, j in dups:  # near-identical copy (genotyping a sample twice)
        G[j] = G[i]
        flip = rng.random(m) < 0.002
        G[j, flip] = rng.integers(0, 3, flip.sum())
    block = ((np.arange(m) + offset) // 500) % 2 == 0
    for i, j in rels:  # share one haplotype-equivalent in alternating blocks: kinship ~0.25
        G[j, block] = G[i, block]
    hwe_snps = rng.choice(m, n_hwe, replace=False)
    G[:, hwe_snps] = np.where(rng.random((n, len(hwe_snps))) < 0.9, 1, G[:, hwe_snps])  # excess heterozygotes
    # random missing calls, drawn in blocks of rows (~8 M draws): the same draws as one
    # rng.random(G.shape), without a float64 matrix of G's size (50k x 23k: 9 GB)
    rows = max(1, 8_000_000 // max(m, 1))
    for start in range(0, n, rows):
        block = G[start:start + rows]
        block[rng.random(block.shape) < a["missing_rate"]] = -1
    return hwe_snps


def _plant_bad_calls(G: np.ndarray, a: dict, bad_samples: np.ndarray, n_bad_snps: int,
                     rng: np.random.Generator) -> np.ndarray:
    """In place on G: many missing calls for ``bad_samples`` and for ``n_bad_snps`` random SNPs
    (returned)."""
    n, m = G.shape
    G[np.ix_(bad_samples, np.arange(m))] = np.where(
        rng.random((len(bad_samples), m)) < a["bad_sample_missing"], -1, G[bad_samples])
    bad_snps = rng.choice(m, n_bad_snps, replace=False)
    G[:, bad_snps] = np.where(rng.random((n, len(bad_snps))) < a["bad_snp_missing"], -1, G[:, bad_snps])
    return bad_snps


def plant_artefacts(G: np.ndarray, a: dict, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Plant QC artefacts in place of a clean matrix; returns (G with -1 missing, what was planted)."""
    n, m = G.shape
    G = G.copy()
    dups, rels = _artefact_pairs(n, a, rng)
    hwe_snps = _plant_copies_and_calls(G, a, dups, rels, a["hwe_snps"], rng)
    bad_samples = rng.choice(n, a["bad_samples"], replace=False)
    bad_snps = _plant_bad_calls(G, a, bad_samples, a["bad_snps"], rng)
    planted = {"duplicates": len(dups), "relative_pairs": len(rels), "hwe_snps": len(hwe_snps),
               "bad_samples": len(bad_samples), "bad_snps": len(bad_snps)}
    return G, planted


def plant_artefacts_by_chromosome(clean: Path, out: Path, chromosomes: list[np.ndarray], a: dict,
                                  rng: np.random.Generator) -> dict:
    """The artefacts of :func:`plant_artefacts` on the fileset ``clean``, read and written one
    chromosome (``chromosomes``: each one's column indices) at a time into the fileset ``out``:
    the same people are duplicated, related and bad on every chromosome; the HWE and bad SNPs
    are shared out over the chromosomes by their sizes. Returns what was planted."""
    fam, bim = io.read_fam(clean), io.read_bim(clean)
    n = fam.height
    dups, rels = _artefact_pairs(n, a, rng)
    bad_samples = rng.choice(n, a["bad_samples"], replace=False)
    sizes = [len(cols) for cols in chromosomes]
    n_hwe, n_bad = population_sizes(a["hwe_snps"], sizes), population_sizes(a["bad_snps"], sizes)
    parts = []
    for k, cols in enumerate(chromosomes):
        G = io.read_genotypes(clean, variant_index=cols)
        _plant_copies_and_calls(G, a, dups, rels, n_hwe[k], rng, offset=int(cols[0]))
        _plant_bad_calls(G, a, bad_samples, n_bad[k], rng)
        parts.append(out.parent / f"{out.name}.part{k + 1}")
        io.write_bed(parts[-1], G, fam, bim[int(cols[0]): int(cols[-1]) + 1])
    io.concat_beds(parts, out)
    return {"duplicates": len(dups), "relative_pairs": len(rels), "hwe_snps": int(sum(n_hwe)),
            "bad_samples": len(bad_samples), "bad_snps": int(sum(n_bad))}


def liability_phenotype(G: np.ndarray, h2: float, prevalence: float, causal: np.ndarray,
                        rng: np.random.Generator, shift: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Liability-threshold model (method.md): returns (case 0/1, beta on the standardised scale).

    z_ij = (x_ij - 2p_j)/sqrt(2p_j(1-p_j)); beta ~ N(0, h2/M); G rescaled to Var h2;
    L = G + e, e ~ N(0, 1-h2) (+ an optional ancestry shift); case when L > Phi^-1(1-K).
    """
    X = G[:, causal].astype(np.float64)
    p = X.mean(axis=0) / 2
    Z = (X - 2 * p) / np.sqrt(2 * p * (1 - p))
    beta = rng.normal(0.0, np.sqrt(h2 / len(causal)), len(causal))
    g = Z @ beta
    scale = np.sqrt(h2 / g.var())
    g *= scale
    liability = g + rng.normal(0.0, np.sqrt(1 - h2), len(g))
    if shift is not None:
        liability = liability + shift
    threshold = norm.ppf(1 - prevalence)
    return (liability > threshold).astype(np.int8), beta * scale


def ancestry_shift(spec, population: np.ndarray) -> np.ndarray:
    """Liability shift per individual: a number shifts every population but the first (the
    reference); a list gives one shift per sampled population."""
    if isinstance(spec, (list, tuple)):
        shifts = np.asarray(spec, dtype=float)
        if shifts.size <= population.max():
            raise ValueError(f"ancestry_shift lists {shifts.size} shifts for {population.max() + 1} populations")
        return shifts[population]
    return float(spec or 0.0) * (population > 0)


def _genome_key(params: dict, seed: int, n: int) -> str:
    """What a finished chromosome of a resumed simulation must match: the genome's parameters
    (not the diseases' or the artefacts'), the genotype seed and the number of people."""
    genome = {k: v for k, v in params.items() if k not in ("diseases", "artefacts")}
    text = json.dumps({"params": genome, "seed": seed, "n": n}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _done_mark(prefix: Path, key: str) -> dict | None:
    """The ``.done.json`` marker of the fileset ``prefix`` when an earlier run finished it with the
    same ``key`` and its .bed/.bim/.fam are all there; else None."""
    done = Path(f"{prefix}.done.json")
    mark = json.loads(done.read_text()) if done.exists() else {}
    files = all(Path(f"{prefix}{x}").exists() for x in (".bed", ".bim", ".fam"))
    return mark if mark.get("key") == key and files else None


def _chromosome_part(params: dict, c: int, seeds, fam: pl.DataFrame, part: Path,
                     key: str) -> tuple[int, np.ndarray]:
    """Chromosome ``c`` as the fileset ``part``: (its number of SNPs, its common SNPs' indices).
    A part that an interrupted run finished (its ``.done.json`` carries the same ``key``) is
    kept as it is; otherwise the chromosome is simulated and written, then marked done. Takes
    the parameters, not msprime objects, so that a worker process can run it."""
    mark = _done_mark(part, key)
    if mark:
        return int(mark["n_snps"]), np.asarray(mark["common"], dtype=np.int64)
    samples, dem, _ = _sample_sets(params)
    g, bim = _simulate_chromosome(c, samples, dem, params, seeds)
    f = g.mean(0) / 2
    common = np.flatnonzero(np.minimum(f, 1 - f) >= 0.05)
    io.write_bed(part, g, fam, bim)
    io.atomic_write_text(Path(f"{part}.done.json"),
                         json.dumps({"key": key, "n_snps": int(g.shape[1]), "common": common.tolist()}))
    return int(g.shape[1]), common


def _chromosome_parts(params: dict, seed: int, fam: pl.DataFrame, parts: list[Path], key: str,
                      workers: int) -> list[tuple[int, np.ndarray]]:
    """:func:`_chromosome_part` of every chromosome, in order; ``workers`` > 1 simulates that
    many chromosomes at once in separate processes (msprime is single-threaded; each process
    holds one chromosome's matrix). Each chromosome has its own seeds, so the cohort is the same
    for any number of workers."""
    jobs = [(params, c, seeds, fam, part, key)
            for c, (seeds, part) in enumerate(zip(_chromosome_seeds(params, seed), parts), start=1)]
    if workers <= 1 or len(jobs) <= 1:
        return [_chromosome_part(*job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # no forked copy of the parent's threads
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        return list(pool.map(_chromosome_part, *zip(*jobs)))


def _clean_genome_by_chromosome(params: dict, seed: int, fam: pl.DataFrame, clean: Path, workers: int = 1):
    """Simulate chromosome by chromosome, writing each as a fileset and concatenating them into
    ``clean`` (one chromosome's dense matrix in memory per worker). A rerun after an interruption
    simulates only the chromosomes not yet written, and none once ``clean`` is marked done (its
    ``.done.json``, written when the concatenation finished; the parts are deleted then).
    Returns (bim, the common SNPs' column indices, each chromosome's column indices, a reader of
    the genotypes of given columns)."""
    key = _genome_key(params, seed, fam.height)
    mark = _done_mark(clean, key)
    if not mark:
        parts = [clean.parent / f"{clean.name}.chr{c}" for c in range(1, int(params["n_chromosomes"]) + 1)]
        finished = _chromosome_parts(params, seed, fam, parts, key, workers)
        io.concat_beds(parts, clean)
        mark = {"key": key, "n_snps": [n for n, _ in finished], "common": [c.tolist() for _, c in finished]}
        io.atomic_write_text(Path(f"{clean}.done.json"), json.dumps(mark))
        for part in parts:  # concat_beds removed the filesets
            Path(f"{part}.done.json").unlink()
    offsets = np.concatenate([[0], np.cumsum(mark["n_snps"])])
    common = np.concatenate([o + np.asarray(c, dtype=np.int64) for o, c in zip(offsets, mark["common"])])
    chromosomes = [np.arange(a, b) for a, b in zip(offsets[:-1], offsets[1:])]
    return (io.read_bim(clean), common, chromosomes,
            lambda cols: io.read_genotypes(clean, variant_index=np.asarray(cols)))


def _phenotypes(params: dict, n: int, bim: pl.DataFrame, population: np.ndarray, common: np.ndarray,
                columns, rng: np.random.Generator) -> tuple[dict, dict]:
    """(phenotype table columns, truth's disease part): liability-threshold diseases on causal SNPs
    drawn from ``common``; ``columns(indices)`` returns the genotypes of those SNPs."""
    pheno, diseases = {}, {}
    ids = bim["ID"].to_list()
    for name, d in params["diseases"].items():
        causal = np.sort(rng.choice(common, d["n_causal"], replace=False))
        shift = ancestry_shift(d.get("ancestry_shift", 0.0), population)
        status, beta = liability_phenotype(columns(causal), d["h2"], d["prevalence"], np.arange(len(causal)),
                                           rng, shift)
        col = status.astype(object)
        col[rng.random(n) < params["artefacts"]["pheno_missing"]] = "NA"
        pheno[name] = [str(v) for v in col]
        diseases[name] = {
            "h2": d["h2"], "prevalence": d["prevalence"], "ancestry_shift": d.get("ancestry_shift", 0.0),
            "n_causal": int(len(causal)), "observed_case_fraction": float(status.mean()),
            "causal": [{"id": ids[j], "beta": float(b)} for j, b in zip(causal, beta)],
        }
    return pheno, diseases


def simulate_cohort(params: dict, out_prefix: str | Path, phenotypes_path: str | Path,
                    truth_path: str | Path, seed: int, threads: int = 1) -> dict:
    """Simulate and write the demo cohort. Returns aggregate counts for the log.

    With ``per_chromosome: true`` in ``params`` (biobank-size cohorts), no more than one
    chromosome's dense matrix is held in memory: the chromosomes are simulated, written and
    concatenated one by one, the phenotypes read only the causal SNPs back, and the artefacts are
    planted chromosome by chromosome. Without artefacts, both ways write the same cohort."""
    rng = np.random.default_rng(seed)
    geno_seed = int(rng.integers(1, 2**31 - 1))  # the genotypes draw from their own generator
    population, names = population_index(params), build_demography(params)[1]
    n = len(population)
    fid = [f"DEMO{i + 1:06d}" for i in range(n)]
    sex = rng.integers(1, 3, n)
    age = np.round(rng.normal(params["age_mean"], params["age_sd"], n), 1)
    fam = pl.DataFrame({"FID": fid, "IID": fid, "SEX": sex, "PHENO": ["-9"] * n})
    out_prefix = Path(out_prefix)
    raw = out_prefix.parent / ".raw" / "raw"
    if params.get("per_chromosome"):
        clean = raw.with_name("clean")
        bim, common, chromosomes, columns = _clean_genome_by_chromosome(params, geno_seed, fam, clean, threads)
    else:
        G, bim, _ = simulate_genotypes(params, geno_seed)
        f = G.mean(0) / 2
        common, columns = np.flatnonzero(np.minimum(f, 1 - f) >= 0.05), (lambda cols: G[:, cols])
    # ancestry labels: for the evaluation and the report only, never for training
    truth = {"seed": seed, "n_individuals": n, "n_snps": bim.height, "populations": names,
             "population_counts": {k: int((population == i).sum()) for i, k in enumerate(names)},
             "ancestry": {iid: names[i] for iid, i in zip(fid, population)}}
    pheno, truth["diseases"] = _phenotypes(params, n, bim, population, common, columns, rng)
    pheno = {"FID": fid, "IID": fid, "sex": sex, "age": age, **pheno}
    if params.get("per_chromosome"):
        planted = plant_artefacts_by_chromosome(clean, raw, chromosomes, params["artefacts"], rng)
    else:
        G, planted = plant_artefacts(G, params["artefacts"], rng)
        io.write_bed(raw, G, fam, bim)
    truth["planted_artefacts"] = planted
    # plink2 writes the delivered fileset (as a core's genotyping pipeline would)
    with io.atomic_prefix(out_prefix, [".bed", ".bim", ".fam"]) as tmp:
        plink.plink2(["--bfile", raw, "--make-bed"], tmp, threads=threads)
    for stem in (raw, raw.with_name("clean")):  # the clean genome (and its marker) kept until now
        for suffix in (".bed", ".bim", ".fam", ".done.json"):
            Path(f"{stem}{suffix}").unlink(missing_ok=True)
    raw.parent.rmdir()
    io.write_tsv(phenotypes_path, pl.DataFrame(pheno))
    io.atomic_write_text(truth_path, json.dumps(truth, indent=2) + "\n")
    return {"n_individuals": n, "n_snps": bim.height, **planted}

"""Memory (MB) and wall time (minutes) of the heavy rules, from the size of their input and the
retry attempt: the formulas behind the rules' ``mem_mb`` / ``runtime`` callables (common.smk's
``scaled``).

Each rule's estimate is ``base + cost x size`` for a size the rule's work grows with (people x
variants of the cohort, people x selected SNPs x epochs, ...), then clamped to ``[floor, cap]``
after multiplying by ``attempt``: a retried job (``--retries``, profiles/slurm) asks for twice,
three times... as much, never above the cap (24 GiB and 24 h: the machines this workflow targets).
The per-unit costs are the measured ones of benchmarks/README.md (sections 1, 4 and the KING
table), about doubled: a job should not be killed for a 2x misjudgement on a loaded machine.

The size comes from the cohort fileset (people = .fam lines, variants = .bim lines): QC and the
split only remove people and variants, so it bounds every later stage from above and is known
before any job runs (a dry run shows the scaled values). Before the demo cohort is simulated, the
demo parameters stand in (see ``demo_workload``); Snakemake evaluates resources again, with the
simulated cohort, before it schedules the jobs.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

MB = 1e6
MEM_CAP_MB, RUNTIME_CAP_MIN = 24_000, 24 * 60
# SNPs per Mb that simulate.py keeps at min_maf 0.01 (demo: ~23k SNPs on 4 x 4 Mb; 1,350 per Mb
# at 50k people): used only to size the simulation before its cohort exists
SIMULATED_SNPS_PER_MB = 1_500
# share of the QC'd SNPs that LD pruning keeps (demo: 2,926 of 23,270 at r2 0.2), doubled
PRUNED_SHARE = 0.25
# share KING keeps at the default qc.king_prune_r2 0.5 with MAF >= 0.01 (demo: 7,830 of 22,692), rounded up
KING_DEFAULT_SHARE = 0.5


@dataclass(frozen=True)
class Workload:
    """What the heavy rules' cost grows with. people / variants: the cohort before QC; k: the
    disease's selected SNPs; synthetic_n: its synthetic cohort size; epochs and steps from the
    model config; dense_variants: the widest dense genotype matrix the simulation holds."""
    people: int
    variants: int
    k: int = 0
    synthetic_n: int = 0
    vae_epochs: int = 0
    diffusion_steps: int = 0
    train_fraction: float = 0.7
    dense_variants: int = 0
    threads: int = 2
    king_share: float = 1.0  # share of the variants KING runs on (qc.king_prune_r2)

    @property
    def genotypes(self) -> float:
        return float(self.people) * self.variants

    @property
    def bed_mb(self) -> float:
        return self.people / 4 * self.variants / MB


# rule -> (mem floor MB, runtime floor min, mem MB, runtime min), each from a Workload
ESTIMATES = {
    # plink2 filter passes stream the .bed; PCA (approx above 5,000 people) holds people x PCs.
    # KING: 8 bytes per pair in one pass (3.3 GB at 20k people), in more passes over the .bed
    # when plink2's --memory (= mem_mb) is smaller, at the same CPU cost (measured at 10k), so
    # its share is capped at 6 GB; CPU: people^2 / 2 pairs x variants at 2.4e-11 s per pair-SNP
    # (benchmarks/README.md, KING table), doubled, split over the threads
    "qc": (2000, 10,
           lambda w: 1000 + 0.5 * w.bed_mb + min(6000, 8 * (w.people / 1000) ** 2),
           lambda w: 5 + (w.bed_mb / 50 + 2.4e-11 * w.people ** 2 / 2 * w.variants * w.king_share * 2 / w.threads) / 60),
    # plink2 --glm on the training split (demo: 5 s for 2,100 x 20k on 2 threads: 1.2e-7 s each)
    "gwas": (2000, 15,
             lambda w: 1000 + 0.25 * w.bed_mb + 0.02 * w.people,
             lambda w: 5 + 2.4e-7 * w.train_fraction * w.genotypes / 60),
    # plink1.9 --clump over every variant, then three --extract filesets of k SNPs
    "select_snps": (2000, 10,
                    lambda w: 1000 + 0.5 * w.bed_mb,
                    lambda w: 5 + 1e-7 * w.genotypes / 60),
    # clumping + plink2 --score at each p-value threshold on the three splits
    "prs": (2000, 10,
            lambda w: 1000 + 0.5 * w.bed_mb,
            lambda w: 5 + 2e-7 * w.genotypes / 60),
    # torch's ~600 MB, the training and validation int8 matrices and float32 batches; one epoch
    # ~1.2e-6 s per person-SNP on 2 CPU threads (demo: 2.6 s per epoch of 2,100 x 1,024)
    "train_vae": (4000, 30,
                  lambda w: 2000 + 12 * w.people * w.k / MB,
                  lambda w: 10 + 2.4e-6 * w.vae_epochs * w.train_fraction * w.people * w.k / 60),
    # a fixed number of optimizer steps (~16 ms each) plus encoding the training split
    "train_diffusion": (4000, 30,
                        lambda w: 2000 + 12 * w.people * w.k / MB,
                        lambda w: 10 + (0.032 * w.diffusion_steps + 8e-7 * w.people * w.k) / 60),
    # 94 s per 100,000 x 2,048 synthetic genotypes; ~2.5 x the int8 matrix (scaling table)
    "sample_cohort": (4000, 15,
                      lambda w: 2000 + 10 * w.synthetic_n * w.k / MB,
                      lambda w: 5 + 1e-6 * w.synthetic_n * w.k / 60),
    # float64 copies of the real and synthetic matrices (quadratic parts capped by evaluate.*_max_n)
    # (demo: ~15 s per job for 3,000 real + 3,000 synthetic x 1,024)
    "evaluate": (3000, 20,
                 lambda w: 2000 + 16 * (w.people + w.synthetic_n) * w.k / MB,
                 lambda w: 10 + 1e-5 * (w.people + w.synthetic_n) * w.k / 60),
    # msprime + the dense people x variants int8 matrices of the chromosomes simulated at once (or of
    # the whole genome when it is not written per chromosome) and their copies: 3.4 GB peak for 50k x 21.6k (one
    # 16 Mb chromosome), 2.3 GB for two 8 Mb chromosomes of 50k at once (benchmarks/README.md section 9);
    # time 6.4e-7 s per genotype there (msprime 90 %), 2e-7 s at the demo's 3,000 people
    "simulate_cohort": (4000, 30,
                        lambda w: 2000 + 4 * w.people * w.dense_variants / MB,
                        lambda w: 5 + 1.3e-6 * w.genotypes / 60),
}


def scaled(value: float, floor: float, cap: float, attempt: int) -> int:
    """``value`` (at least ``floor``) times ``attempt``, at most ``cap``, rounded up."""
    return int(math.ceil(min(cap, max(floor, value) * max(1, int(attempt)))))


def estimate(rule: str, work: Workload, attempt: int = 1) -> dict[str, int]:
    """{"mem_mb": ..., "runtime": ...} of ``rule`` (a key of ESTIMATES) for ``work``."""
    mem_floor, time_floor, mem, runtime = ESTIMATES[rule]
    return {"mem_mb": scaled(mem(work), mem_floor, MEM_CAP_MB, attempt),
            "runtime": scaled(runtime(work), time_floor, RUNTIME_CAP_MIN, attempt)}


def count_lines(path: str | Path) -> int:
    """Newline-terminated lines of a text file, read in 1 MiB blocks (a 500k-line .bim: ~20 ms)."""
    n = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
    return n


@lru_cache(maxsize=32)
def _dims(prefix: str, stamp: tuple) -> tuple[int, int]:
    return count_lines(f"{prefix}.fam"), count_lines(f"{prefix}.bim")


def fileset_dims(prefix: str | Path) -> tuple[int, int] | None:
    """(people, variants) of a PLINK fileset (.fam and .bim line counts), None while either file
    is missing. Cached per file size and modification time: the rules' callables ask per job."""
    try:
        stats = [os.stat(f"{prefix}.{ext}") for ext in ("fam", "bim")]
    except FileNotFoundError:
        return None
    return _dims(str(prefix), tuple((s.st_size, s.st_mtime_ns) for s in stats))


def demo_workload(params: dict) -> Workload:
    """The simulated cohort's size from its parameters (resources/demo_cohort.yaml or a
    benchmarks/configs/*_cohort.yaml), before it exists: people, and variants estimated at
    SIMULATED_SNPS_PER_MB; the dense matrices are two chromosomes' when ``per_chromosome`` is set."""
    chroms = int(params.get("n_chromosomes", 1))
    per_chrom = int(float(params.get("chromosome_length_mb", 1)) * SIMULATED_SNPS_PER_MB)
    # per chromosome: the simulate_cohort rule's two threads simulate two chromosomes at once
    dense = per_chrom * min(2, chroms) if params.get("per_chromosome") else per_chrom * chroms
    return Workload(people=int(params["n_individuals"]), variants=per_chrom * chroms, dense_variants=dense)


def king_share(qc: dict | None) -> float:
    """Share of the QC'd variants KING runs on: all unless qc.king_prune_r2 is set; the PCA's
    pruning (r2 <= 0.2) keeps about PRUNED_SHARE, the default 0.5 about KING_DEFAULT_SHARE."""
    r2 = (qc or {}).get("king_prune_r2")
    if r2 is None:
        return 1.0
    return PRUNED_SHARE if r2 <= 0.2 else KING_DEFAULT_SHARE


def vae_epochs(vae: dict, n_train: float) -> int:
    """Epochs a VAE run trains (snpgen.models.train; and the train_vae rule's runtime estimate):
    ``epochs``, or fewer when ``max_steps`` (optimizer steps) is set and reached first: on a large
    cohort one epoch is many steps, and the budget then stays fixed in N."""
    epochs = int(vae.get("epochs", 0))
    if vae.get("max_steps") and n_train > 0:
        per_epoch = max(1, math.ceil(n_train / int(vae.get("batch_size", 64))))
        epochs = max(1, min(epochs, math.ceil(int(vae["max_steps"]) / per_epoch)))
    return epochs


def rule_workload(cohort: Workload, disease: dict | None, model: dict, train_fraction: float,
                  threads: int = 2, qc: dict | None = None) -> Workload:
    """The cohort's workload completed with a disease's K and synthetic size, the model's
    training budget (VAE epochs; diffusion epochs x steps per epoch) and KING's SNP share."""
    vae, diffusion = model.get("vae", {}), model.get("diffusion", {})
    extra = {"vae_epochs": vae_epochs(vae, cohort.people * float(train_fraction)),
             "diffusion_steps": int(diffusion.get("epochs", 0)) * int(diffusion.get("steps_per_epoch", 0)),
             "train_fraction": float(train_fraction), "threads": threads,
             "king_share": king_share(qc)}
    if disease:
        extra.update(k=int(disease["n_snps"]), synthetic_n=int(disease["synthetic_n"]))
    return replace(cohort, **extra)

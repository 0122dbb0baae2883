#!/usr/bin/env python
"""QC on a simulated multi-ancestry cohort: what HWE (qc.hwe_mode) and KING (qc.king_cutoff,
qc.king_maf, qc.king_prune_r2) remove.

    .venv/bin/python benchmarks/qc_structure.py [--params resources/demo_cohort.yaml] [--seeds 1,2]

Simulates the cohort (snpgen.simulate: the demo's three continental populations with planted
artefacts: ``hwe_snps`` SNPs with ~90 % heterozygotes, duplicate samples, relative pairs), runs
snpgen.qc.run_qc under each setting and prints, per seed and setting: the variants the HWE step
removed (and their share of those it tested), the planted HWE SNPs still there after QC (a
heterozygote share above 0.8), the people the KING step removed, the planted pairs, and the SNPs
KING ran on.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))
from snpgen import io  # noqa: E402
from snpgen.config import check_config  # noqa: E402
from snpgen.qc import run_qc  # noqa: E402
from snpgen.simulate import simulate_cohort  # noqa: E402

SETTINGS = {  # name: qc keys over the schema's defaults
    "defaults (keep-fewhet; KING on SNPs LD-pruned at r2 0.5, MAF >= 0.01; cutoff 0.0884)": {},
    "hwe_mode: all": {"hwe_mode": "all"},
    "KING on every SNP (king_prune_r2: null)": {"king_prune_r2": None},
    "KING on the PCA's pruning (r2 0.2), MAF >= 0.05": {"king_prune_r2": 0.2, "king_maf": 0.05},
    "king_cutoff: 0.177 (the demo config's)": {"king_cutoff": 0.177},
    "king_cutoff: 0.177, KING on every SNP": {"king_cutoff": 0.177, "king_prune_r2": None},
}


def planted_hwe_left(prefix: Path) -> int:
    G = io.read_genotypes(prefix)
    het = (G == 1).sum(0) / np.maximum((G >= 0).sum(0), 1)
    return int((het > 0.8).sum())


def one(params: dict, seed: int, tmp: Path) -> list[str]:
    counts = simulate_cohort(params, tmp / "cohort", tmp / "pheno.tsv", tmp / "truth.json", seed=seed)
    fam = io.read_fam(tmp / "cohort")
    phen = fam.select("FID", "IID")
    rows = []
    for name, keys in SETTINGS.items():
        qc = check_config({"qc": keys})["qc"]
        out = tmp / "qc"
        summary = run_qc(tmp / "cohort", phen, [], qc, out / "cohort", out / "pcs", out / "cov.tsv", out / "s.json")
        steps = {s["step"]: s for s in summary["steps"]}
        hwe, king = steps["hwe"], steps["relatedness"]
        tested = hwe["variants_removed"] + hwe["variants_left"]
        rows.append(f"| {seed} | {name} | {hwe['variants_removed']} of {tested} "
                    f"({100 * hwe['variants_removed'] / tested:.2f} %) | {planted_hwe_left(out / 'cohort')} of "
                    f"{counts['hwe_snps']} | {king['individuals_removed']} of "
                    f"{king['individuals_removed'] + king['individuals_left']} | "
                    f"{counts['duplicates'] + counts['relative_pairs']} | {summary['king']['snps']} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=str(ROOT / "resources" / "demo_cohort.yaml"))
    ap.add_argument("--seeds", default="1")
    args = ap.parse_args()
    params = yaml.safe_load(Path(args.params).read_text())
    print(f"QC on {Path(args.params).name}: {params['n_individuals']} people, populations "
          f"{params.get('ancestry_fractions')}, {params['n_chromosomes']} x {params['chromosome_length_mb']} Mb")
    print("| seed | setting | HWE removed (of tested) | planted HWE SNPs left | KING removed | planted pairs "
          "| KING SNPs |\n|---|---|---|---|---|---|---|")
    for seed in (int(s) for s in args.seeds.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            print("\n".join(one(params, seed, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()

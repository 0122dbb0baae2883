#!/usr/bin/env python
"""How much NNAA privacy loss fitting population statistics alone costs at a cohort's size.

    .venv/bin/python benchmarks/privacy_reference.py results/cad [--eval-split val] [--seeds 1,2,3]
        [--orders 0,1,2] [--sharpen 1.0,0.7,0.6,0.5] [--cohorts matched,baseline,leaky]

Reads ``<disease dir>/selection/{train,<eval split>}.bed`` of a finished run and scores, with the
evaluation's own :func:`snpgen.evaluate.privacy.distance_privacy` (T = training split, H = the
evaluation split, 8 draws of equal-size subsets as in the workflow):

* the workflow's synthetic cohorts (``<disease dir>/synthetic/<name>.bed``), for comparison;
* population-statistics generators fitted on the training split (:mod:`snpgen.evaluate.population`,
  which the evaluation uses for its own closeness-matched reference): per phenotype class and ancestry
  cluster (the training split's Gaussian-mixture clusters with the model's settings,
  :func:`snpgen.structure.fit_ancestry_clusters`),
  an order-k Markov chain over genotypes along the SNP order (order 0 = independent SNPs, the
  genotype frequencies; order 1 = each SNP given the previous SNP's genotype, ...). Their only
  memory of the training split is these counts, so they cannot copy anyone; each conditional
  distribution is raised to the power 1/s and renormalised (``--sharpen`` s < 1 makes the draws
  more typical, closer to the centre of their cluster, as a read-out temperature below 1 does).

The privacy loss (AA_TS with H as reference minus AA_TS with T as reference) of such a generator is
the part of a model's loss that population-level fitting at this training size explains. It
depends on how close to real people the synthetic ones sit: a generator far from everyone has
aa_truth = 1 against both splits, and so no loss, whatever it learnt. The table therefore shows
aa_truth (the share of real people whose nearest real neighbour is closer than their nearest
synthetic one) next to each loss: compare a model with the sharpened reference of similar aa_truth.
Evaluation on the validation split by default: nothing here looks at the test split.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from snpgen import structure  # noqa: E402
from snpgen.defaults import schema_defaults  # noqa: E402
from snpgen.evaluate import population, privacy  # noqa: E402
from snpgen.io import read_genotypes  # noqa: E402


def _floats(s: str) -> list[float]:
    return [float(x) for x in s.split(",") if x]


def _labels(fam: Path) -> np.ndarray:
    return np.loadtxt(fam, dtype=str, ndmin=2)[:, 5].astype(int) - 1  # PLINK 1/2 -> 0/1


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("disease_dir", type=Path)
    ap.add_argument("--eval-split", default="val", choices=["val", "test"])
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--orders", default="0,1,2")
    ap.add_argument("--sharpen", default="1.0,0.7,0.6,0.5")
    ap.add_argument("--cohorts", default="matched,baseline,leaky")
    a = ap.parse_args(argv)
    sel = a.disease_dir / "selection"
    Xt, Xh = read_genotypes(sel / "train"), read_genotypes(sel / a.eval_split)
    modes = privacy.column_modes(Xt)
    T, H = privacy.impute_mode(Xt, modes), privacy.impute_mode(Xh, modes)
    yt = _labels(sel / "train.fam")
    d = schema_defaults("model", "diffusion")  # the clusters the model's VAE and diffusion use
    fit = structure.fit_ancestry_clusters(T, n_pcs=int(d["cluster_pcs"]), max_clusters=int(d["ancestry_clusters"]),
                                          min_size=int(d["cluster_min_size"]), seed=1,
                                          min_eigen_ratio=float(d["cluster_eigen_ratio"]))
    cluster = fit["cluster"]  # all 0 when one cluster
    print(f"{a.disease_dir}: {len(T)} training people, {len(H)} {a.eval_split} people, {T.shape[1]} SNPs, "
          f"clusters of {np.bincount(cluster).tolist()} training people\n")
    print("| generator | sharpen | seed | AA_TS (T ref) | aa_truth T / H | privacy loss | MIA AUC |")
    print("|---|---:|---:|---:|---|---:|---:|")

    def row(S: np.ndarray, name: str, sharpen, seed) -> None:  # the same T and H subsets for every row
        dp = privacy.distance_privacy(S, T, H, seed=31, max_n=5000, repeats=8, n_boot=100)
        nn = dp["nnaa"]
        print(f"| {name} | {sharpen} | {seed} | {nn['aa_ts']:.3f} | {nn['train_reference']['aa_truth']:.3f} / "
              f"{nn['holdout_reference']['aa_truth']:.3f} | {nn['privacy_loss']:+.4f} | {dp['mia']['auc']:.3f} |",
              flush=True)

    for name in filter(None, a.cohorts.split(",")):
        path = a.disease_dir / "synthetic" / name
        if path.with_suffix(".bed").exists():
            row(privacy.impute_mode(read_genotypes(path), modes), f"workflow: {name}", "-", "-")
    groups = yt * 100 + cluster
    for seed in (int(s) for s in a.seeds.split(",")):
        for order in (int(o) for o in a.orders.split(",")):
            for s in _floats(a.sharpen):
                S = population.draw_reference(T, groups, len(T), order, s, seed)
                row(S, f"order-{order} chain per class x cluster", s, seed)


if __name__ == "__main__":
    main()

"""Calibration of the privacy attacks on a demo-like cohort (issue 21): what the per-class
allele-frequency baseline and real people never trained on score, over resplits.

Simulates the demo cohort's genotypes and phenotypes (resources/demo_cohort.yaml, no QC artefacts;
``--n`` people), then per resplit (``--reps``): a 70/15/15 split, 1,024 SNPs selected on the
training split (a trend test on genotypes and label residualised on 5 PCs, then greedy clumping
at r2 0.8 within 250 kb: an approximation of the workflow's plink2 --glm + plink1.9 --clump),
and the attacks (snpgen.evaluate.attacks.run_attacks, default sizes, test split = non-members and
reference) on

- ``baseline``: 3,000 records from the per-class allele-frequency sampler fitted on training;
- ``validation``: the validation split's real people as the "synthetic" cohort (never trained on:
  the attacks' null, with the same SNP selection).

``--decompose`` (``--n`` 9000 or more): which link between S and the members makes the baseline
leak. Per resplit: members T (2,100), non-members H (450), a disjoint real training set T2 and a
disjoint selection set D (2,100 each); the baseline fitted on T or T2, on SNPs selected on T or D
(four scenarios; D/T2 on both is the null).

Prints one JSON line per resplit (AUC and SE per attack, the largest AUC, the verdict check's
value, i.e. the largest lower bound AUC - z SE, and whether it passes), then a summary table
(mean and SD over resplits, share of resplits whose largest AUC exceeds 0.55, share failing).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/attack_calibration.py --disease cad --reps 20
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/attack_calibration.py --decompose --n 9000 --seed 11 --reps 8
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

import numpy as np
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow"))


def simulate(n: int, seed: int, disease: str):
    from snpgen.simulate import ancestry_shift, liability_phenotype, simulate_genotypes

    p = yaml.safe_load((ROOT / "resources" / "demo_cohort.yaml").read_text())
    p["n_individuals"] = n
    G, bim, pop = simulate_genotypes(p, seed)
    rng = np.random.default_rng(seed + 1)
    common = np.flatnonzero(np.minimum(G.mean(0) / 2, 1 - G.mean(0) / 2) >= 0.05)
    d = p["diseases"][disease]
    causal = np.sort(rng.choice(common, d["n_causal"], replace=False))
    y, _ = liability_phenotype(G, d["h2"], d["prevalence"], causal, rng,
                               ancestry_shift(d.get("ancestry_shift", 0.0), pop))
    return G, y, bim["CHR"].to_numpy(), bim["POS"].to_numpy()


def select(G, y, chrom, pos, k=1024, r2max=0.8, kb=250, n_pcs=5, seed=0):
    """Trend test on PC-residualised genotypes and label, greedy clumping, top k in genomic order."""
    rng = np.random.default_rng(seed)
    j = rng.choice(G.shape[1], min(3000, G.shape[1]), replace=False)
    Z = G[:, j].astype(np.float32)
    Z -= Z.mean(0)
    Z /= np.where(Z.std(0) > 0, Z.std(0), 1)
    P = np.linalg.svd(Z, full_matrices=False)[0][:, :n_pcs]
    X = G.astype(np.float32)
    X -= X.mean(0)
    X -= P @ (P.T @ X)
    yy = y.astype(np.float32) - y.mean()
    yy -= P @ (P.T @ yy)
    sx = np.sqrt((X * X).sum(0))
    sx[sx == 0] = np.inf
    X /= sx
    kept: list[int] = []
    for j in np.argsort(-np.abs(X.T @ yy)):
        near = [i for i in kept if chrom[i] == chrom[j] and abs(pos[i] - pos[j]) <= kb * 1000]
        if near and np.max((X[:, near].T @ X[:, j]) ** 2) >= r2max:
            continue
        kept.append(int(j))
        if len(kept) == k:
            break
    return np.sort(np.array(kept))


def one(G, y, chrom, pos, rep: int) -> dict:
    from snpgen.baseline import sample_baseline
    from snpgen.evaluate import attacks
    from snpgen.evaluate.verdict import DEFAULT_THRESHOLDS, attack_checks

    perm = np.random.default_rng(100 + rep).permutation(len(y))
    nt, nv = int(0.7 * len(y)), int(0.15 * len(y))
    it, iv, ih = perm[:nt], perm[nt:nt + nv], perm[nt + nv:]
    sel = select(G[it], y[it], chrom, pos)
    T, V, H = (G[i][:, sel] for i in (it, iv, ih))
    out = {"rep": rep}
    for name, (S, ys) in {"baseline": sample_baseline(T, y[it], 3000, float(y[it].mean()), seed=rep),
                          "validation": (V, y[iv])}.items():
        r = attacks.run_attacks(S, ys, T, y[it], H, y[ih], chrom=chrom[sel], seed=rep, crossfit_repeats=5)
        c = attack_checks({"privacy": {"attacks": r}}, DEFAULT_THRESHOLDS)[0]
        out[name] = {**{a: r[a]["auc"] for a in attacks.MEMBERSHIP_ATTACKS},
                     "se": r["attribute"]["auc_se"], "max": r["max_auc"], "check_value": c["value"],
                     "passed": c["passed"], "lr_training_frequencies":
                     r["allele_frequency_lr"]["auc_training_frequencies"],
                     "attribute_gap": r["attribute"]["auc_gap"]}
    return out


def decompose(G, y, chrom, pos, rep: int) -> dict:
    from snpgen.baseline import sample_baseline
    from snpgen.evaluate import attacks

    perm = np.random.default_rng(200 + rep).permutation(len(y))
    it, ih, it2, i_d = perm[:2100], perm[2100:2550], perm[2550:4650], perm[4650:6750]
    sel = {"T": select(G[it], y[it], chrom, pos), "D": select(G[i_d], y[i_d], chrom, pos)}
    out = {"rep": rep}
    for s_on, fit_on in (("T", "T"), ("T", "T2"), ("D", "T"), ("D", "T2")):
        j, f = sel[s_on], {"T": it, "T2": it2}[fit_on]
        S, ys = sample_baseline(G[f][:, j], y[f], 3000, float(y[f].mean()), seed=rep)
        r = attacks.run_attacks(S, ys, G[it][:, j], y[it], G[ih][:, j], y[ih], chrom=chrom[j], seed=rep)
        out[f"select_{s_on}_fit_{fit_on}"] = {**{a: r[a]["auc"] for a in attacks.MEMBERSHIP_ATTACKS},
                                              "attribute_gap": r["attribute"]["auc_gap"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--disease", default="cad")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--decompose", action="store_true")
    a = ap.parse_args()
    G, y, chrom, pos = simulate(a.n, a.seed, a.disease)
    rows = []
    for rep in range(a.reps):
        rows.append((decompose if a.decompose else one)(G, y, chrom, pos, rep))
        print(json.dumps(rows[-1]), flush=True)
    if a.decompose:
        for g in [k for k in rows[0] if k != "rep"]:
            print(g, " ".join(f"{k} {np.mean([r[g][k] for r in rows]):.3f} ({np.std([r[g][k] for r in rows], ddof=1):.3f})"
                              for k in rows[0][g]))
        return
    print(f"\n{a.disease}: {a.n} people, {len(rows)} resplits; mean (SD) over resplits")
    keys = [k for k in rows[0]["baseline"] if k != "passed"]
    print("| S | " + " | ".join(keys) + " | share max > 0.55 | share failing |")
    print("|---" * (len(keys) + 3) + "|")
    for g in ("baseline", "validation"):
        v = {k: np.array([r[g][k] for r in rows], dtype=float) for k in keys}
        cells = [f"{v[k].mean():.3f} ({v[k].std(ddof=1):.3f})" for k in keys]
        print(f"| {g} | " + " | ".join(cells) + f" | {np.mean(v['max'] > 0.55):.2f} | "
              f"{np.mean([not r[g]['passed'] for r in rows]):.2f} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Where the synthetic cohort's utility comes from; prints one table per disease.

    .venv/bin/python benchmarks/utility_diagnosis.py results/t2d [--eval-split val] [--sizes 3000,20000]

Reads a finished demo run's ``<disease dir>/selection`` and ``model`` (the workflow's checkpoints)
and trains two classifiers on each of several training cohorts, scoring both on the evaluation
split (validation by default; never tune on ``test``):

- **logreg**: the TSTR classifier of the report (L2 logistic regression, C by cross-validation);
- **allele score**: the sum of per-SNP allele log-odds between the cohort's cases and controls (a
  naive-Bayes / unweighted-PRS score that ignores LD; the per-class baseline's own statistic).

Cohorts: the real training split; the per-class allele-frequency baseline; the VAE's
reconstructions of the real training individuals with their real labels (decoded from the posterior
mean, and from a sampled latent: the VAE alone, no diffusion); synthetic cohorts of the given sizes
(VAE + diffusion). ``dp r`` / ``dp slope``: correlation and slope of the cohort's case-minus-control
allele-frequency difference on the real training one. The last line is the AUC of the VAE's phenotype
head on the evaluation split.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("disease_dir")
    ap.add_argument("--eval-split", default="val", choices=["val", "test"])
    ap.add_argument("--sizes", default="3000", help="comma-separated synthetic cohort sizes")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--guidance", default="", help="comma-separated guidance scales for extra model rows")
    ap.add_argument("--models", default="logreg", help="comma-separated classifiers: logreg, hgb")
    a = ap.parse_args(argv)

    import torch
    from sklearn.metrics import roc_auc_score
    from snpgen.baseline import class_allele_freqs, sample_baseline
    from snpgen.evaluate.privacy import column_modes, impute_mode
    from snpgen.evaluate.utility import fit_predict
    from snpgen.io import read_genotypes
    from snpgen.models.train import build_vae, encode_mu, fam_labels, load_checkpoint
    from snpgen.models.vae import one_hot
    from snpgen.readout import readout_calls
    from snpgen.sample import generate, readout_settings

    torch.set_num_threads(a.threads)
    d, ev = Path(a.disease_dir), a.eval_split
    X = {s: read_genotypes(d / "selection" / s) for s in ("train", ev)}
    Y = {s: fam_labels(d / "selection" / s) for s in ("train", ev)}
    modes = column_modes(X["train"])
    ltr, lev = Y["train"] >= 0, Y[ev] >= 0
    Gtr, ytr = impute_mode(X["train"], modes)[ltr], Y["train"][ltr]
    Gev, yev = impute_mode(X[ev], modes)[lev], Y[ev][lev]
    cf = float(ytr.mean())

    def dp(f):  # per-SNP case-minus-control allele frequency from class_allele_freqs
        return f[1] - f[0]

    dp_real = dp(class_allele_freqs(Gtr, ytr))
    rows = []
    models = a.models.split(",")

    def add(name, G, y):
        aucs = [roc_auc_score(yev, fit_predict(m, G, y, Gev, seed=a.seed)[0]) for m in models]
        f = class_allele_freqs(G, y)  # the per-class baseline's own statistic
        p1, p0 = (np.clip(f[c], 1e-3, 1 - 1e-3) for c in (1, 0))
        w = np.log(p1 / (1 - p1)) - np.log(p0 / (1 - p0))  # allele log-odds: the allele score's weights
        q = dp(f)
        rows.append((name, aucs, roc_auc_score(yev, Gev @ w),
                     np.corrcoef(q, dp_real)[0, 1], np.polyfit(dp_real, q, 1)[0]))
        print(f"[utility_diagnosis] {name} done", file=sys.stderr)

    add("real training split", Gtr, ytr)
    vs, ds = load_checkpoint(d / "model" / "vae.pt"), load_checkpoint(d / "model" / "diffusion.pt")
    vae = build_vae(vs, torch.device("cpu")).eval()
    ar = vae.ar_table().detach().numpy() if vae.ar_lags else None
    ro_path = d / "model" / "readout.json"  # the product's read-out pair and offsets, when calibrated
    gen_kw = readout_settings(ro_path if ro_path.exists() else None)
    cl = vs.get("clusters") or {}
    if cl.get("n", 0) > 0 and len(cl["train"]) != len(ltr):
        raise SystemExit(f"{d}: the VAE checkpoint has {len(cl['train'])} training clusters for {len(ltr)} people")
    cluster = np.asarray(cl["train"])[ltr] if cl.get("n", 0) > 0 else None  # cluster read-out: each person's
    rng = np.random.default_rng(a.seed)
    gen = torch.Generator().manual_seed(a.seed)  # the sampled latent: reruns print the same table
    with torch.no_grad():
        mu, logvar = vae.encode(one_hot(torch.as_tensor(Gtr), vae.padded))
        for name, z in (("VAE reconstructions (posterior mean)", mu),
                        ("VAE reconstructions (sampled latent)", mu + torch.randn(mu.shape, generator=gen) * (0.5 * logvar).exp())):
            parts = []
            for s in range(0, len(z), 512):  # decode in batches, each person with their own cluster
                c = None if cluster is None else torch.as_tensor(cluster[s:s + 512])
                lg = vae.decode(z[s:s + 512], c).numpy()
                parts.append(readout_calls(lg, rng.random((len(lg), Gtr.shape[1])), ar,
                                           temperature=gen_kw.get("temperature", 1.0), ar_gain=gen_kw.get("ar_gain", 1.0),
                                           offsets=gen_kw.get("genotype_offsets"),
                                           cluster=None if cluster is None else cluster[s:s + 512]))
            add(name + (", calibrated read-out" if gen_kw else ""), np.concatenate(parts), ytr)
        head = vae.pheno_logit(encode_mu(vae, Gev, torch.device("cpu"))).numpy()
    for n in map(int, a.sizes.split(",")):
        add(f"baseline, n={n}", *sample_baseline(X["train"], Y["train"], n, cf, a.seed))
        add(f"model (matched{', calibrated read-out' if gen_kw else ''}), n={n}",
            *generate(vs, ds, n, cf, seed=a.seed, device="cpu", **gen_kw))
        for g in filter(None, a.guidance.split(",")):
            add(f"model, guidance {g}, n={n}", *generate(vs, ds, n, cf, seed=a.seed, device="cpu",
                                                         guidance_scale=float(g), **gen_kw))

    print(f"\nUtility diagnosis on {d} (evaluation split: {ev}; {int(lev.sum())} individuals)")
    print("| training cohort | " + " | ".join(f"{m} AUC" for m in models) + " | allele-score AUC | dp r | dp slope |")
    print("|---|" + "---:|" * (len(models) + 3))
    for name, aucs, nb, r, sl in rows:
        print(f"| {name} | " + " | ".join(f"{x:.3f}" for x in aucs) + f" | {nb:.3f} | {r:.3f} | {sl:.2f} |")
    print(f"\nVAE phenotype head (posterior mean) AUC on {ev}: {roc_auc_score(yev, head):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

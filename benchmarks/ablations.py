#!/usr/bin/env python
"""Ablations of the generative model on one disease's selected SNPs; prints one table.

    .venv/bin/python benchmarks/ablations.py results/t2d [--variants default,no_pheno_head,...]
        [--eval-split val] [--n 3000] [--seed 1] [--draws 1] [--threads 2] [--cache benchmarks/output/ablations]

Reads ``<disease dir>/selection/{train,val,test}.bed`` of a finished selection (e.g. from
``make demo``), trains the VAE and the latent diffusion per variant (models are cached by their
parameters, so variants that only change sampling reuse the trained models), samples a matched
synthetic cohort and scores it on the **validation** split by default: tuning and ablations never
look at the test split (``--eval-split test`` exists for a final, one-off read).

Columns: validation reconstruction accuracy of the VAE (and the trivial level), TSTR and TRTR
logistic-regression AUC on the evaluation split, their ratio, allele-frequency r, LD r2
correlation (windows of 50 neighbouring SNPs) and the mean synthetic r2 over the mean real r2 in
those windows (1 = LD of the real strength), AA_TS and MIA AUC (training split = members,
evaluation split = non-members; the privacy loss with, in brackets, that of the evaluation's
population-statistics reference drawn as close to real people, :mod:`snpgen.evaluate.population`),
the slope of the synthetic case-minus-control allele-frequency
difference on the real training one over all SNPs (1 = faithful effect sizes, > 1 = inflated), and
training minutes. The per-class allele-frequency baseline is
the first row. With ``--draws K`` every row is the mean over K synthetic cohorts drawn with
different sampling seeds from the same trained models (and K baseline cohorts), and "TSTR sd
(draws)" is the spread that the draw alone causes (the CI shown is the mean of the per-draw CIs).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

# name -> (vae overrides, diffusion overrides, sampling overrides)
VARIANTS: dict[str, tuple[dict, dict, dict]] = {
    "default": ({}, {}, {}),
    "no_pheno_head": ({"pheno_weight": 0.0}, {}, {}),
    "guidance_1": ({}, {}, {"guidance_scale": 1.0}),
    "guidance_2": ({}, {}, {"guidance_scale": 2.0}),
    "guidance_3": ({}, {}, {"guidance_scale": 3.0}),
    "guidance_5": ({}, {}, {"guidance_scale": 5.0}),
    "latent_4ch": ({"latent_channels": 4}, {}, {}),
    "latent_16ch": ({"latent_channels": 16}, {}, {}),
    "pheno_weight_0.1": ({"pheno_weight": 0.1}, {}, {}),
    "augmented": ({}, {}, {"_case_fraction": 0.5}),
    "unet": ({}, {"denoiser": "unet"}, {}),
    "no_gaussian_skip": ({}, {"gaussian_skip": False}, {}),
    "argmax_calls": ({}, {}, {"hard_calls": "argmax"}),
    "ddim_50": ({}, {}, {"sampler": "ddim", "steps": 50}),
}


def _key(*parts) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]


def parse_overrides(spec: str) -> tuple[str, tuple[dict, dict, dict]]:
    """``name`` from VARIANTS, or ``name:vae.k=v,diffusion.k=v,sampling.k=v`` (values as JSON; a
    value that is not JSON is taken as a string, so ``sampling.sampler=ddpm`` works unquoted)."""
    if ":" not in spec:
        if spec not in VARIANTS:
            raise SystemExit(f"unknown variant {spec!r}; known: {', '.join(VARIANTS)} (or name:section.key=value,...)")
        return spec, VARIANTS[spec]
    name, rest = spec.split(":", 1)
    out: tuple[dict, dict, dict] = ({}, {}, {})
    sections = {"vae": 0, "diffusion": 1, "sampling": 2}
    for item in filter(None, re.split(r",(?![^\[]*\])", rest)):  # (commas inside [...] belong to a list value)
        k, sep, v = item.partition("=")
        sec, _, key = k.partition(".")
        if not sep or sec not in sections or not key:
            raise SystemExit(f"variant {name!r}: {item!r} is not section.key=value with section one of "
                             f"{', '.join(sections)}")
        try:
            out[sections[sec]][key] = json.loads(v)
        except json.JSONDecodeError:
            out[sections[sec]][key] = v
    return name, out


def workflow_models(model_dir: Path) -> tuple[dict, dict]:
    """The VAE and diffusion the workflow trained (``<disease dir>/model``)."""
    from snpgen.models.train import DIFFUSION_KIND, VAE_KIND, load_checkpoint

    return (load_checkpoint(model_dir / "vae.pt", VAE_KIND),
            load_checkpoint(model_dir / "diffusion.pt", DIFFUSION_KIND))


def trained_models(a, X: dict, Y: dict, vp: dict, dp: dict, cache: Path) -> tuple[dict, dict]:
    """The variant's VAE and diffusion, trained or from the cache."""
    import torch
    from snpgen.models.diffusion import DIFFUSION_DEFAULTS
    from snpgen.models.train import CLUSTER_KEYS, train_diffusion, train_vae
    from snpgen.models.vae import VAE_DEFAULTS

    quiet = lambda s: None  # noqa: E731
    # the cache keys hold every setting a model depends on, defaults included (session 10: a key with
    # only the overridden cluster settings reused a VAE trained under older defaults), and the
    # diffusion's holds its VAE's key
    vkey = {**VAE_DEFAULTS, **vp, **{k: {**DIFFUSION_DEFAULTS, **dp}[k] for k in CLUSTER_KEYS}}
    vpath = cache / f"vae_{_key(a.disease_dir, vkey, a.seed, 'v3')}.pt"
    if vpath.exists():
        vs = torch.load(vpath, weights_only=True)
    else:
        vs, _ = train_vae(X["train"], Y["train"], X["val"], Y["val"], vp, a.seed, log=quiet,
                          clusters={k: v for k, v in dp.items() if k in CLUSTER_KEYS})
        torch.save(vs, vpath)
    # (v3: session 10's fix, a VAE without clusters gives a diffusion without clusters)
    dpath = cache / f"diff_{_key(a.disease_dir, vpath.name, {**DIFFUSION_DEFAULTS, **dp}, a.seed, 'v3')}.pt"
    if dpath.exists():
        ds = torch.load(dpath, weights_only=True)
    else:
        ds, _ = train_diffusion(vs, X["train"], Y["train"], {**dp, "check_samples": 0}, a.seed + 1, log=quiet)
        torch.save(ds, dpath)
    return vs, ds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("disease_dir")
    ap.add_argument("--variants", default="default;no_pheno_head;pheno_weight_0.1;guidance_1;guidance_2;guidance_5;latent_4ch;augmented;ddim_50",
                    help="';'-separated variant names, or name:section.key=value,... (values as JSON)")
    ap.add_argument("--eval-split", default="val", choices=["val", "test"])
    ap.add_argument("--n", type=int, default=3000, help="synthetic individuals per variant")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--draws", type=int, default=1,
                    help="synthetic cohorts drawn per variant (and for the baseline) with different sampling seeds "
                         "from the same trained models; rows show the mean over draws and the TSTR standard deviation")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", default="benchmarks/output/ablations")
    ap.add_argument("--models", action="store_true",
                    help="use the workflow's trained models (<disease dir>/model/{vae,diffusion}.pt) for every "
                         "variant instead of training: sampling variants only")
    ap.add_argument("--base", default="{}", help="JSON {vae: {...}, diffusion: {...}, sampling: {...}} applied to every variant")
    a = ap.parse_args(argv)

    import torch
    from snpgen.baseline import class_allele_freqs, sample_baseline
    from snpgen.evaluate.fidelity import (af_metrics, cluster_proportions, fit_clusters, fit_pca,
                                          het_from_genotypes, ld_metrics, pca_metrics, project, run_het_hardy)
    from snpgen.defaults import schema_defaults
    from snpgen.evaluate import population
    from snpgen.evaluate.privacy import column_modes, distance_privacy, impute_mode
    from snpgen.evaluate.utility import tstr_trtr
    from snpgen.io import read_bim, read_genotypes
    from snpgen.models.train import fam_labels
    from snpgen.calibration import calibrate_readout
    from snpgen.sample import CALIBRATION_KEYS, SAMPLING_DEFAULTS, generate, write_cohort

    torch.set_num_threads(a.threads)
    sel = Path(a.disease_dir) / "selection"
    X = {s: read_genotypes(sel / s) for s in ("train", "val", "test")}
    Y = {s: fam_labels(sel / s) for s in ("train", "val", "test")}
    bim = read_bim(sel / "train")
    chrom, pos = bim["CHR"].to_numpy(), bim["POS"].to_numpy()
    ev = a.eval_split
    lab_tr, lab_ev = Y["train"] >= 0, Y[ev] >= 0
    modes = column_modes(X["train"])
    Ttr, Tev = impute_mode(X["train"], modes), impute_mode(X[ev], modes)
    cf_train = float(Y["train"][lab_tr].mean())
    base = json.loads(a.base)
    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)

    def case_control_dp(G, y) -> np.ndarray:  # per-SNP case-minus-control allele frequency
        f = class_allele_freqs(G, y)
        return f[1] - f[0]

    dp_real = case_control_dp(Ttr[lab_tr], Y["train"][lab_tr])
    pca = fit_pca(Ttr, 4)
    pc_tr, pc_ev = project(Ttr, pca), project(Tev, pca)
    F_real = het_from_genotypes(Ttr).mean()

    def hwe_share(G, y) -> float:  # share of SNPs failing plink2's exact HWE test at 1e-6
        if len(G) > len(Ttr):  # at most the real training size, as evaluate (the share grows with n)
            keep = np.sort(np.random.default_rng([a.seed, 24]).choice(len(G), len(Ttr), replace=False))
            G, y = G[keep], y[keep]
        tmp = cache / "hwe_tmp"
        write_cohort(tmp, G, y, bim)  # the fileset a synthetic cohort is written as
        return float(np.mean(run_het_hardy(tmp, cache / "hwe_out")[1] < 1e-6))

    gm = fit_clusters(pc_tr, max_clusters=6, min_size=10, seed=a.seed)
    share_tr = cluster_proportions(gm.predict(pc_tr), gm.n_components)

    def structure(G) -> dict:  # per-PC distance (SD units) over the held-out reference's, worst of PC1-4
        pc = project(G, pca)
        m = pca_metrics(pc_tr, pc, pc_ev)
        allowed = np.maximum(2 * np.asarray(m["wasserstein_holdout"]), 0.1)
        share = cluster_proportions(gm.predict(pc), gm.n_components)
        return {"pc_w": m["wasserstein_synthetic"], "pc_ratio": float(np.max(np.asarray(m["wasserstein_synthetic"]) / allowed)),
                "cluster_diff": float(np.max(np.abs(share - share_tr)))}

    ref_groups = population.reference_groups(Ttr, Y["train"], schema_defaults("evaluate"), a.seed)  # as evaluate

    def population_reference(G, pr) -> float:  # privacy loss of chains as close to real people as G
        return population.closeness_matched(pr["nnaa"]["train_reference"]["aa_truth"], Ttr, Tev, ref_groups,
                                            n=min(len(G), len(Ttr), 5000), order=2, seed=a.seed, max_n=5000,
                                            n_boot=20, repeats=8)["privacy_loss"]

    def score(G, y) -> dict:
        u = tstr_trtr(G, y, Ttr[lab_tr], Y["train"][lab_tr], Tev[lab_ev], Y[ev][lab_ev],
                      models=("logreg",), seed=a.seed, n_boot=200)["logreg"]
        ld = ld_metrics(Ttr, G, chrom, pos)
        pr = distance_privacy(G, Ttr, Tev, seed=a.seed, max_n=5000, n_boot=20, repeats=8)  # as evaluate
        return {"tstr": u["tstr"]["auc"], "tstr_lo": u["tstr"]["ci_low"], "tstr_hi": u["tstr"]["ci_high"],
                "trtr": u["trtr"]["auc"], "ratio": u["ratio"], "af_r": af_metrics(Ttr, G)["correlation"],
                "ld_r": ld["correlation"], "ld_mag": ld["strength_ratio"],
                "aa_ts": pr["nnaa"]["aa_ts"], "privacy_loss": pr["nnaa"]["privacy_loss"], "mia": pr["mia"]["auc"],
                "privacy_ref": population_reference(G, pr),
                "dp_slope": float(np.polyfit(dp_real, case_control_dp(G, y), 1)[0]),
                "hwe": hwe_share(G, y), "dF": float(het_from_genotypes(G).mean() - F_real), **structure(G)}

    draw_seeds = [a.seed + 1000 * k for k in range(max(1, a.draws))]

    def over_draws(draw) -> dict:  # mean of each metric over the draws, and the TSTR sd
        res = [score(*draw(s)) for s in draw_seeds]
        out = {k: np.mean([r[k] for r in res], axis=0).tolist() for k in res[0]}
        out["tstr_sd"] = float(np.std([r["tstr"] for r in res], ddof=1)) if len(res) > 1 else None
        return out

    rows = []
    rows.append({"variant": "baseline (per-class AF)", "acc": None, "minutes": 0.0,
                 **over_draws(lambda s: sample_baseline(X["train"], Y["train"], a.n, cf_train, s))})
    print("[ablations] baseline done", file=sys.stderr)
    for spec in a.variants.split(";"):
        name, (vo, do, so) = parse_overrides(spec)
        vp = {**base.get("vae", {}), **vo}
        dp = {**base.get("diffusion", {}), **do}
        sp = {**SAMPLING_DEFAULTS, **base.get("sampling", {}), **so}
        cf = sp.pop("_case_fraction", cf_train)
        t0 = time.perf_counter()
        if a.models:
            if vp or dp:
                raise SystemExit(f"variant {name!r}: --models takes sampling variants only")
            vs, ds = workflow_models(Path(a.disease_dir) / "model")
        else:
            vs, ds = trained_models(a, X, Y, vp, dp, cache)
        minutes = (time.perf_counter() - t0) / 60
        gen = {k: v for k, v in sp.items() if k not in CALIBRATION_KEYS}
        if sp.get("calibrate_readout"):  # as sample_cohort: the model's own read-out pair
            cal = calibrate_readout(vs, ds, X["train"], chrom, cf_train, gen, seed=a.seed, device="cpu",
                                    temperatures=sp["calibration_temperatures"],
                                    ar_gains=sp["calibration_ar_gains"], n=int(sp["calibration_n"]),
                                    frequency_offsets=bool(sp.get("genotype_frequency_offsets")),
                                    by_cluster=bool(sp.get("genotype_offsets_by_cluster", True)),
                                    offset_shrinkage=str(sp.get("genotype_offset_shrinkage", "targets")),
                                    structure_pcs=int(sp.get("calibration_structure_pcs", 0)))
            gen.update(temperature=cal["temperature"], ar_gain=cal["ar_gain"],
                       genotype_offsets=cal.get("genotype_offsets"))
            print(f"[ablations] {name}: calibrated read-out T {cal['temperature']} gain {cal['ar_gain']}"
                  f"{' + offsets ' + str(np.shape(cal['genotype_offsets'])) if cal.get('genotype_offsets') else ''}",
                  file=sys.stderr)
        def draw(s, vs=vs, ds=ds, gen=gen, cf=cf):
            return generate(vs, ds, a.n, cf, seed=s, **gen)
        rows.append({"variant": name, **over_draws(draw), "acc": vs["val_recon_acc"],
                     "trivial": vs["val_trivial_acc"], "minutes": minutes,
                     "readout": f"{gen['temperature']}/{gen['ar_gain']}"
                                + (" + offsets" if gen.get("genotype_offsets") is not None else "")})
        print(f"[ablations] {name} done: {json.dumps(rows[-1])}", file=sys.stderr)

    f = lambda v, d=3: "" if v is None else f"{v:.{d}f}"  # noqa: E731
    print(f"real held-out: HWE share {hwe_share(Tev, Y[ev]):.4f} (train {hwe_share(Ttr, Y['train']):.4f}), mean F - train "
          f"{het_from_genotypes(Tev).mean() - F_real:+.4f}; PC1-4 distances {np.round(pca_metrics(pc_tr, pc_ev)['wasserstein_synthetic'], 3).tolist()}")
    print(f"\nAblations on {a.disease_dir} (evaluation split: {ev}; {a.n} synthetic individuals; seed {a.seed}"
          + (f"; mean of {len(draw_seeds)} draws per row, sampling seeds {draw_seeds}" if len(draw_seeds) > 1 else "") + ")")
    print("| variant | VAE val acc (trivial) | TSTR AUC [95% CI] | TSTR sd (draws) | TRTR AUC | TSTR/TRTR | AF r | LD r2 corr | mean r2 syn/real | AA_TS | privacy loss (population reference) | MIA AUC | case-control dp slope | HWE fail share | mean F - real | PC1-4 distance | worst PC / allowed | cluster share diff | train min |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        acc = f"{f(r['acc'])} ({f(r.get('trivial'))})" if r["acc"] is not None else "-"
        name = r["variant"] + (f" (read-out {r['readout']})" if r.get("readout") else "")
        print(f"| {name} | {acc} | {f(r['tstr'])} [{f(r['tstr_lo'])}, {f(r['tstr_hi'])}] | {f(r['tstr_sd']) or '-'} | {f(r['trtr'])} | "
              f"{f(r['ratio'])} | {f(r['af_r'])} | {f(r['ld_r'])} | {f(r['ld_mag'], 2)} | {f(r['aa_ts'])} | {r['privacy_loss']:+.3f} ({r['privacy_ref']:+.3f}) | {f(r['mia'])} | {f(r['dp_slope'], 2)} | "
              f"{f(r['hwe'], 4)} | {r['dF']:+.4f} | {' / '.join(f(x, 2) for x in r['pc_w'])} | {f(r['pc_ratio'], 2)} | "
              f"{f(r['cluster_diff'])} | {f(r['minutes'], 1)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

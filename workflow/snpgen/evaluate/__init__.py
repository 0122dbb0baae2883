"""Evaluation of synthetic genotype cohorts: utility, fidelity, privacy, verdict, PRS baseline.

Module map (pure numpy functions unless stated; the plink-calling functions are isolated and
named ``run_*``):

- :mod:`snpgen.evaluate.privacy`  chunked nearest-neighbour distances, identical matches, DCR,
  NNAA, distance-based membership inference, KING kinship (``run_king``).
- :mod:`snpgen.evaluate.attacks`  stronger membership attacks (density ratio on PCs and on
  genotypes, segment replay, trait-linked attribute inference), AUC and TPR at low FPR.
- :mod:`snpgen.evaluate.fidelity` allele frequencies, LD windows and decay, PCA projection,
  heterozygosity/HWE summaries (``run_het_hardy``), synthetic GWAS (``run_glm``) comparison.
- :mod:`snpgen.evaluate.effects`  GWAS effects against independent references: held-out real people
  and, for a simulated cohort, the true effects; causal-SNP recovery (``pc_gwas``).
- :mod:`snpgen.evaluate.utility`  TSTR vs TRTR with logistic regression and gradient boosting,
  bootstrap AUC confidence intervals.
- :mod:`snpgen.evaluate.prs`      clumping + thresholding PRS (plink1.9 --clump, plink2 --score).
- :mod:`snpgen.evaluate.verdict`  release checks against configurable thresholds.
- :mod:`snpgen.evaluate.figures`  matplotlib (Agg) figures; never annotates individuals.

The metrics JSON schema is documented in docs/metrics.md.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..defaults import schema_defaults

if TYPE_CHECKING:  # numpy is imported where it is used; the annotations only name it
    import numpy as np
    import polars as pl

# Evaluation parameters (config["evaluate"]) and their defaults: the schema's (each key described in
# workflow/schemas/config.schema.yaml and config/README.md; docs/metrics.md describes what they change).
DEFAULT_EVALUATE: dict = schema_defaults("evaluate")

SCHEMA_VERSION = 1


def merged_params(cfg: dict | None) -> dict:
    """DEFAULT_EVALUATE updated with config["evaluate"]; unknown keys are an error."""
    cfg = dict(cfg or {})
    unknown = sorted(set(cfg) - set(DEFAULT_EVALUATE))
    if unknown:
        raise ValueError(f"unknown config['evaluate'] keys: {unknown}; known: {sorted(DEFAULT_EVALUATE)}")
    out = dict(DEFAULT_EVALUATE)
    out.update(cfg)
    return out


def jsonable(obj):
    """Plain-JSON copy: numpy scalars/arrays -> Python, NaN/inf -> None, tuples -> lists."""
    import math

    import numpy as np
    import polars as pl

    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    return obj


def _labels_from_fam(fam) -> "np.ndarray":
    from ..genotypes import pheno_labels

    return pheno_labels(fam["PHENO"].cast(str).to_list())


def _labelled(prefix: str) -> tuple["np.ndarray", "np.ndarray"]:
    """Genotypes and 0/1 labels of the labelled individuals of a PLINK fileset."""
    from .. import io

    y = _labels_from_fam(io.read_fam(prefix))
    k = y >= 0
    return io.read_genotypes(prefix)[k], y[k]


def _ancestry(truth_json: str | None, iids) -> "np.ndarray | None":
    """True population of each individual from truth.json's ``ancestry`` map (simulated cohorts);
    None without a truth file, without the map, or when it lacks any of ``iids``."""
    import json
    from pathlib import Path

    import numpy as np
    import polars as pl

    if not truth_json or not Path(truth_json).exists():
        return None
    anc = json.loads(Path(truth_json).read_text()).get("ancestry") or {}
    if not anc or any(str(i) not in anc for i in iids):
        return None
    return np.array([str(anc[str(i)]) for i in iids])


def _provenance(seed: int) -> dict:
    """The metrics files' provenance block (snpgen.provenance, with the plink versions)."""
    from ..plink import tool_versions
    from ..provenance import evaluation_provenance

    return evaluation_provenance(seed, tool_versions())


def evaluate_generator(*, train: str, test: str, synthetic: str, real_gwas: str, figdir: str,
                       workdir: str, params: dict, thresholds: dict, seed: int,
                       truth_json: str | None = None, disease: str = "", generator: str = "",
                       baseline: str | None = None, threads: int = 1, memory_mb: int | None = None,
                       privacy_only: bool = False, reference_fits: str | None = None,
                       synthetic_is_reference: bool = False, log=None) -> dict:
    """All metrics of one synthetic cohort (prefixes of PLINK filesets over the selected SNPs).

    ``baseline``: the per-class allele-frequency baseline's cohort; when given, each utility
    model also reports this cohort's TSTR minus the baseline's (``vs_baseline``, paired CI).
    ``reference_fits``: :func:`utility_reference`'s file (the TRTR and baseline classifiers, fitted
    once per disease), instead of fitting them here; with ``synthetic_is_reference`` (the baseline's
    own job) the reference fit is this cohort's TSTR fit.
    ``privacy_only``: skip utility and fidelity (the leaky calibration reference, which is only
    there to calibrate the privacy attacks); the verdict then holds the privacy checks only.

    Returns the metrics dict (JSON-ready, aggregate numbers only; layout in docs/metrics.md) and
    writes the figures into ``figdir``. ``workdir`` holds temporary plink files.
    """
    from pathlib import Path

    import numpy as np
    import polars as pl

    from .. import io
    from . import fidelity
    from .verdict import verdict

    say = log or (lambda *_: None)
    P = merged_params(params)

    def rng(k: int) -> np.random.Generator:  # one independent stream per purpose and set
        return np.random.default_rng([seed, k])

    figdir = Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    min_count = int(P["min_cell_count"])

    bim = _common_bim(train, (test, synthetic, *([baseline] if baseline else [])))
    K = bim.height
    say(f"reading genotypes ({K} SNPs)")
    fam_t, fam_h, fam_s = io.read_fam(train), io.read_fam(test), io.read_fam(synthetic)
    G_t, G_h, G_s = io.read_genotypes(train), io.read_genotypes(test), io.read_genotypes(synthetic)
    y_t, y_h, y_s = _labels_from_fam(fam_t), _labels_from_fam(fam_h), _labels_from_fam(fam_s)

    metrics: dict = {
        "schema_version": SCHEMA_VERSION,
        "disease": disease,
        "generator": generator,
        "sizes": {
            "n_snps": K,
            "n_synthetic": int(G_s.shape[0]),
            "n_train": int(G_t.shape[0]),
            "n_test": int(G_h.shape[0]),
            "case_fraction_synthetic": fidelity.case_fraction(y_s),
            "case_fraction_train": fidelity.case_fraction(y_t),
            "case_fraction_test": fidelity.case_fraction(y_h),
        },
    }
    figs: list[str] = []

    if privacy_only:
        metrics["evaluated"] = "privacy only (calibration reference: utility and fidelity not evaluated)"
    else:
        _utility_fidelity(metrics, figs, G_t=G_t, G_h=G_h, G_s=G_s, y_t=y_t, y_h=y_h, y_s=y_s, bim=bim, fam_t=fam_t,
                          train=train, test=test, synthetic=synthetic, real_gwas=real_gwas, figdir=figdir,
                          workdir=workdir, P=P, seed=seed, truth_json=truth_json, disease=disease,
                          baseline=baseline, threads=threads, memory_mb=memory_mb, say=say, rng=rng,
                          min_count=min_count, fitted=_fitted(reference_fits, y_h, synthetic_is_reference))
    _privacy(metrics, figs, G_t=G_t, G_h=G_h, G_s=G_s, y_t=y_t, y_h=y_h, y_s=y_s, bim=bim, figdir=figdir,
             workdir=workdir, P=P, seed=seed, threads=threads, memory_mb=memory_mb, say=say, rng=rng,
             min_count=min_count)

    # ------------------------------------------------------------------ verdict, bookkeeping
    metrics["verdict"] = verdict(metrics, thresholds, privacy_only=privacy_only)
    metrics["figures"] = sorted(figs)
    metrics["params"] = P
    metrics["provenance"] = _provenance(seed)
    return jsonable(metrics)


def _common_bim(train: str, others) -> "pl.DataFrame":
    """``train``'s .bim, after checking that every other fileset lists the same SNPs, in the same
    order, with the same counted (A1) alleles."""
    from .. import io

    bim = io.read_bim(train)
    for other in others:
        b = io.read_bim(other)
        if b["ID"].to_list() != bim["ID"].to_list():
            raise ValueError(f"{other}.bim and {train}.bim list different SNPs (or order)")
        if b["A1"].to_list() != bim["A1"].to_list():
            raise ValueError(f"{other}.bim counts different alleles than {train}.bim")
    return bim


def _fitted(path: str | None, y_h, synthetic_is_reference: bool) -> dict | None:
    """The reference fits of :func:`utility_reference`'s file (None without one), scored on the labelled
    test people ``y_h``; for the reference's own job its fit becomes the TSTR fit."""
    from . import utility

    if not path:
        return None
    fitted = utility.load_fits(path, y_h[y_h >= 0])
    if synthetic_is_reference:
        for fits in fitted.values():
            if "ref" in fits:
                fits["tstr"] = fits.pop("ref")
    return fitted


def utility_reference(*, train: str, test: str, baseline: str | None, out: str, params: dict, seed: int) -> None:
    """Rule ``utility_reference``: the classifiers that do not depend on the synthetic cohort (trained on
    the real training split, and on the baseline's cohort) fitted once per disease, their test
    predictions into ``out`` (utility.save_fits); every ``evaluate`` job of the disease reads them."""
    from . import utility

    P = merged_params(params)
    G_t, y_t = _labelled(train)
    G_h, y_h = _labelled(test)
    fitted = utility.reference_fits(G_t, y_t, G_h, models=tuple(P["models"]), seed=seed, params=P,
                                    reference=_labelled(baseline) if baseline else None)
    utility.save_fits(out, fitted, y_h)


def _utility(figs, *, G_t, G_h, G_s, y_t, y_h, y_s, figdir, P, seed, baseline, fitted=None) -> dict:
    """Utility section of :func:`evaluate_generator`: TSTR vs TRTR per model (labelled people only),
    with the ROC curves figure; ``fitted``: the reference fits (utility.reference_fits) when made
    beforehand."""
    from . import figures, utility

    ks, kt, kh = y_s >= 0, y_t >= 0, y_h >= 0
    util = utility.tstr_trtr(G_s[ks], y_s[ks], G_t[kt], y_t[kt], G_h[kh], y_h[kh],
                             models=tuple(P["models"]), seed=seed, n_boot=int(P["bootstrap_n"]),
                             level=float(P["ci_level"]), params=P, return_curves=True,
                             reference=_labelled(baseline) if baseline and fitted is None else None,
                             fitted=fitted)
    curves = {}
    for m, r in util.items():
        roc = r.pop("_roc")
        curves[f"TRTR {m}"] = (*roc["trtr"], r["trtr"]["auc"])
        curves[f"TSTR {m}"] = (*roc["tstr"], r["tstr"]["auc"])
    figs.append(figures.roc_curves(curves, figdir / "roc.png").name)
    util["n_bootstrap"] = int(P["bootstrap_n"])
    util["ci_level"] = float(P["ci_level"])
    return util


def _het_hwe(fid, figs, *, train, synthetic, test, workdir, figdir, P, seed, rng, threads, memory_mb, say) -> None:
    """plink2 --het/--hardy/--freq of the three sets (fidelity.het_hwe, fidelity.maf, the F/HWE figure);
    the synthetic HWE p-values on a subset of the real training size when the cohort is larger."""
    from . import fidelity, figures, privacy

    say("fidelity: plink2 --het/--hardy/--freq")
    F_t, hp_t = fidelity.run_het_hardy(train, workdir / "hh_real", threads=threads, memory_mb=memory_mb)
    F_s, hp_s = fidelity.run_het_hardy(synthetic, workdir / "hh_syn", threads=threads, memory_mb=memory_mb)
    F_h, hp_h = fidelity.run_het_hardy(test, workdir / "hh_test", threads=threads, memory_mb=memory_mb)
    n_t, n_s = len(F_t), len(F_s)
    subsets = [hp_s]
    if n_s > n_t:  # the HWE failure share grows with the sample size: take the synthetic one at real train's,
        # the mean over subsets of that size (one subset's share moves by ~0.005 on pooled ancestries)
        subsets = [fidelity.hardy_p_subset(synthetic, privacy.subsample_rows(n_s, n_t, rng(24 if r == 0 else 2400 + r)),
                                           workdir / f"hh_syn_n{r}", threads=threads, memory_mb=memory_mb)
                   for r in range(int(P["hwe_subsets"]))]
        hp_s = subsets[0]
    shares = [fidelity.het_hwe_summary(F_s, hp, float(P["hwe_p"]))["hwe_frac_below"] for hp in subsets]
    fid["het_hwe"] = fidelity.het_hwe_metrics((F_t, hp_t), (F_s, hp_s), (F_h, hp_h), float(P["hwe_p"]))
    fid["het_hwe"]["synthetic"].update(hwe_n=int(min(n_s, n_t)), hwe_frac_below_subsets=shares,
                                       hwe_frac_below=float(sum(shares) / len(shares)))
    fid["het_hwe"]["real_split_half"] = fidelity.hwe_split_half(
        train, workdir / "hh_half", reps=int(P["hwe_noise_reps"]), hwe_threshold=float(P["hwe_p"]), seed=seed,
        threads=threads, memory_mb=memory_mb)
    fid["het_hwe"]["real_resampled"] = fidelity.hwe_resampled(train, reps=int(P["hwe_noise_reps"]),
                                                              hwe_threshold=float(P["hwe_p"]), seed=seed)
    fid["maf"] = fidelity.maf_metrics(*(fidelity.read_alt_freq(workdir / x) for x in ("hh_real", "hh_syn", "hh_test")))
    figs.append(figures.het_hwe(F_t, F_s, hp_t, hp_s, figdir / "het_hwe.png").name)


def _utility_fidelity(metrics, figs, *, G_t, G_h, G_s, y_t, y_h, y_s, bim, fam_t, train, test, synthetic,
                      real_gwas, figdir, workdir, P, seed, truth_json, disease, baseline, threads, memory_mb,
                      say, rng, min_count, fitted=None) -> None:
    """Utility and fidelity sections of :func:`evaluate_generator` (into ``metrics`` and ``figs``)."""

    from . import fidelity, figures, privacy

    K = bim.height
    say("utility: TSTR vs TRTR")
    metrics["utility"] = _utility(figs, G_t=G_t, G_h=G_h, G_s=G_s, y_t=y_t, y_h=y_h, y_s=y_s, figdir=figdir, P=P,
                                  seed=seed, baseline=baseline, fitted=fitted)

    # ------------------------------------------------------------------ fidelity
    say("fidelity: allele frequencies, LD, PCA")
    fid: dict = {}
    fid["allele_frequency"] = fidelity.af_metrics(G_t, G_s)
    fid["allele_frequency"]["holdout_correlation"] = fidelity.af_metrics(G_t, G_h)["correlation"]
    figs.append(figures.af_scatter(fidelity.allele_frequencies(G_t), fidelity.allele_frequencies(G_s),
                                   figdir / "af_scatter.png", fid["allele_frequency"]["correlation"]).name)
    chrom = bim["CHR"].to_numpy()
    pos = bim["POS"].to_numpy()
    n_ld = int(P["ld_max_n"])
    it = privacy.subsample_rows(G_t.shape[0], n_ld, rng(11))
    is_ = privacy.subsample_rows(G_s.shape[0], n_ld, rng(12))
    ih = privacy.subsample_rows(G_h.shape[0], n_ld, rng(13))
    ld_kw = dict(window=int(P["ld_window"]), informative_r2=float(P["ld_informative_r2"]),
                 min_informative_pairs=int(P["ld_min_informative_pairs"]),
                 decay_bins_kb=P["ld_decay_bins_kb"])
    ld = fidelity.ld_metrics(G_t[it], G_s[is_], chrom, pos, return_arrays=True, **ld_kw)
    arr = ld.pop("_arrays")
    ld_h = fidelity.ld_metrics(G_t[it], G_h[ih], chrom, pos, **ld_kw)
    ld["holdout_correlation"] = ld_h["correlation"]
    ld["holdout_per_window_mean_correlation"] = ld_h["per_window_mean_correlation"]
    ld["holdout_strength_ratio"] = ld_h["strength_ratio"]
    fid["ld"] = ld
    figs.append(figures.ld_heatmaps(arr["heatmap_real"], arr["heatmap_syn"], figdir / "ld_heatmap.png").name)
    figs.append(figures.ld_decay(ld["decay"], figdir / "ld_decay.png").name)

    n_pcs = int(min(P["n_pcs"], K))
    ip = privacy.subsample_rows(G_t.shape[0], int(P["pca_max_n"]), rng(21))
    pca = fidelity.fit_pca(G_t[ip], n_pcs)
    ips = privacy.subsample_rows(G_s.shape[0], int(P["pca_max_n"]), rng(22))
    iph = privacy.subsample_rows(G_h.shape[0], int(P["pca_max_n"]), rng(23))
    pc_t, pc_s, pc_h = (fidelity.project(G[i], pca) for G, i in ((G_t, ip), (G_s, ips), (G_h, iph)))
    fid["pca"] = fidelity.pca_metrics(pc_t, pc_s, pc_h, pca["explained_variance_ratio"])
    say("fidelity: population structure (leading PCs, clusters)")
    fid["structure"] = fidelity.structure_metrics(
        dict(zip(fidelity.STRUCTURE_SETS, (pc_t, pc_s, pc_h))),
        dict(zip(fidelity.STRUCTURE_SETS, (y_t[ip], y_s[ips], y_h[iph]))),
        genotypes=dict(zip(fidelity.STRUCTURE_SETS, (G_t[ip], G_s[ips], G_h[iph]))),
        ancestry=_ancestry(truth_json, fam_t["IID"].to_numpy()[ip]), n_pcs=int(P["structure_n_pcs"]),
        max_clusters=int(P["structure_max_clusters"]), min_count=min_count, seed=seed,
        eigenvalues=pca["eigenvalues"], eigen_ratio=float(P["structure_eigen_ratio"]),
        merge_ratio=P["structure_merge_ratio"])
    figs.append(figures.pca_overlay(pc_t, pc_s, figdir / "pca.png", min_count=min_count).name)
    figs.append(figures.pca_wasserstein(fid["pca"]["wasserstein_synthetic"], fid["pca"].get("wasserstein_holdout"),
                                        figdir / "pca_wasserstein.png").name)

    _het_hwe(fid, figs, train=train, synthetic=synthetic, test=test, workdir=workdir, figdir=figdir, P=P,
             seed=seed, rng=rng, threads=threads, memory_mb=memory_mb, say=say)

    truth = _disease_truth(truth_json, disease)
    fid["gwas"] = _gwas_vs_training(figs, bim=bim, y_s=y_s, synthetic=synthetic, real_gwas=real_gwas,
                                         figdir=figdir, workdir=workdir, P=P, truth=truth, threads=threads,
                                         memory_mb=memory_mb, say=say)
    say("fidelity: GWAS effects against held-out real people (and the simulated truth)")
    fid["effects"] = _effects(figs, bim=bim, pca=pca, G_t=G_t, G_h=G_h, G_s=G_s, y_s=y_s, train=train, test=test,
                              synthetic=synthetic, figdir=figdir, workdir=workdir, P=P, truth=truth,
                              threads=threads, memory_mb=memory_mb)
    metrics["fidelity"] = fid


def _two_classes(y) -> bool:
    """Whether the labelled individuals (y >= 0) hold both classes (a GWAS is possible)."""
    import numpy as np
    import polars as pl

    return len(np.unique(y[y >= 0])) == 2


def _disease_truth(truth_json: str | None, disease: str) -> dict | None:
    """The disease's entry of truth.json (simulated cohorts: causal SNPs and effects), else None."""
    import json
    from pathlib import Path

    if not truth_json or not Path(truth_json).exists():
        return None
    return (json.loads(Path(truth_json).read_text()).get("diseases") or {}).get(disease) or None


def _gwas_vs_training(figs, *, bim, y_s, synthetic, real_gwas, figdir, workdir, P, truth, threads, memory_mb,
                      say) -> dict:
    """``fidelity.gwas``: the synthetic cohort's GWAS (no covariates) against the training GWAS."""
    import numpy as np
    import polars as pl

    from . import effects, fidelity, figures

    say("fidelity: GWAS on the synthetic cohort")
    K = bim.height
    real_glm = fidelity.read_glm(real_gwas)
    beta_r, p_r = fidelity.align_betas(real_glm, bim)
    gw: dict = {"covariates_real": "as in the training GWAS", "covariates_synthetic": "none"}
    if _two_classes(y_s):
        syn_glm = fidelity.read_glm(fidelity.run_glm(synthetic, workdir / "glm_syn", threads=threads,
                                                     memory_mb=memory_mb))
        beta_s, p_s = fidelity.align_betas(syn_glm, bim)
        gw.update(fidelity.gwas_comparison(beta_r, p_r, beta_s, p_s))
        figs.append(figures.gwas_beta_scatter(beta_r, beta_s, figdir / "gwas_beta.png",
                                              gw["beta_correlation"]).name)
    else:
        p_s = None
        gw["note"] = "synthetic cohort has a single phenotype class; no GWAS"
    if truth:
        causal = [c["id"] for c in truth.get("causal", [])]
        ids = bim["ID"].to_numpy()
        rec = {"n_causal_total": len(causal), "n_causal_selected": int(np.isin(ids, causal).sum()),
               "levels": {}}
        for name, val in effects.significance_levels(P["gwas_p_thresholds"], K).items():
            rec["levels"][name] = {
                "real_train": fidelity.causal_recovery(p_r, ids, causal, val),
                "synthetic": fidelity.causal_recovery(p_s, ids, causal, val) if p_s is not None else None,
            }
        gw["causal_recovery"] = rec
    return gw


def _effects(figs, *, bim, pca, G_t, G_h, G_s, y_s, train, test, synthetic, figdir, workdir, P, truth, threads,
             memory_mb) -> dict:
    """``fidelity.effects``: real train, real held-out and synthetic GWAS (the same model, adjusted
    for the leading PCs of the selected SNPs) against the held-out GWAS and the simulated truth."""
    import numpy as np
    import polars as pl

    from ..plink import PlinkError
    from . import effects, fidelity, figures

    k = int(min(P["effects_n_pcs"], pca["loadings"].shape[1]))
    two_classes = _two_classes(y_s)
    gwas, failed = {}, []
    for name, prefix, G in (("real_train", train, G_t), ("holdout", test, G_h), ("synthetic", synthetic, G_s)):
        gwas[name] = None
        if name == "synthetic" and not two_classes:
            continue
        try:
            scores = np.vstack([fidelity.project(G[i:i + 8192], pca)[:, :k] for i in range(0, G.shape[0], 8192)])
            gwas[name] = effects.pc_gwas(prefix, scores, bim, workdir / f"glm_pc_{name}", threads=threads,
                                         memory_mb=memory_mb)
        except PlinkError as e:  # reported, not fatal (not a release check); plink's log tail may name
            failed.append(f"{name}: {str(e).split(':')[0]}")  # people, so only "plink2 failed (exit n)"
    ids = bim["ID"].to_numpy()
    true = (effects.true_effects(truth.get("causal", []), ids, fidelity.allele_frequencies(G_t))
            if truth else None)
    out = effects.effects_metrics(gwas, ids=ids, levels=effects.significance_levels(P["gwas_p_thresholds"],
                                                                                    bim.height),
                                  n_pcs=k, true_beta=true)
    if true is not None and all(gwas.values()):
        betas = {"real train": gwas["real_train"][0], "real held-out": gwas["holdout"][0],
                 "synthetic": gwas["synthetic"][0]}
        figs.append(figures.effects_vs_truth(true, betas, figdir / "effects_truth.png").name)
    notes = failed + ([] if two_classes else ["synthetic cohort has a single phenotype class; no GWAS"])
    if notes:
        out["note"] = "; ".join(notes)
    return out


def _privacy(metrics, figs, *, G_t, G_h, G_s, y_t, y_h, y_s, bim, figdir, workdir, P, seed, threads, memory_mb,
             say, rng, min_count) -> None:
    """Privacy section of :func:`evaluate_generator`: distance-based metrics, attacks, KING."""
    from . import attacks, figures, privacy

    # ------------------------------------------------------------------ privacy
    say("privacy: identical matches, DCR, NNAA, MIA")
    modes = privacy.column_modes(G_t)
    S, T, H = (privacy.impute_mode(x, modes) for x in (G_s, G_t, G_h))
    n_id = privacy.identical_match_count(S, T)
    n_id_h = privacy.identical_match_count(H, T)
    pv: dict = {
        "threat_model": ("attacker holds a target's full genotype over the selected SNPs and the "
                         "synthetic cohort; empirical tests only, no formal differential-privacy guarantee"),
        "identical_match_rate": n_id / S.shape[0],
        "identical_match_count": privacy.suppress(n_id, min_count),
        "holdout_identical_match_count": privacy.suppress(n_id_h, min_count),
        "holdout_identical_match_rate": (n_id_h / H.shape[0]) if n_id_h >= min_count else None,
    }
    dp = privacy.distance_privacy(S, T, H, seed=seed + 31, max_n=int(P["privacy_max_n"]), metric=P["distance"],
                                  chunk=int(P["distance_chunk"]), tie_weight=float(P["nnaa_tie_weight"]),
                                  n_boot=int(P["bootstrap_n"]), level=float(P["ci_level"]),
                                  repeats=int(P["privacy_repeats"]), return_distances=True)
    d = dp.pop("_distances")
    pv.update(dp)
    if P["population_reference_order"] is not None:
        say("privacy: a population-statistics reference at the same closeness to real people")
        pv["population_reference"] = _population_reference(S, T, H, y_t, dp, P, seed)
    figs.append(figures.dcr_hist(d["st"], d["ht"], figdir / "dcr_hist.png").name)
    fpr, tpr = privacy.roc_points_mia(d["ts"], d["hs"])
    figs.append(figures.mia_roc(fpr, tpr, pv["mia"]["auc"], figdir / "mia_roc.png", len(d["hs"])).name)

    say("privacy: attacks (density ratio, segment replay, attribute inference)")
    pv["attacks"] = attacks.run_attacks(S, y_s, T, y_t, H, y_h, chrom=bim["CHR"].to_numpy(), seed=seed + 51,
                                        max_n=int(P["attack_max_n"]),
                                        replay_max_train=int(P["attack_replay_max_train"]),
                                        n_pcs=int(P["attack_n_pcs"]), metric=P["distance"],
                                        crossfit_repeats=int(P["attack_crossfit_repeats"]),
                                        chunk=int(P["distance_chunk"]), min_count=min_count)
    say(f"privacy: attacks' largest AUC {pv['attacks']['max_auc']:.3f} ({pv['attacks']['max_auc_attack']})")

    say("privacy: plink2 --make-king-table")
    nk = int(P["king_max_n"])
    isk = privacy.subsample_rows(G_s.shape[0], nk, rng(41))
    itk = privacy.subsample_rows(G_t.shape[0], nk, rng(42))
    pv["king"] = privacy.run_king(G_s[isk], G_t[itk], bim, workdir / "king",
                                  thresholds=tuple(P["king_thresholds"]), min_count=min_count,
                                  threads=threads, memory_mb=memory_mb)
    metrics["privacy"] = pv


def _population_reference(S, T, H, y_t, dp: dict, P: dict, seed: int) -> dict:
    """:func:`population.closeness_matched` for the synthetic cohort S: chains per phenotype class
    and ancestry cluster of the training split (a Gaussian mixture with the structure check's
    settings), drawn as close to real people as S and scored on S's T and H subsets."""
    from . import population

    return population.closeness_matched(
        dp["nnaa"]["train_reference"]["aa_truth"], T, H, population.reference_groups(T, y_t, P, seed),
        n=min(S.shape[0], T.shape[0], int(P["privacy_max_n"])),  # the distance tests use at most max_n rows
        order=int(P["population_reference_order"]), seed=seed + 31, max_n=int(P["privacy_max_n"]),
        metric=P["distance"], chunk=int(P["distance_chunk"]), tie_weight=float(P["nnaa_tie_weight"]),
        n_boot=100, repeats=int(P["privacy_repeats"]))


def evaluate_prs(*, cohort: str, gwas: str, train_ids: str, val_ids: str, test_ids: str, pheno: str,
                 covariates: str | None, workdir: str, params: dict, seed: int, disease: str = "",
                 threads: int = 1, memory_mb: int | None = None) -> dict:
    """The C+T PRS baseline of one disease (see snpgen.evaluate.prs); JSON-ready dict."""
    from .prs import prs_pipeline

    P = merged_params(params)
    res = prs_pipeline(cohort, gwas, train_ids, val_ids, test_ids, pheno, covariates, workdir,
                       thresholds=tuple(float(t) for t in P["prs_p_thresholds"]),
                       clump_r2=float(P["prs_clump_r2"]), clump_kb=int(P["prs_clump_kb"]),
                       n_pcs=int(P["prs_n_pcs"]), n_boot=int(P["bootstrap_n"]), seed=seed,
                       level=float(P["ci_level"]), threads=threads, memory_mb=memory_mb)
    keys = ("prs_p_thresholds", "prs_clump_r2", "prs_clump_kb", "prs_n_pcs", "bootstrap_n", "ci_level")
    return jsonable({"schema_version": SCHEMA_VERSION, "disease": disease, "prs": res,
                     "params": {k: P[k] for k in keys}, "provenance": _provenance(seed)})

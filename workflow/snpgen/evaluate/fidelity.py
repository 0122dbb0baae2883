"""Fidelity: allele frequencies, LD, PCA, heterozygosity/HWE and GWAS of the synthetic cohort.

Pure numpy functions work on int8 allele-count matrices (0/1/2, -1 missing, counted allele =
.bim column 5). The plink-calling functions are ``run_het_hardy`` and ``run_glm``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from ..stats import ld_pairs, ld_windows, r2_matrix  # noqa: F401 (re-exported)
from ..structure import (allele_frequencies, fit_clusters, fit_pca, het_from_genotypes,  # noqa: F401 (re-exported)
                         merge_components, pc_wasserstein, project, signal_pcs, standardise)

# --------------------------------------------------------------------------- allele frequencies


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan")
    r = stats.spearmanr(a[ok], b[ok]).statistic
    return float(r) if np.isfinite(r) else float("nan")


def af_metrics(G_real: np.ndarray, G_syn: np.ndarray) -> dict:
    """Per-SNP allele-frequency agreement: Pearson r, mean/max |dp|, MAF-based counts."""
    p_r = allele_frequencies(G_real)
    p_s = allele_frequencies(G_syn)
    dp = np.abs(p_r - p_s)
    maf_s = np.minimum(p_s, 1 - p_s)
    return {
        "correlation": _pearson(p_r, p_s),
        "mean_abs_diff": float(np.nanmean(dp)),
        "q95_abs_diff": float(np.nanquantile(dp, 0.95)),
        "max_abs_diff": float(np.nanmax(dp)),
        "n_snps": int(p_r.size),
        "n_monomorphic_synthetic": int(np.sum(maf_s == 0)),
    }


# --------------------------------------------------------------------------- LD


def ld_pair_distances(pos: np.ndarray, windows: list[np.ndarray]) -> np.ndarray:
    """bp distance of each pair returned by :func:`ld_pairs` (same order)."""
    pos = np.asarray(pos, dtype=np.int64)
    out = []
    for w in windows:
        iu = np.triu_indices(w.size, k=1)
        out.append(np.abs(pos[w][iu[1]] - pos[w][iu[0]]))
    return np.concatenate(out) if out else np.array([], dtype=np.int64)


def ld_strength_ratio(r2_real: np.ndarray, r2_syn: np.ndarray) -> float:
    """LD strength: mean synthetic r2 over mean real r2 on the same SNP pairs (1 = real strength,
    < 1 = LD too weak); NaN when real r2 is all 0 or there are no pairs."""
    real = float(np.mean(r2_real)) if np.size(r2_real) else 0.0
    return float(np.mean(r2_syn)) / real if real > 0 else float("nan")


def ld_metrics(G_real: np.ndarray, G_syn: np.ndarray, chrom: np.ndarray, pos: np.ndarray, *,
               window: int = 50, informative_r2: float = 0.1, min_informative_pairs: int = 20,
               decay_bins_kb=(0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000),
               return_arrays: bool = False) -> dict:
    """LD agreement on windows of neighbouring selected SNPs, and the LD-decay curve.

    ``correlation``: Pearson r between real and synthetic r2 over all within-window pairs
    (pairs with a monomorphic SNP in either set dropped). ``per_window_mean_correlation``: the
    mean of per-window correlations. ``strength_ratio``: :func:`ld_strength_ratio` over the same
    pairs. ``n_pairs_informative``: pairs with real r2 >=
    ``informative_r2``; when there are few, real LD is mostly sampling noise and the correlation
    says little (the verdict then marks the LD check not applicable). The decay curve gives mean
    r2 per bp-distance bin (``decay_bins_kb`` edges, last bin open-ended).
    """
    windows = ld_windows(chrom, window)
    r_real = ld_pairs(G_real, windows)
    r_syn = ld_pairs(G_syn, windows)
    dist = ld_pair_distances(pos, windows)
    ok = np.isfinite(r_real) & np.isfinite(r_syn)
    per_win = []
    start = 0
    for w in windows:
        m = w.size * (w.size - 1) // 2
        a, b = r_real[start:start + m], r_syn[start:start + m]
        start += m
        c = _pearson(a, b)
        if np.isfinite(c):
            per_win.append(c)
    informative = ok & (r_real >= informative_r2)
    edges = np.asarray(list(decay_bins_kb), dtype=float) * 1000.0
    edges = np.r_[edges, np.inf]
    decay = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = ok & (dist >= lo) & (dist < hi)
        decay.append({
            "bin_low_kb": float(lo / 1000.0),
            "bin_high_kb": float(hi / 1000.0) if np.isfinite(hi) else None,
            "n_pairs": int(m.sum()),
            "mean_r2_real": float(r_real[m].mean()) if m.any() else None,
            "mean_r2_synthetic": float(r_syn[m].mean()) if m.any() else None,
        })
    out = {
        "window": int(window),
        "n_windows": len(windows),
        "n_pairs": int(ok.sum()),
        "n_pairs_informative": int(informative.sum()),
        "informative_r2": informative_r2,
        "min_informative_pairs": int(min_informative_pairs),
        "correlation": _pearson(r_real[ok], r_syn[ok]),
        "correlation_informative": _pearson(r_real[informative], r_syn[informative]),
        "per_window_mean_correlation": float(np.mean(per_win)) if per_win else float("nan"),
        "mean_r2_real": float(r_real[ok].mean()) if ok.any() else float("nan"),
        "mean_r2_synthetic": float(r_syn[ok].mean()) if ok.any() else float("nan"),
        "strength_ratio": ld_strength_ratio(r_real[ok], r_syn[ok]),
        "mean_abs_r2_diff": float(np.abs(r_real[ok] - r_syn[ok]).mean()) if ok.any() else float("nan"),
        "decay": decay,
    }
    if return_arrays:
        # the window with the most real LD, for the heatmap figure
        # among the fullest windows (a 3-SNP tail window at a chromosome end says little)
        full = [w for w in windows if w.size >= min(window, max(x.size for x in windows)) // 2]
        best, best_w = -1.0, None
        for w in full:
            R = r2_matrix(G_real[:, w])
            v = np.nanmean(R[np.triu_indices(w.size, 1)])
            if np.isfinite(v) and v > best:
                best, best_w = v, w
        out["_arrays"] = {
            "r2_real": r_real, "r2_syn": r_syn, "dist": dist,
            "heatmap_window": best_w,
            "heatmap_real": r2_matrix(G_real[:, best_w]) if best_w is not None else None,
            "heatmap_syn": r2_matrix(G_syn[:, best_w]) if best_w is not None else None,
        }
    return out


# --------------------------------------------------------------------------- PCA


def pca_metrics(pc_real: np.ndarray, pc_syn: np.ndarray, pc_holdout: np.ndarray | None = None,
                explained: np.ndarray | None = None, w_real: np.ndarray | None = None,
                w_holdout: np.ndarray | None = None) -> dict:
    """Per-PC 1-D Wasserstein distance real-train vs synthetic, in units of the real PC's SD.

    With ``pc_holdout`` (real test projected on the same PCs) the same distance real-train vs
    held-out real is given as the sampling-noise reference. ``w_real`` / ``w_holdout``: weights of
    the real people (:func:`case_fraction_weights`).
    """
    w_syn = pc_wasserstein(pc_real, pc_syn, w_real)
    out = {
        "n_pcs": int(pc_real.shape[1]),
        "wasserstein_synthetic": w_syn,
        "mean_wasserstein_synthetic": float(np.mean(w_syn)),
        "units": "SD of the real training PC score",
    }
    if pc_holdout is not None:
        w_h = pc_wasserstein(pc_real, pc_holdout, w_real, w_holdout)
        out["wasserstein_holdout"] = w_h
        out["mean_wasserstein_holdout"] = float(np.mean(w_h))
    if explained is not None:
        out["explained_variance_ratio"] = [float(x) for x in explained]
    return out


# --------------------------------------------------------------------------- heterozygosity / HWE


def het_hwe_summary(F: np.ndarray, hwe_p: np.ndarray, hwe_threshold: float = 1e-6) -> dict:
    """Summaries of per-individual inbreeding F (plink --het) and per-SNP HWE p (plink --hardy)."""
    F = np.asarray(F, dtype=float)
    F = F[np.isfinite(F)]
    hp = np.asarray(hwe_p, dtype=float)
    hp = hp[np.isfinite(hp)]
    qs = (0.05, 0.25, 0.5, 0.75, 0.95)
    return {
        "het_F_mean": float(F.mean()) if F.size else None,
        "het_F_sd": float(F.std()) if F.size else None,
        "het_F_quantiles": {f"q{int(q * 100):02d}": float(np.quantile(F, q)) for q in qs} if F.size else None,
        "hwe_frac_below": float(np.mean(hp < hwe_threshold)) if hp.size else None,
        "hwe_threshold": hwe_threshold,
        "hwe_median_neglog10p": float(np.median(-np.log10(np.maximum(hp, 1e-300)))) if hp.size else None,
        "n_snps_hwe": int(hp.size),
    }


def het_f_distance(F_real: np.ndarray, F_other: np.ndarray) -> dict:
    """Per-individual inbreeding F of another cohort against the real training one: 1-D
    Wasserstein distance of the two F distributions and the mean difference (other - real).
    |mean_diff| <= wasserstein always holds."""
    a = np.asarray(F_real, dtype=float)
    b = np.asarray(F_other, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if not (a.size and b.size):
        return {"wasserstein": None, "mean_diff": None}
    return {"wasserstein": float(stats.wasserstein_distance(a, b)), "mean_diff": float(b.mean() - a.mean())}


def het_hwe_metrics(real_train: tuple, synthetic: tuple, real_test: tuple | None = None,
                    hwe_threshold: float = 1e-6) -> dict:
    """``fidelity.het_hwe``: :func:`het_hwe_summary` of each cohort's (F, HWE p) pair (from
    :func:`run_het_hardy`) and ``f_distance``: :func:`het_f_distance` of synthetic, and of the
    held-out real people (``holdout_`` keys, the sampling-noise reference), to real train."""
    cohorts = {"real_train": real_train, "synthetic": synthetic, "real_test": real_test}
    out: dict = {k: het_hwe_summary(*v, hwe_threshold) for k, v in cohorts.items() if v is not None}
    out["f_distance"] = het_f_distance(real_train[0], synthetic[0])
    if real_test is not None:
        out["f_distance"].update({f"holdout_{k}": v for k, v in het_f_distance(real_train[0], real_test[0]).items()})
    return out


def maf_summary(alt_freq: np.ndarray, maf_threshold: float = 0.01) -> dict:
    """Minor-allele-frequency distribution of one fileset (plink2 --freq ALT_FREQS)."""
    f = np.asarray(alt_freq, dtype=float)
    maf = np.minimum(f, 1 - f)[np.isfinite(f)]
    if not maf.size:
        return {"maf_frac_below": None, "maf_threshold": maf_threshold, "maf_median": None, "maf_mean": None,
                "n_monomorphic": 0}
    return {"maf_frac_below": float(np.mean(maf < maf_threshold)), "maf_threshold": maf_threshold,
            "maf_median": float(np.median(maf)), "maf_mean": float(maf.mean()),
            "n_monomorphic": int(np.sum(maf == 0))}


def maf_metrics(alt_real: np.ndarray, alt_syn: np.ndarray, alt_holdout: np.ndarray | None = None,
                maf_threshold: float = 0.01) -> dict:
    """plink2 --freq of synthetic (and held-out real) against real train: MAF summaries per
    cohort and the per-SNP MAF correlation with real train (alleles in the same .bim order)."""
    cohorts = {"real_train": alt_real, "synthetic": alt_syn}
    if alt_holdout is not None:
        cohorts["real_test"] = alt_holdout
    out: dict = {k: maf_summary(f, maf_threshold) for k, f in cohorts.items()}
    maf = {k: np.minimum(np.asarray(f, float), 1 - np.asarray(f, float)) for k, f in cohorts.items()}
    out["correlation"] = _pearson(maf["real_train"], maf["synthetic"])
    if alt_holdout is not None:
        out["holdout_correlation"] = _pearson(maf["real_train"], maf["real_test"])
    out["source"] = "plink2 --freq"
    return out


def _read_plink_table(path: str | Path) -> pl.DataFrame:
    path = Path(path)
    with open(path) as fh:
        header = fh.readline().lstrip("#").split()
        rows = [line.split() for line in fh if line.strip()]
    return pl.DataFrame(rows, schema=header, orient="row") if rows else pl.DataFrame(schema=header)


def run_het_hardy(bfile: str | Path, out: str | Path, *, threads: int = 1,
                  memory_mb: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """plink2 --het --hardy --freq on a fileset; returns (per-individual F, per-SNP HWE exact p).

    The allele frequencies are left in ``{out}.afreq`` for :func:`read_alt_freq`.
    """
    from ..plink import plink2

    plink2(["--bfile", bfile, "--het", "--hardy", "--freq"], out, threads=threads, memory_mb=memory_mb)
    het = _read_plink_table(f"{out}.het")
    hardy = _read_plink_table(f"{out}.hardy")
    F = het["F"].cast(pl.Float64, strict=False).to_numpy() if het.height else np.array([])
    P = hardy["P"].cast(pl.Float64, strict=False).to_numpy() if hardy.height else np.array([])
    return F, P


def hwe_split_half(bfile: str | Path, out: str | Path, *, reps: int = 4, hwe_threshold: float = 1e-6,
                   seed: int = 0, threads: int = 1, memory_mb: int | None = None) -> dict:
    """How far the HWE failure share moves between two random halves of the same real people:
    ``reps`` random splits of ``bfile``'s people, plink2 ``--hardy`` on each half. ``diff_sd``: SD
    of (share in half A - share in half B), the noise a "synthetic share <= real share + margin"
    comparison sits in (on a multi-ancestry cohort, where the Wahlund effect makes many SNPs fail,
    it is much larger than on a homogeneous one)."""
    from ..io import read_fam
    from ..plink import plink2

    prefix = str(bfile)[:-4] if str(bfile).endswith(".bed") else str(bfile)
    fam = read_fam(prefix).select("FID", "IID").rows()
    rng = np.random.default_rng([int(seed), 18])
    half = len(fam) // 2
    diffs = []
    for r in range(int(reps)):
        perm = rng.permutation(len(fam))
        shares = []
        for part, idx in (("a", perm[:half]), ("b", perm[half:2 * half])):
            hp = hardy_p_subset(prefix, idx, f"{out}.{r}{part}", threads=threads, memory_mb=memory_mb)
            shares.append(float(np.mean(hp[np.isfinite(hp)] < hwe_threshold)))
        diffs.append(shares[0] - shares[1])
    d = np.asarray(diffs)
    return {"reps": int(reps), "half_size": int(half), "diff_sd": float(np.sqrt(np.mean(d ** 2))),
            "diff_abs_mean": float(np.mean(np.abs(d)))}


def hwe_resampled(bfile: str | Path, *, reps: int = 4, hwe_threshold: float = 1e-6, seed: int = 0) -> dict:
    """The HWE failure share of ``reps`` bootstrap resamples of ``bfile``'s people (same size, with
    replacement; the exact test of :func:`snpgen.stats.hwe_exact_p`, equal to plink2 --hardy's).
    A resample has the real people's genotype frequencies plus fresh sampling noise, as a faithful
    generator's cohort would: on a pooled-ancestry cohort, where many SNPs sit near the test's
    threshold by the Wahlund effect, its share is above the real one (benchmarks/README.md section
    3, session 14), and it is the level a synthetic cohort can be expected to reach."""
    from ..io import read_genotypes
    from ..stats import resampled_hwe_shares

    G = read_genotypes(str(bfile)[:-4] if str(bfile).endswith(".bed") else bfile)
    shares = resampled_hwe_shares(G, hwe_threshold, reps=reps, seed=seed)
    return {"reps": int(reps), "hwe_frac_below_mean": float(np.mean(shares)),
            "hwe_frac_below_sd": float(np.std(shares, ddof=1)) if len(shares) > 1 else 0.0}


def hardy_p_subset(bfile: str | Path, idx, out: str | Path, *, threads: int = 1,
                   memory_mb: int | None = None) -> np.ndarray:
    """plink2 ``--hardy`` exact-test p-values of the people at rows ``idx`` of ``bfile`` only."""
    from ..io import read_fam
    from ..plink import plink2

    prefix = str(bfile)[:-4] if str(bfile).endswith(".bed") else str(bfile)
    fam = read_fam(prefix).select("FID", "IID").rows()
    keep = Path(f"{out}.keep")
    keep.write_text("".join(f"{fam[i][0]}\t{fam[i][1]}\n" for i in sorted(int(i) for i in idx)))
    plink2(["--bfile", prefix, "--keep", keep, "--hardy"], out, threads=threads, memory_mb=memory_mb)
    return _read_plink_table(f"{out}.hardy")["P"].cast(pl.Float64, strict=False).to_numpy()


def read_alt_freq(out: str | Path) -> np.ndarray:
    """ALT allele frequencies per SNP from the ``{out}.afreq`` that :func:`run_het_hardy` wrote."""
    t = _read_plink_table(f"{out}.afreq")
    return t["ALT_FREQS"].cast(pl.Float64, strict=False).to_numpy() if t.height else np.array([])


# --------------------------------------------------------------------------- GWAS


def read_glm(path: str | Path) -> pl.DataFrame:
    """Read plink2 --glm output: ADD rows, columns ID, A1, BETA (log OR for logistic), SE, P.

    Handles logistic (OR) and linear (BETA) files; rows with P = NA are dropped.
    The reader is :func:`snpgen.gwas.read_glm`; this keeps the columns the evaluation uses.
    """
    from ..gwas import read_glm as _read_glm

    return _read_glm(path, tested_only=True).select("ID", "A1", "BETA", "SE", "P")


def align_betas(glm: pl.DataFrame, bim: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Betas (for the .bim column-5 allele) and p-values in .bim order; NaN where not tested."""
    g = glm.unique(subset="ID", keep="first")
    j = bim.select("ID", "A1", "A2").join(g.rename({"A1": "A1_glm"}), on="ID", how="left")
    sign = np.where(j["A1_glm"].to_numpy() == j["A1"].to_numpy(), 1.0,
                    np.where(j["A1_glm"].to_numpy() == j["A2"].to_numpy(), -1.0, np.nan))
    beta = j["BETA"].fill_null(np.nan).to_numpy().astype(float) * sign
    p = j["P"].fill_null(np.nan).to_numpy().astype(float)
    return beta, p


def gwas_comparison(beta_real: np.ndarray, p_real: np.ndarray, beta_syn: np.ndarray,
                    p_syn: np.ndarray, p_sig: float = 5e-8) -> dict:
    """Synthetic-cohort GWAS against the real training GWAS over the selected SNPs."""
    ok = np.isfinite(beta_real) & np.isfinite(beta_syn)
    sig = ok & np.isfinite(p_real) & (p_real < p_sig)
    same = np.sign(beta_real) == np.sign(beta_syn)
    return {
        "n_snps_compared": int(ok.sum()),
        "beta_correlation": _pearson(beta_real[ok], beta_syn[ok]),
        "beta_spearman": _spearman(beta_real[ok], beta_syn[ok]),
        "sign_concordance": float(same[ok].mean()) if ok.any() else float("nan"),
        "sign_concordance_real_significant": float(same[sig].mean()) if sig.any() else None,
        "n_real_significant": int(sig.sum()),
        "real_significance_level": p_sig,
        "neglog10p_correlation": _pearson(-np.log10(np.maximum(p_real[ok], 1e-300)),
                                          -np.log10(np.maximum(p_syn[ok], 1e-300))),
        "regression_slope_syn_on_real": (float(np.polyfit(beta_real[ok], beta_syn[ok], 1)[0])
                                         if ok.sum() >= 3 and np.std(beta_real[ok]) > 0 else None),
    }


def causal_recovery(p: np.ndarray, ids: np.ndarray, causal_ids, level: float) -> dict:
    """TPR / FDR of significance (p < level) for known causal SNPs among the SNPs in ``ids``.

    TPR = significant causal / causal present; FDR = significant non-causal / significant.
    Non-causal SNPs in LD with a causal one count as false discoveries (stated in docs).
    """
    ids = np.asarray(ids).astype(str)
    p = np.asarray(p, float)
    causal = np.isin(ids, np.asarray(list(causal_ids)).astype(str))
    sig = np.isfinite(p) & (p < level)
    n_sig = int(sig.sum())
    return {
        "level": float(level),
        "n_causal_in_set": int(causal.sum()),
        "n_significant": n_sig,
        "n_true_positive": int((sig & causal).sum()),
        "tpr": float((sig & causal).sum() / causal.sum()) if causal.any() else None,
        "fdr": float((sig & ~causal).sum() / n_sig) if n_sig else None,
    }


def run_glm(bfile: str | Path, out: str | Path, *, threads: int = 1,
            memory_mb: int | None = None, covar: str | Path | None = None) -> Path:
    """plink2 --glm (logistic, firth-fallback) on a fileset's .fam PHENO (2/1); no covariates, or
    those of the ``covar`` table (``#FID IID`` + columns; variance-standardised by plink2).

    Returns the path of the table plink2 wrote (:func:`snpgen.gwas.plink_glm_path`).
    """
    from ..gwas import plink_glm_path
    from ..plink import plink2

    cov = ["--covar", covar, "--covar-variance-standardize"] if covar else []
    plink2(["--bfile", bfile, *cov, "--glm", *([] if covar else ["allow-no-covars"]), "firth-fallback",
            "hide-covar"], out, threads=threads, memory_mb=memory_mb)
    path = plink_glm_path(out, "firth-fallback", pheno="PHENO1")   # plink2 names the .fam phenotype PHENO1
    if not path.exists():
        raise FileNotFoundError(f"plink2 --glm wrote no {path.name} next to {out}")
    return path


# --------------------------------------------------------------------------- population structure

STRUCTURE_SETS = ("real_train", "synthetic", "holdout")
CLASSES = {"overall": None, "case": 1, "control": 0}


def cluster_proportions(cluster: np.ndarray, n_clusters: int, weights: np.ndarray | None = None) -> np.ndarray:
    """(Weighted) fraction of individuals in each cluster (NaN for an empty set)."""
    counts = np.bincount(np.asarray(cluster, dtype=np.int64), weights=weights, minlength=n_clusters)
    return counts / counts.sum() if counts.sum() else np.full(n_clusters, np.nan)


def case_fraction(y: np.ndarray) -> float | None:
    """Share of cases among the labelled people of ``y`` (1 case, 0 control, -1 unknown); None
    when nobody is labelled."""
    y = np.asarray(y)
    return float(np.mean(y[y >= 0] == 1)) if (y >= 0).any() else None


def case_fraction_weights(y: np.ndarray, target: float | None) -> np.ndarray:
    """Weights that give the labelled people ``y`` (1 case, 0 control, -1 unknown: weight 1) the case
    fraction ``target`` (None: all 1): how a real cohort with the synthetic cohort's case fraction
    would look (an augmented cohort's extra cases shift the PCs that carry the disease signal)."""
    y = np.asarray(y)
    w = np.ones(y.size)
    f = case_fraction(y)
    if f is not None and 0.0 < f < 1.0 and target is not None and 0.0 <= target <= 1.0:
        w[y == 1], w[y == 0] = target / f, (1.0 - target) / (1.0 - f)
    return w


def _class_proportions(cluster: dict, labels: dict, cls, n_clusters: int, min_count: int,
                       weights: dict | None = None) -> dict:
    """Proportions per set (real ones suppressed per cluster below ``min_count`` people; ``weights``
    per set for the overall ones) and the largest absolute difference of synthetic and held-out
    from real train (computed unsuppressed)."""
    props, shown = {}, {}
    for s in STRUCTURE_SETS:
        keep = np.ones(cluster[s].size, bool) if cls is None else labels[s] == cls
        w = (weights or {}).get(s) if cls is None else None
        props[s] = cluster_proportions(cluster[s][keep], n_clusters, None if w is None else w[keep])
        counts = np.bincount(cluster[s][keep], minlength=n_clusters)
        small = (counts < min_count) if s != "synthetic" else np.zeros(n_clusters, bool)
        shown[s] = [None if hide else float(p) for p, hide in zip(props[s], small)]
    out = {"proportions": shown}
    for s in ("synthetic", "holdout"):
        d = np.abs(props[s] - props["real_train"])
        out[f"max_abs_diff_{s}"] = float(np.max(d)) if np.isfinite(d).all() else None
    return out


def population_af_agreement(G: dict, cluster: dict, ancestry: np.ndarray, cluster_population: list,
                            min_count: int = 10) -> dict:
    """Per true population: allele frequencies of the synthetic (and held-out) people assigned to
    that population's cluster(s) against the real training people of that population.

    ``G``/``cluster``: genotypes and cluster of each set (STRUCTURE_SETS); ``ancestry``: true
    population of each real training row ("" = unknown); ``cluster_population``: majority population per
    cluster. A population with fewer than ``min_count`` real training people is reported with
    its counts suppressed and no agreement numbers.
    """
    out = {}
    for pop in sorted(set(ancestry.tolist()) - {""}):
        real = ancestry == pop
        clusters = [c for c, p in enumerate(cluster_population) if p == pop]
        rec = {"clusters": [c + 1 for c in clusters], "n_real_train": _suppressed(real.sum(), min_count)}
        for s in ("synthetic", "holdout"):
            mine = np.isin(cluster[s], clusters)
            n = int(mine.sum())
            rec[f"n_{s}"] = n if s == "synthetic" else _suppressed(n, min_count)
            ok = real.sum() >= min_count and n >= (1 if s == "synthetic" else min_count)
            af = af_metrics(G["real_train"][real], G[s][mine]) if ok else {}
            rec[s] = {"correlation": af.get("correlation"), "mean_abs_diff": af.get("mean_abs_diff")}
        out[str(pop)] = rec
    return out


def _suppressed(n, min_count: int):
    return int(n) if n >= min_count else None


def structure_metrics(pcs: dict, labels: dict, *, n_pcs: int = 4, max_clusters: int = 6,
                      min_count: int = 10, seed: int = 0, genotypes: dict | None = None,
                      ancestry: np.ndarray | None = None, eigenvalues: np.ndarray | None = None,
                      eigen_ratio: float = 0.0, merge_ratio: float | None = None) -> dict:
    """Population-structure fidelity (``fidelity.structure`` in docs/metrics.md).

    ``pcs``/``labels`` (and ``genotypes``): PC scores on the real-training PCA, 0/1 case labels
    (-1 unknown) and genotypes of each set in STRUCTURE_SETS, rows aligned. Leading-PC distances
    (PC1..PC``n_pcs``, Wasserstein in SD units, synthetic and held-out); clusters fitted on the
    real-training scores (:func:`fit_clusters`), every set assigned to its most probable cluster;
    cluster proportions overall and per class. The real people (train and held-out) are weighted
    to the synthetic cohort's case fraction (:func:`case_fraction_weights`; 1 for a matched
    cohort), so the distances and overall proportions ask whether the synthetic cohort has the
    structure of a real cohort with its case fraction. With ``ancestry`` (true population of each real
    training row) each cluster is named after its majority population and the per-population
    allele-frequency agreement is added (:func:`population_af_agreement`). With ``eigenvalues`` (of
    the real-training PCA, 10 or more) and ``eigen_ratio``, the clusters use only the leading PCs that
    stand out of the eigenvalue bulk (:func:`snpgen.structure.signal_pcs`, as the model's clusters):
    populations, not splits of a continuous LD direction (on the demo a 4-PC mixture cut EUR into
    three, and held-out real people then missed the 0.03 share limit); none standing out = one cluster.
    With ``merge_ratio``, mixture components joined by no density dip (:func:`snpgen.structure.
    merge_components`) are one cluster: at 20,000 people BIC fits one population's skewed PC1-PC2
    cloud with three components, and a cloud 11-18 % wider on one PC moved 0.05 of the people
    between them.
    """
    k = int(min(n_pcs, pcs["real_train"].shape[1]))
    lead = {s: np.asarray(pcs[s])[:, :k] for s in STRUCTURE_SETS}
    f = case_fraction(labels["synthetic"])
    w = {s: case_fraction_weights(labels[s], f) for s in ("real_train", "holdout")}
    d = pca_metrics(lead["real_train"], lead["synthetic"], lead["holdout"], w_real=w["real_train"],
                    w_holdout=w["holdout"])
    out = {"n_pcs": k, "pc_distance_synthetic": d["wasserstein_synthetic"],
           "pc_distance_holdout": d["wasserstein_holdout"], "units": d["units"],
           "real_weighted_to_case_fraction": None if f is None else round(f, 4)}
    kc = signal_pcs(eigenvalues, k, eigen_ratio) if eigen_ratio and eigenvalues is not None else k
    if kc:
        gm = fit_clusters(lead["real_train"][:, :kc], max_clusters=max_clusters, min_size=min_count, seed=seed)
        mode = merge_components(gm, merge_ratio)
        cluster = {s: mode[gm.predict(lead[s][:, :kc])] for s in STRUCTURE_SETS}
        c, n_comp = int(mode.max()) + 1, int(gm.n_components)
    else:
        cluster = {s: np.zeros(len(lead[s]), dtype=np.int64) for s in STRUCTURE_SETS}
        c = n_comp = 1
    fit = (f"modes of a gaussian mixture on PC1..PC{kc} of real train: components by BIC, joined where their "
           f"density does not dip between them (ridgeline ratio >= {merge_ratio:g})" if merge_ratio is not None
           else f"gaussian mixture on PC1..PC{kc} of real train, number by BIC")
    cl = {"method": fit if kc else "one cluster: no leading PC stands out of the eigenvalue bulk",
          "n_clusters": c, "n_components": n_comp, "n_pcs": kc}
    for name, cls in CLASSES.items():
        cl[name] = _class_proportions(cluster, labels, cls, c, min_count, w)
    for s in ("synthetic", "holdout"):
        cl[f"within_pc_distance_{s}"] = _within_cluster_distances(lead, cluster, c, w, s, min_count)
    out["clusters"] = cl
    if ancestry is not None and genotypes is not None:
        ancestry = np.asarray(ancestry).astype(str)
        majority = [_majority(ancestry[cluster["real_train"] == j]) for j in range(c)]
        cl["population"] = majority
        out["ancestry"] = population_af_agreement(genotypes, cluster, ancestry, majority, min_count)
    return out


def _within_cluster_distances(lead: dict, cluster: dict, n_clusters: int, weights: dict, other: str,
                              min_count: int) -> list:
    """Per cluster: the leading PCs' Wasserstein distances between the real training people of the
    cluster and the ``other`` set's people in it, in SD of the cluster's own real-train score (a
    population's cloud is 5-13 times narrower than the cohort's on PC1, so a shift inside it hides in
    the whole-cohort distance). None for a cluster with fewer than ``min_count`` people on either side."""
    out, wb = [], weights.get(other)
    for j in range(n_clusters):
        a, b = cluster["real_train"] == j, cluster[other] == j
        if a.sum() < min_count or b.sum() < min_count:
            out.append(None)
            continue
        out.append(pc_wasserstein(lead["real_train"][a], lead[other][b], weights["real_train"][a],
                                  None if wb is None else wb[b]))
    return out


def _majority(names: np.ndarray):
    if names.size == 0:
        return None
    values, counts = np.unique(names, return_counts=True)
    return str(values[np.argmax(counts)])

"""Privacy metrics: identical matches, DCR, NNAA, distance-based membership inference, KING.

Notation (docs/metrics.md): T = real training split, H = held-out real individuals (test
split), S = synthetic cohort; d_XY = distance from each record of X to its nearest record of Y
(a record is never its own neighbour when X is Y).

Threat model: an attacker holding a target's full genotype over the selected SNPs and the
released synthetic cohort, trying to learn whether the target was in the training split. These
metrics are empirical; they give no formal (differential-privacy) guarantee.

All genotype matrices are int8 (individuals x SNPs) allele counts 0/1/2 with -1 = missing
(snpgen.io convention). Distances need complete matrices: call :func:`impute_mode` first, with
the per-SNP mode of the training split applied to every set.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from ..report import MIN_COUNT
from .utility import auc as _auc

# --------------------------------------------------------------------------- preprocessing


def column_modes(G: np.ndarray) -> np.ndarray:
    """Most common non-missing genotype (0/1/2) per column; ties go to the smaller value."""
    G = np.asarray(G)
    counts = np.stack([(G == k).sum(axis=0) for k in (0, 1, 2)])
    return counts.argmax(axis=0).astype(np.int8)


def impute_mode(G: np.ndarray, modes: np.ndarray | None = None) -> np.ndarray:
    """``G`` (int8) with missing calls (-1) replaced by ``modes`` (default: G's own column modes).

    Never modifies ``G``: with missing calls the result is a copy; without any (a synthetic
    cohort, a QC'd cohort with full call rates) ``G`` itself comes back when it is already int8,
    so three cohorts in memory do not become six.
    """
    G = np.asarray(G)
    if G.dtype != np.int8:
        G = G.astype(np.int8)
    if G.size == 0 or G.min() >= 0:  # min() allocates nothing, unlike a full-size mask
        return G
    G = G.copy()
    miss = G < 0
    if modes is None:
        modes = column_modes(G)
    G[miss] = np.broadcast_to(np.asarray(modes, dtype=np.int8), G.shape)[miss]
    return G


def subsample_rows(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted index of ``min(n, k)`` rows drawn without replacement."""
    if k >= n:
        return np.arange(n)
    return np.sort(rng.choice(n, size=k, replace=False))


# --------------------------------------------------------------------------- distances


def _features(G: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray, float]:
    """0/1 indicator features F, per-row offsets c and a scale with d(x, y) = c_x + c_y - scale F_x.F_y.

    manhattan on {0,1,2}: |a-b| = a + b - 2 min(a, b), min(a, b) = [a>=1][b>=1] + [a>=2][b>=2].
    hamming: #(a != b) = L - sum_k [a==k][b==k] = L/2 + L/2 - matches.
    """
    if metric == "manhattan":
        F = np.concatenate([(G >= 1), (G >= 2)], axis=1).astype(np.float32)
        c = G.sum(axis=1, dtype=np.int64).astype(np.float64)
        return F, c, 2.0
    if metric == "hamming":
        F = np.concatenate([(G == 0), (G == 1), (G == 2)], axis=1).astype(np.float32)
        c = np.full(G.shape[0], G.shape[1] / 2.0)
        return F, c, 1.0
    raise ValueError(f"unknown distance metric {metric!r} (manhattan or hamming)")


def nearest_distances(X: np.ndarray, Y: np.ndarray | None = None, *, metric: str = "manhattan",
                      chunk: int = 2048, exclude_self: bool = False) -> np.ndarray:
    """Distance from each row of ``X`` to its nearest row of ``Y`` (``Y=None``: Y is X).

    Genotypes must be complete 0/1/2 (see :func:`impute_mode`). Computed block by block
    (``chunk`` rows of X times ``chunk`` rows of Y) with a float32 matrix product on 0/1
    indicators, exact for up to 2**23 SNPs, keeping only the running minimum, so memory is
    O(chunk * (chunk + L)) whatever the sizes. ``exclude_self`` (only with Y=None) skips the
    pair (i, i) but not other identical rows. Returns int64 distances of shape (len(X),);
    -1 where no neighbour exists (a single row with exclude_self).
    """
    X = np.asarray(X)
    same = Y is None
    if same:
        Y = X
    else:
        Y = np.asarray(Y)
        if exclude_self:
            raise ValueError("exclude_self needs Y=None (the same set)")
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1]:
        raise ValueError(f"shape mismatch {X.shape} vs {Y.shape}")
    if (X < 0).any() or (Y < 0).any():
        raise ValueError("missing calls present; impute them (impute_mode) before computing distances")
    if Y.shape[0] == 0:
        raise ValueError("empty reference set")
    chunk = max(1, int(chunk))
    nx, ny = X.shape[0], Y.shape[0]
    best = np.full(nx, np.inf)
    for i0 in range(0, nx, chunk):
        i1 = min(nx, i0 + chunk)
        Fx, cx, scale = _features(X[i0:i1], metric)
        for j0 in range(0, ny, chunk):
            j1 = min(ny, j0 + chunk)
            Fy, cy, _ = _features(Y[j0:j1], metric)
            d = (cx[:, None] + cy[None, :]) - scale * (Fx @ Fy.T).astype(np.float64)
            if same and exclude_self and i0 < j1 and j0 < i1:
                ii = np.arange(max(i0, j0), min(i1, j1))
                d[ii - i0, ii - j0] = np.inf
            np.minimum(best[i0:i1], d.min(axis=1), out=best[i0:i1])
    out = np.where(np.isfinite(best), np.rint(best), -1).astype(np.int64)
    return out


# --------------------------------------------------------------------------- identical matches


def _row_keys(G: np.ndarray) -> list[bytes]:
    G = np.ascontiguousarray(np.asarray(G, dtype=np.int8))
    return [G[i].tobytes() for i in range(G.shape[0])]


def identical_match_count(S: np.ndarray, T: np.ndarray) -> int:
    """Number of rows of S equal (all SNPs) to some row of T; exact, O(N) by hashing rows."""
    if S.shape[1] != T.shape[1]:
        raise ValueError("S and T must have the same SNPs")
    keys = set(_row_keys(T))
    return int(sum(k in keys for k in _row_keys(S)))


def identical_match_rate(S: np.ndarray, T: np.ndarray) -> float:
    """Fraction of rows of S identical to some row of T (target 0)."""
    if S.shape[0] == 0:
        return float("nan")
    return identical_match_count(S, T) / S.shape[0]


# --------------------------------------------------------------------------- DCR


def _quantiles(x: np.ndarray, qs=(0.05, 0.25, 0.5, 0.75, 0.95)) -> dict:
    x = np.asarray(x, dtype=float)
    return {f"q{int(round(q * 100)):02d}": float(np.quantile(x, q)) for q in qs}


def dcr_summary(d_st: np.ndarray, d_ht: np.ndarray) -> dict:
    """Compare distances to closest record S->T against H->T (the same T reference).

    Returns the KS and two-sided Mann-Whitney tests, the fraction of d_ST below the 5th
    percentile of d_HT (about 0.05 when S is no closer to T than unseen real people), and
    quantiles (no minima/maxima, which would describe single individuals).
    """
    d_st = np.asarray(d_st, dtype=float)
    d_ht = np.asarray(d_ht, dtype=float)
    p5 = float(np.quantile(d_ht, 0.05))
    ks = stats.ks_2samp(d_st, d_ht)
    mw = stats.mannwhitneyu(d_st, d_ht, alternative="two-sided")
    return {
        "n_s": int(d_st.size),
        "n_h": int(d_ht.size),
        "d_st_mean": float(d_st.mean()),
        "d_ht_mean": float(d_ht.mean()),
        "d_st_quantiles": _quantiles(d_st),
        "d_ht_quantiles": _quantiles(d_ht),
        "d_ht_p05": p5,
        "frac_d_st_below_d_ht_p05": float(np.mean(d_st < p5)),
        "frac_d_st_zero": float(np.mean(d_st == 0)),
        "ks_statistic": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
        "mannwhitney_u": float(mw.statistic),
        "mannwhitney_pvalue": float(mw.pvalue),
        # P(d_ST < d_HT) for random pairs (0.5 when exchangeable; < 0.5 when S sits closer to T)
        "mannwhitney_auc": float(mw.statistic / (d_st.size * d_ht.size)),
    }


# --------------------------------------------------------------------------- NNAA


def _gt(a: np.ndarray, b: np.ndarray, tie_weight: float) -> float:
    return float(np.mean(_indicator(a, b, tie_weight)))


def _indicator(a: np.ndarray, b: np.ndarray, tie_weight: float) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return (a > b) + tie_weight * (a == b)


def nnaa_bootstrap(d: dict, tie_weight: float = 0.5, n_boot: int = 1000, seed: int = 0,
                   level: float = 0.95) -> dict:
    """Percentile CIs of AA_TS (T reference) and privacy loss, resampling each indicator vector.

    ``d`` holds the nearest distances of :func:`distance_privacy` (keys ts, tt, st, ss, hs, hh, sh).
    An approximation (nearest-neighbour indicators are not independent) that shows the
    sampling noise of these means, about 0.7 / sqrt(n) for the privacy loss.
    """
    rng = np.random.default_rng(seed)
    ind = {
        "t_truth": _indicator(d["ts"], d["tt"], tie_weight), "t_syn": _indicator(d["st"], d["ss"], tie_weight),
        "h_truth": _indicator(d["hs"], d["hh"], tie_weight), "h_syn": _indicator(d["sh"], d["ss"], tie_weight),
    }
    n = len(d["ts"])
    means = {k: v[rng.integers(0, n, size=(n_boot, n))].mean(axis=1) for k, v in ind.items()}
    aa_t = (means["t_truth"] + means["t_syn"]) / 2
    aa_h = (means["h_truth"] + means["h_syn"]) / 2
    a = (1 - level) / 2
    q = lambda x: [float(v) for v in np.quantile(x, [a, 1 - a])]  # noqa: E731
    return {"aa_ts_ci": q(aa_t), "privacy_loss_ci": q(aa_h - aa_t), "n_bootstrap": n_boot, "ci_level": level}


def nnaa_from_distances(d_rs: np.ndarray, d_rr: np.ndarray, d_sr: np.ndarray, d_ss: np.ndarray,
                        tie_weight: float = 0.5) -> dict:
    """Nearest-neighbour adversarial accuracy with R as the real reference set.

    AA_truth = mean(d_RS > d_RR), AA_syn = mean(d_SR > d_SS), AA = (AA_truth + AA_syn) / 2.
    Ties (frequent with integer distances) count ``tie_weight`` (0.5 keeps AA = 0.5 exactly
    exchangeable; 0 is the strict definition of Yale et al.).
    """
    aa_truth = _gt(d_rs, d_rr, tie_weight)
    aa_syn = _gt(d_sr, d_ss, tie_weight)
    return {"aa_truth": aa_truth, "aa_syn": aa_syn, "aa_ts": (aa_truth + aa_syn) / 2.0}


# --------------------------------------------------------------------------- MIA


def mia_distance(d_member: np.ndarray, d_nonmember: np.ndarray, fpr_level: float = 0.01) -> dict:
    """Distance-based membership inference: score -d(x, S), members (T) vs non-members (H).

    Returns AUC (0.5 = no leakage) and the TPR at ``fpr_level`` FPR: the fraction of members
    whose score strictly exceeds the (1 - fpr_level) quantile of the non-member scores, with
    ties at that threshold counted in proportion so that the FPR is exactly ``fpr_level``.
    """
    sm = -np.asarray(d_member, dtype=float)
    sn = -np.asarray(d_nonmember, dtype=float)
    y = np.r_[np.ones(sm.size), np.zeros(sn.size)]
    auc = _auc(y, np.r_[sm, sn])
    thr = float(np.quantile(sn, 1.0 - fpr_level, method="higher"))
    above_n = float(np.mean(sn > thr))
    at_n = float(np.mean(sn == thr))
    frac = 0.0 if at_n == 0 else max(0.0, min(1.0, (fpr_level - above_n) / at_n))
    tpr = float(np.mean(sm > thr) + frac * np.mean(sm == thr))
    return {"auc": auc, "tpr_at_fpr": tpr, "fpr_level": fpr_level,
            "n_members": int(sm.size), "n_nonmembers": int(sn.size)}


def roc_points_mia(d_member: np.ndarray, d_nonmember: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC curve (fpr, tpr) of the distance attack, for figures."""
    from .utility import roc_points
    y = np.r_[np.ones(len(d_member)), np.zeros(len(d_nonmember))]
    return roc_points(y, -np.r_[np.asarray(d_member, float), np.asarray(d_nonmember, float)])


# --------------------------------------------------------------------------- all distance-based


def _draw_distances(S: np.ndarray, T: np.ndarray, H: np.ndarray, n: int, seed: int, draw: int,
                    **kw) -> dict:
    """The nearest distances of one draw of ``n`` rows from each of S, T, H (draw 0 uses the
    streams [seed, 1..3], later draws [seed, 1..3, draw])."""
    sub = lambda X, j: X[subsample_rows(X.shape[0], n, np.random.default_rng(  # noqa: E731
        [seed, j] if draw == 0 else [seed, j, draw]))]
    s, t, h = sub(S, 1), sub(T, 2), sub(H, 3)
    return {
        "st": nearest_distances(s, t, **kw),
        "ht": nearest_distances(h, t, **kw),
        "ts": nearest_distances(t, s, **kw),
        "tt": nearest_distances(t, None, exclude_self=True, **kw),
        "ss": nearest_distances(s, None, exclude_self=True, **kw),
        "hs": nearest_distances(h, s, **kw),
        "hh": nearest_distances(h, None, exclude_self=True, **kw),
        "sh": nearest_distances(s, h, **kw),
    }


def privacy_draws(n_rows: tuple[int, int, int], max_n: int, repeats: int) -> tuple[int, int]:
    """(n, draws): n = min(|S|, |T|, |H|, max_n) rows per set, and ``repeats`` draws while
    draws x n stays within ``max_n`` (at least one draw)."""
    n = int(min(*n_rows, max_n))
    return n, int(max(1, min(int(repeats), int(max_n) // max(n, 1))))


def distance_privacy(S: np.ndarray, T: np.ndarray, H: np.ndarray, *, seed: int = 0,
                     max_n: int = 5000, metric: str = "manhattan", chunk: int = 2048,
                     tie_weight: float = 0.5, fpr_level: float = 0.01, n_boot: int = 1000,
                     level: float = 0.95, repeats: int = 1, return_distances: bool = False) -> dict:
    """DCR, NNAA (with T and with H as reference) and MIA on equal-size seeded subsamples.

    S, T, H must be complete (imputed with the training modes). n = min(|S|, |T|, |H|, max_n)
    rows are drawn from each (independent seeded streams per set, so T and H subsamples are the
    same for every generator evaluated with the same seed and sizes), so the T-reference and
    H-reference NNAA are comparable; privacy
    loss = AA_TS(H reference) - AA_TS(T reference) (about 0 when safe, > 0 when S is closer to
    its training set than to unseen people).

    With ``repeats`` > 1 the subsamples are drawn that many times (while draws x n <= max_n) and
    NNAA, privacy loss and the MIA AUC are the means over the draws, their CIs the means of the
    per-draw bootstrap bounds (as wide as one draw's: conservative). When H is the smallest set,
    one draw leaves most of S and T unused and its AA_TS varies by about 0.03 from draw to draw
    at n = 500 (benchmarks/README.md, session 11); the mean of 8 draws by about 0.01. DCR and
    the returned distances are the first draw's.
    """
    n, draws = privacy_draws((S.shape[0], T.shape[0], H.shape[0]), max_n, repeats)
    if n < 2:
        raise ValueError("need at least 2 individuals in each of S, T, H")
    res, first = [], None
    for r in range(draws):
        d = _draw_distances(S, T, H, n, seed, r, metric=metric, chunk=chunk)
        first = first or d
        nn_t = nnaa_from_distances(d["ts"], d["tt"], d["st"], d["ss"], tie_weight)
        nn_h = nnaa_from_distances(d["hs"], d["hh"], d["sh"], d["ss"], tie_weight)
        res.append({"train_reference": nn_t, "holdout_reference": nn_h,
                    "boot": nnaa_bootstrap(d, tie_weight, n_boot, seed + 4 + 1000 * r, level),
                    "mia": mia_distance(d["ts"], d["hs"], fpr_level)})
    mean = lambda f: _mean_tree([f(x) for x in res])  # noqa: E731
    nn_t, nn_h = mean(lambda x: x["train_reference"]), mean(lambda x: x["holdout_reference"])
    out = {
        "n_per_set": n,
        "draws": draws,
        "metric": metric,
        "dcr": dcr_summary(first["st"], first["ht"]),
        "nnaa": {
            "train_reference": nn_t,
            "holdout_reference": nn_h,
            "aa_ts": nn_t["aa_ts"],
            "privacy_loss": nn_h["aa_ts"] - nn_t["aa_ts"],
            "tie_weight": tie_weight,
            **mean(lambda x: x["boot"]),
        },
        "mia": mean(lambda x: x["mia"]),
    }
    if return_distances:
        out["_distances"] = first
    return out


def _mean_tree(items: list):
    """Element-wise mean of equal-shaped dicts / lists of numbers (ints that agree stay as they are)."""
    x0 = items[0]
    if isinstance(x0, dict):
        return {k: _mean_tree([x[k] for x in items]) for k in x0}
    if isinstance(x0, list):
        return [_mean_tree([x[i] for x in items]) for i in range(len(x0))]
    if isinstance(x0, (bool, int)) and all(x == x0 for x in items):
        return x0
    return float(np.mean(items))


# --------------------------------------------------------------------------- small counts


def suppress(count: int, min_count: int = MIN_COUNT):
    """A count describing real individuals, or None when below ``min_count`` (zeros included)."""
    return int(count) if count >= min_count else None


# --------------------------------------------------------------------------- KING


def king_summary(kinship: np.ndarray, group1: np.ndarray, group2: np.ndarray, n_syn: int,
                 n_real: int, thresholds=(0.354, 0.177, 0.0884), table_filter: float = 0.0884,
                 min_count: int = MIN_COUNT) -> dict:
    """Summarise a filtered KING table of a merged synthetic + real fileset.

    ``kinship``/``group1``/``group2``: one entry per retained pair ('S' synthetic, 'R' real).
    Counts syn-real and real-real pairs above each threshold and their rates (pairs / possible
    pairs); syn-syn pairs are reported as well (they describe no real person). Counts (and the
    rates derived from them) that describe real individuals are suppressed below ``min_count``.
    ``max_kinship_syn_real`` is the largest retained syn-real kinship (None when no pair passed
    ``table_filter``); ``max_kinship_syn_real_upper`` is that or, failing any, the filter value
    (an upper bound used by the verdict).
    """
    kinship = np.asarray(kinship, dtype=float)
    g1 = np.asarray(group1).astype(str)
    g2 = np.asarray(group2).astype(str)
    sr = ((g1 == "S") & (g2 == "R")) | ((g1 == "R") & (g2 == "S"))
    rr = (g1 == "R") & (g2 == "R")
    ss = (g1 == "S") & (g2 == "S")
    n_sr = n_syn * n_real
    n_rr = n_real * (n_real - 1) // 2
    n_ss = n_syn * (n_syn - 1) // 2
    per = []
    for thr in thresholds:
        c_sr = int(np.sum(sr & (kinship > thr)))
        c_rr = int(np.sum(rr & (kinship > thr)))
        c_ss = int(np.sum(ss & (kinship > thr)))
        sup_sr, sup_rr = suppress(c_sr, min_count), suppress(c_rr, min_count)
        per.append({
            "threshold": thr,
            "syn_real_pairs": sup_sr,
            "syn_real_rate": (c_sr / n_sr) if (sup_sr is not None and n_sr) else None,
            "real_real_pairs": sup_rr,
            "real_real_rate": (c_rr / n_rr) if (sup_rr is not None and n_rr) else None,
            "syn_syn_pairs": c_ss,
            "syn_syn_rate": (c_ss / n_ss) if n_ss else None,
            # rate comparison on unsuppressed numbers: no more related syn-real than real-real
            "syn_real_rate_le_real_real": bool((c_sr / n_sr if n_sr else 0) <= (c_rr / n_rr if n_rr else 0)),
        })
    max_sr = float(kinship[sr].max()) if sr.any() else None
    max_rr = float(kinship[rr].max()) if rr.any() else None
    return {
        "n_synthetic": int(n_syn),
        "n_real": int(n_real),
        "table_filter": table_filter,
        "thresholds": per,
        "max_kinship_syn_real": max_sr,
        "max_kinship_syn_real_upper": max_sr if max_sr is not None else float(table_filter),
        "any_syn_real_duplicate": bool(np.any(sr & (kinship > 0.354))),
        # the estimator's noise floor on this SNP panel: the real cohort was QC'd for relatedness
        # genome-wide, so real-real values this high come from having few (or LD-heavy) SNPs
        "max_kinship_real_real": max_rr,
    }


def read_king_table(path: str | Path) -> pl.DataFrame:
    """Read a plink2 .kin0 table (header line starting with '#'); columns IID1, IID2, KINSHIP, ..."""
    path = Path(path)
    with open(path) as fh:
        header = fh.readline().lstrip("#").split()
        rows = [line.split() for line in fh if line.strip()]
    df = pl.DataFrame(rows, schema=header, orient="row") if rows else pl.DataFrame(schema=header)
    return df.with_columns(pl.col("KINSHIP").cast(pl.Float64))


def run_king(S: np.ndarray, T: np.ndarray, bim: pl.DataFrame, workdir: str | Path, *,
             thresholds=(0.354, 0.177, 0.0884), min_count: int = MIN_COUNT, threads: int = 1,
             memory_mb: int | None = None) -> dict:
    """KING-robust kinship between synthetic S and real T with plink2 --make-king-table.

    S and T (same SNPs, ``bim``) are concatenated into one temporary PLINK fileset with
    internal IDs (FID 'S'/'R', IID row numbers) so no real ID is ever read or written; the
    table is filtered at the smallest threshold (--king-table-filter) to stay small.
    """
    from ..io import write_bed
    from ..plink import plink2

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    G = np.concatenate([S, T], axis=0)
    fam = pl.DataFrame({
        "FID": ["S"] * S.shape[0] + ["R"] * T.shape[0],
        "IID": [f"s{i}" for i in range(S.shape[0])] + [f"r{i}" for i in range(T.shape[0])],
        "SEX": [0] * G.shape[0],
        "PHENO": ["-9"] * G.shape[0],
    })
    prefix = workdir / "king_merged"
    write_bed(prefix, G, fam, bim)
    filt = float(min(thresholds))
    out = workdir / "king"
    plink2(["--bfile", prefix, "--make-king-table", "--king-table-filter", str(filt)],
           out, threads=threads, memory_mb=memory_mb)
    tab = read_king_table(f"{out}.kin0")
    fid1 = tab["FID1"].to_numpy() if tab.height else np.array([], dtype=str)
    fid2 = tab["FID2"].to_numpy() if tab.height else np.array([], dtype=str)
    kin = tab["KINSHIP"].to_numpy() if tab.height else np.array([], dtype=float)
    return king_summary(kin, fid1, fid2, S.shape[0], T.shape[0], thresholds, filt, min_count)

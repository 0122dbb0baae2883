"""Utility: train on synthetic, test on real (TSTR) against train on real, test on real (TRTR).

Features are the 0/1/2 dosages of the selected SNPs (missing calls replaced by the training
set's column mean); labels are 1 = case, 0 = control. Classifiers: L2 logistic regression with
the inverse strength C chosen by stratified k-fold CV (ROC AUC) inside each training set, and
scikit-learn's HistGradientBoostingClassifier. The test split is touched once per model.
"""
from __future__ import annotations

import numpy as np

from . import DEFAULT_EVALUATE
from ..stats import auc  # (also snpgen.evaluate.utility.auc) ROC AUC by ranks, ties half; NaN with one class only)

# --------------------------------------------------------------------------- AUC


def bootstrap_indices(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n) resampling index (with replacement)."""
    return rng.integers(0, n, size=(n_boot, n))


def bootstrap_auc(y: np.ndarray, scores: dict[str, np.ndarray], *, n_boot: int = 1000,
                  seed: int = 0, level: float = 0.95) -> dict[str, dict]:
    """AUC with percentile bootstrap CIs for several score vectors on the same test set.

    All scores use the same resamples (paired), so differences and ratios between them have
    CIs too: :func:`diff_ci` / :func:`ratio_ci` on the returned replicates. Returns, per name,
    {"auc", "ci_low", "ci_high", "replicates" (np.ndarray, not for JSON)}.
    """
    y = np.asarray(y)
    idx = bootstrap_indices(y.size, n_boot, np.random.default_rng(seed))
    out = {}
    for name, s in scores.items():
        s = np.asarray(s, dtype=float)
        reps = np.array([auc(y[i], s[i]) for i in idx])
        lo, hi = percentile_ci(reps, level)
        out[name] = {"auc": auc(y, s), "ci_low": lo, "ci_high": hi, "replicates": reps}
    return out


def percentile_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile CI of bootstrap replicate values (non-finite ones dropped; NaNs if none is left)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(v, [a, 1 - a])
    return float(lo), float(hi)


def ratio_ci(num: np.ndarray, den: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile CI of num/den over paired bootstrap replicates."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return percentile_ci(np.asarray(num) / np.asarray(den), level)


def diff_ci(a_reps: np.ndarray, b_reps: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile CI of a - b over paired bootstrap replicates."""
    return percentile_ci(np.asarray(a_reps) - np.asarray(b_reps), level)


def roc_points(y: np.ndarray, score: np.ndarray, max_points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """ROC curve (fpr, tpr) thinned to at most ``max_points`` points (for figures only)."""
    from sklearn.metrics import roc_curve

    y = np.asarray(y).astype(int)
    if y.min() == y.max():
        return np.array([0.0, 1.0]), np.array([0.0, 1.0])
    fpr, tpr, _ = roc_curve(y, np.asarray(score, dtype=float))
    if fpr.size > max_points:
        keep = np.unique(np.r_[0, np.linspace(0, fpr.size - 1, max_points).astype(int), fpr.size - 1])
        fpr, tpr = fpr[keep], tpr[keep]
    return fpr, tpr


# --------------------------------------------------------------------------- models


def dosage_features(G: np.ndarray, means: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """float32 dosages with missing (-1) replaced by ``means`` (default: G's own column means)."""
    X = np.asarray(G).astype(np.float32)
    miss = X < 0
    if means is None:
        Xm = np.where(miss, np.nan, X)
        with np.errstate(all="ignore"):
            means = np.nanmean(Xm, axis=0) if X.shape[0] else np.zeros(X.shape[1], np.float32)
        means = np.nan_to_num(means, nan=0.0).astype(np.float32)
    if miss.any():
        X[miss] = np.broadcast_to(means, X.shape)[miss]
    return X, means


def make_model(name: str, seed: int, params: dict | None = None):
    """A fresh unfitted classifier: 'logreg' (L2, C by CV) or 'hgb' (HistGradientBoosting); ``params``
    (config["evaluate"]) may leave keys out: those take the schema's defaults (DEFAULT_EVALUATE)."""
    params = {**DEFAULT_EVALUATE, **(params or {})}
    if name == "logreg":
        from sklearn.linear_model import LogisticRegressionCV
        from sklearn.model_selection import StratifiedKFold
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        cv = StratifiedKFold(n_splits=int(params["logreg_cv"]), shuffle=True, random_state=seed)
        return make_pipeline(
            StandardScaler(),
            LogisticRegressionCV(Cs=list(params["logreg_Cs"]), cv=cv,
                                 scoring="roc_auc", l1_ratios=(0.0,), max_iter=1000,
                                 use_legacy_attributes=False),
        )
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=int(params["hgb_max_iter"]),
            learning_rate=float(params["hgb_learning_rate"]),
            max_leaf_nodes=int(params["hgb_max_leaf_nodes"]),
            l2_regularization=float(params["hgb_l2_regularization"]),
            early_stopping=True, validation_fraction=0.1, n_iter_no_change=20,
            random_state=seed,
        )
    raise ValueError(f"unknown model {name!r} (logreg or hgb)")


def fit_predict(name: str, G_train: np.ndarray, y_train: np.ndarray, G_test: np.ndarray, *,
                seed: int = 0, params: dict | None = None) -> tuple[np.ndarray, dict]:
    """Fit ``name`` on (G_train, y_train), return P(case) on G_test and fit info.

    With a single class in y_train there is nothing to learn: the score is constant (AUC 0.5
    by the tie rule) and info["degenerate"] is True.
    """
    y_train = np.asarray(y_train).astype(int)
    Xtr, means = dosage_features(G_train)
    Xte, _ = dosage_features(G_test, means)
    if y_train.min() == y_train.max():
        return np.full(Xte.shape[0], float(y_train[0])), {"degenerate": True}
    model = make_model(name, seed, params)
    model.fit(Xtr, y_train)
    info = {"degenerate": False}
    if name == "logreg":
        info["C"] = float(np.ravel(model[-1].C_)[0])
    elif name == "hgb":
        info["n_iter"] = int(model.n_iter_)
    return model.predict_proba(Xte)[:, 1], info


def reference_fits(G_train: np.ndarray, y_train: np.ndarray, G_test: np.ndarray, *,
                   models=("logreg", "hgb"), seed: int = 0, params: dict | None = None,
                   reference: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """The fits every generator of a disease is compared with: per model, the real-training
    classifier's test predictions ("trtr") and, with ``reference`` = (G_ref, y_ref), those of the
    classifier trained on the reference cohort ("ref"); each a (P(case) on G_test, fit info) pair.

    They do not depend on the synthetic cohort, so the workflow fits them once per disease (rule
    ``utility_reference``) and :func:`tstr_trtr` takes them as ``fitted``; same seeds, same numbers.
    """
    out = {}
    for k, name in enumerate(models):
        out[name] = {"trtr": fit_predict(name, G_train, y_train, G_test, seed=seed + k, params=params)}
        if reference is not None:
            out[name]["ref"] = fit_predict(name, reference[0], reference[1], G_test, seed=seed + k, params=params)
    return out


def tstr_trtr(G_syn: np.ndarray, y_syn: np.ndarray, G_train: np.ndarray | None, y_train: np.ndarray | None,
              G_test: np.ndarray, y_test: np.ndarray, *, models=("logreg", "hgb"), seed: int = 0,
              n_boot: int = 1000, level: float = 0.95, params: dict | None = None,
              return_curves: bool = False, reference: tuple[np.ndarray, np.ndarray] | None = None,
              reference_name: str = "baseline", fitted: dict | None = None) -> dict:
    """TSTR vs TRTR per model: test AUCs with paired bootstrap CIs and the TSTR/TRTR ratio.

    Returns {model: {"trtr": {auc, ci_low, ci_high, fit}, "tstr": {...}, "ratio", "ratio_ci_low",
    "ratio_ci_high", "delta", "delta_ci_low", "delta_ci_high"}}; with ``return_curves`` each model
    also gets "_roc": {"trtr": (fpr, tpr), "tstr": (fpr, tpr)} for figures (not for JSON).

    ``reference`` = (G_ref, y_ref), another synthetic cohort (the per-class allele-frequency
    baseline): the same classifier is trained on it and scored on the same bootstrap resamples,
    so each model also gets ``"vs_<reference_name>"``: {"auc", "ci_low", "ci_high" (the
    reference's TSTR), "delta", "delta_ci_low", "delta_ci_high" (this TSTR minus the reference's,
    paired), "real_delta", "real_delta_ci_low", "real_delta_ci_high" (TRTR minus the reference's
    TSTR, paired: the headroom, how much more signal real people give the classifier than the
    reference does)}: does this generator carry more signal than the reference, and can it?

    ``fitted``: :func:`reference_fits`' output, fitted beforehand (G_train, y_train and
    ``reference`` are then not used; a "ref" entry stands for the reference). A model's "tstr"
    entry there, when present, is used as this cohort's own fit (the reference scored as itself).
    """
    y_test = np.asarray(y_test).astype(int)
    if fitted is None:
        fitted = reference_fits(G_train, y_train, G_test, models=models, seed=seed, params=params,
                                reference=reference)
    out = {}
    for k, name in enumerate(models):
        fits = dict(fitted[name])
        if "tstr" not in fits:
            fits["tstr"] = fit_predict(name, G_syn, y_syn, G_test, seed=seed + k, params=params)
        scores = {kind: p for kind, (p, _) in fits.items()}
        b = bootstrap_auc(y_test, scores, n_boot=n_boot, seed=seed + 100 + k, level=level)
        out[name] = _comparison(b, fits, reference_name, level)
        if return_curves:
            out[name]["_roc"] = {kind: roc_points(y_test, scores[kind]) for kind in ("trtr", "tstr")}
    return out


def _comparison(b: dict, fits: dict, reference_name: str, level: float) -> dict:
    """One model's TSTR/TRTR (and vs-reference) numbers from :func:`bootstrap_auc`'s paired replicates."""
    keys = ("auc", "ci_low", "ci_high")
    r_lo, r_hi = ratio_ci(b["tstr"]["replicates"], b["trtr"]["replicates"], level)
    d_lo, d_hi = diff_ci(b["tstr"]["replicates"], b["trtr"]["replicates"], level)
    res = {
        "trtr": {**{x: b["trtr"][x] for x in keys}, "fit": fits["trtr"][1]},
        "tstr": {**{x: b["tstr"][x] for x in keys}, "fit": fits["tstr"][1]},
        "ratio": b["tstr"]["auc"] / b["trtr"]["auc"] if b["trtr"]["auc"] else float("nan"),
        "ratio_ci_low": r_lo, "ratio_ci_high": r_hi,
        "delta": b["tstr"]["auc"] - b["trtr"]["auc"],
        "delta_ci_low": float(d_lo), "delta_ci_high": float(d_hi),
    }
    if "ref" in b:
        lo, hi = diff_ci(b["tstr"]["replicates"], b["ref"]["replicates"], level)
        r_lo, r_hi = diff_ci(b["trtr"]["replicates"], b["ref"]["replicates"], level)
        res[f"vs_{reference_name}"] = {
            **{x: b["ref"][x] for x in keys}, "fit": fits["ref"][1],
            "delta": b["tstr"]["auc"] - b["ref"]["auc"], "delta_ci_low": lo, "delta_ci_high": hi,
            "real_delta": b["trtr"]["auc"] - b["ref"]["auc"], "real_delta_ci_low": r_lo, "real_delta_ci_high": r_hi}
    return res


def save_fits(path, fitted: dict, y_test: np.ndarray) -> None:
    """:func:`reference_fits`' output as one .npz: the test labels it was scored on, each
    prediction vector ("<model>.<kind>") and the fit info (JSON). Holds predictions for real
    held-out people: a workflow intermediate, never a shareable output."""
    import json

    from ..io import write_npz

    arrays = {f"{m}.{kind}": p for m, fits in fitted.items() for kind, (p, _) in fits.items()}
    info = {m: {kind: i for kind, (_, i) in fits.items()} for m, fits in fitted.items()}
    write_npz(path, y_test=np.asarray(y_test).astype(np.int8), info=np.array(json.dumps(info)), **arrays)


def load_fits(path, y_test: np.ndarray) -> dict:
    """:func:`save_fits`' file back as ``fitted``; ValueError when it was scored on other test labels."""
    import json

    with np.load(path) as z:
        if not np.array_equal(z["y_test"], np.asarray(y_test).astype(np.int8)):
            raise ValueError(f"{path}: fitted on a different test split (labels differ); rerun utility_reference")
        info = json.loads(str(z["info"]))
        return {m: {kind: (z[f"{m}.{kind}"], i) for kind, i in kinds.items()} for m, kinds in info.items()}

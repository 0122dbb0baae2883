"""Release verdict: each metric against a threshold from config["verdict"].

A check is {name, value, threshold, passed, comparison, note}. ``passed`` is None when the check
cannot be evaluated (metric missing, or the LD check on SNPs with too little real LD to
measure); such checks are listed but do not decide the outcome. The decision is "release" only
when every evaluated check passed; a missing privacy metric counts as failed (never release
on absent evidence).

Population-structure checks (issue 17; synthetic cohorts that lose the clusters real people form
on the leading PCs): ``structure_pc<j>_distance`` for each leading PC j = 1..4
(``evaluate.structure_n_pcs``) passes when the synthetic-vs-real-train Wasserstein distance (SD
units) is at most ``max(structure_pc_factor x the held-out distance, structure_pc_floor)``
(defaults 2.0 and 0.1: twice what sampling alone gives, never tighter than 0.1 SD);
``cluster_proportion_diff`` passes when the largest absolute difference between synthetic and
real-train proportions of the clusters fitted on real-train PC scores is at most
``max_cluster_proportion_diff`` (0.03). Per-class (case/control) proportions are reported, not
checked: at the class sizes of a cohort their sampling noise is too large for a fixed threshold.
"""
from __future__ import annotations

import math
from statistics import NormalDist

from ..defaults import schema_defaults
from ..nested import get_in as _get
from . import registry

# The release thresholds (config["verdict"]) and their defaults: the schema's (each check described in
# workflow/schemas/config.schema.yaml and config/README.md; null disables a check).
DEFAULT_THRESHOLDS: dict = schema_defaults("verdict")

STRUCTURE_N_PCS: int = schema_defaults("evaluate")["structure_n_pcs"]  # PCs checked when fidelity.structure is missing

# the checks of the privacy-only verdict (the leaky calibration reference)
PRIVACY_CHECKS = {m.check for s in ("privacy", "attacks") for m in registry.checks(s)}


def _num(x):
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def check(name: str, value, threshold, comparison: str, *, missing_fails: bool = True,
          note: str | None = None) -> dict:
    """One check. comparison: '<=' | '>=' | 'in' (threshold = [low, high])."""
    v = _num(value)
    if v is None:
        passed = False if missing_fails else None
        note = note or "metric not available"
    elif comparison == "<=":
        passed = v <= float(threshold)
    elif comparison == ">=":
        passed = v >= float(threshold)
    elif comparison == "in":
        passed = float(threshold[0]) <= v <= float(threshold[1])
    else:
        raise ValueError(f"unknown comparison {comparison!r}")
    out = {"name": name, "value": v, "threshold": threshold, "comparison": comparison, "passed": passed}
    if note:
        out["note"] = note
    return out


def _ld_not_applicable(ld: dict) -> str | None:
    """Why an LD check cannot be evaluated (too few informative real SNP pairs), else None."""
    n_inf, need = ld.get("n_pairs_informative"), ld.get("min_informative_pairs", 0)
    if n_inf is not None and n_inf < need:
        return (f"not applicable: {n_inf} SNP pairs with real r2 >= {ld.get('informative_r2')} "
                f"(< {need}); real LD among the selected SNPs is too weak to measure")
    return None


def _unless_applicable(c: dict, why: str | None) -> dict:
    if why:
        c["passed"], c["note"] = None, why
    return c


def _relative(name: str, value, reference, limit_of, what: str) -> dict:
    """A '<=' check whose threshold is computed from a real reference value (missing reference = fail)."""
    ref = _num(reference)
    if ref is None:
        return check(name, None, None, "<=", note=f"{what} not available")
    return check(name, value, limit_of(ref), "<=")


def _fill(key: tuple[str, ...], part: str) -> tuple[str, ...]:
    """``key`` with its ``<...>`` part replaced by ``part`` (a model name)."""
    return tuple(part if k.startswith("<") else k for k in key)


def _limit(m: registry.Metric, th: dict):
    """The check's threshold: one value, or [low, high] for an 'in' check."""
    return [th[k] for k in m.thresholds] if m.comparison == "in" else th[m.thresholds[0]]


def _plain(m: registry.Metric, metrics: dict, th: dict) -> list[dict]:
    """The declared metric against its declared threshold."""
    return [check(m.check, _get(metrics, *m.key), _limit(m, th), m.comparison)]


def _king(m: registry.Metric, metrics: dict, th: dict) -> list[dict]:
    """``max_king_kinship``: the upper bound, with a note when it is the KING table filter."""
    king = _get(metrics, *m.key[:-1])
    king = king if isinstance(king, dict) else {}
    note = None
    if king.get("max_kinship_syn_real") is None and king.get(m.key[-1]) is not None:
        note = "no synthetic-real pair above the KING table filter; value is that filter (an upper bound)"
    return [check(m.check, king.get(m.key[-1]), _limit(m, th), m.comparison, note=note)]


def _utility(m: registry.Metric, metrics: dict, th: dict) -> list[dict]:
    """``tstr_trtr_ratio_<model>`` for each model in ``utility_models``."""
    return [check(m.check.format(x), _get(metrics, *_fill(m.key, x)), _limit(m, th), m.comparison)
            for x in th.get("utility_models") or []]


def _hwe(m: registry.Metric, metrics: dict, th: dict) -> list[dict]:
    """``hwe_failure_share``: limit = the real training share (with ``hwe_reference: resampled``, the
    share of its bootstrap resamples where that is higher: ``real_resampled``) + the larger of
    ``max_hwe_failure_excess`` and ``hwe_noise_factor`` x the split-half noise of the real share
    (``real_split_half.diff_sd``)."""
    noise = _num((_get(metrics, *m.key[:-2], "real_split_half") or {}).get("diff_sd"))
    margin = max(float(th["max_hwe_failure_excess"]), float(th.get("hwe_noise_factor") or 0.0) * (noise or 0.0))
    real = _num(_get(metrics, *m.reference))
    resampled = _num((_get(metrics, *m.key[:-2], "real_resampled") or {}).get("hwe_frac_below_mean"))
    use = th.get("hwe_reference", "resampled") == "resampled" and None not in (real, resampled) and resampled > real
    c = _relative(m.check, _get(metrics, *m.key), resampled if use else real, lambda r: r + margin,
                  "share of real training SNPs failing HWE")
    c["noise_sd"] = noise  # the split-half SD behind the margin (None: the fixed margin only)
    c["reference"] = "real_resampled" if use else "real_train"  # the share the margin is added to
    return [c]


def _het_f(m: registry.Metric, metrics: dict, th: dict) -> list[dict]:
    """``het_f_distance``: limit = max(factor x the held-out distance, floor); carries ``mean_diff``."""
    c = _relative(m.check, _get(metrics, *m.key), _get(metrics, *m.reference),
                  lambda r: max(float(th["het_f_distance_factor"]) * r, float(th.get("het_f_distance_floor") or 0.0)),
                  "F distance of the held-out real people")
    fd = _get(metrics, *m.key[:-1]) or {}
    if _num(fd.get("mean_diff")) is not None:
        c["mean_diff"] = fd["mean_diff"]
    return [c]


def _structure_pcs(m: registry.Metric, metrics: dict, th: dict) -> list[dict]:
    """``structure_pc<j>_distance`` per leading PC: limit = max(factor x held-out distance, floor)."""
    syn = _get(metrics, *m.key) or [None] * STRUCTURE_N_PCS
    hold = _get(metrics, *m.reference) or []
    floor = float(th.get("structure_pc_floor") or 0.0)
    checks = []
    for j, v in enumerate(syn):
        h = _num(hold[j]) if j < len(hold) else None
        limit = None if h is None else max(float(th["structure_pc_factor"]) * h, floor)
        c = check(m.check.format(j + 1), v if limit is not None else None, limit, m.comparison)
        c["holdout_value"] = h  # the threshold is max(factor x this, floor)
        checks.append(c)
    return checks


def _privacy_loss(m: registry.Metric, metrics: dict, th: dict) -> list[dict]:
    """``privacy_loss``: limit = ``max_privacy_loss``, plus (``privacy_loss_reference: population``) the
    population-statistics reference's loss on the same people, clipped to +-``max_privacy_loss``; carries
    ``reference`` ("population" or "none") and ``reference_value``."""
    limit = float(th["max_privacy_loss"])
    ref = _num(_get(metrics, *m.reference)) if m.reference else None
    use = th.get("privacy_loss_reference", "population") == "population" and ref is not None
    allowance = min(max(ref, -limit), limit) if use else 0.0
    note = f"limit {limit:g} + the population-statistics reference's loss {ref:+.3f} (within +-{limit:g})" if use else None
    c = check(m.check, _get(metrics, *m.key), limit + allowance, m.comparison, note=note)
    c["reference"], c["reference_value"] = ("population" if use else "none"), ref
    return [c]


def _attack(m: registry.Metric, metrics: dict, th: dict) -> list[dict]:
    return [_max_attack_auc(_get(metrics, *m.key[:-1]) or {}, th)]


# checks computed otherwise than metric-against-threshold (by registry check name)
_SPECIAL = {"max_king_kinship": _king, "max_attack_auc": _attack, "tstr_trtr_ratio_{}": _utility,
            "hwe_failure_share": _hwe, "het_f_distance": _het_f, "structure_pc{}_distance": _structure_pcs,
            "privacy_loss": _privacy_loss}
# checks that are not applicable (passed None) on SNPs with too little real LD
_LD_CHECKS = {"ld_correlation", "ld_strength"}


def registry_checks(metrics: dict, th: dict, section: str | None = None) -> list[dict]:
    """The checks declared in :mod:`snpgen.evaluate.registry` (of one section), in their order;
    a check whose threshold keys are not all set is off."""
    out = []
    for m in registry.checks(section):
        if any(th.get(k) is None for k in m.thresholds):
            continue
        cs = _SPECIAL.get(m.check, _plain)(m, metrics, th)
        if m.check in _LD_CHECKS:
            why = _ld_not_applicable(_get(metrics, *m.key[:-1]) or {})
            cs = [_unless_applicable(c, why) for c in cs]
        out += cs
    return out


def genotype_qc_checks(metrics: dict, th: dict) -> list[dict]:
    """hwe_failure_share, het_f_distance and ld_strength (see :func:`verdict`)."""
    return registry_checks(metrics, th, "genotype_qc")


def structure_checks(metrics: dict, th: dict) -> list[dict]:
    """Population-structure checks from ``fidelity.structure``: one per leading PC
    (``structure_pc<j>_distance``) and the overall cluster proportions
    (``cluster_proportion_diff``). Per-class proportions are reported, not checked."""
    return registry_checks(metrics, th, "structure")


def attack_bounds(attacks: dict, alpha: float | None) -> dict:
    """Per attack: AUC, its standard error, the one-sided lower confidence bound AUC - z SE
    (z = the 1 - alpha / k normal quantile, k = attacks with an AUC: Bonferroni over the attacks)
    and the TPR at 1 % FPR (or its suppressed upper bound). ``alpha`` None: the bound is the AUC."""
    rows = {n: v for n, v in (attacks or {}).items() if isinstance(v, dict) and _num(v.get("auc")) is not None}
    z = NormalDist().inv_cdf(1.0 - float(alpha) / len(rows)) if alpha and rows else 0.0
    out = {}
    for n, v in rows.items():
        se = _num(v.get("auc_se"))
        out[n] = {"auc": float(v["auc"]), "auc_se": se,
                  "auc_lower": float(v["auc"]) - z * se if se is not None else float(v["auc"]),
                  "tpr_at_1pct_fpr": v.get("tpr_at_1pct_fpr")}
        if v.get("tpr_at_1pct_fpr") is None and v.get("tpr_at_1pct_fpr_upper") is not None:
            out[n]["tpr_at_1pct_fpr_upper"] = v["tpr_at_1pct_fpr_upper"]
    return {"z": z, "attacks": out}


def _max_attack_auc(a: dict, th: dict) -> dict:
    """The ``max_attack_auc`` check (see :func:`attack_checks`)."""
    limit, alpha = th["max_attack_auc"], th.get("attack_auc_alpha")
    b = attack_bounds(a, alpha)
    per = b["attacks"]
    if not per:  # per-attack results missing: the point estimate alone (fails when absent)
        c = check("max_attack_auc", a.get("max_auc"), limit, "<=")
        c["max_auc"] = _num(a.get("max_auc"))
    else:
        worst = max(per, key=lambda n: per[n]["auc_lower"])
        c = check("max_attack_auc", per[worst]["auc_lower"], limit, "<=")
        c.update({"max_auc": _num(a.get("max_auc")), "max_auc_se": _num(a.get("max_auc_se")),
                  "bound_attack": worst, "alpha": alpha, "z": b["z"], "attacks": per})
    c["attack"] = a.get("max_auc_attack")
    c["tpr_at_1pct_fpr"] = a.get("max_tpr_at_1pct_fpr")
    if a.get("max_tpr_at_1pct_fpr") is None and a.get("max_tpr_at_1pct_fpr_upper") is not None:
        c["tpr_at_1pct_fpr_upper"] = a["max_tpr_at_1pct_fpr_upper"]
    if a.get("max_auc_attack"):
        tpr = (f"{a['max_tpr_at_1pct_fpr']:.3f}" if a.get("max_tpr_at_1pct_fpr") is not None
               else f"< {a.get('max_tpr_at_1pct_fpr_upper', 0):.3f} (suppressed: few members detected)")
        se = f" ± {c['max_auc_se']:.3f}" if c.get("max_auc_se") is not None else ""
        rule = (f"value = largest one-sided lower confidence bound AUC - {b['z']:.2f} SE over {len(per)} attacks "
                f"(alpha {alpha}, Bonferroni): fails when an attack's AUC is significantly above {limit}; "
                if per and alpha else "")
        c["note"] = (f"{rule}strongest attack: {a['max_auc_attack']}, AUC {a['max_auc']:.3f}{se}; "
                     f"largest TPR at 1% FPR over attacks: {tpr}")
    return c


def attack_checks(metrics: dict, th: dict) -> list[dict]:
    """``max_attack_auc`` and ``segment_replay_share``.

    ``max_attack_auc``: the largest over attacks of the one-sided lower confidence bound
    AUC - z SE (z from ``attack_auc_alpha``, Bonferroni over the attacks; :func:`attack_bounds`)
    <= ``max_attack_auc``: a check fails on evidence that some attack beats the threshold, not on
    sampling noise around it (docs/metrics.md, "Calibration"). The check also carries the largest
    AUC (``max_auc``, ``max_auc_se``, ``attack``), the largest TPR at 1 % FPR and, per attack, AUC,
    SE, bound and TPR at 1 % FPR (``attacks``). ``attack_auc_alpha`` None: the largest AUC itself.

    ``segment_replay_share``: privacy.attacks.segment_replay.share_synthetic_above_holdout_q99
    <= ``max_replay_share``."""
    return registry_checks(metrics, th, "attacks")


def verdict(metrics: dict, thresholds: dict | None = None, *, privacy_only: bool = False) -> dict:
    """Checks and decision from a metrics dict laid out as in docs/metrics.md.

    ``privacy_only``: keep only the privacy checks (:data:`PRIVACY_CHECKS`; the leaky calibration
    reference, evaluated for privacy only).

    Attack checks (:func:`attack_checks`): ``max_attack_auc`` and ``segment_replay_share``.

    The checks, their order, the metric each reads, its comparison and its threshold keys are
    declared in :mod:`snpgen.evaluate.registry` (:func:`registry_checks`; docs/metrics.md, "Metric
    registry"). Reads: privacy.identical_match_rate, privacy.nnaa.aa_ts, privacy.mia.auc,
    privacy.nnaa.privacy_loss, privacy.king.max_kinship_syn_real_upper,
    utility.<model>.ratio, fidelity.allele_frequency.correlation, fidelity.ld.correlation
    (+ fidelity.ld.n_pairs_informative / ld_min_informative_pairs),
    fidelity.structure.pc_distance_synthetic/_holdout and
    fidelity.structure.clusters.overall.max_abs_diff_synthetic (:func:`structure_checks`).
    A threshold set to None disables its check.

    Genotype-QC fidelity checks (thresholds computed from the real data, shown as the check's
    threshold):

    - ``hwe_failure_share``: fidelity.het_hwe.synthetic.hwe_frac_below (share of SNPs whose plink2
      exact HWE p < evaluate.hwe_p) <= real_train.hwe_frac_below + ``max_hwe_failure_excess``.
    - ``het_f_distance``: fidelity.het_hwe.f_distance.wasserstein (1-D Wasserstein distance of the
      per-person plink2 --het F distribution to real train) <= max(``het_f_distance_factor`` x
      f_distance.holdout_wasserstein (held-out real people vs real train), ``het_f_distance_floor``).
      The mean F difference (``mean_diff``, copied into the check) is bounded by the same limit,
      since |mean difference| <= Wasserstein distance.
    - ``ld_strength``: fidelity.ld.strength_ratio (mean synthetic r2 / mean real r2 on the LD
      windows) within [``ld_strength_min``, ``ld_strength_max``]; not applicable (passed None) when
      real LD is too weak to measure, as ``ld_correlation``.
    """
    th = dict(DEFAULT_THRESHOLDS)
    th.update({k: v for k, v in (thresholds or {}).items()})
    checks = registry_checks(metrics, th)
    if privacy_only:
        checks = [c for c in checks if c["name"] in PRIVACY_CHECKS]
    evaluated = [c for c in checks if c["passed"] is not None]
    ok = bool(evaluated) and all(c["passed"] for c in evaluated)
    failed = [c["name"] for c in evaluated if not c["passed"]]
    return {
        "decision": "release" if ok else "do not release",
        "passed": ok,
        "failed_checks": failed,
        "checks": checks,
        "thresholds": th,
    }

#!/usr/bin/env python
"""Quality table of finished runs, from their metrics JSON files, against the issue's targets.

    .venv/bin/python benchmarks/quality.py results [results_polygenic ...]

One row per results folder x disease x generator (matched, augmented, baseline, ...): TSTR (and,
for the model's cohorts, its paired difference from the baseline's TSTR on the same resamples),
TRTR and C+T PRS AUC on the real test split (with bootstrap CIs), TSTR/TRTR, allele-frequency r,
LD r2 correlation, the leading-PC distances and the largest cluster-share difference
(population structure, each next to the held-out real value), AA_TS, MIA AUC and causal-SNP
recovery (TPR at Bonferroni on the synthetic GWAS, next to the real training GWAS, with the FDR: non-causal SNPs in LD with a causal one count as
false discoveries, and a synthetic GWAS on a larger or effect-inflated cohort finds more of both). A target that is missed is marked MISS in the row; the
numbers are read from the files, nothing is typed in. Nothing here is tuned on the test split: the
test split is scored once by the workflow's `evaluate` rule.

Targets (issue 9): TSTR/TRTR >= 0.97, AF r >= 0.99, LD correlation >= 0.95, AA_TS in [0.45, 0.55],
MIA AUC <= 0.55.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from snpgen.evaluate import registry  # noqa: E402
from snpgen.nested import get_in as _get  # noqa: E402

TARGETS = {
    "ratio": (lambda v: v >= 0.97, ">= 0.97"),
    "af_r": (lambda v: v >= 0.99, ">= 0.99"),
    "ld_r": (lambda v: v >= 0.95, ">= 0.95"),
    "aa_ts": (lambda v: 0.45 <= v <= 0.55, "in [0.45, 0.55]"),
    "mia": (lambda v: v <= 0.55, "<= 0.55"),
}


def metric(m: dict, path: str, *fill: str):
    """The value of the declared metric ``path`` (registry key; ``fill`` names its ``<...>`` parts in
    order); an undeclared path raises KeyError, so a renamed metric fails here instead of printing "-"."""
    parts = iter(fill)
    return _get(m, *(next(parts) if k.startswith("<") else k for k in registry.get(path).key))


def rows_of(results: Path) -> list[dict]:
    rows = []
    for ddir in sorted(p for p in results.iterdir() if (p / "metrics").is_dir()):
        prs = json.loads((ddir / "metrics" / "prs.json").read_text()) if (ddir / "metrics" / "prs.json").exists() else {}
        for path in sorted((ddir / "metrics").glob("*.json")):
            if path.stem == "prs":
                continue
            m = json.loads(path.read_text())
            u = _get(m, "utility", "logreg") or {}
            rec = "fidelity.gwas.causal_recovery.levels.<level>.<set>."
            rows.append({
                "run": str(results), "disease": ddir.name, "generator": path.stem,
                "tstr": _get(u, "tstr"), "trtr": _get(u, "trtr"), "ratio": metric(m, "utility.<model>.ratio", "logreg"),
                "vs_baseline": u.get("vs_baseline"),
                "prs": _get(prs, "prs", "test", "prs"),
                "af_r": metric(m, "fidelity.allele_frequency.correlation"),
                "ld_r": metric(m, "fidelity.ld.correlation"),
                "ld_r_holdout": metric(m, "fidelity.ld.holdout_correlation"),
                "aa_ts": metric(m, "privacy.nnaa.aa_ts"),
                "mia": metric(m, "privacy.mia.auc"),
                "tpr_real": metric(m, rec + "tpr", "bonferroni", "real_train"),
                "tpr_syn": metric(m, rec + "tpr", "bonferroni", "synthetic"),
                "fdr_real": metric(m, rec + "fdr", "bonferroni", "real_train"),
                "fdr_syn": metric(m, rec + "fdr", "bonferroni", "synthetic"),
                "pc_syn": metric(m, "fidelity.structure.pc_distance_synthetic"),
                "pc_holdout": metric(m, "fidelity.structure.pc_distance_holdout"),
                "cluster_diff": metric(m, "fidelity.structure.clusters.overall.max_abs_diff_synthetic"),
                "cluster_diff_holdout": metric(m, "fidelity.structure.clusters.<class>.max_abs_diff_holdout", "overall"),
                "verdict": _get(m, "verdict", "decision") or _get(m, "verdict", "release"),
            })
    return rows


def fmt(v, d=3) -> str:
    return "-" if v is None else f"{v:.{d}f}"


def ci(x) -> str:
    if not x:
        return "-"
    return f"{fmt(x.get('auc'))} [{fmt(x.get('ci_low'))}, {fmt(x.get('ci_high'))}]"


def delta_ci(x) -> str:
    if not x:
        return "-"
    return f"{x['delta']:+.3f} [{x['delta_ci_low']:+.3f}, {x['delta_ci_high']:+.3f}]"


def mark(key: str, v) -> str:
    if v is None:
        return "-"
    ok, _ = TARGETS[key]
    return fmt(v) + ("" if ok(v) else " MISS")


def pcs(x) -> str:
    return "-" if not x else " / ".join(fmt(v, 2) for v in x)


def main(argv: list[str]) -> int:
    runs = [Path(a) for a in (argv or ["results"])]
    rows = [r for run in runs for r in rows_of(run)]
    if not rows:
        print(f"no metrics found under {', '.join(map(str, runs))} (run the workflow first)", file=sys.stderr)
        return 1
    print("| run | disease | generator | TSTR AUC [95% CI] | TSTR - baseline TSTR [95% CI] | TRTR AUC [95% CI] | "
          "PRS AUC [95% CI] | TSTR/TRTR | "
          "AF r | LD r2 corr (held-out real) | PC1-PC4 distance (held-out real) | cluster share diff (held-out real) | "
          "AA_TS | MIA AUC | causal TPR real / synthetic | FDR real / synthetic | verdict |")
    print("|---|---|---|---|---|---|---|---:|---:|---:|---|---:|---:|---:|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['disease']} | {r['generator']} | {ci(r['tstr'])} | {delta_ci(r['vs_baseline'])} | {ci(r['trtr'])} | {ci(r['prs'])} | "
              f"{mark('ratio', r['ratio'])} | {mark('af_r', r['af_r'])} | {mark('ld_r', r['ld_r'])} "
              f"({fmt(r['ld_r_holdout'])}) | {pcs(r['pc_syn'])} ({pcs(r['pc_holdout'])}) | "
              f"{fmt(r['cluster_diff'])} ({fmt(r['cluster_diff_holdout'])}) | "
              f"{mark('aa_ts', r['aa_ts'])} | {mark('mia', r['mia'])} | "
              f"{fmt(r['tpr_real'], 2)} / {fmt(r['tpr_syn'], 2)} | {fmt(r['fdr_real'], 2)} / {fmt(r['fdr_syn'], 2)} | "
              f"{r['verdict'] or '-'} |")
    print("\nTargets: " + "; ".join(f"{k} {t[1]}" for k, t in TARGETS.items())
          + ". Logistic regression (L2); AUCs on the real test split; causal TPR at Bonferroni (0.05 / K).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

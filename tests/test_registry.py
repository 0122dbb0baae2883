"""The metric registry (snpgen.evaluate.registry) against the thresholds, the verdict and a real
evaluation: a renamed or missing metric key fails here instead of showing "n/a" in the report."""
from __future__ import annotations

import pytest

from evaluation_run import constructed_metrics
from snpgen.evaluate import registry as R
from snpgen.evaluate.verdict import DEFAULT_THRESHOLDS, PRIVACY_CHECKS, verdict


def leaves(d, path=()):
    """(key path, value) of every leaf; a list of objects is walked with ``[]`` as its key."""
    if isinstance(d, dict):
        for k, v in d.items():
            yield from leaves(v, (*path, k))
    elif isinstance(d, list) and d and all(isinstance(x, dict) for x in d):
        for x in d:
            yield from leaves(x, (*path, "[]"))
    else:
        yield path, d


def numeric(v) -> bool:
    """A number, null (a suppressed or undefined number) or a list of them."""
    def one(x):
        return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool))
    return one(v) or (isinstance(v, list) and all(one(x) for x in v))


@pytest.fixture(scope="module")
def metrics(tmp_path_factory, plink2_available) -> dict:
    return constructed_metrics(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="module")
def keys(metrics) -> list[tuple[str, ...]]:
    return [p for s in R.REGISTERED_SECTIONS for p, _ in leaves(metrics.get(s, {}), (s,))]


def test_declarations_are_well_formed():
    assert len({m.key for m in R.METRICS}) == len(R.METRICS), "a key declared twice"
    names = [m.check for m in R.checks()]
    assert len(set(names)) == len(names), "a check declared twice"
    for m in R.METRICS:
        assert m.section in R.SECTIONS and m.direction in R.DIRECTIONS, m
        assert m.label and m.unit and m.doc, m
        assert (m.check is None) == (m.comparison is None) == (not m.thresholds), m
        assert m.comparison is None or m.comparison in R.COMPARISONS, m
        assert len(m.thresholds) == (2 if m.comparison == "in" else 1 if m.check else 0), m
        assert m.key[0] in R.REGISTERED_SECTIONS, m
    assert not set(R.INTERNAL) & {m.path for m in R.METRICS}


def test_every_threshold_key_belongs_to_a_declared_metric():
    declared = [k for m in R.METRICS for k in (*m.thresholds, *m.options)]
    assert sorted(declared) == sorted(DEFAULT_THRESHOLDS), "DEFAULT_THRESHOLDS and the registry disagree"


def test_privacy_checks_are_the_privacy_and_attack_declarations():
    assert PRIVACY_CHECKS == {m.check for s in ("privacy", "attacks") for m in R.checks(s)}


def test_every_declared_key_is_written_by_the_evaluation(keys):
    missing = [m.path for m in R.METRICS if not any(R.matches(m.key, k) for k in keys)]
    missing += [".".join(m.reference) for m in R.METRICS
                if m.reference and not any(R.matches(m.reference, k) for k in keys)]
    assert not missing, f"declared in the registry but not in the evaluation's metrics: {missing}"
    stale = [p for p in R.INTERNAL if not any(R.matches(R.split(p), k, prefix=True) for k in keys)]
    assert not stale, f"listed as internal but not written: {stale}"


def test_every_number_the_evaluation_writes_is_declared_or_internal(metrics):
    loose = [".".join(p) for s in R.REGISTERED_SECTIONS for p, v in leaves(metrics.get(s, {}), (s,))
             if numeric(v) and R.find(p) is None and R.internal(p) is None]
    assert not loose, f"numbers neither declared in registry.METRICS nor listed in registry.INTERNAL: {loose}"


def test_every_verdict_check_reads_its_declared_metric(metrics):
    v = verdict(metrics, {"utility_models": ["logreg"]})
    assert [c["name"] for c in v["checks"]] and all(R.check_metric(c["name"]) for c in v["checks"])
    from snpgen.nested import get_in
    for c in v["checks"]:
        m = R.check_metric(c["name"])
        if "{}" in m.check or m.check == "max_attack_auc":
            continue  # one value per model / PC; the attack check bounds the AUC
        assert c["value"] == pytest.approx(get_in(metrics, *m.key)), c["name"]
        assert c["comparison"] == m.comparison, c["name"]
    assert {R.check_metric(c["name"]).check for c in v["checks"]} == {m.check for m in R.checks()}


def test_check_labels_fill_the_family_part():
    assert R.check_label("tstr_trtr_ratio_hgb") == ("Utility: TSTR/TRTR AUC ratio (hgb)", "ratio")
    assert R.check_label("structure_pc3_distance")[0].startswith("Population structure: PC3 distance")
    assert R.check_label("mia_auc") == ("Membership-inference attack AUC (0.5 = guessing)", "AUC")
    assert R.check_label("no_such_check") == ("no_such_check", "")
    assert R.check_metric("structure_pc_distance") is None
    assert R.find("utility.logreg.ratio").check == "tstr_trtr_ratio_{}"
    assert R.find(("fidelity", "structure", "clusters", "overall", "max_abs_diff_synthetic")).check


def test_docs_table_matches_the_registry():
    """docs/metrics.md's registry tables are generated (scripts/metrics_table.py)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "metrics_table.py"
    res = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_quality_table_reads_declared_metrics(metrics, tmp_path):
    """benchmarks/quality.py reads through the registry: every path it names is declared (else KeyError)."""
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "quality", Path(__file__).resolve().parents[1] / "benchmarks" / "quality.py")
    quality = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quality)
    (tmp_path / "toy" / "metrics").mkdir(parents=True)
    (tmp_path / "toy" / "metrics" / "holdout.json").write_text(json.dumps(metrics))
    row, = quality.rows_of(tmp_path)
    for k in ("ratio", "af_r", "ld_r", "ld_r_holdout", "aa_ts", "mia", "tpr_real", "tpr_syn", "pc_syn",
              "pc_holdout", "cluster_diff", "cluster_diff_holdout"):
        assert row[k] is not None, k


def test_registry_imports_nothing_heavy():
    """The registry is read by the verdict, the report and the docs script: no numpy, torch or later stages."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; sys.path.insert(0, 'workflow'); import snpgen.evaluate.registry; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'torch', 'scipy', 'polars', 'snpgen')))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    # snpgen.defaults (stdlib + yaml: the schema's defaults) is light
    assert res.stdout.strip() in ("['snpgen', 'snpgen.evaluate', 'snpgen.evaluate.registry']",
                                  "['snpgen', 'snpgen.defaults', 'snpgen.evaluate', 'snpgen.evaluate.registry']")

"""The local profile runs every per-disease rule on one thread, so that on a 2-core machine two
diseases run side by side (benchmarks/README.md section 1, session 20): a per-disease rule left at 2
threads cannot start while the other disease holds a core, and the demo's second disease then waited
3 minutes for its GWAS."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _rule_blocks():
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text()
        for m in re.finditer(r"^(?:local)?rule (\w+):\n(.*?)(?=^(?:local)?rule |\Z)", text, re.S | re.M):
            yield m.group(1), m.group(2)


def test_local_profile_runs_every_per_disease_rule_on_one_thread():
    profile = yaml.safe_load((ROOT / "profiles" / "local" / "config.v8+.yaml").read_text())
    one_thread = {rule for rule, n in (profile.get("set-threads") or {}).items() if int(n) == 1}
    per_disease = {name for name, body in _rule_blocks()
                   if "{disease}" in body and re.search(r"^\s+threads:\s*([2-9]|\d\d)", body, re.M)}
    assert {"train_vae", "gwas", "evaluate"} <= per_disease  # the parse finds the rules it guards
    assert per_disease <= one_thread, f"per-disease rules on more than one thread: {sorted(per_disease - one_thread)}"
    assert not one_thread & {"qc", "simulate_cohort", "import_genotypes"}  # one job each: keep their threads

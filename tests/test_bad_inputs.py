"""Every bad-input case fails early and names the file and the column/line/key.

Fast (the default loop): every case that needs neither Snakemake nor plink2 -- config, diseases
file and input cases -- through the checks a workflow run starts with (snpgen.config, then
snpgen.validate, called as the Snakefile and the validate_inputs rule call them; see
``bad_inputs.check_case``). A refused case must be refused with the expected message; a
"dropped" case must pass and its input report must record the count.

End-to-end (e2e): a few cases through the real workflow, as a smoke check of what only a run
shows -- Snakemake prints the message without a traceback and leaves no result files -- plus the
cases only QC can decide (tag "qc") and the "dropped" ones, where QC must then run to its end.
"""
from __future__ import annotations

import re

import pytest

from bad_inputs import CASES, check_case, run_case

FAST = [c for c in CASES if "qc" not in c.tags]
# a config key, a diseases-file key, a PLINK fileset and a phenotype table refused by the real
# workflow, and a missing fileset member (refused when the workflow is read, before any job:
# snpgen.sources.check_present in common.smk);
# then every case QC decides and every case whose run must go on
SMOKE = ["config_unknown_nested_key", "diseases_k_zero", "plink_bed_size", "pheno_bad_code", "plink_missing_member"]
E2E = [c for c in CASES if c.name in SMOKE or "qc" in c.tags or c.outcome == "dropped"]


def test_every_case_is_checked():
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names)
    assert set(SMOKE) <= set(names)
    assert {c.name for c in FAST} | {c.name for c in E2E} == set(names)
    for tag in ("config", "input", "qc"):
        assert any(tag in c.tags for c in E2E), f"no end-to-end smoke case tagged {tag}"


@pytest.mark.parametrize("case", FAST, ids=[c.name for c in FAST])
def test_bad_input_fails_in_the_checks(case, tmp_path):
    """Fast: config, diseases file and inputs through snpgen directly (no workflow, no plink2)."""
    refused, text = check_case(case, tmp_path / "case")
    if case.outcome == "refused":
        assert refused, f"the bad input was accepted:\n{text}"
    else:
        assert not refused, f"refused, but the run should go on:\n{text}"
    for pattern in case.expect:
        assert re.search(pattern, text), f"message lacks {pattern!r}:\n{text}"
    assert "Traceback" not in text


@pytest.mark.e2e
@pytest.mark.parametrize("case", E2E, ids=[c.name for c in E2E])
def test_bad_input(case, tmp_path):
    rc, out, results = run_case(case, tmp_path / "case")
    for pattern in case.expect:
        assert re.search(pattern, out), f"message lacks {pattern!r}:\n{out[-3000:]}"
    if case.outcome == "refused":
        assert rc != 0
        # nothing a rerun would trust: no QC output (or any later stage), and no input report
        made = [p for p in results.rglob("*") if p.is_file() and "logs" not in p.parts and "benchmarks" not in p.parts]
        if "qc" in case.tags:  # caught after QC ran: the input report stands, nothing of QC does
            made = [p for p in made if p.name != "validated.json"]
        assert not made, f"result files left behind: {made}"
        assert "Traceback" not in out or case.tags == ["qc"], "a plain message, not a traceback, for bad input"
    else:
        assert rc == 0, out[-3000:]

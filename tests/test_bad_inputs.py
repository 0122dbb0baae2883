"""Every bad-input case fails early, names the file and the column/line/key, and leaves no results."""
from __future__ import annotations

import re

import pytest

from bad_inputs import CASES, run_case, validate_case

FAST = [c for c in CASES if c.tags == ["input"] and c.outcome == "refused"]


@pytest.mark.parametrize("case", FAST, ids=[c.name for c in FAST])
def test_bad_input_fails_in_validate_inputs(case, tmp_path):
    """Fast: the input cases through snpgen.validate directly (no workflow, no plink2)."""
    msg = validate_case(case, tmp_path / "case")
    assert msg is not None, "validate_inputs accepted the bad input"
    for pattern in case.expect:
        assert re.search(pattern, msg), f"message lacks {pattern!r}:\n{msg}"


@pytest.mark.e2e
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
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

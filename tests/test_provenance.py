"""snpgen.provenance: one collector behind the metrics JSON, the model checkpoints and the report table."""
from __future__ import annotations

import ast
import datetime as dt
import subprocess
import sys

from conftest import ROOT

from snpgen import provenance as P
from snpgen.plink import tool_versions


def test_three_outputs_agree_on_shared_versions():
    now = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone.utc)
    tools = tool_versions()
    ev = P.evaluation_provenance(7, tools)
    ck = P.checkpoint_versions()
    rep = P.run_provenance(config_hash="abc", seeds={"split": 1}, tools=tools, repo_dir=ROOT, now=now)
    pk = rep["packages"]
    assert ev["seed"] == 7 and rep["seeds"] == {"split": 1} and rep["config_hash"] == "abc"
    assert rep["run_date"] == "2026-01-02 03:04 UTC"
    # shared packages (the metrics JSON spells scikit-learn "scikit_learn", its long-standing key)
    assert ev["numpy"] == ck["numpy"] == pk["numpy"] == P.package_version("numpy")
    assert ev["python"] == pk["python"] and ev["scipy"] == pk["scipy"] and ev["scikit_learn"] == pk["scikit-learn"]
    assert ev.get("polars", P.NOT_INSTALLED) == pk["polars"]
    assert ck["torch"] == pk["torch"] and ck["snpgen"] == rep["snpgen"]
    assert {k: ev[k] for k in ("plink2", "plink1.9")} == rep["tools"]


def test_output_shapes_unchanged():
    ev = P.evaluation_provenance(1, {"plink2": "PLINK v2", "plink1.9": "PLINK v1.9"})
    assert list(ev)[:5] == ["seed", "python", "numpy", "scipy", "scikit_learn"] and list(ev)[-2:] == ["plink2",
                                                                                                   "plink1.9"]
    assert list(P.checkpoint_versions()) == ["torch", "numpy", "snpgen"]
    rep = P.run_provenance(config_hash=None, seeds=None, tools={})
    assert list(rep) == ["snpgen", "git_commit", "config_hash", "seeds", "packages", "tools", "run_date"]
    assert list(rep["packages"]) == ["python", "torch", "numpy", "snakemake", "polars", "scipy", "scikit-learn",
                                     "matplotlib", "jinja2"]
    assert rep["config_hash"] == "unknown" and rep["seeds"] == {}
    assert P.package_version("no-such-distribution-snpgen") == P.NOT_INSTALLED


def test_collecting_imports_no_torch_sklearn_or_plink():
    """Versions come from importlib.metadata: collecting them loads neither torch nor scikit-learn; the
    module leaves snpgen.plink to its callers (the torch env of the model rules has no plink binaries)."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'workflow')!r}); from snpgen import provenance as P; "
            "P.evaluation_provenance(1, {}); P.checkpoint_versions(); "
            "P.run_provenance(config_hash=None, seeds=None, tools={}); "
            "print(' '.join(m for m in sys.modules if m.split('.')[0] in ('torch', 'sklearn') or m == 'snpgen.plink'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == []
    tree = ast.parse((ROOT / "workflow/snpgen/provenance.py").read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names]
    assert not [m for m in imported if "plink" in m], imported


def test_callers_use_the_one_collector():
    from snpgen.models import package_versions

    assert package_versions is P.checkpoint_versions
    src = (ROOT / "workflow/snpgen/evaluate/__init__.py").read_text()
    assert "evaluation_provenance(seed, tool_versions())" in src and "def provenance(" not in src
    render = (ROOT / "workflow/snpgen/report/render.py").read_text()
    assert "def collect_provenance(" not in render and "def git_commit(" not in render
